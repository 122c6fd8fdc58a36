using Repro.Engine;

namespace Repro.Hunt;

/// <summary>Options of a hunt.</summary>
public sealed record HuntOptions
{
    /// <summary>The program to run: its file and arguments (e.g. dotnet app.dll --epochs 1).</summary>
    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>The conditions to vary (default: all).</summary>
    public IReadOnlyList<HuntCondition> Vary { get; init; } = HuntConditions.All;

    /// <summary>Runs in all, the baseline included (default: <see cref="HuntPlanner.DefaultRuns"/>).</summary>
    public int? Runs { get; init; }

    /// <summary>Drives every choice of an alternative after the first.</summary>
    public ulong Seed { get; init; }

    /// <summary>The folder for the runs' logs and output.</summary>
    public required string OutDir { get; init; }

    /// <summary>Replace the logs of an earlier hunt in <see cref="OutDir"/>.</summary>
    public bool Force { get; init; }

    /// <summary>Stop starting runs (and stop a run in progress) once this much time has passed.</summary>
    public TimeSpan? Budget { get; init; }

    /// <summary>Called after each run: (runs done, runs planned, how the run ended).</summary>
    public Action<int, int, RunOutcome>? Progress { get; init; }
}

/// <summary>What kind of difference a finding is.</summary>
public enum DifferenceClass
{
    /// <summary>The same values in another order.</summary>
    Order,

    /// <summary>Values that differ in their last bits only (at most 4096 ulps apart): rounding, as from another summation order.</summary>
    LastBits,

    /// <summary>Values that differ by more.</summary>
    Values,

    /// <summary>The op sequences differ: another branch, another number of ops.</summary>
    Sequence,

    /// <summary>The run ended otherwise: an exception, another exit code.</summary>
    Outcome,

    /// <summary>The run left no log.</summary>
    NoLog,
}

/// <summary>What makes a finding change.</summary>
public enum Attribution
{
    /// <summary>It changed between runs under identical conditions.</summary>
    RunToRun,

    /// <summary>It changed when one of the named conditions changed alone (and never under identical conditions).</summary>
    Conditions,

    /// <summary>It changed only when conditions changed together.</summary>
    CombinedOnly,
}

/// <summary>How the elements of the first differing op's output differ (from the values in the logs).</summary>
/// <param name="Elements">Elements in the output.</param>
/// <param name="Differing">Elements whose value differs.</param>
/// <param name="SameMultiset">True when both runs hold the same values in another order; null when not known (an output not stored by value).</param>
/// <param name="MaxUlp">Largest distance between an element and its counterpart, in units in the last place of the dtype.</param>
public sealed record ElementDifference(long Elements, long Differing, bool? SameMultiset, double MaxUlp);

/// <summary>One kind of difference: every op at one call site that differed in some run, with what made it change.</summary>
public sealed record HuntKind
{
    /// <summary>1, 2, ... in the report's order.</summary>
    public int Id { get; init; }

    /// <summary>The class of the difference (from its first occurrence).</summary>
    public DifferenceClass Class { get; init; }

    /// <summary>The op (null for outcomes and missing logs).</summary>
    public string? Op { get; init; }

    /// <summary>True when the op is a leaf: its values came from the program (Tensor.FromArray and friends).</summary>
    public bool Leaf { get; init; }

    /// <summary>Forward or backward.</summary>
    public OpPhase Phase { get; init; }

    /// <summary>The user's source line where the value entered the engine (or where the run failed).</summary>
    public SourceLocation Source { get; init; }

    /// <summary>The op's logical thread.</summary>
    public string Thread { get; init; } = "main";

    /// <summary>The op's sequence number in the baseline (-1 when there is none).</summary>
    public long FirstSeq { get; init; } = -1;

    /// <summary>One line: what differs.</summary>
    public required string What { get; init; }

    /// <summary>Ops at this site that made a difference of their own (origins) in the first run where it showed.</summary>
    public long Ops { get; init; }

    /// <summary>How the elements differ (value kinds).</summary>
    public ElementDifference? Elements { get; init; }

    /// <summary>The runs where it showed, in order.</summary>
    public required IReadOnlyList<int> Runs { get; init; }

    /// <summary>What makes it change.</summary>
    public Attribution Attribution { get; init; }

    /// <summary>The conditions whose single-change runs showed it (catalog order).</summary>
    public IReadOnlyList<string> Conditions { get; init; } = [];

    /// <summary>The likely cause, one sentence.</summary>
    public required string Cause { get; init; }

    /// <summary>The analyzer rules that flag such code (Repro's RPRxxxx, or .NET's CAxxxx where Repro has none).</summary>
    public required IReadOnlyList<string> Rules { get; init; }
}

/// <summary>A hunt's result.</summary>
public sealed record HuntResult
{
    /// <summary>The program as run.</summary>
    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>The seed.</summary>
    public ulong Seed { get; init; }

    /// <summary>The conditions varied.</summary>
    public required IReadOnlyList<string> Vary { get; init; }

    /// <summary>The logs' folder, as given.</summary>
    public required string OutDir { get; init; }

    /// <summary>Runs planned.</summary>
    public int Planned { get; init; }

    /// <summary>The runs done, the baseline first.</summary>
    public required IReadOnlyList<RunOutcome> Runs { get; init; }

    /// <summary>Every kind of difference, in the order of the baseline's ops.</summary>
    public required IReadOnlyList<HuntKind> Kinds { get; init; }

    /// <summary>Notes: conditions not tried, a budget that ran out, a baseline that failed.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>True when every run agreed with the baseline.</summary>
    public bool Identical => Kinds.Count == 0;

    /// <summary>0 when identical, 1 when a divergence was found.</summary>
    public int ExitCode => Identical ? 0 : 1;

    /// <summary>The log of run <paramref name="index"/>, as the report names it.</summary>
    public string LogOf(int index) => Path.Combine(OutDir, Runs[index].Run.LogName);
}
