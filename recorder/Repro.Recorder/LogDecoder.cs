using System.Globalization;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Repro.Engine;

namespace Repro.Recorder;

/// <summary>
/// Reads checksummed record lines into records with <see cref="Utf8JsonReader"/>, field by field, with no document
/// object per line. Nothing in a line names a type or code: every field is read by name and checked for its JSON
/// type, its range and, before anything is allocated, the limits in <see cref="LogLimits"/> (depth, rank, elements,
/// bytes). JSON is strict RFC 8259 (no comments, trailing commas, single quotes or NaN literals); a property name
/// that occurs twice in one object is an error; unknown fields are skipped (a newer writer may add optional ones).
/// One decoder serves one reader: it keeps reusable field tables and an interning table of repeated strings.
/// </summary>
internal sealed class LogDecoder
{
    private const int MaxInterned = 4096;
    private const int MaxInternedLength = 512;

    private readonly LogLimits limits;
    private readonly JsonReaderOptions options;
    private readonly FieldTable record = new();
    private readonly FieldTable nested = new();
    private readonly FieldTable stats = new();
    private readonly FieldTable errorTable = new();
    private readonly List<KeyValuePair<string, object>> attributeItems = [];
    private readonly Dictionary<string, string> interned = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> internedBySpan;

    public LogDecoder(LogLimits limits)
    {
        this.limits = limits;
        options = new JsonReaderOptions
        {
            MaxDepth = limits.MaxJsonDepth,
            CommentHandling = JsonCommentHandling.Disallow,
            AllowTrailingCommas = false,
        };
        internedBySpan = interned.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The names a record may have (at any level); anything else is skipped.</summary>
    private enum F
    {
        Unknown = -1,
        Type,
        Format,
        Version,
        Repro,
        Capture,
        Env,
        Seq,
        Op,
        Phase,
        Of,
        View,
        Attrs,
        In,
        Out,
        Backend,
        Src,
        Tensor,
        Ops,
        Leaves,
        Blobs,
        Status,
        Id,
        Shape,
        DType,
        Hash,
        Blob,
        Stats,
        Min,
        Max,
        Mean,
        NaN,
        PInf,
        NInf,
        Sub,
        Zero,
        File,
        Line,
        Member,
        Os,
        Runtime,
        Cpu,
        Isa,
        Processors,
        Threads,
        Device,
        Seed,
        Vars,
        Command,
        Crc,
        Error,
        Message,
        Last,
        Thread,
        Count,
    }

    /// <summary>Checks a line's checksum suffix and CRC (before anything is parsed). <paramref name="line"/> excludes the newline.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CheckLine(ReadOnlySpan<byte> line, LogPosition pos)
    {
        if (line.Length < LogFormat.CrcSuffixLength + 2 || line[0] != (byte)'{')
        {
            throw new LogFormatException(pos, "not a record: a record is one JSON object per line ending with a \"crc\" field");
        }

        var suffix = line[^LogFormat.CrcSuffixLength..];
        var digits = suffix.Slice(LogFormat.CrcPrefix.Length, 8);
        if (!suffix.StartsWith(",\"crc\":\""u8) || !suffix.EndsWith("\"}"u8) || !IsLowerHex(digits)
            || !uint.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint stored))
        {
            throw new LogFormatException(pos, "record has no checksum: expected it to end with ,\"crc\":\"<8 hex digits>\"}");
        }

        uint actual = Crc32.HashToUInt32(line[..^LogFormat.CrcSuffixLength]);
        if (actual != stored)
        {
            throw new LogFormatException(pos, $"checksum mismatch: record says crc {stored:x8}, its bytes give {actual:x8} (the record is corrupt)");
        }
    }

    /// <summary>Checks and decodes the header line.</summary>
    public LogHeader DecodeHeader(ReadOnlySpan<byte> line, LogPosition pos)
    {
        CheckLine(line, pos);
        var o = record;
        Load(line, o, pos, whole: true);
        var type = Str(line, o, F.Type, "type", pos);
        if (type != "header")
        {
            throw new LogFormatException(pos, $"expected the header record first, got a '{type}' record");
        }

        var format = Str(line, o, F.Format, "format", pos);
        if (format != LogFormat.Name)
        {
            throw new LogFormatException(pos, $"not a Repro log: format is '{format}', expected '{LogFormat.Name}'");
        }

        int version = (int)Int(line, o, F.Version, "version", pos, 1, int.MaxValue);
        if (version > LogFormat.Version)
        {
            throw new LogFormatException(pos, $"unknown log format version {version}: this Repro ({LogFormat.ReproVersion}) reads versions 1..{LogFormat.Version}");
        }

        var envJson = Obj(line, o, F.Env, "env", pos);
        var env = nested;
        Load(envJson, env, pos, whole: false);
        var vars = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var varsJson = Obj(envJson, env, F.Vars, "vars", pos);
        var rv = Reader(varsJson);
        rv.Read();
        while (rv.Read() && rv.TokenType == JsonTokenType.PropertyName)
        {
            var name = GetString(ref rv, pos);
            if (vars.ContainsKey(name))
            {
                throw new LogFormatException(pos, $"invalid JSON: property '{Clip(name)}' occurs twice in one object");
            }

            rv.Read();
            vars[name] = rv.TokenType == JsonTokenType.String ? GetString(ref rv, pos) : throw new LogFormatException(pos, $"env.vars.{name} must be a string");
        }

        var isa = new List<string>();
        var ri = Reader(Arr(envJson, env, F.Isa, "isa", pos));
        ri.Read();
        while (ri.Read() && ri.TokenType != JsonTokenType.EndArray)
        {
            isa.Add(ri.TokenType == JsonTokenType.String ? GetString(ref ri, pos) : throw new LogFormatException(pos, "env.isa must hold strings"));
        }

        var seedText = Str(envJson, env, F.Seed, "seed", pos);
        if (!ulong.TryParse(seedText, NumberStyles.None, CultureInfo.InvariantCulture, out var seed))
        {
            throw new LogFormatException(pos, $"env.seed '{seedText}' is not an unsigned integer");
        }

        var dtype = Str(envJson, env, F.DType, "dtype", pos);
        ParseDType(dtype, pos);
        var fp = new EnvironmentFingerprint(
            Str(envJson, env, F.Os, "os", pos),
            Str(envJson, env, F.Runtime, "runtime", pos),
            Str(envJson, env, F.Cpu, "cpu", pos),
            isa,
            (int)Int(envJson, env, F.Processors, "processors", pos, 0, int.MaxValue),
            (int)Int(envJson, env, F.Threads, "threads", pos, 1, int.MaxValue),
            Str(envJson, env, F.Backend, "backend", pos),
            Str(envJson, env, F.Device, "device", pos),
            dtype,
            seed,
            vars,
            Str(envJson, env, F.Command, "command", pos));
        CheckUnread(envJson, env, pos, F.Isa, F.Vars);
        var header = new LogHeader(version, Str(line, o, F.Repro, "repro", pos), Str(line, o, F.Capture, "capture", pos), fp) { Position = pos };
        CheckUnread(line, o, pos, F.Env);
        return header;
    }

    /// <summary>Checks and decodes a line after the header.</summary>
    public LogEntry DecodeEntry(ReadOnlySpan<byte> line, LogPosition pos)
    {
        CheckLine(line, pos);

        // Op records as this library writes them (type first) are read in one pass; anything else field table first.
        if (line.StartsWith("{\"type\":\"op\","u8))
        {
            return StreamOp(line, pos);
        }

        var o = record;
        Load(line, o, pos, whole: true);
        var typeJson = o.Raw(line, F.Type);
        if (o.Has(F.Type) && o.Kind(F.Type) == JsonTokenType.String)
        {
            if (typeJson.SequenceEqual("\"op\""u8))
            {
                return DecodeOp(line, o, pos);
            }

            if (typeJson.SequenceEqual("\"leaf\""u8))
            {
                return DecodeLeaf(line, o, pos);
            }

            if (typeJson.SequenceEqual("\"end\""u8))
            {
                return DecodeEnd(line, o, pos);
            }
        }

        // Not spelled plainly (escapes): decode the string, as the old reader did.
        var type = Str(line, o, F.Type, "type", pos);
        return type switch
        {
            "op" => DecodeOp(line, o, pos),
            "leaf" => DecodeLeaf(line, o, pos),
            "end" => DecodeEnd(line, o, pos),
            "header" => throw new LogFormatException(pos, "a second header record: a log has exactly one, on its first line"),
            _ => throw new LogFormatException(pos, $"unknown record type '{Clip(type)}': expected op, leaf or end"),
        };
    }

    /// <summary>
    /// The input ids of an op line, for replay's look-ahead (when each tensor is used for the last time); false for
    /// other records. For a line that <see cref="DecodeEntry"/> accepts, the ids are exactly the record's inputs (the
    /// same reader, names and checks for "in", which comes before the outputs, so the scan stops there); a line it
    /// refuses may throw here, or not.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool ScanInputs(ReadOnlySpan<byte> line, LogPosition pos, List<long> inputs)
    {
        inputs.Clear();
        CheckLine(line, pos);
        if (!line.StartsWith("{\"type\":\"op\","u8))
        {
            if (DecodeEntry(line, pos) is not OpRecord op)
            {
                return false;
            }

            inputs.AddRange(op.Inputs);
            return true;
        }

        long seen = 0;
        List<string>? others = null;
        var r = Reader(line);
        try
        {
            r.Read();
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                var id = Name(ref r, pos, ref seen, ref others);
                r.Read();
                if (id == F.In && r.TokenType == JsonTokenType.StartArray)
                {
                    // The rest of the line (outputs, source) is not needed: if the line repeats "in" or is otherwise
                    // bad, reading the entries stops at it, so what this scan says about it never matters.
                    inputs.AddRange(StreamInputs(ref r, pos, 0));
                    return true;
                }

                if (r.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    r.Skip();
                }
            }
        }
        catch (JsonException ex)
        {
            throw new LogFormatException(pos, "invalid JSON: " + ex.Message, ex);
        }

        return true;
    }

    /// <summary>
    /// An op record read in one pass, each field decoded where it stands; what must be present or agree across fields
    /// (missing fields, the backward op's "of", arity, one output) is checked at the end. Accepts and refuses exactly
    /// what <see cref="DecodeOp"/> does (tests compare both with the version 1 reader); only the order in which a
    /// record with several faults reports them can differ.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private OpRecord StreamOp(ReadOnlySpan<byte> line, LogPosition pos)
    {
        long seen = 0;
        long seq = 0;
        string? op = null;
        ReadOnlySpan<byte> phaseRaw = default;
        ReadOnlySpan<byte> ofRaw = default;
        var ofKind = JsonTokenType.None;
        bool view = false;
        var attrs = OpAttributes.Empty;
        long[]? inputs = null;
        TensorRecord[]? outputs = null;
        int outputCount = 0;
        string? backend = null;
        var src = SourceLocation.Unknown;
        string? thread = null;
        List<string>? others = null;
        var r = Reader(line);
        try
        {
            r.Read();
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                var id = Name(ref r, pos, ref seen, ref others);
                r.Read();
                switch (id)
                {
                    case F.Type:
                        break;
                    case F.Seq:
                        seq = IntValue(line, ref r, "seq", pos, 0, long.MaxValue);
                        break;
                    case F.Op:
                        op = r.TokenType == JsonTokenType.String ? GetString(ref r, pos, intern: true) : throw new LogFormatException(pos, $"field 'op' must be a string, got {Clip(Token(line, ref r))}");
                        if (!OpRegistry.IsKnown(op))
                        {
                            throw new LogFormatException(pos, $"op {seq}: unknown op '{Clip(op)}' (this Repro knows {OpRegistry.Names.Count} ops; the log may come from a newer version)");
                        }

                        break;
                    case F.Phase:
                        phaseRaw = Value(line, ref r);
                        break;
                    case F.Of:
                        ofKind = r.TokenType;
                        ofRaw = Value(line, ref r);
                        if (ofKind is JsonTokenType.StartObject or JsonTokenType.StartArray)
                        {
                            // Read only for backward ops, but checked like everything else.
                            CheckDuplicates(ofRaw, pos);
                        }

                        break;
                    case F.View:
                        view = r.TokenType switch
                        {
                            JsonTokenType.True => true,
                            JsonTokenType.False => false,
                            _ => throw new LogFormatException(pos, $"op {seq}: view must be true or false"),
                        };
                        break;
                    case F.Attrs:
                        attrs = r.TokenType == JsonTokenType.StartObject ? StreamAttributes(line, ref r, pos, seq) : throw new LogFormatException(pos, $"op {seq}: attrs must be an object");
                        break;
                    case F.In:
                        inputs = r.TokenType == JsonTokenType.StartArray ? StreamInputs(ref r, pos, seq) : throw new LogFormatException(pos, "field 'in' must be an array");
                        break;
                    case F.Out:
                        if (r.TokenType != JsonTokenType.StartArray)
                        {
                            throw new LogFormatException(pos, "field 'out' must be an array");
                        }

                        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
                        {
                            if (outputCount++ > 0)
                            {
                                // More than one output: refused below (after the rest of the record was read).
                                r.Skip();
                                continue;
                            }

                            outputs = [r.TokenType == JsonTokenType.StartObject ? StreamTensor(line, ref r, pos, seq) : throw new LogFormatException(pos, $"op {seq}: out[0] must be an object")];
                        }

                        break;
                    case F.Backend:
                        backend = r.TokenType == JsonTokenType.String ? GetString(ref r, pos, intern: true) : throw new LogFormatException(pos, $"field 'backend' must be a string, got {Clip(Token(line, ref r))}");
                        break;
                    case F.Src:
                        src = r.TokenType == JsonTokenType.StartObject ? StreamSource(line, ref r, pos) : throw new LogFormatException(pos, $"op {seq}: src must be an object");
                        break;
                    case F.Thread:
                        thread = r.TokenType == JsonTokenType.String ? ThreadId(GetString(ref r, pos, intern: true), pos, seq) : throw new LogFormatException(pos, $"op {seq}: thread must be a string, got {Clip(Token(line, ref r))}");
                        break;
                    default:
                        SkipUnread(line, ref r, pos);
                        break;
                }
            }

            if (r.Read())
            {
                throw new LogFormatException(pos, "extra content after the record's JSON object");
            }
        }
        catch (JsonException ex) when (TooDeep(line, ex))
        {
            throw new LogFormatException(pos, $"invalid JSON: nested deeper than the reader's MaxDepth of {limits.MaxJsonDepth} (LogLimits.MaxJsonDepth)", ex);
        }
        catch (JsonException ex)
        {
            throw new LogFormatException(pos, "invalid JSON: " + ex.Message, ex);
        }

        Require(seen, F.Seq, "seq", pos);
        Require(seen, F.Op, "op", pos);
        var phase = OpPhase.Forward;
        long of = -1;
        if (Has(seen, F.Phase))
        {
            string? text = phaseRaw.SequenceEqual("\"backward\""u8) ? "backward"
                : phaseRaw.SequenceEqual("\"forward\""u8) ? "forward"
                : phaseRaw.Length > 0 && phaseRaw[0] == (byte)'"' ? String(phaseRaw, pos) : null;
            phase = text == "backward" ? OpPhase.Backward
                : text == "forward" ? OpPhase.Forward
                : throw new LogFormatException(pos, $"op {seq}: phase must be \"forward\" or \"backward\", got {Clip(phaseRaw)}");
        }

        if (phase == OpPhase.Backward)
        {
            Require(seen, F.Of, "of", pos);
            of = IntValue(ofRaw, ofKind, "of", pos, 0, seq);
        }

        Require(seen, F.In, "in", pos);
        int arity = OpRegistry.Arity(op!);
        if (arity >= 0 && inputs!.Length != arity)
        {
            throw new LogFormatException(pos, $"op {seq} ({op}): expected {arity} inputs, the record lists {inputs.Length}");
        }

        Require(seen, F.Out, "out", pos);
        if (outputCount != 1)
        {
            throw new LogFormatException(pos, $"op {seq} ({op}): expected 1 output, the record lists {outputCount}");
        }

        Require(seen, F.Backend, "backend", pos);
        return new OpRecord(seq, op!, attrs, phase, of, view, inputs!, outputs!, backend!, src) { Position = pos, Thread = thread ?? LogFormat.MainThread };
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private TensorRecord StreamTensor(ReadOnlySpan<byte> line, ref Utf8JsonReader r, LogPosition pos, long seq)
    {
        string What() => $"op {seq} out[0]";
        long seen = 0;
        List<string>? others = null;
        long id = 0;
        int[] shape = [];
        long numel = 1;
        DType dtype = default;
        string? hash = null;
        string? blob = null;
        HealthSummary? summary = null;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var field = Name(ref r, pos, ref seen, ref others);
            r.Read();
            switch (field)
            {
                case F.Id:
                    id = IntValue(line, ref r, "id", pos, 0, long.MaxValue);
                    break;
                case F.Shape:
                    if (r.TokenType != JsonTokenType.StartArray)
                    {
                        throw new LogFormatException(pos, "field 'shape' must be an array");
                    }

                    (shape, numel) = StreamShape(line, ref r, pos, What);
                    break;
                case F.DType:
                    dtype = r.TokenType == JsonTokenType.String ? DTypeValue(ref r, pos) : throw new LogFormatException(pos, $"field 'dtype' must be a string, got {Clip(Token(line, ref r))}");
                    break;
                case F.Hash:
                    hash = r.TokenType == JsonTokenType.String ? GetString(ref r, pos) : throw new LogFormatException(pos, $"field 'hash' must be a string, got {Clip(Token(line, ref r))}");
                    if (!LogCodec.IsHex32(hash))
                    {
                        throw new LogFormatException(pos, $"{What()}: hash '{Clip(hash)}' is not 32 lower-case hex digits");
                    }

                    break;
                case F.Blob:
                    blob = r.TokenType == JsonTokenType.String ? GetString(ref r, pos) : throw new LogFormatException(pos, $"{What()}: blob must be a string");
                    if (!LogCodec.IsHex32(blob))
                    {
                        throw new LogFormatException(pos, $"{What()}: blob reference '{Clip(blob)}' is not a content address (32 lower-case hex digits); references outside the log's blobs folder are refused");
                    }

                    break;
                case F.Stats:
                    summary = r.TokenType == JsonTokenType.StartObject ? StreamStats(line, ref r, pos) : throw new LogFormatException(pos, $"{What()}: stats must be an object");
                    break;
                default:
                    SkipUnread(line, ref r, pos);
                    break;
            }
        }

        Require(seen, F.Id, "id", pos);
        Require(seen, F.Shape, "shape", pos);
        Require(seen, F.DType, "dtype", pos);
        if (numel * dtype.SizeOf() > limits.MaxBlobBytes)
        {
            throw new LogFormatException(pos, $"{What()}: {numel} {dtype.Name()} elements need {numel * dtype.SizeOf()} bytes, over the limit of {limits.MaxBlobBytes}");
        }

        Require(seen, F.Hash, "hash", pos);
        return new TensorRecord(id, shape, dtype, hash!, summary, blob);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private (int[] Shape, long Numel) StreamShape(ReadOnlySpan<byte> line, ref Utf8JsonReader r, LogPosition pos, Func<string> what)
    {
        Span<int> dims = stackalloc int[16];
        List<int>? more = null;
        int rank = 0;
        long numel = 1;
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (rank >= limits.MaxRank)
            {
                throw new LogFormatException(pos, $"{what()}: rank {rank + 1} or more exceeds the limit of {limits.MaxRank}");
            }

            if (!IsInteger(ref r))
            {
                throw new LogFormatException(pos, $"{what()}: shape[{rank}] must be an integer, got {Clip(Token(line, ref r))}");
            }

            if (!r.TryGetInt64(out long d) || d < 0 || d > limits.MaxElements)
            {
                throw new LogFormatException(pos, $"{what()}: shape[{rank}] = {Clip(Token(line, ref r))} is outside 0..{limits.MaxElements}");
            }

            int dim = (int)d;
            numel = dim == 0 ? 0 : numel;
            if (numel != 0 && numel > limits.MaxElements / Math.Max(dim, 1))
            {
                throw new LogFormatException(pos, $"{what()}: shape has more than {limits.MaxElements} elements");
            }

            numel *= dim;
            if (rank < dims.Length)
            {
                dims[rank] = dim;
            }
            else
            {
                more ??= [.. dims];
                more.Add(dim);
            }

            rank++;
        }

        return (more is not null ? [.. more] : rank == 0 ? [] : dims[..rank].ToArray(), numel);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private HealthSummary StreamStats(ReadOnlySpan<byte> line, ref Utf8JsonReader r, LogPosition pos)
    {
        long seen = 0;
        List<string>? others = null;
        double? min = null, max = null, mean = null;
        long nan = 0, pinf = 0, ninf = 0, sub = 0, zero = 0;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var field = Name(ref r, pos, ref seen, ref others);
            r.Read();
            switch (field)
            {
                case F.Min:
                    min = OptDouble(ref r, "min", pos);
                    break;
                case F.Max:
                    max = OptDouble(ref r, "max", pos);
                    break;
                case F.Mean:
                    mean = OptDouble(ref r, "mean", pos);
                    break;
                case F.NaN:
                    nan = IntValue(line, ref r, "nan", pos, 0, long.MaxValue);
                    break;
                case F.PInf:
                    pinf = IntValue(line, ref r, "pinf", pos, 0, long.MaxValue);
                    break;
                case F.NInf:
                    ninf = IntValue(line, ref r, "ninf", pos, 0, long.MaxValue);
                    break;
                case F.Sub:
                    sub = IntValue(line, ref r, "sub", pos, 0, long.MaxValue);
                    break;
                case F.Zero:
                    zero = IntValue(line, ref r, "zero", pos, 0, long.MaxValue);
                    break;
                default:
                    SkipUnread(line, ref r, pos);
                    break;
            }
        }

        Require(seen, F.NaN, "nan", pos);
        Require(seen, F.PInf, "pinf", pos);
        Require(seen, F.NInf, "ninf", pos);
        Require(seen, F.Sub, "sub", pos);
        Require(seen, F.Zero, "zero", pos);
        return new HealthSummary(min, max, mean, nan, pinf, ninf, sub, zero);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private SourceLocation StreamSource(ReadOnlySpan<byte> line, ref Utf8JsonReader r, LogPosition pos)
    {
        long seen = 0;
        List<string>? others = null;
        string? file = null, member = null;
        long at = 0;
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var field = Name(ref r, pos, ref seen, ref others);
            r.Read();
            switch (field)
            {
                case F.File:
                    file = r.TokenType == JsonTokenType.String ? GetString(ref r, pos, intern: true) : throw new LogFormatException(pos, $"field 'file' must be a string, got {Clip(Token(line, ref r))}");
                    break;
                case F.Line:
                    at = IntValue(line, ref r, "line", pos, 0, int.MaxValue);
                    break;
                case F.Member:
                    member = r.TokenType == JsonTokenType.String ? GetString(ref r, pos, intern: true) : throw new LogFormatException(pos, $"field 'member' must be a string, got {Clip(Token(line, ref r))}");
                    break;
                default:
                    SkipUnread(line, ref r, pos);
                    break;
            }
        }

        Require(seen, F.File, "file", pos);
        Require(seen, F.Line, "line", pos);
        Require(seen, F.Member, "member", pos);
        return new SourceLocation(file!, (int)at, member!);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private OpAttributes StreamAttributes(ReadOnlySpan<byte> line, ref Utf8JsonReader r, LogPosition pos, long seq)
    {
        var items = attributeItems;
        items.Clear();
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var name = r.ValueIsEscaped ? GetString(ref r, pos) : Intern(r.ValueSpan, pos);
            foreach (var item in items)
            {
                if (item.Key == name)
                {
                    throw new LogFormatException(pos, $"invalid JSON: property '{Clip(name)}' occurs twice in one object");
                }
            }

            r.Read();
            items.Add(new(name, ReadAttribute(line, ref r, pos, seq, name)));
        }

        return new OpAttributes([.. items]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long[] StreamInputs(ref Utf8JsonReader r, LogPosition pos, long seq)
    {
        Span<long> first = stackalloc long[8];
        List<long>? more = null;
        int n = 0;
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (!IsInteger(ref r) || !r.TryGetInt64(out long v))
            {
                throw new LogFormatException(pos, $"op {seq}: input ids must be integers");
            }

            if (n < first.Length)
            {
                first[n] = v;
            }
            else
            {
                more ??= [.. first];
                more.Add(v);
            }

            n++;
        }

        return more is not null ? [.. more] : n == 0 ? [] : first[..n].ToArray();
    }

    /// <summary>Reads a property name: which known field it is, refusing a name that occurs twice in the object.</summary>
    private F Name(ref Utf8JsonReader r, LogPosition pos, ref long seen, ref List<string>? others)
    {
        var id = r.ValueIsEscaped ? Lookup(Encoding.UTF8.GetBytes(GetString(ref r, pos))) : Lookup(r.ValueSpan);
        if (id != F.Unknown && (seen & (1L << (int)id)) == 0)
        {
            seen |= 1L << (int)id;
            return id;
        }

        var name = GetString(ref r, pos);
        others ??= [];
        if (id != F.Unknown || others.Contains(name, StringComparer.Ordinal))
        {
            throw new LogFormatException(pos, $"invalid JSON: property '{Clip(name)}' occurs twice in one object");
        }

        others.Add(name);
        return F.Unknown;
    }

    /// <summary>Skips a value this record does not use, checking a skipped object or array for names that occur twice.</summary>
    private void SkipUnread(ReadOnlySpan<byte> line, ref Utf8JsonReader r, LogPosition pos)
    {
        if (r.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            int start = (int)r.TokenStartIndex;
            r.Skip();
            CheckDuplicates(line[start..(int)r.BytesConsumed], pos);
        }
    }

    private static bool Has(long seen, F id) => (seen & (1L << (int)id)) != 0;

    private static void Require(long seen, F id, string name, LogPosition pos)
    {
        if (!Has(seen, id))
        {
            throw new LogFormatException(pos, $"field '{name}' is missing");
        }
    }

    /// <summary>The raw JSON of the value the reader is on (a container is skipped to its end).</summary>
    private static ReadOnlySpan<byte> Value(ReadOnlySpan<byte> line, scoped ref Utf8JsonReader r)
    {
        int start = (int)r.TokenStartIndex;
        if (r.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            r.Skip();
        }

        return line[start..(int)r.BytesConsumed];
    }

    private static long IntValue(ReadOnlySpan<byte> line, ref Utf8JsonReader r, string name, LogPosition pos, long min, long max)
    {
        var kind = r.TokenType;
        return IntValue(Value(line, ref r), kind, name, pos, min, max);
    }

    private static long IntValue(ReadOnlySpan<byte> raw, JsonTokenType kind, string name, LogPosition pos, long min, long max)
    {
        if (kind != JsonTokenType.Number || raw.IndexOfAny((byte)'.', (byte)'e', (byte)'E') >= 0)
        {
            throw new LogFormatException(pos, $"field '{name}' must be an integer, got {Clip(raw)}");
        }

        return long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) && v >= min && v <= max
            ? v
            : throw new LogFormatException(pos, $"field '{name}' = {Clip(raw)} is outside {min}..{max}");
    }

    private static double? OptDouble(ref Utf8JsonReader r, string name, LogPosition pos) =>
        r.TokenType == JsonTokenType.Null ? null
        : r.TokenType == JsonTokenType.Number && TryDouble(r.ValueSpan, out double d) ? d
        : throw new LogFormatException(pos, $"stats.{name} must be a number or null");

    private DType DTypeValue(ref Utf8JsonReader r, LogPosition pos)
    {
        if (!r.ValueIsEscaped)
        {
            var v = r.ValueSpan;
            if (v.SequenceEqual("float32"u8))
            {
                return DType.Float32;
            }

            if (v.SequenceEqual("float64"u8))
            {
                return DType.Float64;
            }

            if (v.SequenceEqual("int32"u8))
            {
                return DType.Int32;
            }

            if (v.SequenceEqual("float16"u8))
            {
                return DType.Float16;
            }

            if (v.SequenceEqual("bfloat16"u8))
            {
                return DType.BFloat16;
            }
        }

        return ParseDType(GetString(ref r, pos), pos);
    }

    private LeafRecord DecodeLeaf(ReadOnlySpan<byte> line, FieldTable o, LogPosition pos)
    {
        var t = DecodeTensor(Obj(line, o, F.Tensor, "tensor", pos), pos, -1, 0);
        var leaf = new LeafRecord(t, Str(line, o, F.Backend, "backend", pos, intern: true)) { Position = pos };
        CheckUnread(line, o, pos, F.Tensor);
        return leaf;
    }

    private EndRecord DecodeEnd(ReadOnlySpan<byte> line, FieldTable o, LogPosition pos)
    {
        // Any status other than "complete" means the run did not finish (a newer writer may add statuses).
        var status = Str(line, o, F.Status, "status", pos);
        var error = o.Has(F.Error) ? DecodeRunError(Obj(line, o, F.Error, "error", pos), pos) : null;
        var end = new EndRecord(
            Int(line, o, F.Ops, "ops", pos, 0, long.MaxValue),
            Int(line, o, F.Leaves, "leaves", pos, 0, long.MaxValue),
            Int(line, o, F.Blobs, "blobs", pos, 0, long.MaxValue),
            status) { Position = pos, Error = error };
        CheckUnread(line, o, pos, F.Error);
        return end;
    }

    /// <summary>The end record's "error" object: type, message, and optionally op, src and last.</summary>
    private RunError DecodeRunError(ReadOnlySpan<byte> json, LogPosition pos)
    {
        var e = errorTable;
        Load(json, e, pos, whole: false);
        var src = SourceLocation.Unknown;
        if (e.Has(F.Src))
        {
            var srcJson = Obj(json, e, F.Src, "error.src", pos);
            var so = nested;
            Load(srcJson, so, pos, whole: false);
            src = new SourceLocation(Str(srcJson, so, F.File, "file", pos), (int)Int(srcJson, so, F.Line, "line", pos, 0, int.MaxValue), Str(srcJson, so, F.Member, "member", pos));
            CheckUnread(srcJson, so, pos);
        }

        var error = new RunError(
            Str(json, e, F.Type, "error.type", pos),
            Str(json, e, F.Message, "error.message", pos),
            e.Has(F.Op) ? Str(json, e, F.Op, "error.op", pos) : null,
            src,
            e.Has(F.Last) ? Int(json, e, F.Last, "error.last", pos, -1, long.MaxValue) : -1);
        CheckUnread(json, e, pos, F.Src);
        return error;
    }

    private OpRecord DecodeOp(ReadOnlySpan<byte> line, FieldTable o, LogPosition pos)
    {
        long seq = Int(line, o, F.Seq, "seq", pos, 0, long.MaxValue);
        var op = OpName(line, o, pos, seq);
        var phase = OpPhase.Forward;
        long of = -1;
        if (o.Has(F.Phase))
        {
            var ph = o.Raw(line, F.Phase);
            string? text = ph.SequenceEqual("\"backward\""u8) ? "backward"
                : ph.SequenceEqual("\"forward\""u8) ? "forward"
                : o.Kind(F.Phase) == JsonTokenType.String ? String(ph, pos) : null;
            phase = text == "backward" ? OpPhase.Backward
                : text == "forward" ? OpPhase.Forward
                : throw new LogFormatException(pos, $"op {seq}: phase must be \"forward\" or \"backward\", got {Clip(ph)}");
        }

        if (phase == OpPhase.Backward)
        {
            of = Int(line, o, F.Of, "of", pos, 0, seq);
        }

        bool view = o.Has(F.View) && (o.Kind(F.View) switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            _ => throw new LogFormatException(pos, $"op {seq}: view must be true or false"),
        });
        var attrs = o.Has(F.Attrs)
            ? ReadAttributes(o.Kind(F.Attrs) == JsonTokenType.StartObject ? o.Raw(line, F.Attrs) : throw new LogFormatException(pos, $"op {seq}: attrs must be an object"), pos, seq)
            : OpAttributes.Empty;
        var inputsJson = Arr(line, o, F.In, "in", pos);
        int count = CountElements(inputsJson);
        var inputs = count == 0 ? [] : new long[count];
        var r = Reader(inputsJson);
        r.Read();
        for (int i = 0; i < count; i++)
        {
            r.Read();
            if (!IsInteger(ref r) || !r.TryGetInt64(out inputs[i]))
            {
                throw new LogFormatException(pos, $"op {seq}: input ids must be integers");
            }
        }

        int arity = OpRegistry.Arity(op);
        if (arity >= 0 && inputs.Length != arity)
        {
            throw new LogFormatException(pos, $"op {seq} ({op}): expected {arity} inputs, the record lists {inputs.Length}");
        }

        var outsJson = Arr(line, o, F.Out, "out", pos);
        int outs = CountElements(outsJson);
        if (outs != 1)
        {
            throw new LogFormatException(pos, $"op {seq} ({op}): expected 1 output, the record lists {outs}");
        }

        var outputs = new TensorRecord[outs];
        var ro = Reader(outsJson);
        ro.Read();
        for (int i = 0; i < outs; i++)
        {
            ro.Read();
            int start = (int)ro.TokenStartIndex;
            if (ro.TokenType != JsonTokenType.StartObject)
            {
                throw new LogFormatException(pos, $"op {seq}: out[{i}] must be an object");
            }

            ro.Skip();
            outputs[i] = DecodeTensor(outsJson[start..(int)ro.BytesConsumed], pos, seq, i);
        }

        var src = SourceLocation.Unknown;
        if (o.Has(F.Src))
        {
            var srcJson = o.Kind(F.Src) == JsonTokenType.StartObject ? o.Raw(line, F.Src) : throw new LogFormatException(pos, $"op {seq}: src must be an object");
            var so = nested;
            Load(srcJson, so, pos, whole: false);
            src = new SourceLocation(
                Str(srcJson, so, F.File, "file", pos, intern: true),
                (int)Int(srcJson, so, F.Line, "line", pos, 0, int.MaxValue),
                Str(srcJson, so, F.Member, "member", pos, intern: true));
            CheckUnread(srcJson, so, pos);
        }

        var thread = LogFormat.MainThread;
        if (o.Has(F.Thread))
        {
            thread = o.Kind(F.Thread) == JsonTokenType.String
                ? ThreadId(String(o.Raw(line, F.Thread), pos, intern: true), pos, seq)
                : throw new LogFormatException(pos, $"op {seq}: thread must be a string, got {Clip(o.Raw(line, F.Thread))}");
        }

        var result = new OpRecord(seq, op, attrs, phase, of, view, inputs, outputs, Str(line, o, F.Backend, "backend", pos, intern: true), src) { Position = pos, Thread = thread };
        CheckUnread(line, o, pos, F.Attrs, F.In, F.Out, F.Src);
        return result;
    }

    /// <summary>An op's logical thread id: any characters (control characters too: it is only ever compared and shown), bounded in length.</summary>
    private static string ThreadId(string id, LogPosition pos, long seq) =>
        id.Length is > 0 and <= LogFormat.MaxThreadIdLength
            ? id
            : throw new LogFormatException(pos, $"op {seq}: thread id must be 1 to {LogFormat.MaxThreadIdLength} characters long, got {id.Length}{(id.Length > 0 ? $": '{Clip(id)}'" : string.Empty)}");

    /// <summary>A tensor object; <paramref name="seq"/> -1 for a leaf's tensor (names the tensor in errors).</summary>
    private TensorRecord DecodeTensor(ReadOnlySpan<byte> json, LogPosition pos, long seq, int index)
    {
        string What() => seq < 0 ? "tensor" : $"op {seq} out[{index}]";
        var o = nested;
        Load(json, o, pos, whole: false);
        long id = Int(json, o, F.Id, "id", pos, 0, long.MaxValue);
        var shapeJson = Arr(json, o, F.Shape, "shape", pos);
        int rank = CountElements(shapeJson);
        if (rank > limits.MaxRank)
        {
            throw new LogFormatException(pos, $"{What()}: rank {rank} exceeds the limit of {limits.MaxRank}");
        }

        var shape = rank == 0 ? [] : new int[rank];
        long numel = 1;
        var r = Reader(shapeJson);
        r.Read();
        for (int i = 0; i < rank; i++)
        {
            r.Read();
            if (!IsInteger(ref r))
            {
                throw new LogFormatException(pos, $"{What()}: shape[{i}] must be an integer, got {Clip(Token(shapeJson, ref r))}");
            }

            if (!r.TryGetInt64(out long d) || d < 0 || d > limits.MaxElements)
            {
                throw new LogFormatException(pos, $"{What()}: shape[{i}] = {Clip(Token(shapeJson, ref r))} is outside 0..{limits.MaxElements}");
            }

            shape[i] = (int)d;
            numel = shape[i] == 0 ? 0 : numel;
            if (numel != 0 && numel > limits.MaxElements / Math.Max(shape[i], 1))
            {
                throw new LogFormatException(pos, $"{What()}: shape [{Clip(shapeJson[1..^1])}] has more than {limits.MaxElements} elements");
            }

            numel *= shape[i];
        }

        var dtype = DTypeOf(json, o, pos);
        if (numel * dtype.SizeOf() > limits.MaxBlobBytes)
        {
            throw new LogFormatException(pos, $"{What()}: {numel} {dtype.Name()} elements need {numel * dtype.SizeOf()} bytes, over the limit of {limits.MaxBlobBytes}");
        }

        var hash = Str(json, o, F.Hash, "hash", pos);
        if (!LogCodec.IsHex32(hash))
        {
            throw new LogFormatException(pos, $"{What()}: hash '{Clip(hash)}' is not 32 lower-case hex digits");
        }

        string? blob = null;
        if (o.Has(F.Blob))
        {
            blob = o.Kind(F.Blob) == JsonTokenType.String ? String(o.Raw(json, F.Blob), pos) : throw new LogFormatException(pos, $"{What()}: blob must be a string");
            if (!LogCodec.IsHex32(blob))
            {
                throw new LogFormatException(pos, $"{What()}: blob reference '{Clip(blob)}' is not a content address (32 lower-case hex digits); references outside the log's blobs folder are refused");
            }
        }

        HealthSummary? summary = null;
        if (o.Has(F.Stats))
        {
            var sj = o.Kind(F.Stats) == JsonTokenType.StartObject ? o.Raw(json, F.Stats) : throw new LogFormatException(pos, $"{What()}: stats must be an object");
            var so = stats;
            Load(sj, so, pos, whole: false);
            summary = new HealthSummary(
                OptDouble(sj, so, F.Min, "min", pos),
                OptDouble(sj, so, F.Max, "max", pos),
                OptDouble(sj, so, F.Mean, "mean", pos),
                Int(sj, so, F.NaN, "nan", pos, 0, long.MaxValue),
                Int(sj, so, F.PInf, "pinf", pos, 0, long.MaxValue),
                Int(sj, so, F.NInf, "ninf", pos, 0, long.MaxValue),
                Int(sj, so, F.Sub, "sub", pos, 0, long.MaxValue),
                Int(sj, so, F.Zero, "zero", pos, 0, long.MaxValue));
            CheckUnread(sj, so, pos);
        }

        CheckUnread(json, o, pos, F.Shape, F.Stats);
        return new TensorRecord(id, shape, dtype, hash, summary, blob);
    }

    private OpAttributes ReadAttributes(ReadOnlySpan<byte> json, LogPosition pos, long seq)
    {
        var items = new List<KeyValuePair<string, object>>(4);
        var r = Reader(json);
        r.Read();
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var name = r.ValueIsEscaped ? GetString(ref r, pos) : Intern(r.ValueSpan, pos);
            foreach (var item in items)
            {
                if (item.Key == name)
                {
                    throw new LogFormatException(pos, $"invalid JSON: property '{Clip(name)}' occurs twice in one object");
                }
            }

            r.Read();
            items.Add(new(name, ReadAttribute(json, ref r, pos, seq, name)));
        }

        return new OpAttributes([.. items]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private object ReadAttribute(ReadOnlySpan<byte> json, ref Utf8JsonReader r, LogPosition pos, long seq, string name)
    {
        switch (r.TokenType)
        {
            case JsonTokenType.Number when IsInteger(ref r):
                return r.TryGetInt64(out long l) ? l : throw new LogFormatException(pos, $"op {seq}: attribute '{name}': integer {Clip(Token(json, ref r))} does not fit in 64 bits");
            case JsonTokenType.Number:
                return Double(ref r, json, pos);
            case JsonTokenType.True:
                return true;
            case JsonTokenType.False:
                return false;
            case JsonTokenType.String:
                return GetString(ref r, pos, intern: true);
            case JsonTokenType.StartObject:
                return SpecialDouble(json, ref r, pos, seq, name);
            case JsonTokenType.StartArray:
                var copy = r;
                bool integers = true;
                bool numbers = true;
                while (copy.Read() && copy.TokenType != JsonTokenType.EndArray)
                {
                    integers &= IsInteger(ref copy);
                    numbers &= copy.TokenType is JsonTokenType.Number or JsonTokenType.StartObject;
                    if (copy.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    {
                        copy.Skip();
                    }
                }

                if (!integers && !numbers)
                {
                    r.Skip();
                    throw new LogFormatException(pos, $"op {seq}: attribute '{name}': arrays must hold only integers or only numbers");
                }

                var longs = integers ? new List<long>() : null;
                var doubles = integers ? null : new List<double>();
                while (r.Read() && r.TokenType != JsonTokenType.EndArray)
                {
                    if (longs is not null)
                    {
                        longs.Add(r.TryGetInt64(out long v) ? v : throw new LogFormatException(pos, $"op {seq}: attribute '{name}': integer {Clip(Token(json, ref r))} does not fit in 64 bits"));
                    }
                    else
                    {
                        doubles!.Add(r.TokenType == JsonTokenType.StartObject ? SpecialDouble(json, ref r, pos, seq, name) : Double(ref r, json, pos));
                    }
                }

                return longs is not null ? longs.ToArray() : doubles!.ToArray();
            default:
                throw new LogFormatException(pos, $"op {seq}: attribute '{name}': unsupported value {Clip(Token(json, ref r))}");
        }
    }

    private static double SpecialDouble(ReadOnlySpan<byte> json, ref Utf8JsonReader r, LogPosition pos, long seq, string name)
    {
        int start = (int)r.TokenStartIndex;
        double? value = null;
        int properties = 0;
        while (r.Read() && r.TokenType != JsonTokenType.EndObject)
        {
            properties++;
            bool f64 = r.ValueTextEquals("f64"u8);
            r.Read();
            if (f64 && r.TokenType == JsonTokenType.String)
            {
                value = r.ValueTextEquals("NaN"u8) ? double.NaN
                    : r.ValueTextEquals("Infinity"u8) ? double.PositiveInfinity
                    : r.ValueTextEquals("-Infinity"u8) ? double.NegativeInfinity
                    : null;
            }
            else if (r.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                r.Skip();
            }
        }

        return properties == 1 && value is { } v
            ? v
            : throw new LogFormatException(pos, $"op {seq}: attribute '{name}': objects are only {{\"f64\":\"NaN\"|\"Infinity\"|\"-Infinity\"}}, got {Clip(json[start..(int)r.BytesConsumed])}");
    }

    private string OpName(ReadOnlySpan<byte> line, FieldTable o, LogPosition pos, long seq)
    {
        var op = Str(line, o, F.Op, "op", pos, intern: true);
        return OpRegistry.IsKnown(op)
            ? op
            : throw new LogFormatException(pos, $"op {seq}: unknown op '{Clip(op)}' (this Repro knows {OpRegistry.Names.Count} ops; the log may come from a newer version)");
    }

    private DType DTypeOf(ReadOnlySpan<byte> json, FieldTable o, LogPosition pos)
    {
        if (o.Has(F.DType) && o.Kind(F.DType) == JsonTokenType.String)
        {
            var raw = o.Raw(json, F.DType);
            if (raw.SequenceEqual("\"float32\""u8))
            {
                return DType.Float32;
            }

            if (raw.SequenceEqual("\"float64\""u8))
            {
                return DType.Float64;
            }

            if (raw.SequenceEqual("\"int32\""u8))
            {
                return DType.Int32;
            }

            if (raw.SequenceEqual("\"float16\""u8))
            {
                return DType.Float16;
            }

            if (raw.SequenceEqual("\"bfloat16\""u8))
            {
                return DType.BFloat16;
            }
        }

        return ParseDType(Str(json, o, F.DType, "dtype", pos), pos);
    }

    /// <summary>Reads the object <paramref name="json"/> into <paramref name="table"/>: where each known field's value is, and its JSON type.</summary>
    private void Load(ReadOnlySpan<byte> json, FieldTable table, LogPosition pos, bool whole)
    {
        table.Reset();
        List<string>? others = null;
        var r = Reader(json);
        try
        {
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject)
            {
                throw new LogFormatException(pos, "not a record: a record is one JSON object per line ending with a \"crc\" field");
            }

            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                var id = r.ValueIsEscaped ? Lookup(Encoding.UTF8.GetBytes(GetString(ref r, pos))) : Lookup(r.ValueSpan);
                if (id == F.Unknown || table.Has(id))
                {
                    var name = GetString(ref r, pos);
                    others ??= [];
                    if (table.Has(id) || others.Contains(name, StringComparer.Ordinal))
                    {
                        throw new LogFormatException(pos, $"invalid JSON: property '{Clip(name)}' occurs twice in one object");
                    }

                    others.Add(name);
                }

                r.Read();
                int start = (int)r.TokenStartIndex;
                var kind = r.TokenType;
                if (kind is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    r.Skip();
                }

                if (id != F.Unknown)
                {
                    table.Set(id, start, (int)r.BytesConsumed, kind);
                }
                else if (kind is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    // Skipped, but a name twice anywhere in a record was an error for the old reader too.
                    CheckDuplicates(json[start..(int)r.BytesConsumed], pos);
                }
            }

            if (whole && r.Read())
            {
                throw new LogFormatException(pos, "extra content after the record's JSON object");
            }
        }
        catch (JsonException ex) when (TooDeep(json, ex))
        {
            throw new LogFormatException(pos, $"invalid JSON: nested deeper than the reader's MaxDepth of {limits.MaxJsonDepth} (LogLimits.MaxJsonDepth)", ex);
        }
        catch (JsonException ex)
        {
            throw new LogFormatException(pos, "invalid JSON: " + ex.Message, ex);
        }
    }

    /// <summary>The reader stopped at an object or array that would nest deeper than the limit.</summary>
    private bool TooDeep(ReadOnlySpan<byte> json, JsonException ex)
    {
        if (ex.BytePositionInLine is not long at || at >= json.Length || json[(int)at] is not ((byte)'[' or (byte)'{'))
        {
            return false;
        }

        // Containers open before that byte (outside strings).
        int open = 0;
        bool inString = false;
        for (int i = 0; i < at; i++)
        {
            byte c = json[i];
            if (inString)
            {
                if (c == (byte)'\\')
                {
                    i++;
                }
                else if (c == (byte)'"')
                {
                    inString = false;
                }
            }
            else if (c == (byte)'"')
            {
                inString = true;
            }
            else if (c is (byte)'{' or (byte)'[')
            {
                open++;
            }
            else if (c is (byte)'}' or (byte)']')
            {
                open--;
            }
        }

        return open >= limits.MaxJsonDepth;
    }

    /// <summary>
    /// Known fields whose container values this record type does not read (a header's "out", say) are still checked
    /// for names that occur twice, as everything in a record is.
    /// </summary>
    private void CheckUnread(ReadOnlySpan<byte> json, FieldTable table, LogPosition pos, params ReadOnlySpan<F> read)
    {
        long unread = table.Containers;
        foreach (var f in read)
        {
            unread &= ~(1L << (int)f);
        }

        for (int f = 0; unread != 0; f++, unread >>= 1)
        {
            if ((unread & 1) != 0)
            {
                CheckDuplicates(table.Raw(json, (F)f), pos);
            }
        }
    }

    private void CheckDuplicates(ReadOnlySpan<byte> json, LogPosition pos)
    {
        var r = Reader(json);
        var scopes = new List<List<string>?>();
        while (r.Read())
        {
            switch (r.TokenType)
            {
                case JsonTokenType.StartObject:
                    scopes.Add([]);
                    break;
                case JsonTokenType.StartArray:
                    scopes.Add(null);
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    scopes.RemoveAt(scopes.Count - 1);
                    break;
                case JsonTokenType.PropertyName:
                    var names = scopes[^1]!;
                    var name = GetString(ref r, pos);
                    if (names.Contains(name, StringComparer.Ordinal))
                    {
                        throw new LogFormatException(pos, $"invalid JSON: property '{Clip(name)}' occurs twice in one object");
                    }

                    names.Add(name);
                    break;
                default:
                    break;
            }
        }
    }

    private int CountElements(ReadOnlySpan<byte> json)
    {
        var r = Reader(json);
        r.Read();
        int n = 0;
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            n++;
            if (r.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                r.Skip();
            }
        }

        return n;
    }

    private Utf8JsonReader Reader(ReadOnlySpan<byte> json) => new(json, options);

    private string Str(ReadOnlySpan<byte> json, FieldTable o, F id, string name, LogPosition pos, bool intern = false)
    {
        if (!o.Has(id))
        {
            throw new LogFormatException(pos, $"field '{name}' is missing");
        }

        var raw = o.Raw(json, id);
        return o.Kind(id) == JsonTokenType.String
            ? String(raw, pos, intern)
            : throw new LogFormatException(pos, $"field '{name}' must be a string, got {Clip(raw)}");
    }

    private static long Int(ReadOnlySpan<byte> json, FieldTable o, F id, string name, LogPosition pos, long min, long max)
    {
        if (!o.Has(id))
        {
            throw new LogFormatException(pos, $"field '{name}' is missing");
        }

        var raw = o.Raw(json, id);
        if (o.Kind(id) != JsonTokenType.Number || raw.IndexOfAny((byte)'.', (byte)'e', (byte)'E') >= 0)
        {
            throw new LogFormatException(pos, $"field '{name}' must be an integer, got {Clip(raw)}");
        }

        return long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) && v >= min && v <= max
            ? v
            : throw new LogFormatException(pos, $"field '{name}' = {Clip(raw)} is outside {min}..{max}");
    }

    private static double? OptDouble(ReadOnlySpan<byte> json, FieldTable o, F id, string name, LogPosition pos)
    {
        if (!o.Has(id) || o.Kind(id) == JsonTokenType.Null)
        {
            return null;
        }

        return o.Kind(id) == JsonTokenType.Number && TryDouble(o.Raw(json, id), out double d)
            ? d
            : throw new LogFormatException(pos, $"stats.{name} must be a number or null");
    }

    private static ReadOnlySpan<byte> Obj(ReadOnlySpan<byte> json, FieldTable o, F id, string name, LogPosition pos) =>
        !o.Has(id) ? throw new LogFormatException(pos, $"field '{name}' is missing")
        : o.Kind(id) == JsonTokenType.StartObject ? o.Raw(json, id)
        : throw new LogFormatException(pos, $"field '{name}' must be an object");

    private static ReadOnlySpan<byte> Arr(ReadOnlySpan<byte> json, FieldTable o, F id, string name, LogPosition pos) =>
        !o.Has(id) ? throw new LogFormatException(pos, $"field '{name}' is missing")
        : o.Kind(id) == JsonTokenType.StartArray ? o.Raw(json, id)
        : throw new LogFormatException(pos, $"field '{name}' must be an array");

    /// <summary>A string token's value from its raw JSON (quotes included).</summary>
    private string String(ReadOnlySpan<byte> raw, LogPosition pos, bool intern = false)
    {
        var r = Reader(raw);
        r.Read();
        return GetString(ref r, pos, intern);
    }

    private string GetString(ref Utf8JsonReader r, LogPosition pos, bool intern = false)
    {
        try
        {
            return intern && !r.ValueIsEscaped ? Intern(r.ValueSpan, pos) : r.GetString()!;
        }
        catch (InvalidOperationException ex)
        {
            throw new LogFormatException(pos, "invalid JSON: a string is not valid UTF-8 or UTF-16: " + ex.Message, ex);
        }
    }

    /// <summary>Repeated strings (op names, backends, files, members, attribute names) as one instance each.</summary>
    private string Intern(ReadOnlySpan<byte> utf8, LogPosition pos)
    {
        Span<char> chars = stackalloc char[MaxInternedLength];
        int n;
        try
        {
            if (utf8.Length > MaxInternedLength)
            {
                return StrictUtf8.GetString(utf8);
            }

            n = StrictUtf8.GetChars(utf8, chars);
        }
        catch (DecoderFallbackException ex)
        {
            throw new LogFormatException(pos, "invalid JSON: a string is not valid UTF-8: " + ex.Message, ex);
        }

        if (internedBySpan.TryGetValue(chars[..n], out var known))
        {
            return known;
        }

        var s = new string(chars[..n]);
        if (interned.Count < MaxInterned)
        {
            interned[s] = s;
        }

        return s;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static double Double(ref Utf8JsonReader r, ReadOnlySpan<byte> json, LogPosition pos) =>
        TryDouble(r.ValueSpan, out double d)
            ? d
            : throw new LogFormatException(pos, $"number {Clip(Token(json, ref r))} is not a double");

    /// <summary>
    /// A JSON number as a double. An integer that fits in 64 bits converts from the integer, as the version 1 reader
    /// did (so "-0" reads as +0.0); anything else parses correctly rounded.
    /// </summary>
    private static bool TryDouble(ReadOnlySpan<byte> number, out double value)
    {
        if (number.IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0 && long.TryParse(number, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l))
        {
            value = l;
            return true;
        }

        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>A number without fraction or exponent (how Newtonsoft told integers from floats).</summary>
    private static bool IsInteger(ref Utf8JsonReader r) =>
        r.TokenType == JsonTokenType.Number && r.ValueSpan.IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0;

    private static ReadOnlySpan<byte> Token(ReadOnlySpan<byte> json, ref Utf8JsonReader r) =>
        r.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray
            ? json[(int)r.TokenStartIndex..]
            : json[(int)r.TokenStartIndex..(int)r.BytesConsumed];

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

    private static string Clip(ReadOnlySpan<byte> raw)
    {
        var s = Encoding.UTF8.GetString(raw[..Math.Min(raw.Length, 400)]);
        return Clip(s);
    }

    private static bool IsLowerHex(ReadOnlySpan<byte> s)
    {
        foreach (byte c in s)
        {
            if (c is not ((>= (byte)'0' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f')))
            {
                return false;
            }
        }

        return true;
    }

    private static F Lookup(ReadOnlySpan<byte> n) => n.Length switch
    {
        2 => n.SequenceEqual("op"u8) ? F.Op : n.SequenceEqual("of"u8) ? F.Of : n.SequenceEqual("in"u8) ? F.In
            : n.SequenceEqual("id"u8) ? F.Id : n.SequenceEqual("os"u8) ? F.Os : F.Unknown,
        3 => n.SequenceEqual("seq"u8) ? F.Seq : n.SequenceEqual("out"u8) ? F.Out : n.SequenceEqual("src"u8) ? F.Src
            : n.SequenceEqual("ops"u8) ? F.Ops : n.SequenceEqual("env"u8) ? F.Env : n.SequenceEqual("min"u8) ? F.Min
            : n.SequenceEqual("max"u8) ? F.Max : n.SequenceEqual("nan"u8) ? F.NaN : n.SequenceEqual("sub"u8) ? F.Sub
            : n.SequenceEqual("cpu"u8) ? F.Cpu : n.SequenceEqual("isa"u8) ? F.Isa : n.SequenceEqual("crc"u8) ? F.Crc : F.Unknown,
        4 => n.SequenceEqual("type"u8) ? F.Type : n.SequenceEqual("view"u8) ? F.View : n.SequenceEqual("hash"u8) ? F.Hash
            : n.SequenceEqual("blob"u8) ? F.Blob : n.SequenceEqual("mean"u8) ? F.Mean : n.SequenceEqual("pinf"u8) ? F.PInf
            : n.SequenceEqual("ninf"u8) ? F.NInf : n.SequenceEqual("zero"u8) ? F.Zero : n.SequenceEqual("file"u8) ? F.File
            : n.SequenceEqual("line"u8) ? F.Line : n.SequenceEqual("seed"u8) ? F.Seed : n.SequenceEqual("vars"u8) ? F.Vars
            : n.SequenceEqual("last"u8) ? F.Last : F.Unknown,
        5 => n.SequenceEqual("phase"u8) ? F.Phase : n.SequenceEqual("attrs"u8) ? F.Attrs : n.SequenceEqual("shape"u8) ? F.Shape
            : n.SequenceEqual("dtype"u8) ? F.DType : n.SequenceEqual("stats"u8) ? F.Stats : n.SequenceEqual("repro"u8) ? F.Repro
            : n.SequenceEqual("blobs"u8) ? F.Blobs : n.SequenceEqual("error"u8) ? F.Error : F.Unknown,
        6 => n.SequenceEqual("tensor"u8) ? F.Tensor : n.SequenceEqual("leaves"u8) ? F.Leaves : n.SequenceEqual("status"u8) ? F.Status
            : n.SequenceEqual("format"u8) ? F.Format : n.SequenceEqual("member"u8) ? F.Member : n.SequenceEqual("device"u8) ? F.Device
            : n.SequenceEqual("thread"u8) ? F.Thread : F.Unknown,
        7 => n.SequenceEqual("backend"u8) ? F.Backend : n.SequenceEqual("version"u8) ? F.Version : n.SequenceEqual("capture"u8) ? F.Capture
            : n.SequenceEqual("runtime"u8) ? F.Runtime : n.SequenceEqual("threads"u8) ? F.Threads : n.SequenceEqual("command"u8) ? F.Command
            : n.SequenceEqual("message"u8) ? F.Message : F.Unknown,
        10 => n.SequenceEqual("processors"u8) ? F.Processors : F.Unknown,
        _ => F.Unknown,
    };

    /// <summary>Where each known field of one object is (offsets into the object's JSON), reused from line to line.</summary>
    private sealed class FieldTable
    {
        private readonly int[] start = new int[(int)F.Count];
        private readonly int[] end = new int[(int)F.Count];
        private readonly JsonTokenType[] kind = new JsonTokenType[(int)F.Count];
        private readonly int[] generation = new int[(int)F.Count];
        private int current;

        /// <summary>Bits (1 &lt;&lt; field) of the fields whose values are objects or arrays.</summary>
        public long Containers { get; private set; }

        public void Reset()
        {
            current++;
            Containers = 0;
        }

        public bool Has(F id) => id != F.Unknown && generation[(int)id] == current;

        public JsonTokenType Kind(F id) => kind[(int)id];

        public ReadOnlySpan<byte> Raw(ReadOnlySpan<byte> json, F id) => Has(id) ? json[start[(int)id]..end[(int)id]] : [];

        public void Set(F id, int from, int to, JsonTokenType type)
        {
            start[(int)id] = from;
            end[(int)id] = to;
            kind[(int)id] = type;
            generation[(int)id] = current;
            if (type is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                Containers |= 1L << (int)id;
            }
        }
    }
}
