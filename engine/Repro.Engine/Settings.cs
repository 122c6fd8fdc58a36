using Repro.Engine.Backends;

namespace Repro.Engine;

/// <summary>
/// Engine-wide settings, each readable from an environment variable at start-up and overridable by a scope.
/// None of them changes any result: they only choose how fast and where the work runs.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>REPRO_THREADS</term><description>worker threads for CPU kernels (default: all cores; 1 to <see cref="Settings.MaxThreads"/>, other values are ignored).</description></item>
/// <item><term>REPRO_BACKEND</term><description>default backend for new tensors ("managed", "reference", or a registered one).</description></item>
/// <item><term>REPRO_SPLIT_UNITS</term><description>the least work (cost units) worth a thread of its own when kernels split over threads (default 65536; only for calibrating a machine: never changes a result).</description></item>
/// <item><term>REPRO_SEED</term><description>seed of the default random generator (default 0).</description></item>
/// </list>
/// </remarks>
public static class Settings
{
    private static readonly AsyncLocal<int?> ThreadsOverride = new();
    private static readonly AsyncLocal<Backend?> BackendOverride = new();
    private static readonly Dictionary<string, Func<Backend>> Factories = new(StringComparer.OrdinalIgnoreCase)
    {
        ["managed"] = () => ManagedBackend.Instance,
        ["reference"] = () => ReferenceBackend.Instance,
    };

    private static readonly int? EnvironmentThreads = ThreadsFromEnvironment();
    private static int globalThreads = EnvironmentThreads ?? Environment.ProcessorCount; // Only how many threads run: Parallelism.For items depend on the item alone, never on the split.
    private static bool threadsChosen = EnvironmentThreads is not null;
    private static Backend? globalBackend;

    /// <summary>
    /// The most worker threads a thread count may name: more than any machine's cores today, few enough that a typo
    /// (100000) is an error instead of a hundred thousand threads.
    /// </summary>
    public const int MaxThreads = 1024;

    /// <summary>Worker threads CPU kernels may use (1 to <see cref="MaxThreads"/>). Results never depend on it.</summary>
    public static int Threads
    {
        get => ThreadsOverride.Value ?? globalThreads;
        set
        {
            globalThreads = CheckThreads(value);
            threadsChosen = true;
        }
    }

    /// <summary>
    /// True while <see cref="Threads"/> is the machine's default (all cores): nobody set it, through REPRO_THREADS, the
    /// setter or a <see cref="UseThreads"/> scope on this async flow. Tools that need a core for themselves (the
    /// recorder's writer) take one only then.
    /// </summary>
    public static bool ThreadsAreDefault => ThreadsOverride.Value is null && !threadsChosen;

    /// <summary>The backend new tensors are created on.</summary>
    public static Backend DefaultBackend
    {
        get => BackendOverride.Value ?? (globalBackend ??= ResolveInitialBackend());
        set => globalBackend = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Names of the registered backends.</summary>
    public static IReadOnlyList<string> BackendNames
    {
        get
        {
            lock (Factories)
            {
                return [.. Factories.Keys.Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>Runs the enclosed code (on this async flow) with the given thread count.</summary>
    public static IDisposable UseThreads(int threads)
    {
        var previous = ThreadsOverride.Value;
        ThreadsOverride.Value = CheckThreads(threads);
        return new Restore(() => ThreadsOverride.Value = previous);
    }

    /// <summary>Runs the enclosed code (on this async flow) with the given default backend.</summary>
    public static IDisposable UseBackend(Backend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var previous = BackendOverride.Value;
        BackendOverride.Value = backend;
        return new Restore(() => BackendOverride.Value = previous);
    }

    /// <summary>Registers a backend by name (used by optional backend packages such as ILGPU).</summary>
    public static void RegisterBackend(string name, Func<Backend> factory)
    {
        lock (Factories)
        {
            Factories[name] = factory;
        }
    }

    /// <summary>Looks a backend up by name; the error lists the registered names.</summary>
    public static Backend GetBackend(string name)
    {
        Func<Backend>? factory;
        lock (Factories)
        {
            Factories.TryGetValue(name, out factory);
        }

        return factory is null
            ? throw new ArgumentException($"unknown backend '{name}': expected one of {string.Join(", ", BackendNames)}", nameof(name))
            : factory();
    }

    private static Backend ResolveInitialBackend()
    {
        var name = Environment.GetEnvironmentVariable("REPRO_BACKEND");
        return string.IsNullOrWhiteSpace(name) ? ManagedBackend.Instance : GetBackend(name.Trim());
    }

    /// <summary>REPRO_THREADS when it holds a count from 1 to <see cref="MaxThreads"/>; otherwise null, and the default is all cores.</summary>
    private static int? ThreadsFromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable("REPRO_THREADS");
        return !string.IsNullOrWhiteSpace(text)
            && int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int n)
            && n is >= 1 and <= MaxThreads
            ? n
            : null;
    }

    private static int CheckThreads(int threads) =>
        threads is >= 1 and <= MaxThreads ? threads : throw new ArgumentOutOfRangeException(nameof(threads), threads, $"thread count must be 1 to {MaxThreads}");

    private sealed class Restore(Action restore) : IDisposable
    {
        private Action? restore = restore;

        public void Dispose()
        {
            restore?.Invoke();
            restore = null;
        }
    }
}

/// <summary>
/// Runs independent work items on the configured number of threads, splitting by cost: each kernel states the cost
/// of one item in cost units (the op table's per-element cost times elements; 1 unit is about one float32 add of one
/// element, a quarter of a nanosecond here), and a range only gets its own thread when it holds at least
/// <see cref="MinUnitsPerThread"/> units, the least work that pays for handing a range to another thread on this
/// machine. Small ops therefore stay on the calling thread, and big ones use every thread.
/// </summary>
internal static class Parallelism
{
    // The least work, in cost units, worth a thread of its own: 64K units (about 16 us of one core's work here), from
    // the kernels and training benchmarks on the 2-vCPU AMD EPYC (Zen 5) machine, where waking a pool thread and
    // joining it costs 5 to 15 us. REPRO_SPLIT_UNITS overrides it (for calibrating another machine); it never
    // changes a result, only how many threads share the work.
    private static readonly long DefaultMinUnits = UnitsFromEnvironment() ?? 65_536;
    private static readonly AsyncLocal<long?> MinUnitsOverride = new();

    /// <summary>The least work, in cost units, that gets a thread of its own (see the class remarks).</summary>
    public static long MinUnitsPerThread => MinUnitsOverride.Value ?? DefaultMinUnits;

    /// <summary>Sets <see cref="MinUnitsPerThread"/> on this async flow until disposed (tests vary the split with it).</summary>
    public static IDisposable UseMinUnitsPerThread(long units)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(units);
        var previous = MinUnitsOverride.Value;
        MinUnitsOverride.Value = units;
        return new Scope(() => MinUnitsOverride.Value = previous);
    }

    /// <summary>
    /// Calls <paramref name="body"/>(start, end) over [0, count) split into contiguous ranges. Each item's result
    /// must depend only on the item, so the split (which depends on the thread count and the costs) never shows in
    /// the output.
    /// </summary>
    public static void For(int count, long costPerItem, Action<int, int> body)
    {
        if (count <= 0)
        {
            return;
        }

        int parts = Parts(count, costPerItem, Settings.Threads);
        if (parts <= 1)
        {
            body(0, count);
            return;
        }

        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Min(parts, Settings.Threads) };
        Parallel.For(0, parts, options, p =>
        {
            int start = (int)((long)count * p / parts);
            int end = (int)((long)count * (p + 1) / parts);
            if (end > start)
            {
                body(start, end);
            }
        });
    }

    /// <summary>
    /// How many ranges <see cref="For"/> cuts: 1 while the whole job is under two threads' minimum; otherwise as many
    /// as the threads that each get at least the minimum, and up to 4 per thread (so a thread slowed by the host
    /// does not hold up the rest) when there is that much work.
    /// </summary>
    internal static int Parts(int count, long costPerItem, int threads)
    {
        long total = count * Math.Max(costPerItem, 1);
        if (threads <= 1 || count <= 1 || total < 2 * MinUnitsPerThread)
        {
            return 1;
        }

        long byWork = total / MinUnitsPerThread;
        long useful = Math.Min(threads, byWork);
        long parts = byWork >= 4L * threads ? 4L * threads : useful;
        return (int)Math.Min(count, parts);
    }

    private sealed class Scope(Action restore) : IDisposable
    {
        private Action? restore = restore;

        public void Dispose()
        {
            restore?.Invoke();
            restore = null;
        }
    }

    private static long? UnitsFromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable("REPRO_SPLIT_UNITS");
        return long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long n) && n >= 1 ? n : null;
    }
}
