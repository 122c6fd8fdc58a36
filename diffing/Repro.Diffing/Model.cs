using Repro.Engine;
using Repro.Recorder;

namespace Repro.Diffing;

/// <summary>How two runs are compared.</summary>
public enum DiffMode
{
    /// <summary>Bitwise when both runs were meant to be bit-identical (same dtype), numeric otherwise.</summary>
    Auto,

    /// <summary>Output hashes from the logs alone, no replay: the first op whose hash differs.</summary>
    Bitwise,

    /// <summary>Replay both runs in lockstep and compare every op's values against a tolerance.</summary>
    Numeric,
}

/// <summary>The overall answer.</summary>
public enum Verdict
{
    /// <summary>Every aligned op has the same output (bitwise) and the op sequences agree.</summary>
    Identical,

    /// <summary>Values differ, but every op is within tolerance (numeric mode).</summary>
    WithinTolerance,

    /// <summary>At least one op's output differs beyond tolerance.</summary>
    Diverged,
}

/// <summary>One aligned op's standing.</summary>
public enum OpStatus
{
    /// <summary>Same bits.</summary>
    Identical,

    /// <summary>Different values, within tolerance.</summary>
    WithinTolerance,

    /// <summary>Over tolerance (or a different hash in bitwise mode).</summary>
    Diverged,

    /// <summary>The op exists in run A only (the sequences differ here).</summary>
    OnlyInA,

    /// <summary>The op exists in run B only.</summary>
    OnlyInB,
}

/// <summary>Whether a diverged op made the error itself or received it.</summary>
public enum Cause
{
    /// <summary>Not diverged, or not classified.</summary>
    None,

    /// <summary>Its inputs agreed (or re-running it on B's backend and dtype with A's exact inputs reproduces the error).</summary>
    Origin,

    /// <summary>Its own error is within tolerance: the divergence came in through its inputs.</summary>
    Propagated,
}

/// <summary>Options of a diff.</summary>
public sealed record DiffOptions
{
    /// <summary>Comparison mode.</summary>
    public DiffMode Mode { get; init; } = DiffMode.Auto;

    /// <summary>Absolute tolerance overriding the derived one.</summary>
    public double? Atol { get; init; }

    /// <summary>Relative tolerance overriding the derived one.</summary>
    public double? Rtol { get; init; }

    /// <summary>Ulp tolerance overriding the derived one.</summary>
    public double? Ulp { get; init; }

    /// <summary>Ops kept on each side of the first divergence for the report's table.</summary>
    public int Context { get; init; } = 8;

    /// <summary>Ops scanned ahead in each run to re-align after a structural difference.</summary>
    public int AlignWindow { get; init; } = 512;

    /// <summary>Points kept for the error chart (longer runs are bucketed, keeping each bucket's worst op).</summary>
    public int ChartPoints { get; init; } = 2000;

    /// <summary>Called with (ops compared so far) now and then.</summary>
    public Action<long>? Progress { get; init; }

    /// <summary>True when any tolerance is given explicitly.</summary>
    public bool HasExplicitTolerance => Atol is not null || Rtol is not null || Ulp is not null;
}

/// <summary>One side of an aligned op.</summary>
/// <param name="Seq">Sequence number in that run.</param>
/// <param name="Output">The output as recorded (shape, dtype, hash, health).</param>
/// <param name="Backend">Backend it ran on.</param>
public sealed record OpSide(long Seq, TensorRecord Output, string Backend);

/// <summary>One op of the comparison (an aligned pair, or an op present in one run only).</summary>
public sealed record OpComparison
{
    /// <summary>Position in the alignment (0-based).</summary>
    public long Index { get; init; }

    /// <summary>Op name.</summary>
    public required string Op { get; init; }

    /// <summary>Forward or backward.</summary>
    public OpPhase Phase { get; init; }

    /// <summary>For a backward op, the forward op (run A's numbering) it belongs to.</summary>
    public long BackwardOf { get; init; } = -1;

    /// <summary>Where the user's code called it.</summary>
    public SourceLocation Source { get; init; }

    /// <summary>The module (layer) it ran in, in run A (in B for an op only in B); null when none was recorded.</summary>
    public OpModule? Module { get; init; }

    /// <summary>Run A's side (null when the op is only in B).</summary>
    public OpSide? A { get; init; }

    /// <summary>Run B's side (null when the op is only in A).</summary>
    public OpSide? B { get; init; }

    /// <summary>Standing.</summary>
    public OpStatus Status { get; init; }

    /// <summary>Origin or propagated, for diverged ops.</summary>
    public Cause Cause { get; init; }

    /// <summary>Error metrics (numeric mode).</summary>
    public ErrorMetrics? Metrics { get; init; }

    /// <summary>Tolerance applied (numeric mode).</summary>
    public Tolerance? Tolerance { get; init; }

    /// <summary>The op's own error when re-run on B's configuration with A's exact inputs (numeric mode, diverged ops).</summary>
    public ErrorMetrics? LocalMetrics { get; init; }

    /// <summary>Error relative to tolerance (0 identical, 1 at the limit; +Inf for a hash mismatch in bitwise mode).</summary>
    public double Score { get; init; }

    /// <summary>Run A's input health summaries (kept for the first divergence only).</summary>
    public IReadOnlyList<HealthSummary?>? InputHealthA { get; init; }

    /// <summary>Run B's input health summaries (kept for the first divergence only).</summary>
    public IReadOnlyList<HealthSummary?>? InputHealthB { get; init; }

    /// <summary>The logical thread of the op in run A (in run B for an op only in B); see <see cref="DiffResult.Threads"/>.</summary>
    public string Thread { get; init; } = LogFormat.MainThread;

    /// <summary>Run B's thread where it is paired with a thread of another id in A (unnamed threads, paired by content); null otherwise.</summary>
    public string? ThreadB { get; init; }
}

/// <summary>All aligned ops of one op at one source location: one test case in the JUnit report.</summary>
/// <param name="Op">Op name.</param>
/// <param name="Phase">Forward or backward.</param>
/// <param name="Source">Call site.</param>
/// <param name="Count">Aligned ops in the group.</param>
/// <param name="Diverged">Ops over tolerance.</param>
/// <param name="FirstDiverged">Alignment index of the first op over tolerance (-1 when none).</param>
/// <param name="WorstScore">Largest error relative to tolerance.</param>
public sealed record OpGroup(string Op, OpPhase Phase, SourceLocation Source, long Count, long Diverged, long FirstDiverged, double WorstScore)
{
    /// <summary>"matmul (backward) at model.cs:42 (Forward)".</summary>
    public string Name => $"{Op}{(Phase == OpPhase.Backward ? " (backward)" : string.Empty)} at {Source}{(Module is null ? string.Empty : $" in module {Module}")}";

    /// <summary>The module (layer) the group's ops ran in (groups are per module); null when none was recorded.</summary>
    public OpModule? Module { get; init; }

    /// <summary>The logical thread of the group's ops (groups are per thread).</summary>
    public string Thread { get; init; } = LogFormat.MainThread;
}

/// <summary>The first place where the op sequences themselves differ.</summary>
/// <param name="SeqA">Run A's op at that point (-1 at its end).</param>
/// <param name="SeqB">Run B's op at that point (-1 at its end).</param>
/// <param name="Description">What differs.</param>
/// <param name="SourceA">Run A's source location there.</param>
/// <param name="SourceB">Run B's source location there.</param>
public sealed record StructuralDifference(long SeqA, long SeqB, string Description, SourceLocation SourceA, SourceLocation SourceB)
{
    /// <summary>Run A's module there (null when none).</summary>
    public OpModule? ModuleA { get; init; }

    /// <summary>Run B's module there (null when none).</summary>
    public OpModule? ModuleB { get; init; }

    /// <summary>The logical thread where the sequences differ (run A's id).</summary>
    public string Thread { get; init; } = LogFormat.MainThread;
}

/// <summary>The first op that produced a NaN or an infinity, in either run.</summary>
/// <param name="Run">"A" or "B".</param>
/// <param name="Seq">The op's sequence number in that run.</param>
/// <param name="Op">Op name.</param>
/// <param name="Source">Where it was called.</param>
/// <param name="Output">Its output's health.</param>
/// <param name="Inputs">Its inputs' health, in order (null where not recorded).</param>
public sealed record NonFiniteOrigin(string Run, long Seq, string Op, SourceLocation Source, HealthSummary? Output, IReadOnlyList<HealthSummary?> Inputs)
{
    /// <summary>The module (layer) the op ran in (null when none).</summary>
    public OpModule? Module { get; init; }

    /// <summary>The op's logical thread in that run.</summary>
    public string Thread { get; init; } = LogFormat.MainThread;
}

/// <summary>
/// One or both logs are cut short (no end record, or an incomplete last line) and one run stops earlier than the
/// other: only the ops both runs have are compared, and the verdict speaks of them.
/// </summary>
/// <param name="TruncatedA">Run A's log is cut short.</param>
/// <param name="TruncatedB">Run B's log is cut short.</param>
/// <param name="LastSeqA">Run A's last complete op (-1 when none).</param>
/// <param name="LastSeqB">Run B's last complete op (-1 when none).</param>
/// <param name="NotComparedA">Ops of run A after the point where run B stops (not compared).</param>
/// <param name="NotComparedB">Ops of run B after the point where run A stops (not compared).</param>
public sealed record CommonPrefix(bool TruncatedA, bool TruncatedB, long LastSeqA, long LastSeqB, long NotComparedA, long NotComparedB);

/// <summary>A point of the error chart.</summary>
/// <param name="Index">Alignment index.</param>
/// <param name="Score">Error relative to tolerance (bitwise mode: 0 same, 1 different).</param>
/// <param name="MaxRel">Largest relative error (numeric mode).</param>
public readonly record struct ChartPoint(long Index, double Score, double MaxRel)
{
    /// <summary>The op at that point ("gt", with " (bwd)" for a backward op), for labels; null when not known.</summary>
    public string? Op { get; init; }
}

/// <summary>Everything a report needs.</summary>
public sealed record DiffResult
{
    /// <summary>Run A's path.</summary>
    public required string PathA { get; init; }

    /// <summary>Run B's path.</summary>
    public required string PathB { get; init; }

    /// <summary>Run A's header.</summary>
    public required LogHeader HeaderA { get; init; }

    /// <summary>Run B's header.</summary>
    public required LogHeader HeaderB { get; init; }

    /// <summary>The mode used (never Auto).</summary>
    public DiffMode Mode { get; init; }

    /// <summary>The answer.</summary>
    public Verdict Verdict { get; init; }

    /// <summary>Aligned ops compared.</summary>
    public long OpsCompared { get; init; }

    /// <summary>Ops over tolerance.</summary>
    public long OpsDiverged { get; init; }

    /// <summary>The first op over tolerance.</summary>
    public OpComparison? FirstDivergence { get; init; }

    /// <summary>For a propagated first divergence: the earliest op upstream of it where the error started to grow.</summary>
    public OpComparison? GrowthStart { get; init; }

    /// <summary>The first structural difference, if the sequences differ.</summary>
    public StructuralDifference? Structural { get; init; }

    /// <summary>The first op that made a NaN or infinity, in either run.</summary>
    public NonFiniteOrigin? NonFinite { get; init; }

    /// <summary>Ops around the first divergence (or the first ops when there is none).</summary>
    public IReadOnlyList<OpComparison> Context { get; init; } = [];

    /// <summary>Every op over tolerance, in order (the first 1000).</summary>
    public IReadOnlyList<OpComparison> DivergedOps { get; init; } = [];

    /// <summary>Aligned ops grouped by op, phase and call site, in order of first appearance.</summary>
    public IReadOnlyList<OpGroup> Groups { get; init; } = [];

    /// <summary>The error chart, at most <see cref="DiffOptions.ChartPoints"/> points.</summary>
    public IReadOnlyList<ChartPoint> Chart { get; init; } = [];

    /// <summary>For a 2-D first divergent output (numeric mode): |a - b| per element, row-major, at most 64 x 64 (bucketed by max).</summary>
    public double[,]? HeatMap { get; init; }

    /// <summary>Notes for the reader (truncated logs, skipped checks).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>
    /// The logical threads compared, one entry per pair ("worker-2", or "w#2 / w#3" where unnamed threads of other ids
    /// were paired by content), in order of their first op. Reports name an op's thread only when there are several.
    /// </summary>
    public IReadOnlyList<string> Threads { get; init; } = [LogFormat.MainThread];

    /// <summary>True when the runs have more than one logical thread.</summary>
    public bool MultiThreaded => Threads.Count > 1;

    /// <summary>Set when a log is cut short and the other run goes on: only the common prefix was compared.</summary>
    public CommonPrefix? Prefix { get; init; }

    /// <summary>Exit code for CI: 0 identical or within tolerance, 1 diverged.</summary>
    public int ExitCode => Verdict == Verdict.Diverged || Structural is not null ? 1 : 0;
}
