using System.Globalization;
using System.Runtime.CompilerServices;
using Repro.Engine;

namespace Repro.Recorder;

/// <summary>Turns records into checksummed JSON lines (reading them back is <see cref="LogDecoder"/>).</summary>
internal static class LogCodec
{
    public static byte[] EncodeHeader(LogHeader h) => Encode(w => WriteHeader(w, h));

    public static byte[] EncodeOp(OpRecord r) => Encode(w =>
    {
        WriteOpStart(w, r.Seq, r.Op, r.Phase, r.BackwardOf, r.IsView, r.Attributes, r.Inputs);
        for (int i = 0; i < r.Outputs.Length; i++)
        {
            if (i > 0)
            {
                w.Byte((byte)',');
            }

            var t = r.Outputs[i];
            WriteTensor(w, t.Id, t.Shape, t.DType, t.Hash, t.Blob, t.Stats is { } s ? new SummaryValues(s.Min, s.Max, s.Mean, s.NaN, s.PosInf, s.NegInf, s.Subnormal, s.Zero) : null);
        }

        WriteOpEnd(w, r.Backend, r.Source, r.Thread == LogFormat.MainThread ? null : r.Thread, r.Module);
    });

    public static byte[] EncodeLeaf(LeafRecord r) => Encode(w =>
    {
        var t = r.Tensor;
        WriteLeafStart(w);
        WriteTensor(w, t.Id, t.Shape, t.DType, t.Hash, t.Blob, t.Stats is { } s ? new SummaryValues(s.Min, s.Max, s.Mean, s.NaN, s.PosInf, s.NegInf, s.Subnormal, s.Zero) : null);
        WriteLeafEnd(w, r.Backend);
    });

    public static byte[] EncodeEnd(EndRecord r) => Encode(w => WriteEnd(w, r));

    // The writers below produce the canonical form of docs/log-format.md ("Writing"): the bytes of every version 1 log
    // so far, which the committed corpus (valid/writer.jsonl) and the golden log hold them to.

    /// <summary>Writes the header record.</summary>
    public static void WriteHeader(JsonLine w, LogHeader h)
    {
        w.BeginRecord();
        w.Raw("\"type\":\"header\",\"format\":"u8);
        w.String(LogFormat.Name);
        w.Raw(",\"version\":"u8);
        w.Long(h.Version);
        w.Raw(",\"repro\":"u8);
        w.String(h.ReproVersion);
        w.Raw(",\"capture\":"u8);
        w.String(h.Capture);
        var e = h.Environment;
        w.Raw(",\"env\":{\"os\":"u8);
        w.String(e.Os);
        w.Raw(",\"runtime\":"u8);
        w.String(e.Runtime);
        w.Raw(",\"cpu\":"u8);
        w.String(e.Cpu);
        w.Raw(",\"isa\":["u8);
        for (int i = 0; i < e.Isa.Count; i++)
        {
            if (i > 0)
            {
                w.Byte((byte)',');
            }

            w.String(e.Isa[i]);
        }

        w.Raw("],\"processors\":"u8);
        w.Long(e.Processors);
        w.Raw(",\"threads\":"u8);
        w.Long(e.Threads);
        w.Raw(",\"backend\":"u8);
        w.String(e.Backend);
        w.Raw(",\"device\":"u8);
        w.String(e.Device);
        w.Raw(",\"dtype\":"u8);
        w.String(e.DType);
        w.Raw(",\"seed\":"u8);
        w.String(e.Seed.ToString(CultureInfo.InvariantCulture));
        w.Raw(",\"vars\":{"u8);
        bool first = true;
        foreach (var kv in e.Variables)
        {
            if (!first)
            {
                w.Byte((byte)',');
            }

            first = false;
            w.Name(kv.Key);
            w.String(kv.Value);
        }

        w.Raw("},\"command\":"u8);
        w.String(e.CommandLine);
        w.Byte((byte)'}');
        w.EndRecord();
    }

    /// <summary>Writes an op record up to the opening bracket of its outputs (the tensors follow, then <see cref="WriteOpEnd"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WriteOpStart(JsonLine w, long seq, string op, OpPhase phase, long of, bool view, OpAttributes attrs, ReadOnlySpan<long> inputs)
    {
        w.BeginRecord();
        w.Raw("\"type\":\"op\",\"seq\":"u8);
        w.Long(seq);
        w.Raw(",\"op\":"u8);
        w.String(op);
        if (phase == OpPhase.Backward)
        {
            w.Raw(",\"phase\":\"backward\",\"of\":"u8);
            w.Long(of);
        }

        if (view)
        {
            w.Raw(",\"view\":true"u8);
        }

        if (attrs.Items.Count > 0)
        {
            w.Raw(",\"attrs\":"u8);
            WriteAttributes(w, attrs);
        }

        w.Raw(",\"in\":["u8);
        for (int i = 0; i < inputs.Length; i++)
        {
            if (i > 0)
            {
                w.Byte((byte)',');
            }

            w.Long(inputs[i]);
        }

        w.Raw("],\"out\":["u8);
    }

    /// <summary>Closes an op record's outputs and writes its backend, source location and logical thread (null: the main thread, no field).</summary>
    public static void WriteOpEnd(JsonLine w, string backend, SourceLocation src, string? thread, OpModule? module = null)
    {
        w.Raw("],\"backend\":"u8);
        w.String(backend);
        if (src.IsKnown)
        {
            WriteSource(w, src);
        }

        WriteModule(w, module);
        WriteThread(w, thread);
        w.EndRecord();
    }

    /// <summary>As <see cref="WriteOpEnd(JsonLine, string, SourceLocation, string)"/>, the source's JSON taken from <paramref name="sources"/> (consecutive ops mostly share one).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WriteOpEnd(JsonLine w, string backend, SourceLocation src, SourceCache sources, string? thread, OpModule? module = null)
    {
        w.Raw("],\"backend\":"u8);
        w.String(backend);
        if (src.IsKnown)
        {
            w.Raw(sources.Json(src));
        }

        WriteModule(w, module);
        WriteThread(w, thread);
        w.EndRecord();
    }

    /// <summary>Writes <c>,"thread":"..."</c> for an op of any thread but the main one (whose records stay as they were before threads were recorded).</summary>
    private static void WriteThread(JsonLine w, string? thread)
    {
        if (thread is not null)
        {
            w.Raw(",\"thread\":"u8);
            w.String(thread);
        }
    }

    /// <summary>Writes <c>,"module":{"path":...,"type":...}</c> for an op that ran in a module (none otherwise, so logs of programs without modules stay as they were).</summary>
    private static void WriteModule(JsonLine w, OpModule? module)
    {
        if (module is not null)
        {
            w.Raw(",\"module\":{\"path\":"u8);
            w.String(module.Path);
            w.Raw(",\"type\":"u8);
            w.String(module.Type);
            w.Byte((byte)'}');
        }
    }

    /// <summary>Writes <c>,"src":{...}</c>.</summary>
    public static void WriteSource(JsonLine w, SourceLocation src)
    {
        w.Raw(",\"src\":{\"file\":"u8);
        w.String(src.File);
        w.Raw(",\"line\":"u8);
        w.Long(src.Line);
        w.Raw(",\"member\":"u8);
        w.String(src.Member);
        if (src.Approximate)
        {
            w.Raw(",\"approx\":true"u8);
        }

        w.Byte((byte)'}');
    }

    /// <summary>Writes a leaf record up to its tensor.</summary>
    public static void WriteLeafStart(JsonLine w)
    {
        w.BeginRecord();
        w.Raw("\"type\":\"leaf\",\"tensor\":"u8);
    }

    /// <summary>Writes a leaf record's backend and ends it.</summary>
    public static void WriteLeafEnd(JsonLine w, string backend)
    {
        w.Raw(",\"backend\":"u8);
        w.String(backend);
        w.EndRecord();
    }

    /// <summary>Writes the end record.</summary>
    public static void WriteEnd(JsonLine w, EndRecord r)
    {
        w.BeginRecord();
        w.Raw("\"type\":\"end\",\"ops\":"u8);
        w.Long(r.Ops);
        w.Raw(",\"leaves\":"u8);
        w.Long(r.Leaves);
        w.Raw(",\"blobs\":"u8);
        w.Long(r.Blobs);
        w.Raw(",\"status\":"u8);
        w.String(r.Status);
        if (r.Error is { } e)
        {
            w.Raw(",\"error\":{\"type\":"u8);
            w.String(e.Type);
            w.Raw(",\"message\":"u8);
            w.String(e.Message);
            if (e.Op is not null)
            {
                w.Raw(",\"op\":"u8);
                w.String(e.Op);
            }

            if (e.Source.IsKnown)
            {
                WriteSource(w, e.Source);
            }

            w.Raw(",\"last\":"u8);
            w.Long(e.LastSeq);
            w.Byte((byte)'}');
        }

        w.EndRecord();
    }

    /// <summary>Writes a tensor whose hash is 16 raw bytes (the writer's case).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WriteTensor(JsonLine w, long id, IReadOnlyList<int> shape, DType dtype, ReadOnlySpan<byte> hash, ReadOnlySpan<byte> blob, in SummaryValues? stats)
    {
        WriteTensorHead(w, id, shape, dtype);
        w.Raw(",\"hash\":"u8);
        w.Hex32(hash);
        if (!blob.IsEmpty)
        {
            w.Raw(",\"blob\":"u8);
            w.Hex32(blob);
        }

        WriteTensorTail(w, stats);
    }

    /// <summary>Writes a tensor whose hash and blob are strings (re-encoding a record).</summary>
    public static void WriteTensor(JsonLine w, long id, IReadOnlyList<int> shape, DType dtype, string hash, string? blob, in SummaryValues? stats)
    {
        WriteTensorHead(w, id, shape, dtype);
        w.Raw(",\"hash\":"u8);
        w.String(hash);
        if (blob is not null)
        {
            w.Raw(",\"blob\":"u8);
            w.String(blob);
        }

        WriteTensorTail(w, stats);
    }

    private static void WriteTensorHead(JsonLine w, long id, IReadOnlyList<int> shape, DType dtype)
    {
        w.Raw("{\"id\":"u8);
        w.Long(id);
        w.Raw(",\"shape\":["u8);
        for (int i = 0; i < shape.Count; i++)
        {
            if (i > 0)
            {
                w.Byte((byte)',');
            }

            w.Long(shape[i]);
        }

        w.Raw("],\"dtype\":"u8);
        w.Raw(dtype switch
        {
            DType.Float32 => "\"float32\""u8,
            DType.Float64 => "\"float64\""u8,
            DType.Int32 => "\"int32\""u8,
            DType.Float16 => "\"float16\""u8,
            DType.BFloat16 => "\"bfloat16\""u8,
            _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteTensorTail(JsonLine w, in SummaryValues? stats)
    {
        if (stats is { } s)
        {
            w.Raw(",\"stats\":{\"min\":"u8);
            OptDouble(w, s.Min);
            w.Raw(",\"max\":"u8);
            OptDouble(w, s.Max);
            w.Raw(",\"mean\":"u8);
            OptDouble(w, s.Mean);
            w.Raw(",\"nan\":"u8);
            w.Long(s.NaN);
            w.Raw(",\"pinf\":"u8);
            w.Long(s.PosInf);
            w.Raw(",\"ninf\":"u8);
            w.Long(s.NegInf);
            w.Raw(",\"sub\":"u8);
            w.Long(s.Subnormal);
            w.Raw(",\"zero\":"u8);
            w.Long(s.Zero);
            w.Byte((byte)'}');
        }

        w.Byte((byte)'}');
    }

    private static void OptDouble(JsonLine w, double? v)
    {
        if (v is { } d && double.IsFinite(d))
        {
            w.Double(d);
        }
        else
        {
            w.Null();
        }
    }

    private static void WriteAttributes(JsonLine w, OpAttributes attrs)
    {
        w.Byte((byte)'{');
        var items = attrs.Items;
        for (int i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                w.Byte((byte)',');
            }

            var p = items[i];
            w.Name(p.Key);
            WriteAttribute(w, p.Value);
        }

        w.Byte((byte)'}');
    }

    private static void WriteAttribute(JsonLine w, object value)
    {
        switch (value)
        {
            case long l:
                w.Long(l);
                break;
            case int i:
                w.Long(i);
                break;
            case double d:
                WriteDouble(w, d);
                break;
            case float f:
                WriteDouble(w, f);
                break;
            case bool b:
                w.Bool(b);
                break;
            case string s:
                w.String(s);
                break;
            case long[] la:
                w.Byte((byte)'[');
                for (int k = 0; k < la.Length; k++)
                {
                    if (k > 0)
                    {
                        w.Byte((byte)',');
                    }

                    w.Long(la[k]);
                }

                w.Byte((byte)']');
                break;
            case int[] ia:
                w.Byte((byte)'[');
                for (int k = 0; k < ia.Length; k++)
                {
                    if (k > 0)
                    {
                        w.Byte((byte)',');
                    }

                    w.Long(ia[k]);
                }

                w.Byte((byte)']');
                break;
            case double[] da:
                w.Byte((byte)'[');
                for (int k = 0; k < da.Length; k++)
                {
                    if (k > 0)
                    {
                        w.Byte((byte)',');
                    }

                    WriteDouble(w, da[k]);
                }

                w.Byte((byte)']');
                break;
            default:
                w.String(Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty);
                break;
        }
    }

    private static void WriteDouble(JsonLine w, double d)
    {
        if (double.IsFinite(d))
        {
            w.Double(d);
            return;
        }

        w.Raw(double.IsNaN(d) ? "{\"f64\":\"NaN\"}"u8 : d > 0 ? "{\"f64\":\"Infinity\"}"u8 : "{\"f64\":\"-Infinity\"}"u8);
    }

    private static byte[] Encode(Action<JsonLine> body)
    {
        var w = new JsonLine(512);
        try
        {
            body(w);
            return w.Written.ToArray();
        }
        finally
        {
            w.Release();
        }
    }

    internal static bool IsHex32(string s) => s.Length == 32 && IsLowerHex(s);

    // Lower case only: a flipped case bit in a checksum or an address must not read as the same value.
    private static bool IsLowerHex(ReadOnlySpan<char> s)
    {
        foreach (char c in s)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>The encoded source field of the last source location written (the writer thread's).</summary>
internal sealed class SourceCache
{
    private readonly JsonLine encoded = new(256);
    private SourceLocation last;
    private bool any;

    /// <summary>The bytes of <c>,"src":{...}</c> for <paramref name="src"/>, valid until the next call.</summary>
    public ReadOnlySpan<byte> Json(SourceLocation src)
    {
        if (!any || !src.Equals(last))
        {
            encoded.Clear();
            LogCodec.WriteSource(encoded, src);
            last = src;
            any = true;
        }

        return encoded.Written;
    }

    /// <summary>Returns the buffer to the pool.</summary>
    public void Release() => encoded.Release();
}
