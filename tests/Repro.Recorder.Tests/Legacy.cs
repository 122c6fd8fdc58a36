using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Repro.Engine;

namespace Repro.Recorder.Tests;

/// <summary>
/// The version 1 encoder, decoder and float32 summary as they were before the recorder was rewritten (Newtonsoft's
/// JsonTextWriter and JObject per record; one scalar pass per summary), kept verbatim as the reference the new writer
/// must match byte for byte, the new reader decision for decision, and the new summary bit for bit. The one change
/// since: the optional "thread" field of op records, written and read as the new codec does.
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

        // Added with logical threads (still version 1): present for any thread but the main one.
        if (r.Thread != LogFormat.MainThread)
        {
            Prop(w, "thread", r.Thread);
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
        if (r.Error is { } e)
        {
            w.WritePropertyName("error");
            w.WriteStartObject();
            Prop(w, "type", e.Type);
            Prop(w, "message", e.Message);
            if (e.Op is not null)
            {
                Prop(w, "op", e.Op);
            }

            if (e.Source.IsKnown)
            {
                w.WritePropertyName("src");
                w.WriteStartObject();
                Prop(w, "file", e.Source.File);
                w.WritePropertyName("line");
                w.WriteValue(e.Source.Line);
                Prop(w, "member", e.Source.Member);
                w.WriteEndObject();
            }

            w.WritePropertyName("last");
            w.WriteValue(e.LastSeq);
            w.WriteEndObject();
        }
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

    /// <summary>Checks a line's checksum and parses it. <paramref name="line"/> excludes the newline.</summary>
    public static JObject ParseLine(ReadOnlySpan<byte> line, LogPosition pos, LogLimits limits)
    {
        if (line.Length < LogFormat.CrcSuffixLength + 2 || line[0] != (byte)'{')
        {
            throw new LogFormatException(pos, "not a record: a record is one JSON object per line ending with a \"crc\" field");
        }

        var body = line[..^LogFormat.CrcSuffixLength];
        var suffix = Encoding.ASCII.GetString(line[^LogFormat.CrcSuffixLength..]);
        if (!suffix.StartsWith(LogFormat.CrcPrefix, StringComparison.Ordinal) || !suffix.EndsWith("\"}", StringComparison.Ordinal)
            || !IsLowerHex(suffix.AsSpan(LogFormat.CrcPrefix.Length, 8))
            || !uint.TryParse(suffix.AsSpan(LogFormat.CrcPrefix.Length, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint stored))
        {
            throw new LogFormatException(pos, "record has no checksum: expected it to end with ,\"crc\":\"<8 hex digits>\"}");
        }

        uint actual = Crc32.HashToUInt32(body);
        if (actual != stored)
        {
            throw new LogFormatException(pos, $"checksum mismatch: record says crc {stored:x8}, its bytes give {actual:x8} (the record is corrupt)");
        }

        try
        {
            using var text = new StringReader(Utf8.GetString(line));
            using var reader = new JsonTextReader(text)
            {
                MaxDepth = limits.MaxJsonDepth,
                DateParseHandling = DateParseHandling.None,
                FloatParseHandling = FloatParseHandling.Double,
            };
            var obj = JObject.Load(reader, new JsonLoadSettings { DuplicatePropertyNameHandling = DuplicatePropertyNameHandling.Error });
            if (reader.Read())
            {
                throw new LogFormatException(pos, "extra content after the record's JSON object");
            }

            return obj;
        }
        catch (JsonException ex)
        {
            throw new LogFormatException(pos, "invalid JSON: " + ex.Message, ex);
        }
    }

    public static LogHeader DecodeHeader(JObject o, LogPosition pos)
    {
        var type = Str(o, "type", pos);
        if (type != "header")
        {
            throw new LogFormatException(pos, $"expected the header record first, got a '{type}' record");
        }

        var format = Str(o, "format", pos);
        if (format != LogFormat.Name)
        {
            throw new LogFormatException(pos, $"not a Repro log: format is '{format}', expected '{LogFormat.Name}'");
        }

        int version = (int)Int(o, "version", pos, 1, int.MaxValue);
        if (version > LogFormat.Version)
        {
            throw new LogFormatException(pos, $"unknown log format version {version}: this Repro ({LogFormat.ReproVersion}) reads versions 1..{LogFormat.Version}");
        }

        var env = Obj(o, "env", pos);
        var vars = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in Obj(env, "vars", pos).Properties())
        {
            vars[p.Name] = p.Value.Type == JTokenType.String ? (string)p.Value! : throw new LogFormatException(pos, $"env.vars.{p.Name} must be a string");
        }

        var isa = Arr(env, "isa", pos).Select(t => t.Type == JTokenType.String ? (string)t! : throw new LogFormatException(pos, "env.isa must hold strings")).ToList();
        var seedText = Str(env, "seed", pos);
        if (!ulong.TryParse(seedText, NumberStyles.None, CultureInfo.InvariantCulture, out var seed))
        {
            throw new LogFormatException(pos, $"env.seed '{seedText}' is not an unsigned integer");
        }

        var dtype = Str(env, "dtype", pos);
        ParseDType(dtype, pos);
        var fp = new EnvironmentFingerprint(
            Str(env, "os", pos),
            Str(env, "runtime", pos),
            Str(env, "cpu", pos),
            isa,
            (int)Int(env, "processors", pos, 0, int.MaxValue),
            (int)Int(env, "threads", pos, 1, int.MaxValue),
            Str(env, "backend", pos),
            Str(env, "device", pos),
            dtype,
            seed,
            vars,
            Str(env, "command", pos));
        return new LogHeader(version, Str(o, "repro", pos), Str(o, "capture", pos), fp) { Position = pos };
    }

    public static LogEntry DecodeEntry(JObject o, LogPosition pos, LogLimits limits)
    {
        var type = Str(o, "type", pos);
        switch (type)
        {
            case "op":
                return DecodeOp(o, pos, limits);
            case "leaf":
                return new LeafRecord(DecodeTensor(Obj(o, "tensor", pos), pos, limits, "tensor"), Str(o, "backend", pos)) { Position = pos };
            case "end":
                return new EndRecord(Int(o, "ops", pos, 0, long.MaxValue), Int(o, "leaves", pos, 0, long.MaxValue), Int(o, "blobs", pos, 0, long.MaxValue), Str(o, "status", pos)) { Position = pos };
            case "header":
                throw new LogFormatException(pos, "a second header record: a log has exactly one, on its first line");
            default:
                throw new LogFormatException(pos, $"unknown record type '{type}': expected op, leaf or end");
        }
    }

    private static OpRecord DecodeOp(JObject o, LogPosition pos, LogLimits limits)
    {
        long seq = Int(o, "seq", pos, 0, long.MaxValue);
        var op = Str(o, "op", pos);
        if (!OpRegistry.IsKnown(op))
        {
            throw new LogFormatException(pos, $"op {seq}: unknown op '{op}' (this Repro knows {OpRegistry.Names.Count} ops; the log may come from a newer version)");
        }

        var phase = OpPhase.Forward;
        long of = -1;
        if (o.TryGetValue("phase", StringComparison.Ordinal, out var ph))
        {
            phase = ph.Type == JTokenType.String && (string)ph! == "backward" ? OpPhase.Backward
                : ph.Type == JTokenType.String && (string)ph! == "forward" ? OpPhase.Forward
                : throw new LogFormatException(pos, $"op {seq}: phase must be \"forward\" or \"backward\", got {ph.ToString(Formatting.None)}");
        }

        if (phase == OpPhase.Backward)
        {
            of = Int(o, "of", pos, 0, seq);
        }

        bool view = o.TryGetValue("view", StringComparison.Ordinal, out var v) && (v.Type == JTokenType.Boolean ? (bool)v! : throw new LogFormatException(pos, $"op {seq}: view must be true or false"));
        var attrs = o.TryGetValue("attrs", StringComparison.Ordinal, out var at)
            ? ReadAttributes(at as JObject ?? throw new LogFormatException(pos, $"op {seq}: attrs must be an object"), pos, seq)
            : OpAttributes.Empty;
        var inputs = Arr(o, "in", pos).Select(t => t.Type == JTokenType.Integer ? (long)t : throw new LogFormatException(pos, $"op {seq}: input ids must be integers")).ToArray();
        int arity = OpRegistry.Arity(op);
        if (arity >= 0 && inputs.Length != arity)
        {
            throw new LogFormatException(pos, $"op {seq} ({op}): expected {arity} inputs, the record lists {inputs.Length}");
        }

        var outs = Arr(o, "out", pos);
        if (outs.Count != 1)
        {
            throw new LogFormatException(pos, $"op {seq} ({op}): expected 1 output, the record lists {outs.Count}");
        }

        var outputs = outs.Select((t, i) => DecodeTensor(t as JObject ?? throw new LogFormatException(pos, $"op {seq}: out[{i}] must be an object"), pos, limits, $"op {seq} out[{i}]")).ToArray();
        var src = SourceLocation.Unknown;
        if (o.TryGetValue("src", StringComparison.Ordinal, out var s))
        {
            var so = s as JObject ?? throw new LogFormatException(pos, $"op {seq}: src must be an object");
            src = new SourceLocation(Str(so, "file", pos), (int)Int(so, "line", pos, 0, int.MaxValue), Str(so, "member", pos));
        }

        var thread = LogFormat.MainThread;
        if (o.TryGetValue("thread", StringComparison.Ordinal, out var th))
        {
            thread = th.Type == JTokenType.String ? (string)th! : throw new LogFormatException(pos, $"op {seq}: thread must be a string");
            if (thread.Length is 0 or > LogFormat.MaxThreadIdLength)
            {
                throw new LogFormatException(pos, $"op {seq}: thread id must be 1 to {LogFormat.MaxThreadIdLength} characters long");
            }
        }

        return new OpRecord(seq, op, attrs, phase, of, view, inputs, outputs, Str(o, "backend", pos), src) { Position = pos, Thread = thread };
    }

    private static TensorRecord DecodeTensor(JObject o, LogPosition pos, LogLimits limits, string what)
    {
        long id = Int(o, "id", pos, 0, long.MaxValue);
        var shapeTokens = Arr(o, "shape", pos);
        if (shapeTokens.Count > limits.MaxRank)
        {
            throw new LogFormatException(pos, $"{what}: rank {shapeTokens.Count} exceeds the limit of {limits.MaxRank}");
        }

        var shape = new int[shapeTokens.Count];
        long numel = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            var t = shapeTokens[i];
            if (t.Type != JTokenType.Integer)
            {
                throw new LogFormatException(pos, $"{what}: shape[{i}] must be an integer, got {t.ToString(Formatting.None)}");
            }

            var big = Big(t);
            if (big < 0 || big > limits.MaxElements)
            {
                throw new LogFormatException(pos, $"{what}: shape[{i}] = {big} is outside 0..{limits.MaxElements}");
            }

            shape[i] = (int)big;
            numel = shape[i] == 0 ? 0 : numel;
            if (numel != 0 && numel > limits.MaxElements / Math.Max(shape[i], 1))
            {
                throw new LogFormatException(pos, $"{what}: shape [{string.Join(", ", shapeTokens.Select(x => x.ToString(Formatting.None)))}] has more than {limits.MaxElements} elements");
            }

            numel *= shape[i];
        }

        var dtype = ParseDType(Str(o, "dtype", pos), pos);
        if (numel * dtype.SizeOf() > limits.MaxBlobBytes)
        {
            throw new LogFormatException(pos, $"{what}: {numel} {dtype.Name()} elements need {numel * dtype.SizeOf()} bytes, over the limit of {limits.MaxBlobBytes}");
        }

        var hash = Str(o, "hash", pos);
        if (!IsHex32(hash))
        {
            throw new LogFormatException(pos, $"{what}: hash '{Clip(hash)}' is not 32 lower-case hex digits");
        }

        string? blob = null;
        if (o.TryGetValue("blob", StringComparison.Ordinal, out var b))
        {
            blob = b.Type == JTokenType.String ? (string)b! : throw new LogFormatException(pos, $"{what}: blob must be a string");
            if (!IsHex32(blob))
            {
                throw new LogFormatException(pos, $"{what}: blob reference '{Clip(blob)}' is not a content address (32 lower-case hex digits); references outside the log's blobs folder are refused");
            }
        }

        HealthSummary? stats = null;
        if (o.TryGetValue("stats", StringComparison.Ordinal, out var st))
        {
            var so = st as JObject ?? throw new LogFormatException(pos, $"{what}: stats must be an object");
            stats = new HealthSummary(
                OptDouble(so, "min", pos),
                OptDouble(so, "max", pos),
                OptDouble(so, "mean", pos),
                Int(so, "nan", pos, 0, long.MaxValue),
                Int(so, "pinf", pos, 0, long.MaxValue),
                Int(so, "ninf", pos, 0, long.MaxValue),
                Int(so, "sub", pos, 0, long.MaxValue),
                Int(so, "zero", pos, 0, long.MaxValue));
        }

        return new TensorRecord(id, shape, dtype, hash, stats, blob);
    }

    private static OpAttributes ReadAttributes(JObject o, LogPosition pos, long seq)
    {
        var items = new List<KeyValuePair<string, object>>();
        foreach (var p in o.Properties())
        {
            items.Add(new(p.Name, ReadAttribute(p.Value, pos, $"op {seq}: attribute '{p.Name}'")));
        }

        return new OpAttributes([.. items]);
    }

    private static object ReadAttribute(JToken t, LogPosition pos, string what)
    {
        switch (t.Type)
        {
            case JTokenType.Integer:
                return Big(t) is var big && big >= long.MinValue && big <= long.MaxValue
                    ? (long)big
                    : throw new LogFormatException(pos, $"{what}: integer {t} does not fit in 64 bits");
            case JTokenType.Float:
                return (double)t;
            case JTokenType.Boolean:
                return (bool)t;
            case JTokenType.String:
                return (string)t!;
            case JTokenType.Object:
                return SpecialDouble((JObject)t, pos, what);
            case JTokenType.Array:
                var a = (JArray)t;
                if (a.All(x => x.Type == JTokenType.Integer))
                {
                    return a.Select(x => (long)ReadAttribute(x, pos, what)).ToArray();
                }

                if (a.All(x => x.Type is JTokenType.Float or JTokenType.Integer or JTokenType.Object))
                {
                    return a.Select(x => x.Type == JTokenType.Object ? SpecialDouble((JObject)x, pos, what) : (double)x).ToArray();
                }

                throw new LogFormatException(pos, $"{what}: arrays must hold only integers or only numbers");
            default:
                throw new LogFormatException(pos, $"{what}: unsupported value {Clip(t.ToString(Formatting.None))}");
        }
    }

    private static double SpecialDouble(JObject o, LogPosition pos, string what)
    {
        if (o.Count == 1 && o.TryGetValue("f64", StringComparison.Ordinal, out var v) && v.Type == JTokenType.String)
        {
            switch ((string)v!)
            {
                case "NaN":
                    return double.NaN;
                case "Infinity":
                    return double.PositiveInfinity;
                case "-Infinity":
                    return double.NegativeInfinity;
            }
        }

        throw new LogFormatException(pos, $"{what}: objects are only {{\"f64\":\"NaN\"|\"Infinity\"|\"-Infinity\"}}, got {Clip(o.ToString(Formatting.None))}");
    }

    private static double? OptDouble(JObject o, string name, LogPosition pos) =>
        !o.TryGetValue(name, StringComparison.Ordinal, out var t) || t.Type == JTokenType.Null ? null
        : t.Type is JTokenType.Float or JTokenType.Integer ? (double)t
        : throw new LogFormatException(pos, $"stats.{name} must be a number or null");

    private static System.Numerics.BigInteger Big(JToken t) => ((JValue)t).Value switch
    {
        long l => l,
        int i => i,
        System.Numerics.BigInteger b => b,
        ulong u => u,
        var other => System.Numerics.BigInteger.Parse(Convert.ToString(other, CultureInfo.InvariantCulture) ?? "0", CultureInfo.InvariantCulture),
    };

    private static bool IsHex32(string s) => s.Length == 32 && IsLowerHex(s);

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

    private static DType ParseDType(string name, LogPosition pos) =>
        name switch
        {
            "float32" => DType.Float32,
            "float64" => DType.Float64,
            "int32" => DType.Int32,
            "float16" => DType.Float16,
            "bfloat16" => DType.BFloat16,
            _ => throw new LogFormatException(pos, $"unknown dtype '{Clip(name)}': expected float32, float64, int32, float16 or bfloat16"),
        };

    private static string Clip(string s) => s.Length <= 80 ? s : s[..80] + "...";

    private static string Str(JObject o, string name, LogPosition pos) =>
        o.TryGetValue(name, StringComparison.Ordinal, out var t)
            ? t.Type == JTokenType.String ? (string)t! : throw new LogFormatException(pos, $"field '{name}' must be a string, got {Clip(t.ToString(Formatting.None))}")
            : throw new LogFormatException(pos, $"field '{name}' is missing");

    private static long Int(JObject o, string name, LogPosition pos, long min, long max)
    {
        if (!o.TryGetValue(name, StringComparison.Ordinal, out var t))
        {
            throw new LogFormatException(pos, $"field '{name}' is missing");
        }

        if (t.Type != JTokenType.Integer)
        {
            throw new LogFormatException(pos, $"field '{name}' must be an integer, got {Clip(t.ToString(Formatting.None))}");
        }

        var big = Big(t);
        return big < min || big > max
            ? throw new LogFormatException(pos, $"field '{name}' = {Clip(big.ToString(CultureInfo.InvariantCulture))} is outside {min}..{max}")
            : (long)big;
    }

    private static JObject Obj(JObject o, string name, LogPosition pos) =>
        o.TryGetValue(name, StringComparison.Ordinal, out var t)
            ? t as JObject ?? throw new LogFormatException(pos, $"field '{name}' must be an object")
            : throw new LogFormatException(pos, $"field '{name}' is missing");

    private static JArray Arr(JObject o, string name, LogPosition pos) =>
        o.TryGetValue(name, StringComparison.Ordinal, out var t)
            ? t as JArray ?? throw new LogFormatException(pos, $"field '{name}' must be an array")
            : throw new LogFormatException(pos, $"field '{name}' is missing");
}
