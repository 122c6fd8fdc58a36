using System.Globalization;
using System.IO.Hashing;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Repro.Engine;

namespace Repro.Recorder;

/// <summary>Turns records into checksummed JSON lines and back. No type-name handling: every field is read by name and type.</summary>
internal static class LogCodec
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

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

        WriteOpEnd(w, r.Backend, r.Source);
    });

    public static byte[] EncodeLeaf(LeafRecord r) => Encode(w =>
    {
        var t = r.Tensor;
        WriteLeafStart(w);
        WriteTensor(w, t.Id, t.Shape, t.DType, t.Hash, t.Blob, t.Stats is { } s ? new SummaryValues(s.Min, s.Max, s.Mean, s.NaN, s.PosInf, s.NegInf, s.Subnormal, s.Zero) : null);
        WriteLeafEnd(w, r.Backend);
    });

    public static byte[] EncodeEnd(EndRecord r) => Encode(w => WriteEnd(w, r));

    // The writers below produce the exact bytes Newtonsoft's JsonTextWriter produced for version 1 logs (the fields in
    // the same order, the same escaping and number text); tests compare them with that encoder.

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

    /// <summary>Closes an op record's outputs and writes its backend and source location.</summary>
    public static void WriteOpEnd(JsonLine w, string backend, SourceLocation src)
    {
        w.Raw("],\"backend\":"u8);
        w.String(backend);
        if (src.IsKnown)
        {
            w.Raw(",\"src\":{\"file\":"u8);
            w.String(src.File);
            w.Raw(",\"line\":"u8);
            w.Long(src.Line);
            w.Raw(",\"member\":"u8);
            w.String(src.Member);
            w.Byte((byte)'}');
        }

        w.EndRecord();
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
        w.EndRecord();
    }

    /// <summary>Writes a tensor whose hash is 16 raw bytes (the writer's case).</summary>
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

        return new OpRecord(seq, op, attrs, phase, of, view, inputs, outputs, Str(o, "backend", pos), src) { Position = pos };
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
