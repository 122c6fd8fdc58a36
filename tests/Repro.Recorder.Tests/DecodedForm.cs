using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Repro.Engine;

namespace Repro.Recorder.Tests;

/// <summary>
/// A decoded record as one line of JSON that names every field of the record object, whatever the log's spelling
/// was: the corpus's expected decoded forms, and how tests compare records. Doubles are written as their round-trip
/// text in a string ("NaN", "-0", "1E-05"), so every bit shows; attribute values carry their type.
/// </summary>
internal static class DecodedForm
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Of(LogHeader h, bool position = true) => Write(w =>
    {
        if (position)
        {
            Position(w, h.Position);
        }

        w.WriteString("type", "header");
        w.WriteNumber("version", h.Version);
        Text(w, "repro", h.ReproVersion);
        Text(w, "capture", h.Capture);
        var e = h.Environment;
        w.WriteStartObject("env");
        Text(w, "os", e.Os);
        Text(w, "runtime", e.Runtime);
        Text(w, "cpu", e.Cpu);
        w.WriteStartArray("isa");
        foreach (var isa in e.Isa)
        {
            w.WriteStringValue(Valid(isa));
        }

        w.WriteEndArray();
        w.WriteNumber("processors", e.Processors);
        w.WriteNumber("threads", e.Threads);
        Text(w, "backend", e.Backend);
        Text(w, "device", e.Device);
        Text(w, "dtype", e.DType);
        w.WriteString("seed", e.Seed.ToString(CultureInfo.InvariantCulture));
        w.WriteStartObject("vars");
        foreach (var kv in e.Variables.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            Text(w, kv.Key, kv.Value);
        }

        w.WriteEndObject();
        Text(w, "command", e.CommandLine);
        w.WriteEndObject();
    });

    public static string Of(LogEntry entry, bool position = true) => Write(w =>
    {
        if (position)
        {
            Position(w, entry.Position);
        }

        switch (entry)
        {
            case OpRecord op:
                w.WriteString("type", "op");
                w.WriteNumber("seq", op.Seq);
                Text(w, "op", op.Op);
                w.WriteString("phase", op.Phase == OpPhase.Backward ? "backward" : "forward");
                w.WriteNumber("of", op.BackwardOf);
                w.WriteBoolean("view", op.IsView);
                w.WriteStartArray("attrs");
                foreach (var (name, value) in op.Attributes.Items)
                {
                    Attribute(w, name, value);
                }

                w.WriteEndArray();
                w.WriteStartArray("in");
                foreach (long id in op.Inputs)
                {
                    w.WriteNumberValue(id);
                }

                w.WriteEndArray();
                w.WriteStartArray("out");
                foreach (var t in op.Outputs)
                {
                    Tensor(w, t);
                }

                w.WriteEndArray();
                Text(w, "backend", op.Backend);
                Source(w, "src", op.Source);
                Text(w, "thread", op.Thread);
                break;
            case LeafRecord leaf:
                w.WriteString("type", "leaf");
                w.WritePropertyName("tensor");
                Tensor(w, leaf.Tensor);
                Text(w, "backend", leaf.Backend);
                break;
            case EndRecord end:
                w.WriteString("type", "end");
                w.WriteNumber("ops", end.Ops);
                w.WriteNumber("leaves", end.Leaves);
                w.WriteNumber("blobs", end.Blobs);
                Text(w, "status", end.Status);
                w.WriteBoolean("complete", end.IsComplete);
                if (end.Error is { } e)
                {
                    w.WriteStartObject("error");
                    Text(w, "type", e.Type);
                    Text(w, "message", e.Message);
                    if (e.Op is null)
                    {
                        w.WriteNull("op");
                    }
                    else
                    {
                        Text(w, "op", e.Op);
                    }

                    Source(w, "src", e.Source);
                    w.WriteNumber("last", e.LastSeq);
                    w.WriteEndObject();
                }
                else
                {
                    w.WriteNull("error");
                }

                break;
            default:
                throw new InvalidOperationException(entry.ToString());
        }
    });

    /// <summary>Where a reader stopped, once its entries were read: the last op, and why the log stops early (null when it ended with its end record).</summary>
    public static string Of(LogReader reader) => Write(w =>
    {
        w.WriteString("type", "reader");
        w.WriteNumber("lastSeq", reader.LastSeq);
        w.WriteBoolean("ended", reader.End is not null);
        if (reader.Truncation is { } t)
        {
            w.WriteStartObject("truncation");
            Position(w, t.Position);
            w.WriteNumber("lastSeq", t.LastSeq);
            w.WriteString("message", t.Message);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("truncation");
        }
    });

    /// <summary>A string as a log holds it: lone surrogates cannot be written in UTF-8 and become U+FFFD (as the writer writes them).</summary>
    public static string Valid(string s) => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(s));

    /// <summary>A double's round-trip text ("R": every bit), as the forms write doubles.</summary>
    public static string Number(double d) => d.ToString("R", CultureInfo.InvariantCulture);

    private static string Write(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, Options))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void Position(Utf8JsonWriter w, LogPosition p)
    {
        w.WriteNumber("line", p.Line);
        w.WriteNumber("offset", p.Offset);
    }

    private static void Text(Utf8JsonWriter w, string name, string value) => w.WriteString(Valid(name), Valid(value));

    private static void Tensor(Utf8JsonWriter w, TensorRecord t)
    {
        w.WriteStartObject();
        w.WriteNumber("id", t.Id);
        w.WriteStartArray("shape");
        foreach (int d in t.Shape)
        {
            w.WriteNumberValue(d);
        }

        w.WriteEndArray();
        w.WriteString("dtype", t.DType.Name());
        w.WriteString("hash", t.Hash);
        if (t.Blob is null)
        {
            w.WriteNull("blob");
        }
        else
        {
            w.WriteString("blob", t.Blob);
        }

        if (t.Stats is { } s)
        {
            w.WriteStartObject("stats");
            Optional(w, "min", s.Min);
            Optional(w, "max", s.Max);
            Optional(w, "mean", s.Mean);
            w.WriteNumber("nan", s.NaN);
            w.WriteNumber("pinf", s.PosInf);
            w.WriteNumber("ninf", s.NegInf);
            w.WriteNumber("sub", s.Subnormal);
            w.WriteNumber("zero", s.Zero);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("stats");
        }

        w.WriteEndObject();
    }

    private static void Optional(Utf8JsonWriter w, string name, double? value)
    {
        // A non-finite summary value is written as null (a summary holds finite values only).
        if (value is { } d && double.IsFinite(d))
        {
            w.WriteString(name, Number(d));
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void Source(Utf8JsonWriter w, string name, SourceLocation src)
    {
        // A location without a file is unknown, and is written as no location.
        if (!src.IsKnown)
        {
            w.WriteNull(name);
            return;
        }

        w.WriteStartObject(name);
        Text(w, "file", src.File);
        w.WriteNumber("line", src.Line);
        Text(w, "member", src.Member);
        w.WriteEndObject();
    }

    /// <summary>
    /// [name, type, value]. An int or float (what the engine may hand the writer) is the long or double it is
    /// written as; a non-finite double is its name.
    /// </summary>
    private static void Attribute(Utf8JsonWriter w, string name, object value)
    {
        w.WriteStartArray();
        w.WriteStringValue(Valid(name));
        switch (value)
        {
            case long or int:
                w.WriteStringValue("long");
                w.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case double or float:
                w.WriteStringValue("double");
                w.WriteStringValue(Number(Convert.ToDouble(value, CultureInfo.InvariantCulture)));
                break;
            case bool b:
                w.WriteStringValue("bool");
                w.WriteBooleanValue(b);
                break;
            case string s:
                w.WriteStringValue("string");
                w.WriteStringValue(Valid(s));
                break;
            case long[] or int[]:
                w.WriteStringValue("long[]");
                w.WriteStartArray();
                foreach (var l in ((System.Collections.IEnumerable)value).Cast<object>())
                {
                    w.WriteNumberValue(Convert.ToInt64(l, CultureInfo.InvariantCulture));
                }

                w.WriteEndArray();
                break;
            case double[] da:
                w.WriteStringValue("double[]");
                w.WriteStartArray();
                foreach (double d in da)
                {
                    w.WriteStringValue(Number(d));
                }

                w.WriteEndArray();
                break;
            default:
                throw new InvalidOperationException($"attribute '{name}': a {value.GetType()} is not a log attribute value");
        }

        w.WriteEndArray();
    }
}
