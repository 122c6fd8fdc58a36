using System.Globalization;
using Repro.Engine;
using Repro.Recorder;

namespace Repro.Precision;

/// <summary>What the advisor searches over: single ops, or modules (ops grouped by scope, today by source location).</summary>
public enum Granularity
{
    /// <summary>Each computing op on its own.</summary>
    Op,

    /// <summary>Ops grouped by module path where records carry one, else by the source location that issued them (forward and backward together).</summary>
    Module,

    /// <summary>
    /// The same op in every call of a call site: the k-th op of each run of ops issued from one source location (each
    /// training step's), so a training log's units do not multiply with its steps. Written as one rule per op.
    /// </summary>
    Site,
}

/// <summary>How to run the advisor.</summary>
public sealed record AdvisorOptions
{
    /// <summary>The dtype ops are lowered to (bfloat16 or float16).</summary>
    public DType LowDType { get; init; } = DType.BFloat16;

    /// <summary>The budgets; all must be met.</summary>
    public IReadOnlyList<Budget> Budgets { get; init; } = [];

    /// <summary>Op or module.</summary>
    public Granularity Granularity { get; init; } = Granularity.Op;

    /// <summary>Backend to replay on (default: the recorded one). The policy found does not depend on it.</summary>
    public string? Backend { get; init; }

    /// <summary>Worker threads (default: this machine's). The policy found does not depend on it.</summary>
    public int? Threads { get; init; }

    /// <summary>Most replays the search may use (default 1000); past it the search keeps what it has and says so.</summary>
    public int MaxReplays { get; init; } = 1000;

    /// <summary>Progress lines (for standard error).</summary>
    public Action<string>? Progress { get; init; }
}

/// <summary>How the search ended.</summary>
public enum AdvisorStatus
{
    /// <summary>Every op can run in the low dtype within budget.</summary>
    AllLow,

    /// <summary>A set of ops to keep in float32 was found and meets the budget.</summary>
    Met,

    /// <summary>Even with every candidate op in float32 the budget is not met.</summary>
    Impossible,
}

/// <summary>One output a budget is measured on.</summary>
public sealed record ResolvedTarget(Budget Budget, IReadOnlyList<long> Seqs, string Description);

/// <summary>A unit kept in float32: its ops, and the errors when it alone is lowered again (the minimality check).</summary>
public sealed record KeptUnit(string Key, string Description, IReadOnlyList<long> Seqs, IReadOnlyList<string> OpNames, double Score, IReadOnlyList<double> ErrorsWhenLowered, bool BreaksBudgetWhenLowered);

/// <summary>What the advisor found.</summary>
public sealed record AdvisorResult(
    AdvisorStatus Status,
    DType LowDType,
    Granularity Granularity,
    IReadOnlyList<ResolvedTarget> Targets,
    PrecisionPolicy Policy,
    IReadOnlyList<string?> Notes,
    IReadOnlyList<KeptUnit> Kept,
    int Units,
    long ComputingOps,
    long OpsKept,
    IReadOnlyList<double> AllLowErrors,
    IReadOnlyList<double> FinalErrors,
    int Replays,
    bool ReplayLimitReached,
    bool Minimal)
{
    /// <summary>Share of computing ops (not views) left in the low dtype.</summary>
    public double LowShare => ComputingOps == 0 ? 1 : (ComputingOps - OpsKept) / (double)ComputingOps;
}

/// <summary>
/// Finds a small set of ops (or modules) that must stay in float32 so that chosen outputs of a float32 log stay within
/// an error budget when every other op runs in bfloat16 or float16. It replays the log in this process with per-op
/// dtype policies (no user program needed): a float32 reference, everything low, everything kept; ranks the units by
/// the error growth each showed in the all-low replay (its output's error over its inputs'); finds the shortest prefix
/// of that ranking that meets the budget by bisection; shrinks it by delta debugging (ddmin) until removing any one
/// unit breaks the budget, and checks that with one replay per kept unit. Every replay gives the same bits on any
/// thread count and backend, so the same log and budget give the same policy.
/// </summary>
public static class Advisor
{
    private const int Sample = 256;

    /// <summary>Runs the search on the float32 log at <paramref name="logPath"/>.</summary>
    /// <exception cref="ArgumentException">Bad options: no budget, a target the log does not have, a low dtype that is not a 16-bit float, a log that is not float32.</exception>
    public static AdvisorResult Run(string logPath, AdvisorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Budgets.Count == 0)
        {
            throw new ArgumentException("no budget: give at least one, e.g. --budget loss:rel=1e-2");
        }

        if (!options.LowDType.IsLowPrecision())
        {
            throw new ArgumentException($"--dtype {options.LowDType.Name()}: the advisor lowers ops to float16 or bfloat16");
        }

        var scan = Scan.Of(logPath);
        if (scan.DType != DType.Float32)
        {
            throw new ArgumentException($"the log was recorded in {scan.DType.Name()}; the advisor needs a float32 recording");
        }

        var targets = options.Budgets.Select(b => scan.Resolve(b)).ToArray();
        var search = new Search(logPath, options, scan, targets);
        return search.Run();
    }

    /// <summary>The log's ops, read once.</summary>
    internal sealed class Scan
    {
        public DType DType { get; private init; }

        public List<OpMeta> Ops { get; } = [];

        public Dictionary<long, long> Producer { get; } = [];

        public static Scan Of(string logPath)
        {
            using var reader = LogReader.Open(logPath);
            var scan = new Scan { DType = DTypes.Parse(reader.Header.Environment.DType) };
            foreach (var op in reader.Ops())
            {
                var row = OpTable.Get(op.Op);
                var o = op.Output;
                bool computes = !row.IsView && !row.HostData && o.DType == scan.DType;
                scan.Ops.Add(new OpMeta(op.Seq, op.Op, op.Phase, op.Source, op.Inputs, o.Id, o.Numel, o.DType, computes, row.Kind) { BackwardOf = op.BackwardOf, Module = op.Module });
                scan.Producer[o.Id] = op.Seq;
            }

            if (scan.Ops.Count == 0)
            {
                throw new ArgumentException($"the log at {logPath} has no ops");
            }

            return scan;
        }

        public OpMeta BySeq(long seq) => Ops[(int)(seq - Ops[0].Seq)];

        public ResolvedTarget Resolve(Budget b)
        {
            var floats = Ops.Where(o => o.DType.IsFloat()).ToList();
            switch (b.Kind)
            {
                case TargetKind.Loss:
                {
                    // A training log: the forward op the last backward pass started from. Else the last one-element forward output.
                    int last = Ops.FindLastIndex(o => o.Phase == OpPhase.Backward);
                    OpMeta? loss = null;
                    if (last >= 0)
                    {
                        int first = last;
                        while (first > 0 && Ops[first - 1].Phase == OpPhase.Backward)
                        {
                            first--;
                        }

                        long root = Ops[first].BackwardOf;
                        loss = root >= Ops[0].Seq && root <= Ops[^1].Seq && BySeq(root) is { Numel: 1 } r && r.DType.IsFloat() ? r : null;
                    }

                    loss ??= floats.LastOrDefault(o => o.Phase == OpPhase.Forward && o.Numel == 1 && o.Kind != OpKind.Creation);
                    return loss is null
                        ? throw new ArgumentException($"--budget {b}: the log has no one-element forward output to take as the loss; name one with op:<seq>")
                        : new ResolvedTarget(b, [loss.Seq], $"loss: op {loss.Seq} ({loss.Op}) at {loss.Source}");
                }

                case TargetKind.Output:
                {
                    var last = floats.LastOrDefault() ?? throw new ArgumentException($"--budget {b}: the log has no floating-point output");
                    return new ResolvedTarget(b, [last.Seq], $"output: op {last.Seq} ({last.Op}) at {last.Source}");
                }

                case TargetKind.Params:
                {
                    // Tensors written in place (assign): their last write.
                    var lastWrite = new Dictionary<long, long>();
                    foreach (var o in Ops.Where(o => o.Op == OpTable.Assign.Name && o.DType.IsFloat()))
                    {
                        lastWrite[o.Inputs[0]] = o.Seq;
                    }

                    // Optimizers that rebind parameters (Repro.Nn): the results of the last optimizer step, that is
                    // the ops issued right after the last backward pass from one call site (opt.Step()) whose outputs
                    // that step does not read itself: the new parameters and optimizer state.
                    var step = new List<OpMeta>();
                    int last = Ops.FindLastIndex(o => o.Phase == OpPhase.Backward);
                    if (last >= 0 && last + 1 < Ops.Count)
                    {
                        var site = Ops[last + 1].Source;
                        for (int i = last + 1; i < Ops.Count && Ops[i].Phase == OpPhase.Forward && Ops[i].Source == site; i++)
                        {
                            step.Add(Ops[i]);
                        }
                    }

                    var read = step.SelectMany(o => o.Inputs).ToHashSet();
                    var results = step.Where(o => o.Computes && o.Numel > 1 && !read.Contains(o.OutputId)).Select(o => o.Seq);
                    var seqs = lastWrite.Values.Concat(results).Distinct().Order().ToArray();
                    if (seqs.Length == 0)
                    {
                        throw new ArgumentException($"--budget {b}: the log has no optimizer step after a backward pass and no in-place write: it is not a training log");
                    }

                    return new ResolvedTarget(b, seqs, $"params: {seqs.Length} tensors made by the last optimizer step{(step.Count > 0 ? $" at {step[0].Source}" : string.Empty)}");
                }

                case TargetKind.Seq:
                {
                    if (b.Seq < Ops[0].Seq || b.Seq > Ops[^1].Seq)
                    {
                        throw new ArgumentException($"--budget {b}: op {b.Seq} is not in the log (ops {Ops[0].Seq} to {Ops[^1].Seq})");
                    }

                    var o = BySeq(b.Seq);
                    return !o.DType.IsFloat()
                        ? throw new ArgumentException($"--budget {b}: op {b.Seq} ({o.Op}) has a {o.DType.Name()} output; budgets are on floating-point outputs")
                        : new ResolvedTarget(b, [o.Seq], $"op {o.Seq} ({o.Op}) at {o.Source}");
                }

                default:
                {
                    var o = floats.LastOrDefault(x => x.Op == b.OpName) ?? throw new ArgumentException($"--budget {b}: the log has no floating-point op named '{b.OpName}'");
                    return new ResolvedTarget(b, [o.Seq], $"last {o.Op}: op {o.Seq} at {o.Source}");
                }
            }
        }
    }

    internal sealed record OpMeta(long Seq, string Op, OpPhase Phase, SourceLocation Source, long[] Inputs, long OutputId, long Numel, DType DType, bool Computes, OpKind Kind)
    {
        public long BackwardOf { get; init; } = -1;

        /// <summary>The module (layer) the op ran in, where the log records one.</summary>
        public OpModule? Module { get; init; }
    }

    private sealed record Unit(string Key, string Description, long[] Seqs, string[] OpNames, PrecisionRule[] Rules, string Note)
    {
        /// <summary>The rule written to the policy file (modules: by source location, so it also applies to longer or live runs); null: <see cref="Rules"/>.</summary>
        public PrecisionRule? Written { get; init; }

        public double Score { get; set; }
    }

    private sealed class Search(string logPath, AdvisorOptions options, Scan scan, ResolvedTarget[] targets)
    {
        private readonly Dictionary<string, double[]> cache = [];
        private readonly HashSet<long> tapped = [.. targets.SelectMany(t => t.Seqs)];
        private readonly long stopAfter = targets.SelectMany(t => t.Seqs).Max();
        private Dictionary<long, double[]> reference = [];
        private int replays;
        private bool limitReached;
        private List<Unit> units = [];

        public AdvisorResult Run()
        {
            units = MakeUnits();
            Say($"{scan.Ops.Count} ops, {units.Count} {(options.Granularity == Granularity.Op ? "candidate ops" : options.Granularity == Granularity.Site ? "candidate site ops" : "candidate modules")}, budgets: {string.Join("; ", targets.Select(t => $"{t.Budget} on {t.Description}"))}");

            // 1. float32 reference, sampling every op's output for the ranking.
            var refSamples = new Dictionary<long, double[]>();
            reference = Replay(null, refSamples, null, check: true);
            Say($"replay {replays}: float32 reference");

            // 2. everything low, measuring each op's error against the reference sample.
            var errors = new Dictionary<long, double>();
            var lowPolicy = new PrecisionPolicy(options.LowDType, []);
            var allLowOut = Replay(lowPolicy, refSamples, errors, check: false);
            var allLow = Errors(allLowOut);
            cache[Key([])] = allLow;
            Say($"replay {replays}: everything in {options.LowDType.Name()}: {Describe(allLow)}");
            Rank(errors);
            refSamples.Clear();
            if (Met(allLow))
            {
                return Result(AdvisorStatus.AllLow, [], allLow, allLow, minimal: true);
            }

            // 3. everything kept.
            var all = Enumerable.Range(0, units.Count).ToList();
            var allKept = Evaluate(all);
            Say($"replay {replays}: every candidate in float32: {Describe(allKept)}");
            if (!Met(allKept))
            {
                return Result(AdvisorStatus.Impossible, all, allLow, allKept, minimal: false);
            }

            // 4. the shortest prefix of the ranking that meets the budget (bisection; assumes more kept is no worse, and checks the end).
            int lo = 0;
            int hi = units.Count;
            while (hi - lo > 1 && !limitReached)
            {
                int mid = lo + ((hi - lo) / 2);
                var e = Evaluate(Enumerable.Range(0, mid).ToList());
                Say($"replay {replays}: the top {mid} kept: {Describe(e)}");
                if (Met(e))
                {
                    hi = mid;
                }
                else
                {
                    lo = mid;
                }
            }

            kept = Enumerable.Range(0, hi).ToList();

            // 5. shrink by adaptive group testing (ddmin's splitting): drop a chunk when the rest meets the budget,
            // else split it in halves and try each; a single unit that cannot be dropped is kept.
            var order = kept.OrderByDescending(k => k).ToList();
            Shrink(order);

                        // 6. minimality: lowering any one kept unit must break the budget; one that need not be kept is dropped
            // and the check starts over (the search assumed that keeping more never hurts, which rounding can break).
            bool changed = true;
            while (changed && !limitReached)
            {
                changed = false;
                foreach (int u in this.kept.ToList())
                {
                    var e = Evaluate(this.kept.Where(k => k != u).ToList());
                    if (Met(e))
                    {
                        Say($"replay {replays}: {units[u].Key} need not be kept: {Describe(e)}");
                        this.kept.Remove(u);
                        changed = true;
                        break;
                    }
                }
            }

            var final = Evaluate(this.kept);
            return Result(AdvisorStatus.Met, this.kept, allLow, final, minimal: !limitReached);
        }

        private List<int> kept = [];

        private void Shrink(List<int> chunk)
        {
            if (chunk.Count == 0 || limitReached)
            {
                return;
            }

            var rest = kept.Except(chunk).ToList();
            var e = Evaluate(rest);
            if (Met(e))
            {
                kept = rest;
                Say($"replay {replays}: dropped {chunk.Count}, {rest.Count} kept: {Describe(e)}");
                return;
            }

            if (chunk.Count == 1)
            {
                return;
            }

            int half = chunk.Count / 2;
            Shrink(chunk.GetRange(0, half));
            Shrink(chunk.GetRange(half, chunk.Count - half));
        }

        private AdvisorResult Result(AdvisorStatus status, List<int> kept, double[] allLow, double[] final, bool minimal)
        {
            var sorted = kept.OrderBy(k => units[k].Seqs[0]).ToList();
            var keptUnits = new List<KeptUnit>();
            foreach (int u in sorted)
            {
                var without = status == AdvisorStatus.Met ? Evaluate(kept.Where(k => k != u).ToList()) : [];
                var unit = units[u];
                keptUnits.Add(new KeptUnit(unit.Key, unit.Description, unit.Seqs, unit.OpNames, unit.Score, without, status == AdvisorStatus.Met && !without.Any(double.IsNaN) && !Met(without)));
            }

            var rules = sorted.SelectMany(u => (units[u].Written is { } w ? [w] : units[u].Rules).Select(r => (Rule: r, Note: units[u].Note))).ToList();
            var policy = new PrecisionPolicy(options.LowDType, status == AdvisorStatus.Impossible ? [] : rules.Select(r => r.Rule));
            if (status == AdvisorStatus.Met && sorted.Any(u => units[u].Written is not null))
            {
                // Module rules match by source location: the error under the policy as written, which may match more ops than the search kept.
                final = Errors(Replay(policy, null, null, check: false));
                Say($"replay {replays}: the policy as written (rules by source location): {Describe(final)}");
            }

            var notes = status == AdvisorStatus.Impossible ? [] : rules.ConvertAll(r => (string?)r.Note);
            long computing = scan.Ops.Count(o => o.Computes);
            long keptOps = status == AdvisorStatus.Impossible ? computing : sorted.Sum(u => (long)units[u].Seqs.Length);
            Say($"done: {replays} replays, {keptUnits.Count} kept, {Describe(final)}");
            return new AdvisorResult(status, options.LowDType, options.Granularity, targets, policy, notes, keptUnits, units.Count, computing, keptOps, allLow, final, replays, limitReached, minimal);
        }

        private List<Unit> MakeUnits()
        {
            var computing = scan.Ops.Where(o => o.Computes).ToList();
            if (options.Granularity == Granularity.Op)
            {
                return [.. computing.Select(o => new Unit(
                    $"op {o.Seq}",
                    $"op {o.Seq} {o.Op}{(o.Phase == OpPhase.Backward ? " (backward)" : string.Empty)} at {o.Source}",
                    [o.Seq],
                    [o.Op],
                    [new PrecisionRule { Op = o.Op, SeqFrom = o.Seq, SeqTo = o.Seq }],
                    $"{o.Op}{(o.Phase == OpPhase.Backward ? " (backward)" : string.Empty)} at {o.Source}"))];
            }

            if (options.Granularity == Granularity.Site)
            {
                var sites = new Dictionary<string, List<OpMeta>>();
                var siteOrder = new List<string>();
                int index = 0;
                SourceLocation? run = null;
                foreach (var o in scan.Ops)
                {
                    // A run: consecutive ops from one source location (views and all, so that positions line up).
                    index = run == o.Source ? index + 1 : 0;
                    run = o.Source;
                    if (!o.Computes)
                    {
                        continue;
                    }

                    string key = o.Source.IsKnown ? $"{o.Source.File}:{o.Source.Line}:{o.Source.Member}#{index}:{o.Op}" : $"op {o.Seq}";
                    if (!sites.TryGetValue(key, out var list))
                    {
                        sites[key] = list = [];
                        siteOrder.Add(key);
                    }

                    list.Add(o);
                }

                return [.. siteOrder.Select(k =>
                {
                    var ops = sites[k];
                    var first = ops[0];
                    string name = $"{first.Op}{(first.Phase == OpPhase.Backward ? " (backward)" : string.Empty)}";
                    string where = first.Source.IsKnown ? $"{first.Source}, op {IndexOf(k)} of each call" : $"op {first.Seq}";
                    return new Unit(k, $"{name} at {where} ({ops.Count}x, first op {first.Seq})", [.. ops.Select(o => o.Seq)], [first.Op], [.. ops.Select(o => new PrecisionRule { Op = o.Op, SeqFrom = o.Seq, SeqTo = o.Seq })], $"{name} at {where}");
                })];
            }

            // Modules: the module path where records carry one (forward and backward together), else the user's call site.
            var groups = new Dictionary<string, List<OpMeta>>();
            var order = new List<string>();
            foreach (var o in computing)
            {
                string key = o.Module is { Path.Length: > 0 } m ? $"module {m.Path}"
                    : o.Source.IsKnown ? $"{o.Source.File}:{o.Source.Line}:{o.Source.Member}" : $"op {o.Seq}";
                if (!groups.TryGetValue(key, out var list))
                {
                    groups[key] = list = [];
                    order.Add(key);
                }

                list.Add(o);
            }

            return [.. order.Select(k =>
            {
                var ops = groups[k];
                var first = ops[0];
                var module = first.Module is { Path.Length: > 0 } fm ? fm : null;
                string where = module is not null ? module.ToString() : first.Source.IsKnown ? first.Source.ToString() : $"op {first.Seq} {first.Op}";
                var ruleSet = ops.Select(o => new PrecisionRule { Op = o.Op, SeqFrom = o.Seq, SeqTo = o.Seq }).ToArray();
                var written = module is not null ? new PrecisionRule { Scope = module.Path }
                    : first.Source.IsKnown ? new PrecisionRule { File = Path.GetFileName(first.Source.File), Line = first.Source.Line, Member = first.Source.Member } : null;
                return new Unit(k, $"{where}: {ops.Count} ops", [.. ops.Select(o => o.Seq)], [.. ops.Select(o => o.Op).Distinct()], ruleSet, $"module {where}") { Written = written };
            })];
        }

        private static string IndexOf(string key)
        {
            int hash = key.LastIndexOf('#');
            int colon = key.IndexOf(':', hash);
            return key[(hash + 1)..colon];
        }

        // Error growth: an op's output error over the largest error among its inputs (leaves: none), floored at the
        // low dtype's rounding; a module takes its largest. Ties keep log order.
        private void Rank(Dictionary<long, double> errors)
        {
            double unit = options.LowDType == DType.Float16 ? Math.ScaleB(1, -11) : Math.ScaleB(1, -8);
            var score = new Dictionary<long, double>();
            foreach (var o in scan.Ops.Where(o => o.Computes))
            {
                double outErr = errors.GetValueOrDefault(o.Seq);
                double inErr = 0;
                foreach (long id in o.Inputs)
                {
                    if (scan.Producer.TryGetValue(id, out long p))
                    {
                        inErr = Math.Max(inErr, errors.GetValueOrDefault(p));
                    }
                }

                // NaN: unknown, its inputs were already ruined.
                score[o.Seq] = double.IsPositiveInfinity(inErr) || double.IsNaN(inErr) ? double.NaN
                    : double.IsNaN(outErr) ? double.PositiveInfinity
                    : outErr / Math.Max(inErr, unit);
            }

            foreach (var u in units)
            {
                var scores = u.Seqs.Select(s => score.GetValueOrDefault(s)).ToArray();
                u.Score = scores.All(double.IsNaN) ? double.NaN : scores.Where(x => !double.IsNaN(x)).Max();
            }

            // Amplifiers first (growth above 1, largest first), then units whose inputs were already ruined (their own
            // growth unknown, in log order), then the rest.
            static int Tier(double s) => s > 1 ? 0 : double.IsNaN(s) ? 1 : 2;
            var ranked = units.Select((u, i) => (u, i)).OrderBy(x => Tier(x.u.Score)).ThenByDescending(x => double.IsNaN(x.u.Score) ? 0 : x.u.Score).ThenBy(x => x.i).Select(x => x.u).ToList();
            units = ranked;
        }

        private double[] Evaluate(List<int> kept)
        {
            var key = Key(kept);
            if (cache.TryGetValue(key, out var known))
            {
                return known;
            }

            if (replays >= options.MaxReplays)
            {
                // Not measured: NaN, which meets no budget.
                limitReached = true;
                return [.. targets.Select(_ => double.NaN)];
            }

            var rules = kept.Order().SelectMany(u => units[u].Rules);
            var e = Errors(Replay(new PrecisionPolicy(options.LowDType, rules), null, null, check: false));
            cache[key] = e;
            return e;
        }

        private Dictionary<long, double[]> Replay(PrecisionPolicy? policy, Dictionary<long, double[]>? samples, Dictionary<long, double>? errors, bool check)
        {
            replays++;
            var outputs = new Dictionary<long, double[]>();
            var computes = errors is not null || (samples is not null && policy is null) ? scan.Ops.Where(o => o.DType.IsFloat()).Select(o => o.Seq).ToHashSet() : null;
            var result = Replayer.Replay(logPath, new ReplayOptions
            {
                Backend = options.Backend,
                Threads = options.Threads,
                Policy = policy,
                CheckHashes = check,
                StopAfterSeq = samples is null ? stopAfter : null,
                OnOutput = (op, t) =>
                {
                    bool target = tapped.Contains(op.Seq);
                    bool sample = computes?.Contains(op.Seq) == true;
                    if (!target && !sample)
                    {
                        return;
                    }

                    var values = t.ToDoubleArray();
                    if (target)
                    {
                        outputs[op.Seq] = values;
                    }

                    if (sample)
                    {
                        var s = Sampled(values);
                        if (errors is null)
                        {
                            samples![op.Seq] = s;
                        }
                        else if (samples!.TryGetValue(op.Seq, out var r))
                        {
                            errors[op.Seq] = ErrorOf.Relative(r, s);
                        }
                    }
                },
            });
            if (check && result.Mismatches > 0)
            {
                throw new ArgumentException($"the log does not replay to its own hashes here ({result.FirstDivergence}); run repro verify on it");
            }

            return outputs;
        }

        private static double[] Sampled(double[] values)
        {
            if (values.Length <= Sample)
            {
                return values;
            }

            var s = new double[Sample];
            for (int i = 0; i < Sample; i++)
            {
                s[i] = values[(int)((long)i * values.Length / Sample)];
            }

            return s;
        }

        private double[] Errors(Dictionary<long, double[]> outputs)
        {
            var e = new double[targets.Length];
            for (int i = 0; i < targets.Length; i++)
            {
                double worst = 0;
                foreach (long seq in targets[i].Seqs)
                {
                    var r = reference[seq];
                    var a = outputs.TryGetValue(seq, out var v) ? v : [];
                    worst = Math.Max(worst, a.Length == r.Length ? targets[i].Budget.Error(r, a, options.LowDType) : double.PositiveInfinity);
                }

                e[i] = worst;
            }

            return e;
        }

        private bool Met(double[] e)
        {
            for (int i = 0; i < targets.Length; i++)
            {
                if (!(e[i] <= targets[i].Budget.Limit))
                {
                    return false;
                }
            }

            return true;
        }

        private string Describe(double[] e) => string.Join(", ", targets.Select((t, i) => string.Create(CultureInfo.InvariantCulture, $"{t.Budget.Kind.ToString().ToLowerInvariant()} {(t.Budget.Measure == ErrorMeasure.Relative ? "rel" : "ulp")} {e[i]:G3}"))) + (Met(e) ? " (met)" : " (over budget)");

        private void Say(string line) => options.Progress?.Invoke(line);

        private static string Key(IEnumerable<int> kept) => string.Join(',', kept.Order());

        private static List<List<int>> Split(List<int> items, int n)
        {
            var chunks = new List<List<int>>();
            int start = 0;
            for (int i = 0; i < n; i++)
            {
                int end = (int)((long)items.Count * (i + 1) / n);
                chunks.Add(items.GetRange(start, end - start));
                start = end;
            }

            return [.. chunks.Where(c => c.Count > 0)];
        }
    }
}
