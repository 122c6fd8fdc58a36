using System.Buffers;
using System.Globalization;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using Repro.Engine;

namespace Repro.Recorder;

/// <summary>
/// Reads checksummed record lines into records, as docs/log-format.md specifies them. Each line is read once, front to
/// back, by one <see cref="Utf8JsonReader"/> straight from its bytes (no document object): every field is decoded
/// where it stands and checked for its JSON type, its range and, before anything is allocated, the limits in
/// <see cref="LogLimits"/> (depth, rank, elements, bytes); what must be present or agree across fields is checked once
/// the object has been read. Nothing in a line names a type or code. JSON is strict RFC 8259 (no comments, trailing
/// commas, single quotes or NaN literals); a property name that occurs twice in one object is an error; unknown fields
/// are skipped (a newer writer may add optional ones). One decoder serves one reader: it keeps reusable buffers and
/// an interning table of repeated strings.
/// </summary>
internal sealed class LogDecoder
{
    private const int MaxInterned = 4096;
    private const int MaxInternedLength = 512;

    private readonly LogLimits limits;
    private readonly JsonReaderOptions options;
    private readonly List<KeyValuePair<string, object>> attributeItems = [];
    private OpModule? lastModule;
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

    /// <summary>The record types after the header.</summary>
    private enum Kind
    {
        Op,
        Leaf,
        End,
    }

    /// <summary>The field names the spec defines (at any level); a record reads those of its own type and skips the rest.</summary>
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
        Approx,
        Module,
        Path,
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

        if (!Utf8.IsValid(line))
        {
            int at = 0;
            while (Rune.DecodeFromUtf8(line[at..], out _, out int length) == OperationStatus.Done)
            {
                at += length;
            }

            throw new LogFormatException(pos, $"the record is not UTF-8: byte {at} of its line (0x{line[at]:x2}) starts no character");
        }
    }

    /// <summary>Checks and decodes the header line.</summary>
    public LogHeader DecodeHeader(ReadOnlySpan<byte> line, LogPosition pos)
    {
        CheckLine(line, pos);

        // What the log is comes first, wherever the fields stand: a log of a newer version is refused as such, not
        // for whatever else that version changed.
        var type = Identify(line, pos);
        if (type != "header")
        {
            throw new LogFormatException(pos, $"expected the header record first, got a record of type '{Clip(type)}'");
        }

        var formatRaw = Find(line, F.Format, out var formatKind, pos);
        var format = formatKind switch
        {
            JsonTokenType.String => String(formatRaw, pos),
            JsonTokenType.None => throw Missing("format", pos),
            _ => throw new LogFormatException(pos, $"field 'format' must be a string, got {Clip(formatRaw)}"),
        };
        if (format != LogFormat.Name)
        {
            throw new LogFormatException(pos, $"not a Repro log: format is '{Clip(format)}', expected '{LogFormat.Name}'");
        }

        var versionRaw = Find(line, F.Version, out var versionKind, pos);
        int version = versionKind == JsonTokenType.None ? throw Missing("version", pos) : (int)IntValue(versionRaw, versionKind, "", "version", pos, 1, int.MaxValue);
        if (version > LogFormat.Version)
        {
            throw new LogFormatException(pos, $"unknown log format version {version}: this Repro ({LogFormat.ReproVersion}) reads versions 1..{LogFormat.Version}");
        }

        var r = Reader(line);
        try
        {
            r.Read();
            var header = ReadHeader(line, ref r, pos, version);
            EndOfLine(ref r, pos);
            return header;
        }
        catch (JsonException ex)
        {
            throw Invalid(line, ex, pos);
        }
    }

    /// <summary>Checks and decodes a line after the header.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public LogEntry DecodeEntry(ReadOnlySpan<byte> line, LogPosition pos)
    {
        CheckLine(line, pos);
        var kind = KindOf(line, pos);
        var r = Reader(line);
        try
        {
            r.Read();
            LogEntry entry = kind switch
            {
                Kind.Op => ReadOp(line, ref r, pos),
                Kind.Leaf => ReadLeaf(line, ref r, pos),
                _ => ReadEnd(line, ref r, pos),
            };
            EndOfLine(ref r, pos);
            return entry;
        }
        catch (JsonException ex)
        {
            throw Invalid(line, ex, pos);
        }
    }

    /// <summary>
    /// The input ids of an op line, for replay's look-ahead (when each tensor is used for the last time); false for
    /// other records. For a line that <see cref="DecodeEntry"/> accepts, the ids are exactly the record's inputs (the
    /// same reader, names and checks for "in", which the writer puts before the outputs, so the scan stops there); a
    /// line it refuses may throw here, or not.
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

        var fields = new Fields();
        var r = Reader(line);
        try
        {
            r.Read();
            while (NextField(ref r, pos, ref fields, out var id))
            {
                if (id == F.In && r.TokenType == JsonTokenType.StartArray)
                {
                    // The rest of the line (outputs, source) is not needed: if the line repeats "in" or is otherwise
                    // bad, reading the entries stops at it, so what this scan says about it never matters.
                    inputs.AddRange(ReadInputs(line, ref r, pos, 0));
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
            throw Invalid(line, ex, pos);
        }

        return true;
    }

    /// <summary>The record type of an entry line: read from its first bytes as the writer spells them, else from its "type" field.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Kind KindOf(ReadOnlySpan<byte> line, LogPosition pos) =>
        line.StartsWith("{\"type\":\"op\","u8) ? Kind.Op
        : line.StartsWith("{\"type\":\"leaf\","u8) ? Kind.Leaf
        : line.StartsWith("{\"type\":\"end\","u8) ? Kind.End
        : Identify(line, pos) switch
        {
            "op" => Kind.Op,
            "leaf" => Kind.Leaf,
            "end" => Kind.End,
            "header" => throw new LogFormatException(pos, "a second header record: a log has exactly one, on its first line"),
            var type => throw new LogFormatException(pos, $"unknown record type '{Clip(type)}': expected op, leaf or end"),
        };

    /// <summary>After the record's object: nothing but whitespace may follow (the reader refuses a second value).</summary>
    private static void EndOfLine(ref Utf8JsonReader r, LogPosition pos)
    {
        if (r.Read())
        {
            throw new LogFormatException(pos, "extra content after the record's JSON object");
        }
    }

    /// <summary>The value of the line's "type" field (its first occurrence; a second one is refused when the record is read).</summary>
    private string Identify(ReadOnlySpan<byte> line, LogPosition pos)
    {
        var raw = Find(line, F.Type, out var kind, pos);
        return kind == JsonTokenType.String ? String(raw, pos)
            : kind == JsonTokenType.None ? throw Missing("type", pos)
            : throw new LogFormatException(pos, $"field 'type' must be a string, got {Clip(raw)}");
    }

    /// <summary>The raw JSON of the first top-level field <paramref name="field"/> of a line; <paramref name="kind"/> None when there is none.</summary>
    private ReadOnlySpan<byte> Find(ReadOnlySpan<byte> line, F field, out JsonTokenType kind, LogPosition pos)
    {
        var r = Reader(line);
        try
        {
            r.Read();
            while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
            {
                bool found = Lookup(ref r, pos) == field;
                r.Read();
                kind = r.TokenType;
                var value = Value(line, ref r);
                if (found)
                {
                    return value;
                }
            }
        }
        catch (JsonException ex)
        {
            throw Invalid(line, ex, pos);
        }

        kind = JsonTokenType.None;
        return [];
    }

    private LogHeader ReadHeader(ReadOnlySpan<byte> line, ref Utf8JsonReader r, LogPosition pos, int version)
    {
        var fields = new Fields();
        string? repro = null, capture = null;
        EnvironmentFingerprint? env = null;
        while (NextField(ref r, pos, ref fields, out var id))
        {
            switch (id)
            {
                case F.Type or F.Format or F.Version:
                    // Checked before this pass (Identify, Find).
                    SkipUnread(line, ref r, pos);
                    break;
                case F.Repro:
                    repro = Str(line, ref r, "", "repro", pos);
                    break;
                case F.Capture:
                    capture = Str(line, ref r, "", "capture", pos);
                    break;
                case F.Env:
                    env = r.TokenType == JsonTokenType.StartObject ? ReadEnvironment(line, ref r, pos) : throw NotA("an object", "", "env", line, ref r, pos);
                    break;
                default:
                    SkipUnread(line, ref r, pos);
                    break;
            }
        }

        fields.Require(F.Repro, "", pos);
        fields.Require(F.Capture, "", pos);
        fields.Require(F.Env, "", pos);
        return new LogHeader(version, repro!, capture!, env!) { Position = pos };
    }

    private EnvironmentFingerprint ReadEnvironment(ReadOnlySpan<byte> line, ref Utf8JsonReader r, LogPosition pos)
    {
        var fields = new Fields();
        string? os = null, runtime = null, cpu = null, backend = null, device = null, dtype = null, command = null;
        var isa = new List<string>();
        var vars = new SortedDictionary<string, string>(StringComparer.Ordinal);
        int processors = 0, threads = 0;
        ulong seed = 0;
        while (NextField(ref r, pos, ref fields, out var id))
        {
            switch (id)
            {
                case F.Os:
                    os = Str(line, ref r, "env.", "os", pos);
                    break;
                case F.Runtime:
                    runtime = Str(line, ref r, "env.", "runtime", pos);
                    break;
                case F.Cpu:
                    cpu = Str(line, ref r, "env.", "cpu", pos);
                    break;
                case F.Isa:
                    if (r.TokenType != JsonTokenType.StartArray)
                    {
                        throw NotA("an array", "env.", "isa", line, ref r, pos);
                    }

                    while (r.Read() && r.TokenType != JsonTokenType.EndArray)
                    {
                        isa.Add(r.TokenType == JsonTokenType.String ? GetString(ref r, pos) : throw new LogFormatException(pos, $"field 'env.isa' must hold strings, got {Got(line, ref r)}"));
                    }

                    break;
                case F.Processors:
                    processors = (int)IntValue(line, ref r, "env.", "processors", pos, 0, int.MaxValue);
                    break;
                case F.Threads:
                    threads = (int)IntValue(line, ref r, "env.", "threads", pos, 1, int.MaxValue);
                    break;
                case F.Backend:
                    backend = Str(line, ref r, "env.", "backend", pos);
                    break;
                case F.Device:
                    device = Str(line, ref r, "env.", "device", pos);
                    break;
                case F.DType:
                    dtype = Str(line, ref r, "env.", "dtype", pos);
                    ParseDType(dtype, pos);
                    break;
                case F.Seed:
                    var seedText = Str(line, ref r, "env.", "seed", pos);
                    seed = ulong.TryParse(seedText, NumberStyles.None, CultureInfo.InvariantCulture, out var s)
                        ? s
                        : throw new LogFormatException(pos, $"field 'env.seed' = '{Clip(seedText)}' is not an unsigned integer");
                    break;
                case F.Vars:
                    if (r.TokenType != JsonTokenType.StartObject)
                    {
                        throw NotA("an object", "env.", "vars", line, ref r, pos);
                    }

                    while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
                    {
                        var name = GetString(ref r, pos);
                        if (vars.ContainsKey(name))
                        {
                            throw Twice(name, pos);
                        }

                        r.Read();
                        vars[name] = r.TokenType == JsonTokenType.String ? GetString(ref r, pos) : throw new LogFormatException(pos, $"field 'env.vars.{Clip(name)}' must be a string, got {Got(line, ref r)}");
                    }

                    break;
                case F.Command:
                    command = Str(line, ref r, "env.", "command", pos);
                    break;
                default:
                    SkipUnread(line, ref r, pos);
                    break;
            }
        }

        fields.Require(F.Os, "env.", pos);
        fields.Require(F.Runtime, "env.", pos);
        fields.Require(F.Cpu, "env.", pos);
        fields.Require(F.Isa, "env.", pos);
        fields.Require(F.Processors, "env.", pos);
        fields.Require(F.Threads, "env.", pos);
        fields.Require(F.Backend, "env.", pos);
        fields.Require(F.Device, "env.", pos);
        fields.Require(F.DType, "env.", pos);
        fields.Require(F.Seed, "env.", pos);
        fields.Require(F.Vars, "env.", pos);
        fields.Require(F.Command, "env.", pos);
        return new EnvironmentFingerprint(os!, runtime!, cpu!, isa, processors, threads, backend!, device!, dtype!, seed, vars, command!);
    }

    /// <summary>
    /// An op record. Fields are decoded where they stand; what must be present or agree across fields (the backward
    /// op's "of", arity, one output) is checked at the end, so a record with several faults reports one of them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private OpRecord ReadOp(ReadOnlySpan<byte> line, ref Utf8JsonReader r, LogPosition pos)
    {
        var fields = new Fields();
        long seq = 0;
        string? op = null;
        ReadOnlySpan<byte> phaseRaw = default;
        ReadOnlySpan<byte> ofRaw = default;
        var ofKind = JsonTokenType.None;
        bool view = false;
        var attrs = OpAttributes.Empty;
        long[]? inputs = null;
        TensorRecord? output = null;
        int outputCount = 0;
        string? backend = null;
        var src = SourceLocation.Unknown;
        string? thread = null;
        OpModule? module = null;
        while (NextField(ref r, pos, ref fields, out var id))
        {
            switch (id)
            {
                case F.Type:
                    // Read before this pass (KindOf).
                    break;
                case F.Seq:
                    seq = IntValue(line, ref r, "", "seq", pos, 0, long.MaxValue);
                    break;
                case F.Op:
                    op = Str(line, ref r, "", "op", pos, intern: true);
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
                        _ => throw new LogFormatException(pos, $"op {seq}: view must be true or false, got {Got(line, ref r)}"),
                    };
                    break;
                case F.Attrs:
                    attrs = r.TokenType == JsonTokenType.StartObject ? ReadAttributes(line, ref r, pos, seq) : throw new LogFormatException(pos, $"op {seq}: attrs must be an object, got {Got(line, ref r)}");
                    break;
                case F.In:
                    inputs = r.TokenType == JsonTokenType.StartArray ? ReadInputs(line, ref r, pos, seq) : throw NotA("an array", "", "in", line, ref r, pos);
                    break;
                case F.Out:
                    if (r.TokenType != JsonTokenType.StartArray)
                    {
                        throw NotA("an array", "", "out", line, ref r, pos);
                    }

                    while (r.Read() && r.TokenType != JsonTokenType.EndArray)
                    {
                        if (outputCount++ > 0)
                        {
                            // More than one output: refused below (after the rest of the record was read).
                            r.Skip();
                            continue;
                        }

                        output = r.TokenType == JsonTokenType.StartObject ? ReadTensor(line, ref r, pos, seq) : throw new LogFormatException(pos, $"op {seq}: out[0] must be an object, got {Got(line, ref r)}");
                    }

                    break;
                case F.Backend:
                    backend = Str(line, ref r, "", "backend", pos, intern: true);
                    break;
                case F.Src:
                    src = r.TokenType == JsonTokenType.StartObject ? ReadSource(line, ref r, pos, "src.") : throw new LogFormatException(pos, $"op {seq}: src must be an object, got {Got(line, ref r)}");
                    break;
                case F.Thread:
                    thread = r.TokenType == JsonTokenType.String ? ThreadId(GetString(ref r, pos, intern: true), pos, seq) : throw new LogFormatException(pos, $"op {seq}: thread must be a string, got {Got(line, ref r)}");
                    break;
                case F.Module:
                    module = r.TokenType == JsonTokenType.StartObject ? ReadModule(line, ref r, pos) : throw new LogFormatException(pos, $"op {seq}: module must be an object, got {Got(line, ref r)}");
                    break;
                default:
                    SkipUnread(line, ref r, pos);
                    break;
            }
        }

        fields.Require(F.Seq, "", pos);
        fields.Require(F.Op, "", pos);
        var phase = OpPhase.Forward;
        long of = -1;
        if (fields.Has(F.Phase))
        {
            string? text = phaseRaw.SequenceEqual("\"backward\""u8) ? "backward"
                : phaseRaw.SequenceEqual("\"forward\""u8) ? "forward"
                : phaseRaw[0] == (byte)'"' ? String(phaseRaw, pos) : null;
            phase = text == "backward" ? OpPhase.Backward
                : text == "forward" ? OpPhase.Forward
                : throw new LogFormatException(pos, $"op {seq}: phase must be \"forward\" or \"backward\", got {Clip(phaseRaw)}");
        }

        if (phase == OpPhase.Backward)
        {
            fields.Require(F.Of, "", pos);
            of = IntValue(ofRaw, ofKind, "", "of", pos, 0, seq);
        }

        fields.Require(F.In, "", pos);
        int arity = OpRegistry.Arity(op!);
        if (arity >= 0 && inputs!.Length != arity)
        {
            throw new LogFormatException(pos, $"op {seq} ({op}): expected {arity} inputs, the record lists {inputs.Length}");
        }

        fields.Require(F.Out, "", pos);
        if (outputCount != 1)
        {
            throw new LogFormatException(pos, $"op {seq} ({op}): expected 1 output, the record lists {outputCount}");
        }

        fields.Require(F.Backend, "", pos);
        return new OpRecord(seq, op!, attrs, phase, of, view, inputs!, [output!], backend!, src) { Position = pos, Thread = thread ?? LogFormat.MainThread, Module = module };
    }

    private LeafRecord ReadLeaf(ReadOnlySpan<byte> line, ref Utf8JsonReader r, LogPosition pos)
    {
        var fields = new Fields();
        TensorRecord? tensor = null;
        string? backend = null;
        while (NextField(ref r, pos, ref fields, out var id))
        {
            switch (id)
            {
                case F.Type:
                    break;
                case F.Tensor:
                    tensor = r.TokenType == JsonTokenType.StartObject ? ReadTensor(line, ref r, pos, -1) : throw NotA("an object", "", "tensor", line, ref r, pos);
                    break;
                case F.Backend:
                    backend = Str(line, ref r, "", "backend", pos, intern: true);
                    break;
                default:
                    SkipUnread(line, ref r, pos);
                    break;
            }
        }

        fields.Require(F.Tensor, "", pos);
        fields.Require(F.Backend, "", pos);
        return new LeafRecord(tensor!, backend!) { Position = pos };
    }

    private EndRecord ReadEnd(ReadOnlySpan<byte> line, ref Utf8JsonReader r, LogPosition pos)
    {
        var fields = new Fields();
        long ops = 0, leaves = 0, blobs = 0;
        string? status = null;
        RunError? error = null;
        while (NextField(ref r, pos, ref fields, out var id))
        {
            switch (id)
            {
                case F.Type:
                    break;
                case F.Ops:
                    ops = IntValue(line, ref r, "", "ops", pos, 0, long.MaxValue);
                    break;
                case F.Leaves:
                    leaves = IntValue(line, ref r, "", "leaves", pos, 0, long.MaxValue);
                    break;
                case F.Blobs:
                    blobs = IntValue(line, ref r, "", "blobs", pos, 0, long.MaxValue);
                    break;
                case F.Status:
                    // Any status but "complete" means the run did not finish (a newer writer may add statuses).
                    status = Str(line, ref r, "", "status", pos);
                    break;
                case F.Error:
                    error = r.TokenType == JsonTokenType.StartObject ? ReadRunError(line, ref r, pos) : throw NotA("an object", "", "error", line, ref r, pos);
                    break;
                default:
                    SkipUnread(line, ref r, pos);
                    break;
            }
        }

        fields.Require(F.Ops, "", pos);
        fields.Require(F.Leaves, "", pos);
        fields.Require(F.Blobs, "", pos);
        fields.Require(F.Status, "", pos);
        return new EndRecord(ops, leaves, blobs, status!) { Position = pos, Error = error };
    }

    /// <summary>The end record's "error" object: type, message, and optionally op, src and last.</summary>
    private RunError ReadRunError(ReadOnlySpan<byte> line, ref Utf8JsonReader r, LogPosition pos)
    {
        var fields = new Fields();
        string? type = null, message = null, op = null;
        var src = SourceLocation.Unknown;
        long last = -1;
        while (NextField(ref r, pos, ref fields, out var id))
        {
            switch (id)
            {
                case F.Type:
                    type = Str(line, ref r, "error.", "type", pos);
                    break;
                case F.Message:
                    message = Str(line, ref r, "error.", "message", pos);
                    break;
                case F.Op:
                    op = Str(line, ref r, "error.", "op", pos);
                    break;
                case F.Src:
                    src = r.TokenType == JsonTokenType.StartObject ? ReadSource(line, ref r, pos, "error.src.") : throw NotA("an object", "error.", "src", line, ref r, pos);
                    break;
                case F.Last:
                    last = IntValue(line, ref r, "error.", "last", pos, -1, long.MaxValue);
                    break;
                default:
                    SkipUnread(line, ref r, pos);
                    break;
            }
        }

        fields.Require(F.Type, "error.", pos);
        fields.Require(F.Message, "error.", pos);
        return new RunError(type!, message!, op, src, last);
    }

    /// <summary>A tensor object: an op's first output (<paramref name="seq"/> names it in errors), or a leaf's tensor (<paramref name="seq"/> -1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private TensorRecord ReadTensor(ReadOnlySpan<byte> line, ref Utf8JsonReader r, LogPosition pos, long seq)
    {
        var path = seq < 0 ? "tensor." : "out[0].";
        var fields = new Fields();
        long id = 0;
        int[] shape = [];
        long numel = 1;
        DType dtype = default;
        string? hash = null;
        string? blob = null;
        HealthSummary? summary = null;
        while (NextField(ref r, pos, ref fields, out var field))
        {
            switch (field)
            {
                case F.Id:
                    id = IntValue(line, ref r, path, "id", pos, 0, long.MaxValue);
                    break;
                case F.Shape:
                    (shape, numel) = r.TokenType == JsonTokenType.StartArray ? ReadShape(line, ref r, pos, seq) : throw NotA("an array", path, "shape", line, ref r, pos);
                    break;
                case F.DType:
                    dtype = r.TokenType == JsonTokenType.String ? DTypeValue(ref r, pos) : throw NotA("a string", path, "dtype", line, ref r, pos);
                    break;
                case F.Hash:
                    hash = Str(line, ref r, path, "hash", pos);
                    if (!LogCodec.IsHex32(hash))
                    {
                        throw new LogFormatException(pos, $"{What(seq)}: hash '{Clip(hash)}' is not 32 lower-case hex digits");
                    }

                    break;
                case F.Blob:
                    blob = r.TokenType == JsonTokenType.String ? GetString(ref r, pos) : throw new LogFormatException(pos, $"{What(seq)}: blob must be a string, got {Got(line, ref r)}");
                    if (!LogCodec.IsHex32(blob))
                    {
                        throw new LogFormatException(pos, $"{What(seq)}: blob reference '{Clip(blob)}' is not a content address (32 lower-case hex digits); references outside the log's blobs folder are refused");
                    }

                    break;
                case F.Stats:
                    summary = r.TokenType == JsonTokenType.StartObject ? ReadStats(line, ref r, pos, seq < 0 ? "tensor.stats." : "out[0].stats.") : throw new LogFormatException(pos, $"{What(seq)}: stats must be an object, got {Got(line, ref r)}");
                    break;
                default:
                    SkipUnread(line, ref r, pos);
                    break;
            }
        }

        fields.Require(F.Id, path, pos);
        fields.Require(F.Shape, path, pos);
        fields.Require(F.DType, path, pos);
        if (numel * dtype.SizeOf() > limits.MaxBlobBytes)
        {
            throw new LogFormatException(pos, $"{What(seq)}: {numel} {dtype.Name()} elements need {numel * dtype.SizeOf()} bytes, over the limit of {limits.MaxBlobBytes}");
        }

        fields.Require(F.Hash, path, pos);
        return new TensorRecord(id, shape, dtype, hash!, summary, blob);
    }

    /// <summary>Names the tensor being read in errors.</summary>
    private static string What(long seq) => seq < 0 ? "leaf tensor" : $"op {seq} out[0]";

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private (int[] Shape, long Numel) ReadShape(ReadOnlySpan<byte> line, ref Utf8JsonReader r, LogPosition pos, long seq)
    {
        var whole = r;
        Span<int> dims = stackalloc int[16];
        List<int>? more = null;
        int rank = 0;
        long numel = 1;
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (rank >= limits.MaxRank)
            {
                throw new LogFormatException(pos, $"{What(seq)}: rank {rank + 1} or more exceeds the limit of {limits.MaxRank}");
            }

            if (!IsInteger(ref r))
            {
                throw new LogFormatException(pos, $"{What(seq)}: shape[{rank}] must be an integer, got {Got(line, ref r)}");
            }

            if (!r.TryGetInt64(out long d) || d < 0 || d > limits.MaxElements)
            {
                throw new LogFormatException(pos, $"{What(seq)}: shape[{rank}] = {Got(line, ref r)} is outside 0..{limits.MaxElements}");
            }

            int dim = (int)d;
            numel = dim == 0 ? 0 : numel;
            if (numel != 0 && numel > limits.MaxElements / Math.Max(dim, 1))
            {
                throw new LogFormatException(pos, $"{What(seq)}: shape {Whole(line, whole)} has more than {limits.MaxElements} elements");
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
    private HealthSummary ReadStats(ReadOnlySpan<byte> line, ref Utf8JsonReader r, LogPosition pos, string path)
    {
        var fields = new Fields();
        double? min = null, max = null, mean = null;
        long nan = 0, pinf = 0, ninf = 0, sub = 0, zero = 0;
        while (NextField(ref r, pos, ref fields, out var field))
        {
            switch (field)
            {
                case F.Min:
                    min = OptDouble(line, ref r, path, "min", pos);
                    break;
                case F.Max:
                    max = OptDouble(line, ref r, path, "max", pos);
                    break;
                case F.Mean:
                    mean = OptDouble(line, ref r, path, "mean", pos);
                    break;
                case F.NaN:
                    nan = IntValue(line, ref r, path, "nan", pos, 0, long.MaxValue);
                    break;
                case F.PInf:
                    pinf = IntValue(line, ref r, path, "pinf", pos, 0, long.MaxValue);
                    break;
                case F.NInf:
                    ninf = IntValue(line, ref r, path, "ninf", pos, 0, long.MaxValue);
                    break;
                case F.Sub:
                    sub = IntValue(line, ref r, path, "sub", pos, 0, long.MaxValue);
                    break;
                case F.Zero:
                    zero = IntValue(line, ref r, path, "zero", pos, 0, long.MaxValue);
                    break;
                default:
                    SkipUnread(line, ref r, pos);
                    break;
            }
        }

        fields.Require(F.NaN, path, pos);
        fields.Require(F.PInf, path, pos);
        fields.Require(F.NInf, path, pos);
        fields.Require(F.Sub, path, pos);
        fields.Require(F.Zero, path, pos);
        return new HealthSummary(min, max, mean, nan, pinf, ninf, sub, zero);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private SourceLocation ReadSource(ReadOnlySpan<byte> line, ref Utf8JsonReader r, LogPosition pos, string path)
    {
        var fields = new Fields();
        string? file = null, member = null;
        long at = 0;
        bool approx = false;
        while (NextField(ref r, pos, ref fields, out var field))
        {
            switch (field)
            {
                case F.File:
                    file = Str(line, ref r, path, "file", pos, intern: true);
                    break;
                case F.Line:
                    at = IntValue(line, ref r, path, "line", pos, 0, int.MaxValue);
                    break;
                case F.Member:
                    member = Str(line, ref r, path, "member", pos, intern: true);
                    break;
                case F.Approx:
                    approx = r.TokenType switch
                    {
                        JsonTokenType.True => true,
                        JsonTokenType.False => false,
                        _ => throw new LogFormatException(pos, $"field '{path}approx' must be true or false, got {Got(line, ref r)}"),
                    };
                    break;
                default:
                    SkipUnread(line, ref r, pos);
                    break;
            }
        }

        fields.Require(F.File, path, pos);
        fields.Require(F.Line, path, pos);
        fields.Require(F.Member, path, pos);
        return new SourceLocation(file!, (int)at, member!) { Approximate = approx };
    }

    /// <summary>Reads an op's <c>module</c> object; consecutive ops of one module share one <see cref="OpModule"/>.</summary>
    private OpModule ReadModule(ReadOnlySpan<byte> line, ref Utf8JsonReader r, LogPosition pos)
    {
        var fields = new Fields();
        string? path = null, type = null;
        while (NextField(ref r, pos, ref fields, out var field))
        {
            switch (field)
            {
                case F.Path:
                    path = Str(line, ref r, "module.", "path", pos, intern: true);
                    break;
                case F.Type:
                    type = Str(line, ref r, "module.", "type", pos, intern: true);
                    break;
                default:
                    SkipUnread(line, ref r, pos);
                    break;
            }
        }

        fields.Require(F.Path, "module.", pos);
        fields.Require(F.Type, "module.", pos);
        if (type!.Length == 0)
        {
            throw new LogFormatException(pos, "field 'module.type' must not be empty");
        }

        if (lastModule is { } last && ReferenceEquals(last.Path, path) && ReferenceEquals(last.Type, type))
        {
            return last;
        }

        lastModule = new OpModule(path!, type);
        return lastModule;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private OpAttributes ReadAttributes(ReadOnlySpan<byte> line, ref Utf8JsonReader r, LogPosition pos, long seq)
    {
        var items = attributeItems;
        items.Clear();
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            var name = r.ValueIsEscaped ? GetString(ref r, pos) : Intern(r.ValueSpan);
            foreach (var item in items)
            {
                if (item.Key == name)
                {
                    throw Twice(name, pos);
                }
            }

            r.Read();
            items.Add(new(name, ReadAttribute(line, ref r, pos, seq, name)));
        }

        return new OpAttributes([.. items]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private object ReadAttribute(ReadOnlySpan<byte> line, ref Utf8JsonReader r, LogPosition pos, long seq, string name)
    {
        switch (r.TokenType)
        {
            case JsonTokenType.Number when IsInteger(ref r):
                return r.TryGetInt64(out long l) ? l : throw new LogFormatException(pos, $"op {seq}: attribute '{Clip(name)}': integer {Got(line, ref r)} does not fit in 64 bits");
            case JsonTokenType.Number:
                return Double(line, ref r, pos, seq, name);
            case JsonTokenType.True:
                return true;
            case JsonTokenType.False:
                return false;
            case JsonTokenType.String:
                return GetString(ref r, pos, intern: true);
            case JsonTokenType.StartObject:
                return SpecialDouble(line, ref r, pos, seq, name);
            case JsonTokenType.StartArray:
                // Integers only make a long[]; numbers (with at least one fraction, exponent or non-finite object) a double[].
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
                    throw new LogFormatException(pos, $"op {seq}: attribute '{Clip(name)}': arrays must hold only integers or only numbers, got {Got(line, ref r)}");
                }

                var longs = integers ? new List<long>() : null;
                var doubles = integers ? null : new List<double>();
                while (r.Read() && r.TokenType != JsonTokenType.EndArray)
                {
                    if (longs is not null)
                    {
                        longs.Add(r.TryGetInt64(out long v) ? v : throw new LogFormatException(pos, $"op {seq}: attribute '{Clip(name)}': integer {Got(line, ref r)} does not fit in 64 bits"));
                    }
                    else
                    {
                        doubles!.Add(r.TokenType == JsonTokenType.StartObject ? SpecialDouble(line, ref r, pos, seq, name) : Double(line, ref r, pos, seq, name));
                    }
                }

                return longs is not null ? longs.ToArray() : doubles!.ToArray();
            default:
                throw new LogFormatException(pos, $"op {seq}: attribute '{Clip(name)}': unsupported value {Got(line, ref r)}");
        }
    }

    /// <summary>A non-finite double, written as an object with the one field "f64": "NaN", "Infinity" or "-Infinity".</summary>
    private static double SpecialDouble(ReadOnlySpan<byte> line, ref Utf8JsonReader r, LogPosition pos, long seq, string name)
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
            : throw new LogFormatException(pos, $"op {seq}: attribute '{Clip(name)}': objects are only {{\"f64\":\"NaN\"|\"Infinity\"|\"-Infinity\"}}, got {Clip(line[start..(int)r.BytesConsumed])}");
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long[] ReadInputs(ReadOnlySpan<byte> line, ref Utf8JsonReader r, LogPosition pos, long seq)
    {
        Span<long> first = stackalloc long[8];
        List<long>? more = null;
        int n = 0;
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (!IsInteger(ref r) || !r.TryGetInt64(out long v))
            {
                throw new LogFormatException(pos, $"op {seq}: input ids must be integers, got {Got(line, ref r)}");
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

    /// <summary>An op's logical thread id: any characters (control characters too: it is only ever compared and shown), bounded in length.</summary>
    private static string ThreadId(string id, LogPosition pos, long seq) =>
        id.Length is > 0 and <= LogFormat.MaxThreadIdLength
            ? id
            : throw new LogFormatException(pos, $"op {seq}: thread id must be 1 to {LogFormat.MaxThreadIdLength} characters long, got {id.Length}{(id.Length > 0 ? $": '{Clip(id)}'" : string.Empty)}");

    /// <summary>
    /// Moves to the next field of the object the reader is in: true with the reader on the field's value and
    /// <paramref name="id"/> naming the field; false at the end of the object.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool NextField(ref Utf8JsonReader r, LogPosition pos, ref Fields fields, out F id)
    {
        if (!r.Read() || r.TokenType != JsonTokenType.PropertyName)
        {
            id = F.Unknown;
            return false;
        }

        id = Name(ref r, pos, ref fields);
        r.Read();
        return true;
    }

    /// <summary>Reads a property name: which field it is, refusing a name that occurs twice in the object.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private F Name(ref Utf8JsonReader r, LogPosition pos, ref Fields fields)
    {
        var id = Lookup(ref r, pos);
        if (id != F.Unknown && !fields.Has(id))
        {
            fields.Add(id);
            return id;
        }

        var name = GetString(ref r, pos);
        fields.Others ??= [];
        if (id != F.Unknown || fields.Others.Contains(name, StringComparer.Ordinal))
        {
            throw Twice(name, pos);
        }

        fields.Others.Add(name);
        return F.Unknown;
    }

    /// <summary>Which field the property name the reader is on names (escapes decoded first).</summary>
    private F Lookup(ref Utf8JsonReader r, LogPosition pos) =>
        r.ValueIsEscaped ? Lookup(Encoding.UTF8.GetBytes(GetString(ref r, pos))) : Lookup(r.ValueSpan);

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
                        throw Twice(name, pos);
                    }

                    names.Add(name);
                    break;
                default:
                    break;
            }
        }
    }

    /// <summary>A JSON error as a log format error, naming the depth limit when that is what the reader hit.</summary>
    private LogFormatException Invalid(ReadOnlySpan<byte> line, JsonException ex, LogPosition pos) =>
        TooDeep(line, ex)
            ? new LogFormatException(pos, $"invalid JSON: nested deeper than the reader's MaxDepth of {limits.MaxJsonDepth} (LogLimits.MaxJsonDepth)", ex)
            : new LogFormatException(pos, $"invalid JSON at byte {ex.BytePositionInLine} of the line: {JsonError(ex)}", ex);

    /// <summary>System.Text.Json's message without its position (a line is one line: the byte in it is what counts).</summary>
    private static string JsonError(JsonException ex)
    {
        // It may quote the rest of the line: clipped and escaped like any value.
        int at = ex.Message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return Clip(at < 0 ? ex.Message : ex.Message[..at], 200);
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

    private Utf8JsonReader Reader(ReadOnlySpan<byte> json) => new(json, options);

    /// <summary>A string field's value.</summary>
    private string Str(ReadOnlySpan<byte> line, ref Utf8JsonReader r, string path, string name, LogPosition pos, bool intern = false) =>
        r.TokenType == JsonTokenType.String ? GetString(ref r, pos, intern) : throw NotA("a string", path, name, line, ref r, pos);

    /// <summary>A string token's value from its raw JSON (quotes included).</summary>
    private string String(ReadOnlySpan<byte> raw, LogPosition pos)
    {
        var r = Reader(raw);
        r.Read();
        return GetString(ref r, pos);
    }

    private string GetString(ref Utf8JsonReader r, LogPosition pos, bool intern = false)
    {
        try
        {
            return intern && !r.ValueIsEscaped ? Intern(r.ValueSpan) : r.GetString()!;
        }
        catch (InvalidOperationException ex)
        {
            // The line is UTF-8 (CheckLine), so an escape made it: a lone surrogate.
            throw new LogFormatException(pos, "invalid JSON: a string's escapes are not valid UTF-16: " + ex.Message, ex);
        }
    }

    /// <summary>Repeated strings (op names, backends, files, members, attribute names) as one instance each.</summary>
    private string Intern(ReadOnlySpan<byte> utf8)
    {
        // The line is valid UTF-8 (CheckLine).
        if (utf8.Length > MaxInternedLength)
        {
            return Encoding.UTF8.GetString(utf8);
        }

        Span<char> chars = stackalloc char[MaxInternedLength];
        int n = Encoding.UTF8.GetChars(utf8, chars);
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

    private static long IntValue(ReadOnlySpan<byte> line, ref Utf8JsonReader r, string path, string name, LogPosition pos, long min, long max)
    {
        var kind = r.TokenType;
        return IntValue(Value(line, ref r), kind, path, name, pos, min, max);
    }

    /// <summary>An integer field: a number without fraction or exponent, in <paramref name="min"/>..<paramref name="max"/>.</summary>
    private static long IntValue(ReadOnlySpan<byte> raw, JsonTokenType kind, string path, string name, LogPosition pos, long min, long max)
    {
        if (kind != JsonTokenType.Number || raw.IndexOfAny((byte)'.', (byte)'e', (byte)'E') >= 0)
        {
            throw new LogFormatException(pos, $"field '{path}{name}' must be an integer, got {Clip(raw)}");
        }

        return long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) && v >= min && v <= max
            ? v
            : throw new LogFormatException(pos, $"field '{path}{name}' = {Clip(raw)} is outside {min}..{max}");
    }

    private static double? OptDouble(ReadOnlySpan<byte> line, ref Utf8JsonReader r, string path, string name, LogPosition pos) =>
        r.TokenType == JsonTokenType.Null ? null
        : r.TokenType == JsonTokenType.Number && TryDouble(r.ValueSpan, out double d) ? d
        : throw new LogFormatException(pos, $"field '{path}{name}' must be a finite number or null, got {Got(line, ref r)}");

    private static double Double(ReadOnlySpan<byte> line, ref Utf8JsonReader r, LogPosition pos, long seq, string name) =>
        TryDouble(r.ValueSpan, out double d)
            ? d
            : throw new LogFormatException(pos, $"op {seq}: attribute '{Clip(name)}': number {Got(line, ref r)} is beyond the range of a double (non-finite values are written {{\"f64\":...}})");

    /// <summary>
    /// A JSON number as a finite double, correctly rounded; an integer converts from its value (so "-0" reads as
    /// +0.0). A number too large for a double is refused, not read as an infinity.
    /// </summary>
    private static bool TryDouble(ReadOnlySpan<byte> number, out double value)
    {
        if (number.IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0 && long.TryParse(number, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l))
        {
            value = l;
            return true;
        }

        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }

    /// <summary>A number without fraction or exponent (the spec's integers).</summary>
    private static bool IsInteger(ref Utf8JsonReader r) =>
        r.TokenType == JsonTokenType.Number && r.ValueSpan.IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0;

    /// <summary>The value the reader is on, as written (a container: the rest of the line), clipped for an error message.</summary>
    private static string Got(ReadOnlySpan<byte> line, ref Utf8JsonReader r) =>
        r.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray
            ? Whole(line, r)
            : Clip(line[(int)r.TokenStartIndex..(int)r.BytesConsumed]);

    /// <summary>The object or array that starts where <paramref name="at"/> (a copy of the reader) is, or the rest of the line when it is not valid JSON.</summary>
    private static string Whole(ReadOnlySpan<byte> line, Utf8JsonReader at)
    {
        int start = (int)at.TokenStartIndex;
        try
        {
            at.Skip();
            return Clip(line[start..(int)at.BytesConsumed]);
        }
        catch (JsonException)
        {
            return Clip(line[start..]);
        }
    }

    private static LogFormatException NotA(string what, string path, string name, ReadOnlySpan<byte> line, ref Utf8JsonReader r, LogPosition pos) =>
        new(pos, $"field '{path}{name}' must be {what}, got {Got(line, ref r)}");

    private static LogFormatException Missing(string name, LogPosition pos) => new(pos, $"field '{name}' is missing");

    private static LogFormatException Twice(string name, LogPosition pos) => new(pos, $"invalid JSON: property '{Clip(name)}' occurs twice in one object");

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

    /// <summary>A value for an error message: at most 80 characters, control characters escaped, so the message stays one line.</summary>
    private static string Clip(string s, int max = 80)
    {
        var clipped = s.Length <= max ? s : s[..max] + "...";
        if (!clipped.Any(char.IsControl))
        {
            return clipped;
        }

        var escaped = new StringBuilder(clipped.Length + 16);
        foreach (char c in clipped)
        {
            if (char.IsControl(c))
            {
                escaped.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                escaped.Append(c);
            }
        }

        return escaped.ToString();
    }

    private static string Clip(ReadOnlySpan<byte> raw) => Clip(Encoding.UTF8.GetString(raw[..Math.Min(raw.Length, 400)]));

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
            : n.SequenceEqual("last"u8) ? F.Last : n.SequenceEqual("path"u8) ? F.Path : F.Unknown,
        5 => n.SequenceEqual("phase"u8) ? F.Phase : n.SequenceEqual("attrs"u8) ? F.Attrs : n.SequenceEqual("shape"u8) ? F.Shape
            : n.SequenceEqual("dtype"u8) ? F.DType : n.SequenceEqual("stats"u8) ? F.Stats : n.SequenceEqual("repro"u8) ? F.Repro
            : n.SequenceEqual("blobs"u8) ? F.Blobs : n.SequenceEqual("error"u8) ? F.Error : F.Unknown,
        6 => n.SequenceEqual("tensor"u8) ? F.Tensor : n.SequenceEqual("leaves"u8) ? F.Leaves : n.SequenceEqual("status"u8) ? F.Status
            : n.SequenceEqual("format"u8) ? F.Format : n.SequenceEqual("member"u8) ? F.Member : n.SequenceEqual("device"u8) ? F.Device
            : n.SequenceEqual("thread"u8) ? F.Thread : n.SequenceEqual("approx"u8) ? F.Approx : n.SequenceEqual("module"u8) ? F.Module : F.Unknown,
        7 => n.SequenceEqual("backend"u8) ? F.Backend : n.SequenceEqual("version"u8) ? F.Version : n.SequenceEqual("capture"u8) ? F.Capture
            : n.SequenceEqual("runtime"u8) ? F.Runtime : n.SequenceEqual("threads"u8) ? F.Threads : n.SequenceEqual("command"u8) ? F.Command
            : n.SequenceEqual("message"u8) ? F.Message : F.Unknown,
        10 => n.SequenceEqual("processors"u8) ? F.Processors : F.Unknown,
        _ => F.Unknown,
    };

    /// <summary>The fields of one object read so far: the spec's as bits, any others by name (only to refuse a name twice).</summary>
    private struct Fields
    {
        private long seen;

        public List<string>? Others;

        public readonly bool Has(F id) => (seen & (1L << (int)id)) != 0;

        public void Add(F id) => seen |= 1L << (int)id;

        /// <summary>Refuses the object unless it had the field <paramref name="id"/> (at <paramref name="path"/> in the record).</summary>
        public readonly void Require(F id, string path, LogPosition pos)
        {
            if (!Has(id))
            {
                // The spec's names are the field ids in lower case.
                throw Missing(path + id.ToString().ToLowerInvariant(), pos);
            }
        }
    }
}
