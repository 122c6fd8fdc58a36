using System.Globalization;
using Repro.Diffing;
using Repro.Engine;
using Repro.Recorder;

namespace Repro.Hunt;

/// <summary>
/// <c>repro hunt</c>: runs a program many times, each recorded, changing one condition at a time and then all
/// together, and repeating it under identical conditions; diffs every run against the first; and names each kind
/// of difference with the source line where the value entered the engine, the condition that changes it, and the
/// likely cause with the analyzer rule that flags it.
/// </summary>
public static class Hunter
{
    /// <summary>Largest distance in ulps that still counts as a difference in the last bits.</summary>
    public const double LastBitsUlps = 4096;

    /// <summary>Runs the hunt.</summary>
    /// <exception cref="ArgumentException">Bad options, a program that cannot start, or a baseline run that left no log.</exception>
    public static HuntResult Hunt(HuntOptions options)
    {
        if (options.Command.Count == 0)
        {
            throw new ArgumentException("missing command: give the program after --, e.g. repro hunt -- dotnet app.dll");
        }

        if (options.Runs is < 2)
        {
            throw new ArgumentException($"--runs {options.Runs}: expected at least 2 (the baseline and one run to compare with it)");
        }

        var outDir = Path.GetFullPath(options.OutDir);
        if (File.Exists(outDir))
        {
            throw new ArgumentException($"--out {options.OutDir}: a file is there, expected a folder");
        }

        if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any() && !options.Force)
        {
            throw new ArgumentException($"--out {options.OutDir}: the folder is not empty; pass --force to replace an earlier hunt's logs there");
        }

        Directory.CreateDirectory(outDir);
        var command = Resolve(options.Command);
        var cwd = Environment.CurrentDirectory;
        DateTime? deadline = options.Budget is { } b ? DateTime.UtcNow + b : null;
        var notes = new List<string>();

        var baseline = HuntRunner.Execute(new PlannedRun(0, RunRole.Baseline, []), command, outDir, options.Force, cwd, deadline);
        if (baseline.Log is null)
        {
            throw new ArgumentException($"the program ran (exit code {baseline.ExitCode}) but wrote no log: is it a .NET program that uses the Repro engine? (its output is in {Path.Combine(options.OutDir, "00-baseline.stderr.txt")})");
        }

        if (baseline.StoppedByBudget)
        {
            throw new ArgumentException($"--budget: the baseline run did not finish within {options.Budget}");
        }

        if (baseline.Status != EndStatus.Complete || baseline.ExitCode != 0)
        {
            notes.Add($"the baseline run did not complete (exit code {baseline.ExitCode}, status {baseline.Status ?? "none"}): runs are compared on the ops they share with it");
        }

        EnvironmentFingerprint env;
        using (var r = LogReader.Open(baseline.Log))
        {
            env = r.Header.Environment;
            if (!r.Ops().Any())
            {
                throw new ArgumentException($"the program ran (exit code {baseline.ExitCode}) but its log holds no op: is it a .NET program that uses the Repro engine?");
            }
        }

        var facts = new BaselineFacts(env.Threads, env.Processors, env.Isa, TimeZoneInfo.Local.Id, z => TimeZoneInfo.TryFindSystemTimeZoneById(z, out _))
        {
            Culture = HuntConditions.InheritedLocale(Environment.GetEnvironmentVariable),
        };
        foreach (var c in options.Vary.Where(c => !c.IsRepeat && c.Alternatives(facts).Count == 0))
        {
            notes.Add($"not varied: {c.Name} (no setting here differs from the baseline's)");
        }

        int total = options.Runs ?? HuntPlanner.DefaultRuns(options.Vary, facts);
        var plan = HuntPlanner.Plan(options.Vary, facts, total, options.Seed);
        foreach (var c in options.Vary.Where(c => (c.Alternatives(facts).Count > 0 || c.IsRepeat) && !plan.Any(p => p.Changes.Any(v => v.Condition == c.Name) || (c.IsRepeat && p.Role == RunRole.Repeat))))
        {
            notes.Add($"not varied: {c.Name} (--runs {total} leaves no run for it)");
        }

        var outcomes = new List<RunOutcome> { baseline };
        options.Progress?.Invoke(1, plan.Count, baseline);
        foreach (var run in plan.Skip(1))
        {
#pragma warning disable RPR4001 // The budget is wall-clock time by definition (documented: it makes the number of runs depend on speed).
            if (deadline is { } d && DateTime.UtcNow >= d)
#pragma warning restore RPR4001
            {
                notes.Add($"the budget ran out: {outcomes.Count} of {plan.Count} runs done");
                break;
            }

            var outcome = HuntRunner.Execute(run, command, outDir, options.Force, cwd, deadline);
            outcomes.Add(outcome);
            if (outcome.StoppedByBudget)
            {
                notes.Add($"the budget ran out during run {run.Index}, which was stopped and is not compared");
            }

            options.Progress?.Invoke(outcomes.Count, plan.Count, outcome);
        }

        return new HuntResult
        {
            Command = command,
            Seed = options.Seed,
            Vary = [.. options.Vary.Select(c => c.Name)],
            OutDir = options.OutDir,
            Planned = plan.Count,
            Runs = outcomes,
            Kinds = Analyze(outcomes),
            Notes = notes,
        };
    }

    /// <summary>Compares every run with the first and groups what differs into kinds.</summary>
    public static IReadOnlyList<HuntKind> Analyze(IReadOnlyList<RunOutcome> runs)
    {
        var baseline = runs[0];
        var found = new Dictionary<string, Builder>(StringComparer.Ordinal);
        Builder Get(string key, Func<Builder> create)
        {
            if (!found.TryGetValue(key, out var b))
            {
                b = create();
                found[key] = b;
            }

            return b;
        }

        foreach (var run in runs.Skip(1))
        {
            int index = run.Run.Index;
            if (run.Log is null)
            {
                Get("nolog", () => new Builder(DifferenceClass.NoLog, $"the run left no log (program exit code {run.ExitCode})", SourceLocation.Unknown)).Runs.Add(index);
                continue;
            }

            if (!run.Comparable)
            {
                continue;
            }

            if (run.Status != baseline.Status || run.ExitCode != baseline.ExitCode)
            {
                var src = run.Error?.Source ?? SourceLocation.Unknown;
                string what = run.Error is { } e
                    ? $"the run ended by {e.Describe()} (the baseline: {baseline.Status ?? "no end record"}, exit code {baseline.ExitCode})"
                    : $"the run ended with status {run.Status ?? "none"} and exit code {run.ExitCode} (the baseline: {baseline.Status ?? "none"}, exit code {baseline.ExitCode})";
                Get($"outcome|{run.Status}|{run.Error?.Type}|{src.File}|{src.Line}|{run.ExitCode}", () => new Builder(DifferenceClass.Outcome, what, src)).Runs.Add(index);
            }

            var diff = Differ.Run(baseline.Log!, run.Log, new DiffOptions { Mode = DiffMode.Bitwise });
            DiffResult? numeric = null;
            var origins = diff.DivergedOps.Where(o => o.Cause == Cause.Origin).ToList();
            if (origins.Count == 0 && diff.FirstDivergence is { } first)
            {
                origins.Add(first);
            }

            foreach (var site in origins.GroupBy(o => $"value|{o.Op}|{o.Phase}|{o.Source.File}|{o.Source.Line}|{o.Source.Member}|{o.Thread}", StringComparer.Ordinal))
            {
                var op = site.First();
                var b = Get(site.Key, () =>
                {
                    var elements = Elements(baseline.Log!, run.Log, op, () => numeric ??= Differ.Run(baseline.Log!, run.Log, new DiffOptions { Mode = DiffMode.Numeric }));
                    var cls = elements is null ? DifferenceClass.Values
                        : elements.SameMultiset == true ? DifferenceClass.Order
                        : elements.MaxUlp <= LastBitsUlps ? DifferenceClass.LastBits
                        : DifferenceClass.Values;
                    bool leaf = OpTable.Get(op.Op).HostData;
                    return new Builder(cls, Describe(cls, leaf, op.Op), op.Source)
                    {
                        Op = op.Op,
                        Leaf = leaf,
                        Phase = op.Phase,
                        Thread = op.Thread,
                        FirstSeq = op.A?.Seq ?? -1,
                        Elements = elements,
                        Ops = site.LongCount(),
                    };
                });
                b.Runs.Add(index);
            }

            if (diff.Structural is { } s)
            {
                Get($"sequence|{s.SourceA.File}|{s.SourceA.Line}|{s.SourceB.File}|{s.SourceB.Line}|{s.Thread}", () => new Builder(DifferenceClass.Sequence, "the op sequences differ: " + s.Description, s.SourceB.IsKnown ? s.SourceB : s.SourceA)
                {
                    FirstSeq = s.SeqA,
                    Thread = s.Thread,
                }).Runs.Add(index);
            }
        }

        var roles = runs.ToDictionary(r => r.Run.Index, r => r.Run);
        return [.. found.Values
            .OrderBy(b => b.Class switch { DifferenceClass.Outcome => 1, DifferenceClass.NoLog => 2, _ => 0 })
            .ThenBy(b => b.FirstSeq < 0 ? long.MaxValue : b.FirstSeq)
            .ThenBy(b => b.Source.File, StringComparer.Ordinal)
            .ThenBy(b => b.Source.Line)
            .ThenBy(b => b.What, StringComparer.Ordinal)
            .Select((b, i) => b.Build(i + 1, roles))];
    }

    /// <summary>The likely cause of a difference of class <paramref name="cls"/> that changes as <paramref name="attribution"/> says, and the rules that flag it.</summary>
    public static (string Cause, IReadOnlyList<string> Rules) Explain(DifferenceClass cls, Attribution attribution, IReadOnlyList<string> conditions)
    {
        if (attribution == Attribution.RunToRun)
        {
            return cls switch
            {
                DifferenceClass.Order => ("the same values in another order on every run: enumeration of a hash-ordered collection (Hashtable, ConcurrentDictionary, a set or sort keyed by string hashes, which .NET randomizes per process) or an unseeded shuffle", ["RPR2006", "RPR1005", "RPR1004", "RPR2005"]),
                DifferenceClass.LastBits => ("last-bit differences from run to run: a parallel floating-point reduction whose order follows the scheduler (partial sums added as threads finish, Interlocked or PLINQ sums)", ["RPR2001", "RPR2002", "RPR2003", "RPR2004"]),
                DifferenceClass.Values => ("values that change on every run: an unseeded random generator (perhaps behind reflection or in a library), a seed taken from the clock, or a per-process string hash", ["RPR1001", "RPR1002", "RPR1005", "RPR4001"]),
                _ => ("control flow that changes from run to run: a branch on random numbers, the clock, a stopwatch or the order in which tasks finish", ["RPR1001", "RPR4001", "RPR4002", "RPR2004"]),
            };
        }

        if (attribution == Attribution.CombinedOnly)
        {
            return ("an interaction: it changed only when the conditions changed together (try pairs of them)", []);
        }

        var causes = new List<string>();
        var rules = new List<string>();
        foreach (var c in conditions)
        {
            var (cause, r) = c switch
            {
                "threads" => ("work cut by the engine's thread count (Settings.Threads, REPRO_THREADS) in the program's own code, so a float sum is grouped differently", new[] { "RPR4003" }),
                "cpus" => ("work cut by the processor count (Environment.ProcessorCount): chunk sizes or partial sums per core", new[] { "RPR4003" }),
                "threadpool" => ("a result that depends on how many pool threads run at once: completion order, shared accumulation", new[] { "RPR2004", "RPR2001", "RPR2005" }),
                "isa" => ("a hardware-dependent code path: a reduction cut by Vector<T>.Count, a branch on IsHardwareAccelerated or FMA support, TensorPrimitives or hardware estimates", new[] { "RPR3001", "RPR3002", "RPR3003", "RPR3004", "RPR3005" }),
                "tiering" => ("a result that depends on how the JIT compiled the code: a branch on FMA support, or uninitialized memory (SkipLocalsInit, ArrayPool)", new[] { "RPR3004" }),
                "culture" => ("culture-dependent formatting or parsing (ToString, Parse or string comparison without CultureInfo.InvariantCulture)", new[] { "CA1305", "CA1304", "CA1310" }),
                "tz" => ("a conversion through the machine's local time zone (ToLocalTime, TimeZoneInfo.Local)", new[] { "RPR4004" }),
                "env" => ("a value read from the environment, or from the order of its variables (Environment.GetEnvironmentVariables is a Hashtable)", new[] { "RPR2006" }),
                "cwd" => ("a relative path or a directory listing: the program reads something from its working directory", new[] { "RPR2007" }),
                _ => ("a dependence on " + c, Array.Empty<string>()),
            };
            causes.Add(cause);
            rules.AddRange(r.Where(x => !rules.Contains(x)));
        }

        return (string.Join("; or ", causes), rules);
    }

    private static string Describe(DifferenceClass cls, bool leaf, string op)
    {
        string what = leaf ? "a leaf (values the program passed to the engine)" : $"op '{op}' (its inputs agree)";
        return cls switch
        {
            DifferenceClass.Order => $"{what}: the same values in another order",
            DifferenceClass.LastBits => $"{what}: values differ in their last bits",
            _ => $"{what}: values differ",
        };
    }

    /// <summary>How the op's output differs: from the stored values of a leaf, else from a numeric diff of the two runs.</summary>
    private static ElementDifference? Elements(string logA, string logB, OpComparison op, Func<DiffResult> numeric)
    {
        try
        {
            if (op.A is { Output.Blob: not null } a && op.B is { Output.Blob: not null } b)
            {
                var va = Values(logA, a.Output);
                var vb = Values(logB, b.Output);
                if (va.Length != vb.Length)
                {
                    return null;
                }

                var m = ErrorMetrics.Compare(va, vb, Tolerance.Coarser(a.Output.DType, b.Output.DType), Tolerance.Exact);
                double[] sa = [.. va.Order()];
                double[] sb = [.. vb.Order()];
                bool same = sa.Zip(sb).All(p => p.First.Equals(p.Second));
                return new ElementDifference(va.Length, m.OverTolerance + m.NonFiniteMismatches, same, m.MaxUlp);
            }

            var match = numeric().DivergedOps.FirstOrDefault(o => o.A?.Seq == op.A?.Seq && o.Metrics is not null);
            return match?.Metrics is { } mm ? new ElementDifference(mm.Count, mm.OverTolerance, null, mm.MaxUlp) : null;
        }
        catch (LogFormatException)
        {
            return null;
        }
    }

    private static double[] Values(string log, TensorRecord t)
    {
        using var r = LogReader.Open(log);
        var data = r.ReadTensor(t, new LogPosition(Path.Combine(log, LogFormat.RecordsFile), 0, 0));
        return Tensor.FromHost(data, t.DType, t.Shape).ToDoubleArray();
    }

    /// <summary>
    /// The command with its program (where given as a relative path) and every argument that names an existing
    /// relative path made absolute, so that the run in another working directory runs the same program on the same files.
    /// </summary>
    private static string[] Resolve(IReadOnlyList<string> command) =>
        [.. command.Select((a, i) => a.Length > 0 && !Path.IsPathRooted(a) && !a.StartsWith('-') && (i > 0 || a.Contains(Path.DirectorySeparatorChar)) && (File.Exists(a) || Directory.Exists(a)) ? Path.GetFullPath(a) : a)];

    private sealed class Builder(DifferenceClass cls, string what, SourceLocation source)
    {
        public DifferenceClass Class { get; } = cls;

        public string What { get; } = what;

        public SourceLocation Source { get; } = source;

        public string? Op { get; init; }

        public bool Leaf { get; init; }

        public OpPhase Phase { get; init; }

        public string Thread { get; init; } = LogFormat.MainThread;

        public long FirstSeq { get; init; } = -1;

        public ElementDifference? Elements { get; init; }

        public long Ops { get; init; }

        public List<int> Runs { get; } = [];

        public HuntKind Build(int id, IReadOnlyDictionary<int, PlannedRun> plan)
        {
            var seen = Runs.ConvertAll(r => plan[r]);
            var conditions = seen.Where(r => r.Role == RunRole.Single).Select(r => r.Changes[0].Condition).Distinct().OrderBy(c => HuntConditions.All.ToList().FindIndex(x => x.Name == c)).ToList();
            var attribution = seen.Any(r => r.Role == RunRole.Repeat) ? Attribution.RunToRun
                : conditions.Count > 0 ? Attribution.Conditions
                : Attribution.CombinedOnly;
            var (cause, rules) = Explain(Class, attribution, conditions);
            return new HuntKind
            {
                Id = id,
                Class = Class,
                Op = Op,
                Leaf = Leaf,
                Phase = Phase,
                Source = Source,
                Thread = Thread,
                FirstSeq = FirstSeq,
                What = What,
                Ops = Ops,
                Elements = Elements,
                Runs = Runs,
                Attribution = attribution,
                Conditions = attribution == Attribution.Conditions ? conditions : [],
                Cause = cause,
                Rules = rules,
            };
        }
    }
}
