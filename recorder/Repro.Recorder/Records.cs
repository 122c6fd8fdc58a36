using Repro.Engine;

namespace Repro.Recorder;

/// <summary>
/// A tensor's health: range and mean of its finite values, and counts of the values that usually mean trouble.
/// Order-independent except the mean, which sums in double in element order, so it is the same everywhere.
/// </summary>
public sealed record HealthSummary(double? Min, double? Max, double? Mean, long NaN, long PosInf, long NegInf, long Subnormal, long Zero)
{
    /// <summary>True when the tensor holds a NaN or an infinity.</summary>
    public bool HasNonFinite => NaN > 0 || PosInf > 0 || NegInf > 0;
}

/// <summary>One tensor as a record describes it.</summary>
/// <param name="Id">The tensor's id within the log (dense from 0, in order of first appearance).</param>
/// <param name="Shape">Extent of each axis.</param>
/// <param name="DType">Element type.</param>
/// <param name="Hash">XxHash128 (32 hex digits) of the canonical bytes, NaNs canonicalized.</param>
/// <param name="Stats">Health summary (null when not captured).</param>
/// <param name="Blob">Content address of the raw bytes when stored by value; null otherwise.</param>
public sealed record TensorRecord(long Id, int[] Shape, DType DType, string Hash, HealthSummary? Stats, string? Blob)
{
    /// <summary>Number of elements.</summary>
    public long Numel => Shape.Aggregate(1L, (a, d) => a * d);

    /// <summary>Bytes of the raw storage-layout data.</summary>
    public long Bytes => Numel * DType.SizeOf();
}

/// <summary>An entry of a log after the header: an op, an external leaf, or the end marker.</summary>
public abstract record LogEntry
{
    /// <summary>Where the entry's line starts.</summary>
    public LogPosition Position { get; init; }
}

/// <summary>One op as recorded.</summary>
public sealed record OpRecord(
    long Seq,
    string Op,
    OpAttributes Attributes,
    OpPhase Phase,
    long BackwardOf,
    bool IsView,
    long[] Inputs,
    TensorRecord[] Outputs,
    string Backend,
    SourceLocation Source) : LogEntry
{
    /// <summary>The op's first output.</summary>
    public TensorRecord Output => Outputs[0];

    /// <summary>
    /// The logical thread that issued the op (docs/log-format.md, "Threads"): <see cref="LogFormat.MainThread"/> for
    /// the thread that started the recording, else the name the program gave or a key derived from the thread's first
    /// call site.
    /// </summary>
    public string Thread { get; init; } = LogFormat.MainThread;

    /// <summary>
    /// The module (layer) the op ran in, for a backward op its forward op's (docs/log-format.md, field
    /// <c>module</c>): a dotted path such as "encoder.block1.attn" and a type such as "MultiHeadSelfAttention"; null
    /// when it ran in no module or the log predates the field.
    /// </summary>
    public OpModule? Module { get; init; }
}

/// <summary>A tensor that existed before recording began (or came from unrecorded code), stored by value at first use.</summary>
public sealed record LeafRecord(TensorRecord Tensor, string Backend) : LogEntry;

/// <summary>The last record of a log whose run closed its recorder.</summary>
/// <param name="Ops">Op records in the log.</param>
/// <param name="Leaves">Leaf records in the log.</param>
/// <param name="Blobs">Blob files the log's records reference.</param>
/// <param name="Status">
/// How the run ended: <see cref="EndStatus.Complete"/>, <see cref="EndStatus.Exception"/> (an unhandled exception,
/// described by <see cref="Error"/>) or <see cref="EndStatus.Interrupted"/> (a signal such as Ctrl-C or SIGTERM).
/// </param>
public sealed record EndRecord(long Ops, long Leaves, long Blobs, string Status) : LogEntry
{
    /// <summary>What stopped the run, for any status but <see cref="EndStatus.Complete"/>; null otherwise.</summary>
    public RunError? Error { get; init; }

    /// <summary>True when the run closed its recorder normally.</summary>
    public bool IsComplete => Status == EndStatus.Complete;
}

/// <summary>The statuses an end record may carry.</summary>
public static class EndStatus
{
    /// <summary>The recorder was closed normally.</summary>
    public const string Complete = "complete";

    /// <summary>The program died of an unhandled exception; the end record's error names it.</summary>
    public const string Exception = "exception";

    /// <summary>The program was stopped by a signal (Ctrl-C, SIGTERM); the end record's error names it.</summary>
    public const string Interrupted = "interrupted";
}

/// <summary>Why a recorded run did not complete.</summary>
/// <param name="Type">The exception's type (e.g. <c>System.ArgumentException</c>) or the signal (<c>SIGINT</c>, <c>SIGTERM</c>).</param>
/// <param name="Message">The exception's message (at most <see cref="MaxMessageLength"/> characters), or what the signal means.</param>
/// <param name="Op">The engine API that threw (e.g. <c>Tensor.MatMul</c>); null when the exception came from outside the engine.</param>
/// <param name="Source">Where in the user's code it was thrown or called (unknown without debug symbols).</param>
/// <param name="LastSeq">Sequence number of the last op recorded before it (-1 when none).</param>
public sealed record RunError(string Type, string Message, string? Op, SourceLocation Source, long LastSeq)
{
    /// <summary>Longest message kept; longer ones are cut, so a huge message cannot make a huge record.</summary>
    public const int MaxMessageLength = 4096;

    /// <summary>One line for people: what, where and after which op.</summary>
    public string Describe()
    {
        var where = Source.IsKnown ? $" at {Source.File}:{Source.Line} in {Source.Member}" : string.Empty;
        var op = Op is null ? string.Empty : $" in {Op}";
        var after = LastSeq >= 0 ? $" (after op {LastSeq})" : " (before the first op)";
        return $"{Type}: {Message}{op}{where}{after}";
    }
}

/// <summary>The environment a log was recorded in.</summary>
public sealed record EnvironmentFingerprint(
    string Os,
    string Runtime,
    string Cpu,
    IReadOnlyList<string> Isa,
    int Processors,
    int Threads,
    string Backend,
    string Device,
    string DType,
    ulong Seed,
    IReadOnlyDictionary<string, string> Variables,
    string CommandLine);

/// <summary>The first record of a log.</summary>
public sealed record LogHeader(int Version, string ReproVersion, string Capture, EnvironmentFingerprint Environment)
{
    /// <summary>Where the header's line starts.</summary>
    public LogPosition Position { get; init; }
}
