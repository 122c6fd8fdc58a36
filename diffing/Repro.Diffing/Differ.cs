using Repro.Engine;
using Repro.Recorder;

namespace Repro.Diffing;

/// <summary>
/// Finds where two runs part ways. Ops are aligned by sequence while the op sequences agree (same op, output
/// shape, phase and source line); where they do not, the differ looks ahead to re-align and reports the first
/// structural difference. Bitwise mode compares the recorded output hashes; numeric mode replays both runs in
/// lockstep and compares values against a tolerance derived from the dtypes and the op.
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

        using var a = new RunCursor(pathA, mode == DiffMode.Numeric);
        using var b = new RunCursor(pathB, mode == DiffMode.Numeric);
        return new Session(a, b, mode, options).Run();
    }

    private sealed class Session(RunCursor a, RunCursor b, DiffMode mode, DiffOptions options)
    {
        private const int MaxListed = 1000;

        private readonly List<OpRecord> bufA = [];
        private readonly List<OpRecord> bufB = [];
        private readonly Queue<OpComparison> before = new();
        private readonly List<OpComparison> after = [];
        private readonly List<ChartPoint> chart = [];
        private readonly Dictionary<long, (OpComparison Cmp, long[] Inputs)> producers = [];
        private readonly List<string> notes = [];
        private readonly List<OpComparison> divergedOps = [];
        private readonly Dictionary<(string Op, OpPhase Phase, SourceLocation Source), int> groupIndex = [];
        private readonly List<OpGroup> groups = [];
        private bool endA;
        private bool endB;
        private long index;
        private long compared;
        private long diverged;
        private bool anyDifferentValue;
        private int chartStride = 1;
        private OpComparison? first;
        private OpComparison? growth;
        private StructuralDifference? structural;
        private NonFiniteOrigin? nonFinite;
        private double[,]? heat;

        public DiffResult Run()
        {
            while (true)
            {
                Fill(1);
                if (bufA.Count == 0 && bufB.Count == 0)
                {
                    break;
                }

                if (bufA.Count == 0 || bufB.Count == 0)
                {
                    var (ra, rb) = (bufA.FirstOrDefault(), bufB.FirstOrDefault());
                    NoteStructural(ra, rb, ra is null ? $"run A ends after its last op; run B goes on with {Describe(rb!)}" : $"run B ends after its last op; run A goes on with {Describe(ra)}");
                    if (ra is not null)
                    {
                        Single(ra, OpStatus.OnlyInA);
                        bufA.RemoveAt(0);
                    }
                    else
                    {
                        Single(rb!, OpStatus.OnlyInB);
                        bufB.RemoveAt(0);
                    }

                    continue;
                }

                if (Exact(bufA[0], bufB[0]))
                {
                    Pair(bufA[0], bufB[0]);
                    bufA.RemoveAt(0);
                    bufB.RemoveAt(0);
                    continue;
                }

                Realign();
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
            var context = before.ToList();
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
            };
        }

        private void Fill(int n)
        {
            while (bufA.Count < n && !endA)
            {
                var op = a.Next();
                if (op is null)
                {
                    endA = true;
                }
                else
                {
                    CheckNonFinite("A", op, a);
                    bufA.Add(op);
                }
            }

            while (bufB.Count < n && !endB)
            {
                var op = b.Next();
                if (op is null)
                {
                    endB = true;
                }
                else
                {
                    CheckNonFinite("B", op, b);
                    bufB.Add(op);
                }
            }
        }

        private static bool SameShape(OpRecord x, OpRecord y) =>
            x.Op == y.Op && x.Phase == y.Phase && x.Output.Shape.AsSpan().SequenceEqual(y.Output.Shape);

        private static bool Exact(OpRecord x, OpRecord y) =>
            SameShape(x, y) && x.Source.Line == y.Source.Line && Path.GetFileName(x.Source.File) == Path.GetFileName(y.Source.File);

        private void Realign()
        {
            Fill(options.AlignWindow);
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

                Pair(ra, rb);
                bufA.RemoveAt(0);
                bufB.RemoveAt(0);
                return;
            }

            if (bestI < 0)
            {
                NoteStructural(ra, rb, $"run A has {Describe(ra)} where run B has {Describe(rb)}, and they do not re-align within {options.AlignWindow} ops");
                Single(ra, OpStatus.OnlyInA);
                Single(rb, OpStatus.OnlyInB);
                bufA.RemoveAt(0);
                bufB.RemoveAt(0);
                return;
            }

            bool onlyCasts = a.Header.Environment.DType != b.Header.Environment.DType
                && bufA.Take(bestI).Concat(bufB.Take(bestJ)).All(r => r.Op == "cast");
            if (onlyCasts)
            {
                // A dtype change adds conversions (a model moved to bfloat16): expected, so a note, not a structural difference.
                notes.Add($"run {(bestI > 0 ? "A" : "B")} has {Math.Max(bestI, bestJ)} extra cast op(s) from {Describe(bestI > 0 ? ra : rb)}: dtype conversions, skipped in the alignment");
            }
            else
            {
                NoteStructural(ra, rb, bestI > 0 && bestJ > 0
                    ? $"run A has {bestI} op(s) from {Describe(ra)} where run B has {bestJ} op(s) from {Describe(rb)}"
                    : bestI > 0 ? $"run A has {bestI} extra op(s) from {Describe(ra)}" : $"run B has {bestJ} extra op(s) from {Describe(rb)}");
            }

            for (int i = 0; i < bestI; i++)
            {
                Single(bufA[i], OpStatus.OnlyInA);
            }

            for (int j = 0; j < bestJ; j++)
            {
                Single(bufB[j], OpStatus.OnlyInB);
            }

            bufA.RemoveRange(0, bestI);
            bufB.RemoveRange(0, bestJ);
        }

        private static string Describe(OpRecord r) => $"op {r.Seq} '{r.Op}' {Fmt(r.Output.Shape)} at {r.Source}";

        private static string Fmt(int[] s) => "[" + string.Join(", ", s) + "]";

        private void NoteStructural(OpRecord? ra, OpRecord? rb, string what) =>
            structural ??= new StructuralDifference(ra?.Seq ?? -1, rb?.Seq ?? -1, what, ra?.Source ?? SourceLocation.Unknown, rb?.Source ?? SourceLocation.Unknown);

        private void Single(OpRecord r, OpStatus status)
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
                A = status == OpStatus.OnlyInA ? side : null,
                B = status == OpStatus.OnlyInB ? side : null,
                Status = status,
            };
            Keep(cmp);
            cursor.Done(r);
        }

        private void Pair(OpRecord ra, OpRecord rb)
        {
            compared++;
            var cmp = new OpComparison
            {
                Index = index++,
                Op = ra.Op,
                Phase = ra.Phase,
                BackwardOf = ra.BackwardOf,
                Source = ra.Source,
                A = new OpSide(ra.Seq, ra.Output, ra.Backend),
                B = new OpSide(rb.Seq, rb.Output, rb.Backend),
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
            Keep(cmp);
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
            if (inputsIdentical || ra.Op == "from_host")
            {
                return cmp with { Status = OpStatus.Diverged, Cause = Cause.Origin };
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

            if (rb.Op == "from_host" || !OpRegistry.IsKnown(rb.Op))
            {
                return null;
            }

            var got = OpRegistry.Execute(rb.Op, rb.Attributes, inputs, backendB);
            return ErrorMetrics.Compare(expected.ToDoubleArray(), got.ToDoubleArray(), Tolerance.Coarser(expected.DType, got.DType), tol);
        }

        private Tolerance ToleranceFor(OpRecord ra, OpRecord rb)
        {
            var shapes = ra.Inputs.Select(id => (IReadOnlyList<int>)a.ValueOf(id).Shape.ToArray()).ToList();
            long n = Tolerance.ReductionLength(ra.Op, shapes, ra.Attributes);
            double scale = 1.0;
            foreach (long id in ra.Inputs)
            {
                if (a.HealthOf(id) is { } h)
                {
                    scale = Math.Max(scale, Math.Max(Math.Abs(h.Min ?? 0), Math.Abs(h.Max ?? 0)));
                }
            }

            var derived = Tolerance.For(ra.Output.DType, rb.Output.DType, n, n > 1 ? scale : 1.0);
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
            var key = (cmp.Op, cmp.Phase, cmp.Source);
            bool bad = cmp.Status == OpStatus.Diverged;
            if (!groupIndex.TryGetValue(key, out int gi))
            {
                groupIndex[key] = groups.Count;
                groups.Add(new OpGroup(cmp.Op, cmp.Phase, cmp.Source, 1, bad ? 1 : 0, bad ? cmp.Index : -1, cmp.Score));
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
            if (op.Inputs.Length == 0 || op.Op == "from_host" || op.Inputs.Any(id => cursor.HealthOf(id) is not { HasNonFinite: false }))
            {
                return;
            }

            nonFinite = new NonFiniteOrigin(run, op.Seq, op.Op, op.Source, op.Output.Stats, [.. op.Inputs.Select(cursor.HealthOf)]);
        }

        private void Keep(OpComparison cmp)
        {
            if (first is null || ReferenceEquals(first, cmp))
            {
                if (first is null)
                {
                    before.Enqueue(cmp);
                    if (before.Count > options.Context)
                    {
                        before.Dequeue();
                    }
                }
                else
                {
                    after.Add(cmp);
                }
            }
            else if (after.Count <= options.Context)
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

            var point = new ChartPoint(cmp.Index, s, cmp.Metrics?.MaxRel ?? 0);
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
}
