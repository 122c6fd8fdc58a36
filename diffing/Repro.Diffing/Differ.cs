using Repro.Engine;
using Repro.Recorder;

namespace Repro.Diffing;

/// <summary>
/// Finds where two runs part ways. Each run's ops are split by logical thread (docs/log-format.md, "Threads") and the
/// threads are compared pair by pair, so the order in which the scheduler interleaved them never matters. Within a
/// thread, ops are aligned by sequence while the op sequences agree (same op, output shape, phase and source line);
/// where they do not, the differ looks ahead to re-align and reports the first structural difference. Bitwise mode
/// compares the recorded output hashes; numeric mode replays both runs in lockstep and compares values against a
/// tolerance derived from the dtypes and the op. Where a log is cut short, the common prefix is compared.
/// </summary>
public static class Differ
{
    /// <summary>Compares run B against run A.</summary>
    /// <exception cref="LogFormatException">A log is missing, damaged or cannot be replayed.</exception>
    public static DiffResult Run(string pathA, string pathB, DiffOptions? options = null)
    {
        options ??= new DiffOptions();
        DiffMode mode;
        using (var ha = LogReader.Open(pathA))
        using (var hb = LogReader.Open(pathB))
        {
            mode = options.Mode != DiffMode.Auto ? options.Mode
                : ha.Header.Environment.DType == hb.Header.Environment.DType && !options.HasExplicitTolerance ? DiffMode.Bitwise
                : DiffMode.Numeric;
        }

        // Bitwise mode reads each log once, pairing threads by id, unless it meets threads whose ids the scheduler
        // numbered: then it starts again with both logs' threads counted first, to pair those by content.
        bool numeric = mode == DiffMode.Numeric;
        using (var a = new RunCursor(pathA, numeric, census: false))
        using (var b = new RunCursor(pathB, numeric, census: false))
        {
            if (new Session(a, b, mode, options).Run() is { } result)
            {
                return result;
            }
        }

        using var ca = new RunCursor(pathA, numeric, census: true);
        using var cb = new RunCursor(pathB, numeric, census: true);
        return new Session(ca, cb, mode, options).Run() ?? throw new InvalidOperationException("the threads of the two logs could not be paired (internal error)");
    }

    private sealed class Session(RunCursor a, RunCursor b, DiffMode mode, DiffOptions options)
    {
        private const int MaxListed = 1000;

        private readonly ThreadPlan? plan = a.Census is { } ca && b.Census is { } cb ? ThreadPlan.Pair(ca, cb) : null;
        private readonly Dictionary<string, Lane> lanesByA = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Lane> lanesByB = new(StringComparer.Ordinal);
        private readonly List<Lane> lanes = [];
        private readonly Dictionary<int, Lane> planned = [];
        private readonly Queue<OpRecord> unalignedA = new();
        private readonly Queue<OpRecord> unalignedB = new();
        private readonly Queue<OpComparison> before = new();
        private readonly List<OpComparison> after = [];
        private readonly List<ChartPoint> chart = [];
        private readonly Dictionary<long, (OpComparison Cmp, long[] Inputs)> producers = [];
        private readonly List<string> notes = [];
        private readonly List<OpComparison> divergedOps = [];
        private readonly Dictionary<(string Op, OpPhase Phase, SourceLocation Source, OpModule? Module, string Thread), int> groupIndex = [];
        private readonly List<OpGroup> groups = [];
        private bool endA;
        private bool endB;
        private bool needsPlan;
        private long index;
        private long compared;
        private long diverged;
        private long notComparedA;
        private long notComparedB;
        private bool anyDifferentValue;
        private int chartStride = 1;
        private OpComparison? first;
        private Lane? firstLane;
        private OpComparison? growth;
        private StructuralDifference? structural;
        private NonFiniteOrigin? nonFinite;
        private double[,]? heat;

        /// <summary>The comparison; null when the threads must be paired by content first (see <see cref="Differ.Run"/>).</summary>
        public DiffResult? Run()
        {
            // Run A's ops in its log order: each one's thread is aligned with its partner in B up to that op (B is
            // read ahead as far as that needs). Then whatever B has left.
            Drive(runA: true);
            Drive(runA: false);
            if (needsPlan)
            {
                return null;
            }

            if (a.Truncation is not null)
            {
                notes.Add($"run A: {a.Truncation.Message}");
            }

            if (b.Truncation is not null)
            {
                notes.Add($"run B: {b.Truncation.Message}");
            }

            var verdict = diverged > 0 ? Verdict.Diverged : anyDifferentValue ? Verdict.WithinTolerance : Verdict.Identical;
            CommonPrefix? prefix = null;
            if (notComparedA > 0 || notComparedB > 0)
            {
                prefix = new CommonPrefix(Cut(a), Cut(b), a.LastSeq, b.LastSeq, notComparedA, notComparedB);
                notes.Insert(0, PrefixNote(prefix, verdict));
            }

            var context = first is null ? before.ToList() : [.. firstLane!.Before];
            context.AddRange(after);
            return new DiffResult
            {
                PathA = a.Name,
                PathB = b.Name,
                HeaderA = a.Header,
                HeaderB = b.Header,
                Mode = mode,
                Verdict = verdict,
                OpsCompared = compared,
                OpsDiverged = diverged,
                FirstDivergence = first,
                GrowthStart = growth,
                Structural = structural,
                NonFinite = nonFinite,
                Context = context,
                DivergedOps = divergedOps,
                Groups = groups,
                Chart = chart,
                HeatMap = heat,
                Notes = notes,
                Threads = lanes.Count == 0 ? [LogFormat.MainThread] : [.. lanes.Select(l => l.Label)],
                Prefix = prefix,
            };
        }

        private string PrefixNote(CommonPrefix p, Verdict verdict)
        {
            static string N(long v) => v.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
            var cut = p.NotComparedA > 0 && p.NotComparedB > 0 ? "runs A and B stop at different points"
                : p.NotComparedA > 0 ? $"run B is truncated after op {N(p.LastSeqB)}"
                : $"run A is truncated after op {N(p.LastSeqA)}";
            var standing = verdict switch
            {
                Verdict.Identical => "agree",
                Verdict.WithinTolerance => "agree within tolerance",
                _ => "are compared",
            };
            var rest = string.Join(" and ", new[] { ("A", p.NotComparedA), ("B", p.NotComparedB) }.Where(x => x.Item2 > 0).Select(x => $"run {x.Item1}'s {N(x.Item2)} later op(s)"));
            return $"{cut}; the {N(compared)} ops both runs have {standing} (compared on the common prefix; {rest} not compared)";
        }

        /// <summary>True when the run's log is cut short (known once it was read to its end, or from its census).</summary>
        private static bool Cut(RunCursor run) => run.Census?.Truncated ?? (run.Truncation is not null);

        /// <summary>Aligns the earliest op of one run not aligned yet, until that run is read to its end.</summary>
        private void Drive(bool runA)
        {
            var queue = runA ? unalignedA : unalignedB;
            while (!needsPlan)
            {
                Trim(unalignedA, true);
                Trim(unalignedB, false);
                if (queue.Count == 0)
                {
                    if (!Pull(runA))
                    {
                        return;
                    }

                    continue;
                }

                Step(LaneOf(queue.Peek(), runA));
            }
        }

        /// <summary>Drops aligned ops from the front of a run's queue (each thread aligns its ops in order).</summary>
        private void Trim(Queue<OpRecord> queue, bool runA)
        {
            while (queue.Count > 0)
            {
                var buffer = runA ? LaneOf(queue.Peek(), true).A : LaneOf(queue.Peek(), false).B;
                if (buffer.Count > 0 && ReferenceEquals(buffer[0], queue.Peek()))
                {
                    return;
                }

                queue.Dequeue();
            }
        }

        /// <summary>Reads the next op of a run into its thread's buffer; false at the run's end.</summary>
        private bool Pull(bool runA)
        {
            if (runA ? endA : endB)
            {
                return false;
            }

            var cursor = runA ? a : b;
            var op = cursor.Next();
            if (op is not null && plan is null && ThreadPlan.IsNumbered(op.Thread))
            {
                // Threads the scheduler numbered: pair them by content (a census of both logs) instead of by id.
                needsPlan = true;
                op = null;
            }

            if (op is null)
            {
                endA |= runA || needsPlan;
                endB |= !runA || needsPlan;
                return false;
            }

            CheckNonFinite(runA ? "A" : "B", op, cursor);
            var lane = LaneOf(op, runA);
            (runA ? lane.A : lane.B).Add(op);
            (runA ? unalignedA : unalignedB).Enqueue(op);
            return true;
        }

        /// <summary>The thread pair an op of run A (or B) belongs to.</summary>
        private Lane LaneOf(OpRecord op, bool runA)
        {
            var byId = runA ? lanesByA : lanesByB;
            if (byId.TryGetValue(op.Thread, out var lane))
            {
                return lane;
            }

            int planned = plan?.LaneOf(op.Thread, runA) ?? -1;
            if (planned >= 0)
            {
                var (ta, tb) = plan!.Lanes[planned];
                lane = this.planned.TryGetValue(planned, out var known) ? known : this.planned[planned] = NewLane(ta, tb);
            }
            else
            {
                // Without a plan, a thread pairs with the thread of the same id in the other run.
                lane = plan is null ? NewLane(op.Thread, op.Thread) : runA ? NewLane(op.Thread, null) : NewLane(null, op.Thread);
            }

            if (lane.ThreadA is { } x)
            {
                lanesByA[x] = lane;
            }

            if (lane.ThreadB is { } y)
            {
                lanesByB[y] = lane;
            }

            return lane;
        }

        private Lane NewLane(string? threadA, string? threadB)
        {
            var lane = new Lane(threadA, threadB);
            lanes.Add(lane);
            return lane;
        }

        /// <summary>Aligns a thread pair one step further: pairs, or ops of one run only, or a re-alignment.</summary>
        private void Step(Lane lane)
        {
            Fill(lane, 1);
            if (lane.A.Count == 0 && lane.B.Count == 0)
            {
                return;
            }

            if (lane.A.Count == 0 || lane.B.Count == 0)
            {
                RunsOut(lane);
                return;
            }

            if (Exact(lane.A[0], lane.B[0]))
            {
                Pair(lane, lane.A[0], lane.B[0]);
                lane.A.RemoveFirst(1);
                lane.B.RemoveFirst(1);
                return;
            }

            Realign(lane);
        }

        /// <summary>One run's thread has no ops left while the other's goes on.</summary>
        private void RunsOut(Lane lane)
        {
            bool aEnded = lane.A.Count == 0;
            var (ra, rb) = aEnded ? ((OpRecord?)null, lane.B[0]) : (lane.A[0], (OpRecord?)null);
            if (Cut(aEnded ? a : b))
            {
                // The run that stops is cut short (a crash, a kill): what the other has beyond is not compared.
                if (aEnded)
                {
                    notComparedB++;
                    b.Done(rb!);
                    lane.B.RemoveFirst(1);
                }
                else
                {
                    notComparedA++;
                    a.Done(ra!);
                    lane.A.RemoveFirst(1);
                }

                return;
            }

            bool threadMissing = (aEnded ? lane.TakenA : lane.TakenB) == 0 && lane.Label != LogFormat.MainThread;
            NoteStructural(lane, ra, rb, threadMissing
                ? $"run {(aEnded ? "A" : "B")} has no thread '{lane.Label}'; in run {(aEnded ? "B" : "A")} it starts with {Describe((ra ?? rb)!)}"
                : aEnded ? $"run A ends after its last op; run B goes on with {Describe(rb!)}" : $"run B ends after its last op; run A goes on with {Describe(ra!)}");
            if (ra is not null)
            {
                Single(lane, ra, OpStatus.OnlyInA);
                lane.A.RemoveFirst(1);
            }
            else
            {
                Single(lane, rb!, OpStatus.OnlyInB);
                lane.B.RemoveFirst(1);
            }
        }

        /// <summary>Reads each run until the thread pair holds <paramref name="n"/> ops of it, or the run ends.</summary>
        private void Fill(Lane lane, int n)
        {
            while (lane.A.Count < n && lane.ThreadA is not null && Pull(true))
            {
            }

            while (lane.B.Count < n && lane.ThreadB is not null && Pull(false))
            {
            }
        }

        private static bool SameShape(OpRecord x, OpRecord y) =>
            x.Op == y.Op && x.Phase == y.Phase && x.Output.Shape.AsSpan().SequenceEqual(y.Output.Shape);

        private static bool Exact(OpRecord x, OpRecord y) =>
            SameShape(x, y) && x.Source.Line == y.Source.Line && Path.GetFileName(x.Source.File) == Path.GetFileName(y.Source.File);

        private void Realign(Lane lane)
        {
            Fill(lane, options.AlignWindow);
            var bufA = lane.A;
            var bufB = lane.B;
            int bestI = -1;
            int bestJ = -1;
            for (int sum = 1; sum < bufA.Count + bufB.Count && bestI < 0; sum++)
            {
                for (int i = Math.Max(0, sum - (bufB.Count - 1)); i <= Math.Min(sum, bufA.Count - 1); i++)
                {
                    int j = sum - i;
                    if (Exact(bufA[i], bufB[j]) && (i + 1 >= bufA.Count || j + 1 >= bufB.Count || Exact(bufA[i + 1], bufB[j + 1]) || i == 0 || j == 0))
                    {
                        bestI = i;
                        bestJ = j;
                        break;
                    }
                }
            }

            var ra = bufA[0];
            var rb = bufB[0];
            if (bestI < 0 && SameShape(ra, rb))
            {
                // Same op and shapes, only the source line moved (an edited file): pair them and say so once.
                if (!notes.Any(n => n.StartsWith("source lines differ", StringComparison.Ordinal)))
                {
                    notes.Add($"source lines differ between the runs from op {ra.Seq} on ({ra.Source} vs {rb.Source}); ops are paired by op and shape there");
                }

                Pair(lane, ra, rb);
                bufA.RemoveFirst(1);
                bufB.RemoveFirst(1);
                return;
            }

            if (bestI < 0)
            {
                NoteStructural(lane, ra, rb, $"run A has {Describe(ra)} where run B has {Describe(rb)}, and they do not re-align within {options.AlignWindow} ops");
                Single(lane, ra, OpStatus.OnlyInA);
                Single(lane, rb, OpStatus.OnlyInB);
                bufA.RemoveFirst(1);
                bufB.RemoveFirst(1);
                return;
            }

            bool onlyCasts = a.Header.Environment.DType != b.Header.Environment.DType
                && bufA.Take(bestI).Concat(bufB.Take(bestJ)).All(r => r.Op == OpTable.Cast.Name);
            if (onlyCasts)
            {
                // A dtype change adds conversions (a model moved to bfloat16): expected, so a note, not a structural difference.
                notes.Add($"run {(bestI > 0 ? "A" : "B")} has {Math.Max(bestI, bestJ)} extra cast op(s) from {Describe(bestI > 0 ? ra : rb)}: dtype conversions, skipped in the alignment");
            }
            else
            {
                NoteStructural(lane, ra, rb, bestI > 0 && bestJ > 0
                    ? $"run A has {bestI} op(s) from {Describe(ra)} where run B has {bestJ} op(s) from {Describe(rb)}"
                    : bestI > 0 ? $"run A has {bestI} extra op(s) from {Describe(ra)}" : $"run B has {bestJ} extra op(s) from {Describe(rb)}");
            }

            for (int i = 0; i < bestI; i++)
            {
                Single(lane, bufA[i], OpStatus.OnlyInA);
            }

            for (int j = 0; j < bestJ; j++)
            {
                Single(lane, bufB[j], OpStatus.OnlyInB);
            }

            bufA.RemoveFirst(bestI);
            bufB.RemoveFirst(bestJ);
        }

        private static string Describe(OpRecord r) => $"op {r.Seq} '{r.Op}' {Fmt(r.Output.Shape)} at {r.Source}{(r.Module is null ? string.Empty : $" in module {r.Module}")}";

        private static string Fmt(int[] s) => "[" + string.Join(", ", s) + "]";

        private void NoteStructural(Lane lane, OpRecord? ra, OpRecord? rb, string what) =>
            structural ??= new StructuralDifference(ra?.Seq ?? -1, rb?.Seq ?? -1, what, ra?.Source ?? SourceLocation.Unknown, rb?.Source ?? SourceLocation.Unknown) { Thread = lane.Label, ModuleA = ra?.Module, ModuleB = rb?.Module };

        private void Single(Lane lane, OpRecord r, OpStatus status)
        {
            var cursor = status == OpStatus.OnlyInA ? a : b;
            var side = new OpSide(r.Seq, r.Output, r.Backend);
            var cmp = new OpComparison
            {
                Index = index++,
                Op = r.Op,
                Phase = r.Phase,
                BackwardOf = r.BackwardOf,
                Source = r.Source,
                Module = r.Module,
                A = status == OpStatus.OnlyInA ? side : null,
                B = status == OpStatus.OnlyInB ? side : null,
                Status = status,
                Thread = r.Thread,
            };
            if (status == OpStatus.OnlyInA)
            {
                lane.TakenA++;
            }
            else
            {
                lane.TakenB++;
            }

            Keep(lane, cmp);
            cursor.Done(r);
        }

        private void Pair(Lane lane, OpRecord ra, OpRecord rb)
        {
            compared++;
            lane.TakenA++;
            lane.TakenB++;
            var cmp = new OpComparison
            {
                Index = index++,
                Op = ra.Op,
                Phase = ra.Phase,
                BackwardOf = ra.BackwardOf,
                Source = ra.Source,
                Module = ra.Module,
                A = new OpSide(ra.Seq, ra.Output, ra.Backend),
                B = new OpSide(rb.Seq, rb.Output, rb.Backend),
                Thread = ra.Thread,
                ThreadB = rb.Thread == ra.Thread ? null : rb.Thread,
            };
            cmp = mode == DiffMode.Bitwise ? Bitwise(cmp, ra, rb) : Numeric(cmp, ra, rb);
            if (cmp.Status != OpStatus.Identical)
            {
                anyDifferentValue = true;
            }

            if (cmp.Status == OpStatus.Diverged)
            {
                diverged++;
                if (divergedOps.Count < MaxListed)
                {
                    divergedOps.Add(cmp);
                }

                if (first is null)
                {
                    cmp = cmp with { InputHealthA = [.. ra.Inputs.Select(a.HealthOf)], InputHealthB = [.. rb.Inputs.Select(b.HealthOf)] };
                    first = cmp;
                    firstLane = lane;
                    if (cmp.Cause == Cause.Propagated)
                    {
                        growth = GrowthStart(ra);
                    }

                    if (mode == DiffMode.Numeric && ra.Output.Shape.Length == 2)
                    {
                        heat = HeatMap(a.ValueOf(ra.Output.Id), b.ValueOf(rb.Output.Id), ra.Output.Shape);
                    }
                }
            }

            producers[ra.Output.Id] = (cmp, ra.Inputs);
            Group(cmp);
            Keep(lane, cmp);
            a.Done(ra);
            b.Done(rb);
            if ((compared & 1023) == 0)
            {
                options.Progress?.Invoke(compared);
            }
        }

        private OpComparison Bitwise(OpComparison cmp, OpRecord ra, OpRecord rb)
        {
            if (ra.Output.Hash == rb.Output.Hash)
            {
                return cmp with { Status = OpStatus.Identical };
            }

            bool inputsAgree = ra.Inputs.Length == rb.Inputs.Length
                && ra.Inputs.Zip(rb.Inputs).All(p => a.HashOf(p.First) is { } h && h == b.HashOf(p.Second));
            return cmp with { Status = OpStatus.Diverged, Cause = inputsAgree ? Cause.Origin : Cause.Propagated, Score = double.PositiveInfinity };
        }

        private OpComparison Numeric(OpComparison cmp, OpRecord ra, OpRecord rb)
        {
            var ta = a.ValueOf(ra.Output.Id);
            var tb = b.ValueOf(rb.Output.Id);
            var tol = ToleranceFor(ra, rb);
            if (ra.Output.Hash == rb.Output.Hash && ra.Output.DType == rb.Output.DType)
            {
                return cmp with { Status = OpStatus.Identical, Tolerance = tol };
            }

            var metrics = ErrorMetrics.Compare(ta.ToDoubleArray(), tb.ToDoubleArray(), Tolerance.Coarser(ta.DType, tb.DType), tol);
            double score = metrics.MaxScore;
            cmp = cmp with { Metrics = metrics, Tolerance = tol, Score = score };
            if (metrics.WithinTolerance)
            {
                return cmp with { Status = OpStatus.WithinTolerance };
            }

            bool inputsIdentical = ra.Inputs.Length == rb.Inputs.Length
                && ra.Inputs.Zip(rb.Inputs).All(p => a.HashOf(p.First) is { } h && h == b.HashOf(p.Second) && a.ValueOf(p.First).DType == b.ValueOf(p.Second).DType);
            if (inputsIdentical || OpTable.Get(ra.Op).HostData)
            {
                return cmp with { Status = OpStatus.Diverged, Cause = Cause.Origin };
            }

            // A conversion that rounds nothing (float16 to float32, say) cannot make an error: whatever differs came
            // in through its input. Re-running it on A's input rounded to B's input dtype would blame it for that
            // rounding, which belongs to the op that narrowed the value.
            if (rb.Op == OpTable.Cast.Name && rb.Inputs.Length == 1 && b.ValueOf(rb.Inputs[0]).DType.WidensExactly(rb.Output.DType))
            {
                return cmp with { Status = OpStatus.Diverged, Cause = Cause.Propagated };
            }

            // Re-run the op alone on B's backend and dtype with A's exact inputs: is its own error over tolerance?
            var local = LocalError(ra, rb, ta, tol);
            return cmp with { Status = OpStatus.Diverged, Cause = local is { WithinTolerance: false } ? Cause.Origin : Cause.Propagated, LocalMetrics = local };
        }

        private ErrorMetrics? LocalError(OpRecord ra, OpRecord rb, Tensor expected, Tolerance tol)
        {
            var backendB = b.Backend!;
            var inputs = new Tensor[ra.Inputs.Length];
            for (int i = 0; i < inputs.Length; i++)
            {
                var x = a.ValueOf(ra.Inputs[i]);
                var like = b.ValueOf(rb.Inputs[i]);
                if (x.DType != like.DType)
                {
                    x = x.To(like.DType);
                }

                inputs[i] = x.To(backendB);
            }

            if (OpTable.Find(rb.Op) is not { HostData: false } row)
            {
                return null;
            }

            var got = row.Execute(rb.Attributes, inputs, backendB);
            return ErrorMetrics.Compare(expected.ToDoubleArray(), got.ToDoubleArray(), Tolerance.Coarser(expected.DType, got.DType), tol);
        }

        private Tolerance ToleranceFor(OpRecord ra, OpRecord rb)
        {
            var shapes = ra.Inputs.Select(id => (IReadOnlyList<int>)a.ValueOf(id).Shape.ToArray()).ToList();
            double scale = 1.0;
            foreach (long id in ra.Inputs)
            {
                if (a.HealthOf(id) is { } h)
                {
                    scale = Math.Max(scale, Math.Max(Math.Abs(h.Min ?? 0), Math.Abs(h.Max ?? 0)));
                }
            }

            var derived = Tolerance.ForOp(OpTable.Get(ra.Op), shapes, ra.Attributes, ra.Output.DType, rb.Output.DType, scale);
            return options.HasExplicitTolerance
                ? new Tolerance(options.Atol ?? 0, options.Rtol ?? 0, options.Ulp ?? 0)
                : derived;
        }

        private OpComparison? GrowthStart(OpRecord divergent)
        {
            // Walk upstream from the divergent op and pick the op that amplified the error most: its own error
            // (relative to its tolerance) over the largest error of its inputs. Ops that only create or load values
            // (rounding data to the new dtype) start errors but do not grow them; they are the fallback.
            var seen = new HashSet<long>();
            var queue = new Queue<long>(divergent.Inputs);
            OpComparison? best = null;
            double bestAmp = 1;
            OpComparison? source = null;
            while (queue.Count > 0 && seen.Count < 100_000)
            {
                long id = queue.Dequeue();
                if (!seen.Add(id) || !producers.TryGetValue(id, out var p))
                {
                    continue;
                }

                foreach (long i in p.Inputs)
                {
                    queue.Enqueue(i);
                }

                if (p.Cmp.Score < 0.1)
                {
                    continue;
                }

                if (p.Inputs.Length == 0)
                {
                    if (source is null || p.Cmp.Index < source.Index)
                    {
                        source = p.Cmp;
                    }

                    continue;
                }

                double fromInputs = p.Inputs.Select(i => producers.TryGetValue(i, out var q) ? q.Cmp.Score : 0).DefaultIfEmpty(0).Max();
                double amp = p.Cmp.Score / Math.Max(fromInputs, 1e-3);
                if (amp > bestAmp || (amp == bestAmp && best is not null && p.Cmp.Index < best.Index))
                {
                    best = p.Cmp;
                    bestAmp = amp;
                }
            }

            return best ?? source;
        }

        private void Group(OpComparison cmp)
        {
            var key = (cmp.Op, cmp.Phase, cmp.Source, cmp.Module, cmp.Thread);
            bool bad = cmp.Status == OpStatus.Diverged;
            if (!groupIndex.TryGetValue(key, out int gi))
            {
                groupIndex[key] = groups.Count;
                groups.Add(new OpGroup(cmp.Op, cmp.Phase, cmp.Source, 1, bad ? 1 : 0, bad ? cmp.Index : -1, cmp.Score) { Thread = cmp.Thread, Module = cmp.Module });
                return;
            }

            var g = groups[gi];
            groups[gi] = g with
            {
                Count = g.Count + 1,
                Diverged = g.Diverged + (bad ? 1 : 0),
                FirstDiverged = g.FirstDiverged < 0 && bad ? cmp.Index : g.FirstDiverged,
                WorstScore = Math.Max(g.WorstScore, cmp.Score),
            };
        }

        private void CheckNonFinite(string run, OpRecord op, RunCursor cursor)
        {
            if (nonFinite is not null || op.Output.Stats is not { HasNonFinite: true })
            {
                return;
            }

            // Produced, not created or inherited: ops that make constants (an -inf mask) and ops whose inputs
            // already held a NaN or an infinity are not where the trouble starts.
            if (op.Inputs.Length == 0 || OpTable.Get(op.Op).HostData || op.Inputs.Any(id => cursor.HealthOf(id) is not { HasNonFinite: false }))
            {
                return;
            }

            nonFinite = new NonFiniteOrigin(run, op.Seq, op.Op, op.Source, op.Output.Stats, [.. op.Inputs.Select(cursor.HealthOf)]) { Thread = op.Thread, Module = op.Module };
        }

        private void Keep(Lane lane, OpComparison cmp)
        {
            // The context table shows the first divergence among the ops of its own thread.
            if (first is null)
            {
                Recent(before, cmp);
                Recent(lane.Before, cmp);
            }
            else if (ReferenceEquals(first, cmp) || (ReferenceEquals(lane, firstLane) && after.Count <= options.Context))
            {
                after.Add(cmp);
            }

            double s = cmp.Status switch
            {
                OpStatus.Identical => 0,
                OpStatus.OnlyInA or OpStatus.OnlyInB => double.NaN,
                _ => mode == DiffMode.Bitwise ? 1 : cmp.Score,
            };
            if (double.IsNaN(s))
            {
                return;
            }

            var point = new ChartPoint(cmp.Index, s, cmp.Metrics?.MaxRel ?? 0) { Op = cmp.Phase == OpPhase.Backward ? cmp.Op + " (bwd)" : cmp.Op };
            if (chart.Count > 0 && cmp.Index / chartStride == chart[^1].Index / chartStride)
            {
                if (point.Score > chart[^1].Score || (ReferenceEquals(cmp, first) && point.Score >= chart[^1].Score))
                {
                    chart[^1] = point;
                }
            }
            else
            {
                chart.Add(point);
            }

            if (chart.Count > 2 * options.ChartPoints)
            {
                chartStride *= 2;
                var merged = chart.GroupBy(p => p.Index / chartStride).Select(g => g.MaxBy(p => p.Score)).ToList();
                chart.Clear();
                chart.AddRange(merged);
            }
        }

        private void Recent(Queue<OpComparison> queue, OpComparison cmp)
        {
            queue.Enqueue(cmp);
            if (queue.Count > options.Context)
            {
                queue.Dequeue();
            }
        }

        private static double[,] HeatMap(Tensor x, Tensor y, int[] shape)
        {
            var xa = x.ToDoubleArray();
            var ya = y.ToDoubleArray();
            int rows = shape[0];
            int cols = shape[1];
            int hr = Math.Min(rows, 64);
            int hc = Math.Min(cols, 64);
            var map = new double[hr, hc];
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < cols; c++)
                {
                    double d = Math.Abs(xa[(r * cols) + c] - ya[(r * cols) + c]);
                    if (double.IsNaN(d))
                    {
                        d = double.PositiveInfinity;
                    }

                    int br = (int)((long)r * hr / rows);
                    int bc = (int)((long)c * hc / cols);
                    map[br, bc] = Math.Max(map[br, bc], d);
                }
            }

            return map;
        }
    }

    /// <summary>A thread of run A and its partner in run B (either may be absent), with their ops waiting to be aligned.</summary>
    private sealed class Lane(string? threadA, string? threadB)
    {
        public string? ThreadA { get; } = threadA;

        public string? ThreadB { get; } = threadB;

        /// <summary>"worker-2", or "w#2 / w#3" for threads of different ids paired by content.</summary>
        public string Label { get; } = threadA is null || threadB is null || threadA == threadB ? (threadA ?? threadB)! : $"{threadA} / {threadB}";

        public OpBuffer A { get; } = new();

        public OpBuffer B { get; } = new();

        /// <summary>Ops of each run aligned so far (paired or listed as only in one run).</summary>
        public long TakenA { get; set; }

        public long TakenB { get; set; }

        /// <summary>The last ops compared in this thread (the context of a first divergence found here).</summary>
        public Queue<OpComparison> Before { get; } = new();
    }

    /// <summary>One run's ops of one thread waiting to be aligned, in order: added at the end, taken from the front.</summary>
    private sealed class OpBuffer
    {
        private readonly List<OpRecord> items = [];
        private int head;

        public int Count => items.Count - head;

        public OpRecord this[int i] => items[head + i];

        public void Add(OpRecord op) => items.Add(op);

        public IEnumerable<OpRecord> Take(int n) => items.Skip(head).Take(n);

        public void RemoveFirst(int n)
        {
            head += n;

            // Taken ops are dropped in bulk, so taking from the front stays cheap however far a thread was read ahead.
            if (head >= 64 && head * 2 >= items.Count)
            {
                items.RemoveRange(0, head);
                head = 0;
            }
        }
    }
}