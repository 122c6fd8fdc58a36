using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using Newtonsoft.Json;
using Repro.Engine;

namespace Repro.Recorder.Tests;

/// <summary>
/// The version 1 encoder and float32 summary as they were before the writer was rewritten (Newtonsoft's
/// JsonTextWriter, one string per record; one scalar pass per summary), kept verbatim as the reference the new writer
/// must match byte for byte and bit for bit.
/// </summary>
internal static class Legacy
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public static byte[] EncodeHeader(LogHeader h) => Encode(w =>
    {
        w.WritePropertyName("type");
        w.WriteValue("header");
        w.WritePropertyName("format");
        w.WriteValue(LogFormat.Name);
        w.WritePropertyName("version");
        w.WriteValue(h.Version);
        w.WritePropertyName("repro");
        w.WriteValue(h.ReproVersion);
        w.WritePropertyName("capture");
        w.WriteValue(h.Capture);
        var e = h.Environment;
        w.WritePropertyName("env");
        w.WriteStartObject();
        Prop(w, "os", e.Os);
        Prop(w, "runtime", e.Runtime);
        Prop(w, "cpu", e.Cpu);
        w.WritePropertyName("isa");
        w.WriteStartArray();
        foreach (var i in e.Isa)
        {
            w.WriteValue(i);
        }

        w.WriteEndArray();
        w.WritePropertyName("processors");
        w.WriteValue(e.Processors);
        w.WritePropertyName("threads");
        w.WriteValue(e.Threads);
        Prop(w, "backend", e.Backend);
        Prop(w, "device", e.Device);
        Prop(w, "dtype", e.DType);
        w.WritePropertyName("seed");
        w.WriteValue(e.Seed.ToString(CultureInfo.InvariantCulture));
        w.WritePropertyName("vars");
        w.WriteStartObject();
        foreach (var kv in e.Variables)
        {
            Prop(w, kv.Key, kv.Value);
        }

        w.WriteEndObject();
        Prop(w, "command", e.CommandLine);
        w.WriteEndObject();
    });

    public static byte[] EncodeOp(OpRecord r) => Encode(w =>
    {
        w.WritePropertyName("type");
        w.WriteValue("op");
        w.WritePropertyName("seq");
        w.WriteValue(r.Seq);
        Prop(w, "op", r.Op);
        if (r.Phase == OpPhase.Backward)
        {
            w.WritePropertyName("phase");
            w.WriteValue("backward");
            w.WritePropertyName("of");
            w.WriteValue(r.BackwardOf);
        }

        if (r.IsView)
        {
            w.WritePropertyName("view");
            w.WriteValue(true);
        }

        if (r.Attributes.Items.Count > 0)
        {
            w.WritePropertyName("attrs");
            WriteAttributes(w, r.Attributes);
        }

        w.WritePropertyName("in");
        w.WriteStartArray();
        foreach (var id in r.Inputs)
        {
            w.WriteValue(id);
        }

        w.WriteEndArray();
        w.WritePropertyName("out");
        w.WriteStartArray();
        foreach (var t in r.Outputs)
        {
            WriteTensor(w, t);
        }

        w.WriteEndArray();
        Prop(w, "backend", r.Backend);
        if (r.Source.IsKnown)
        {
            w.WritePropertyName("src");
            w.WriteStartObject();
            Prop(w, "file", r.Source.File);
            w.WritePropertyName("line");
            w.WriteValue(r.Source.Line);
            Prop(w, "member", r.Source.Member);
            w.WriteEndObject();
        }
    });

    public static byte[] EncodeLeaf(LeafRecord r) => Encode(w =>
    {
        w.WritePropertyName("type");
        w.WriteValue("leaf");
        w.WritePropertyName("tensor");
        WriteTensor(w, r.Tensor);
        Prop(w, "backend", r.Backend);
    });

    public static byte[] EncodeEnd(EndRecord r) => Encode(w =>
    {
        w.WritePropertyName("type");
        w.WriteValue("end");
        w.WritePropertyName("ops");
        w.WriteValue(r.Ops);
        w.WritePropertyName("leaves");
        w.WriteValue(r.Leaves);
        w.WritePropertyName("blobs");
        w.WriteValue(r.Blobs);
        Prop(w, "status", r.Status);
    });

    private static void WriteAttributes(JsonWriter w, OpAttributes attrs)
    {
        w.WriteStartObject();
        foreach (var p in attrs.Items)
        {
            w.WritePropertyName(p.Key);
            WriteAttribute(w, p.Value);
        }

        w.WriteEndObject();
    }

    private static void WriteAttribute(JsonWriter w, object value)
    {
        switch (value)
        {
            case long l:
                w.WriteValue(l);
                break;
            case int i:
                w.WriteValue((long)i);
                break;
            case double d:
                WriteDouble(w, d);
                break;
            case float f:
                WriteDouble(w, f);
                break;
            case bool b:
                w.WriteValue(b);
                break;
            case string s:
                w.WriteValue(s);
                break;
            case long[] la:
                w.WriteStartArray();
                foreach (var x in la)
                {
                    w.WriteValue(x);
                }

                w.WriteEndArray();
                break;
            case int[] ia:
                w.WriteStartArray();
                foreach (var x in ia)
                {
                    w.WriteValue((long)x);
                }

                w.WriteEndArray();
                break;
            case double[] da:
                w.WriteStartArray();
                foreach (var x in da)
                {
                    WriteDouble(w, x);
                }

                w.WriteEndArray();
                break;
            default:
                w.WriteValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    private static void WriteDouble(JsonWriter w, double d)
    {
        if (double.IsFinite(d))
        {
            w.WriteValue(d);
            return;
        }

        w.WriteStartObject();
        w.WritePropertyName("f64");
        w.WriteValue(double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
        w.WriteEndObject();
    }

    private static void WriteTensor(JsonWriter w, TensorRecord t)
    {
        w.WriteStartObject();
        w.WritePropertyName("id");
        w.WriteValue(t.Id);
        w.WritePropertyName("shape");
        w.WriteStartArray();
        foreach (var d in t.Shape)
        {
            w.WriteValue(d);
        }

        w.WriteEndArray();
        Prop(w, "dtype", t.DType.Name());
        Prop(w, "hash", t.Hash);
        if (t.Blob is not null)
        {
            Prop(w, "blob", t.Blob);
        }

        if (t.Stats is { } s)
        {
            w.WritePropertyName("stats");
            w.WriteStartObject();
            OptDouble(w, "min", s.Min);
            OptDouble(w, "max", s.Max);
            OptDouble(w, "mean", s.Mean);
            w.WritePropertyName("nan");
            w.WriteValue(s.NaN);
            w.WritePropertyName("pinf");
            w.WriteValue(s.PosInf);
            w.WritePropertyName("ninf");
            w.WriteValue(s.NegInf);
            w.WritePropertyName("sub");
            w.WriteValue(s.Subnormal);
            w.WritePropertyName("zero");
            w.WriteValue(s.Zero);
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void OptDouble(JsonWriter w, string name, double? v)
    {
        w.WritePropertyName(name);
        if (v is { } d && double.IsFinite(d))
        {
            w.WriteValue(d);
        }
        else
        {
            w.WriteNull();
        }
    }

    private static void Prop(JsonWriter w, string name, string value)
    {
        w.WritePropertyName(name);
        w.WriteValue(value);
    }

    private static byte[] Encode(Action<JsonTextWriter> body)
    {
        var sb = new StringBuilder(256);
        using (var sw = new StringWriter(sb, CultureInfo.InvariantCulture))
        using (var w = new JsonTextWriter(sw) { Formatting = Formatting.None, FloatFormatHandling = FloatFormatHandling.Symbol })
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        // The checksum covers the object's text up to (not including) its closing brace; the crc field closes it.
        sb.Length--;
        var text = sb.ToString();
        int bodyBytes = Utf8.GetByteCount(text);
        var line = new byte[bodyBytes + LogFormat.CrcSuffixLength + 1];
        Utf8.GetBytes(text, 0, text.Length, line, 0);
        uint crc = Crc32.HashToUInt32(line.AsSpan(0, bodyBytes));
        Encoding.ASCII.GetBytes(LogFormat.CrcPrefix + crc.ToString("x8", CultureInfo.InvariantCulture) + "\"}\n", 0, LogFormat.CrcSuffixLength + 1, line, bodyBytes);
        return line;
    }

    public static HealthSummary SummarizeFloat32(ReadOnlySpan<float> values)
    {
        Span<double> lanes = stackalloc double[8];
        lanes.Clear();
        long nan = 0, pinf = 0, ninf = 0, sub = 0, zero = 0;
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        var bits = MemoryMarshal.Cast<float, uint>(values);
        for (int i = 0; i < values.Length; i++)
        {
            uint b = bits[i];
            uint mag = b & 0x7FFFFFFFu;
            if (mag >= 0x7F800000u)
            {
                if (mag > 0x7F800000u)
                {
                    nan++;
                }
                else if (b == 0x7F800000u)
                {
                    pinf++;
                }
                else
                {
                    ninf++;
                }

                continue;
            }

            float v = values[i];
            zero += mag == 0 ? 1 : 0;
            sub += mag != 0 && mag < 0x00800000u ? 1 : 0;
            min = v < min ? v : min;
            max = v > max ? v : max;
            lanes[i & 7] += v;
        }

        long finite = values.Length - nan - pinf - ninf;
        if (finite == 0)
        {
            return new HealthSummary(null, null, null, nan, pinf, ninf, sub, zero);
        }

        double sum = 0;
        foreach (double l in lanes)
        {
            sum += l;
        }

        return new HealthSummary(min, max, sum / finite, nan, pinf, ninf, sub, zero);
    }
}
