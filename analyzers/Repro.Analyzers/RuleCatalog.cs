using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace Repro.Analyzers;

/// <summary>Every rule's metadata in one table: id, title, message, category, severity, help link.</summary>
public static class RuleCatalog
{
    /// <summary>
    /// Where the rule pages live: the help link of rule X is <c>HelpRoot + "X.md"</c>. Set through the
    /// <c>RepositoryUrl</c> (or <c>ReproRuleHelpRoot</c>) MSBuild property in Directory.Build.props; see docs/analyzers.md.
    /// </summary>
    public const string HelpRoot = RuleHelp.Root;

    public const string Randomness = "Reproducibility.Randomness";
    public const string Ordering = "Reproducibility.Ordering";
    public const string FloatingPoint = "Reproducibility.FloatingPoint";
    public const string TimeAndEnvironment = "Reproducibility.TimeAndEnvironment";
    public const string Gpu = "Reproducibility.Gpu";

    /// <summary>Findings that are true but harmless for results (a random UI colour): one category a project can turn down.</summary>
    public const string Cosmetic = "Reproducibility.Cosmetic";

    /// <summary>The reproducibility switches of .NET machine-learning libraries (ML.NET, TorchSharp, ONNX Runtime).</summary>
    public const string MachineLearning = "Reproducibility.MachineLearning";

    public static readonly DiagnosticDescriptor UnseededRandom = Rule(
        "RPR1001", "Random number generator without a seed",
        "'{0}' is seeded from a per-process source, so every run draws different numbers; pass an explicit seed",
        Randomness);

    public static readonly DiagnosticDescriptor VolatileSeed = Rule(
        "RPR1002", "Seed that changes on every run",
        "The seed comes from '{0}', which differs on every run or thread; derive the seed from configuration instead",
        Randomness);

    public static readonly DiagnosticDescriptor PerThreadRandom = Rule(
        "RPR1003", "Random generator created per thread",
        "'new Random(...)' inside '{0}' gives each thread its own stream, and which items a thread handles changes from run to run; derive a seed per item instead",
        Randomness);

    public static readonly DiagnosticDescriptor RandomSortKey = Rule(
        "RPR1004", "Sorting by a random key used as a shuffle",
        "'{0}' with a key from '{1}' is not a reproducible shuffle: the keys change per run or depend on how the sort calls the selector; use a seeded Fisher-Yates shuffle",
        Randomness);

    public static readonly DiagnosticDescriptor PerProcessHash = Rule(
        "RPR1005", "Per-process string hash used for a persisted or derived value",
        "'{0}' is randomized per process, so the {1} it feeds changes on every run; use a stable hash",
        Randomness);

    public static readonly DiagnosticDescriptor CosmeticRandom = Rule(
        "RPR1006", "Unseeded random generator for a cosmetic value",
        "'{0}' is seeded per process; the name '{1}' says it picks a cosmetic or timing value, which is harmless unless that value feeds results",
        Cosmetic, DiagnosticSeverity.Info);

    public static readonly DiagnosticDescriptor UnseededMLContext = Rule(
        "RPR1007", "ML.NET context without a seed",
        "'{0}' without a seed makes ML.NET's shuffling, sampling and initialization differ on every run; pass a seed",
        MachineLearning);

    public static readonly DiagnosticDescriptor UnseededDataLoaderShuffle = Rule(
        "RPR1008", "TorchSharp DataLoader shuffles without a seed",
        "'{0}' shuffles with a generator seeded per process, so every run sees the batches in another order; pass a seed",
        MachineLearning);

    public static readonly DiagnosticDescriptor SharedRandomInParallel = Rule(
        "RPR1009", "Random generator shared by parallel workers",
        "'{0}' is drawn from inside '{1}' workers, so which numbers each item gets depends on scheduling (and System.Random is not thread-safe); derive a generator per item from the seed and the item's index",
        Randomness);

    public static readonly DiagnosticDescriptor ParallelFloatAccumulation = Rule(
        "RPR2001", "Floating-point accumulation into shared state inside a parallel loop",
        "'{0}' adds to the shared '{1}' from '{2}' workers; the order of the additions depends on scheduling and float addition is not associative; reduce per-partition results in a fixed order",
        Ordering);

    public static readonly DiagnosticDescriptor FloatCompareExchangeLoop = Rule(
        "RPR2002", "Floating-point add through an Interlocked.CompareExchange loop",
        "'Interlocked.CompareExchange' on '{0}' in a retry loop adds in whatever order threads win the race; float addition is not associative, so the total changes per run",
        Ordering);

    public static readonly DiagnosticDescriptor PlinqFloatReduction = Rule(
        "RPR2003", "PLINQ floating-point reduction",
        "PLINQ '{0}' over '{1}' combines partial results in a scheduling-dependent grouping; float addition is not associative; reduce sequentially or in fixed chunks",
        Ordering);

    public static readonly DiagnosticDescriptor CompletionOrder = Rule(
        "RPR2004", "Results collected in task completion order",
        "'{0}' yields tasks in the order they finish, which changes from run to run; await the tasks in their original order",
        Ordering);

    public static readonly DiagnosticDescriptor ConcurrentCollectionOrder = Rule(
        "RPR2005", "Concurrent collection filled in parallel is enumerated",
        "'{0}' is filled from parallel workers, so its enumeration order changes from run to run; store results by index or sort them before use",
        Ordering);

    public static readonly DiagnosticDescriptor UnorderedCollectionEnumeration = Rule(
        "RPR2006", "Enumeration of a collection with unspecified order",
        "Enumerating '{0}' has no specified order (it follows hash buckets and insertion history); order the items before they feed results",
        Ordering);

    public static readonly DiagnosticDescriptor UnorderedDirectoryEnumeration = Rule(
        "RPR2007", "File-system enumeration without ordering",
        "'{0}' returns entries in file-system order, which differs between machines and file systems; order them with an ordinal comparer",
        Ordering);

    public static readonly DiagnosticDescriptor HardwareVectorWidth = Rule(
        "RPR3001", "Reduction width taken from Vector<T>.Count",
        "'{0}' is {1} lanes depending on the CPU, and this method reduces floats in lane-sized blocks, so the summation order and result differ between machines; use a fixed-width vector type",
        FloatingPoint);

    public static readonly DiagnosticDescriptor HardwareBranch = Rule(
        "RPR3002", "Hardware-acceleration branch changes float summation order",
        "The branch on '{0}' selects a different float summation order on different CPUs; make both paths add in the same order",
        FloatingPoint);

    public static readonly DiagnosticDescriptor EstimateApi = Rule(
        "RPR3003", "Hardware estimate instruction",
        "'{0}' returns a hardware-specific approximation that differs between CPU vendors and generations; use the exact operation",
        FloatingPoint);

    public static readonly DiagnosticDescriptor FmaBranch = Rule(
        "RPR3004", "Branch on fused multiply-add support",
        "The branch on '{0}' rounds once on CPUs with FMA and twice on others; call Math.FusedMultiplyAdd unconditionally or never",
        FloatingPoint);

    public static readonly DiagnosticDescriptor TensorPrimitivesInBitExactCode = Rule(
        "RPR3005", "TensorPrimitives operation in bit-exact code",
        "'TensorPrimitives.{0}' is documented to give results that vary by OS and architecture, but this code is marked bit-exact; use a fixed-order implementation",
        FloatingPoint);

    public static readonly DiagnosticDescriptor TranscendentalInBitExactCode = Rule(
        "RPR3006", "C-runtime transcendental in bit-exact code",
        "'{0}' is computed by the platform's C runtime, whose last-bit results differ between operating systems, but this code is marked bit-exact",
        FloatingPoint, DiagnosticSeverity.Info);

    public static readonly DiagnosticDescriptor WallClockInComputation = Rule(
        "RPR4001", "Wall-clock time used in a computation",
        "'{0}' feeds {1}, so the outcome depends on when and how fast the code runs; pass time in as data or count steps instead",
        TimeAndEnvironment);

    public static readonly DiagnosticDescriptor StopwatchControlFlow = Rule(
        "RPR4002", "Stopwatch decides control flow",
        "'{0}' decides {1}, so the amount of work done depends on machine speed and load; bound the loop by a step count",
        TimeAndEnvironment);

    public static readonly DiagnosticDescriptor ProcessorCountDependence = Rule(
        "RPR4003", "Result shaped by Environment.ProcessorCount",
        "'Environment.ProcessorCount' sets {0}, so the partition of the work, and the order floats are combined in, differs between machines; use a fixed count",
        TimeAndEnvironment);

    public static readonly DiagnosticDescriptor LocalTimeZone = Rule(
        "RPR4004", "Conversion through the machine's local time zone",
        "'{0}' depends on the machine's time-zone settings, so the same input gives different times on other machines; use UTC or name the time zone",
        TimeAndEnvironment);

    public static readonly DiagnosticDescriptor OnnxThreadCount = Rule(
        "RPR4005", "ONNX Runtime session with a machine-dependent thread count",
        "'{0}' runs with as many intra-op threads as the machine has cores; ONNX Runtime does not promise the same results across thread counts, so set SessionOptions.IntraOpNumThreads",
        MachineLearning, DiagnosticSeverity.Info);

    public static readonly DiagnosticDescriptor KernelFloatAtomicAdd = Rule(
        "RPR5001", "Floating-point atomic add in a GPU kernel",
        "'Atomic.Add' on '{0}' in a kernel adds in the order threads arrive, which changes per launch; write partial sums to slots and reduce them in a fixed order",
        Gpu);

    public static readonly DiagnosticDescriptor KernelTranscendental = Rule(
        "RPR5002", "Approximate transcendental in a GPU kernel",
        "'{0}' in a kernel is computed by approximate GPU instructions whose results differ from the CPU and between GPU architectures",
        Gpu);

    public static readonly DiagnosticDescriptor KernelImplicitFma = Rule(
        "RPR5003", "Multiply-add that the GPU compiler may fuse",
        "'{0}' on {1} in a kernel may be contracted into a fused multiply-add by the GPU assembler, so it rounds differently from the CPU; write the fused multiply-add explicitly",
        Gpu);

    public static ImmutableArray<DiagnosticDescriptor> All { get; } = ImmutableArray.Create(
        UnseededRandom, VolatileSeed, PerThreadRandom, RandomSortKey, PerProcessHash, CosmeticRandom, UnseededMLContext,
        UnseededDataLoaderShuffle, SharedRandomInParallel,
        ParallelFloatAccumulation, FloatCompareExchangeLoop, PlinqFloatReduction, CompletionOrder,
        ConcurrentCollectionOrder, UnorderedCollectionEnumeration, UnorderedDirectoryEnumeration,
        HardwareVectorWidth, HardwareBranch, EstimateApi, FmaBranch, TensorPrimitivesInBitExactCode,
        TranscendentalInBitExactCode, WallClockInComputation, StopwatchControlFlow, ProcessorCountDependence, LocalTimeZone,
        OnnxThreadCount,
        KernelFloatAtomicAdd, KernelTranscendental, KernelImplicitFma);

    private static DiagnosticDescriptor Rule(
        string id, string title, string message, string category,
        DiagnosticSeverity severity = DiagnosticSeverity.Warning)
    {
        return new DiagnosticDescriptor(
            id, title, message, category, severity, isEnabledByDefault: true,
            description: title + ". See the rule page for an example and when to suppress it.",
            helpLinkUri: HelpRoot + id + ".md");
    }
}
