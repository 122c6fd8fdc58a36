using System.Globalization;
using Repro.Engine;

namespace Repro.Diffing.Reports;

/// <summary>
/// Wording and number formats shared by every report, so they say the same thing the same way. Every string that
/// quotes a log (op names, source locations, header fields, notes) comes out with its control and bidirectional
/// characters made visible (<see cref="Recorder.LogText.Visible"/>).
/// </summary>
internal static class ReportText
{
    public static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Verdict(DiffResult r) => r.Verdict switch
    {
        Diffing.Verdict.Identical when r.Structural is null => "IDENTICAL",
        Diffing.Verdict.WithinTolerance when r.Structural is null => "WITHIN TOLERANCE",
        Diffing.Verdict.Diverged => "DIVERGED",
        _ => "STRUCTURE DIFFERS",
    };

    public static string Headline(DiffResult r) =>
        $"{Verdict(r)}{(r.Prefix is null ? string.Empty : " on the common prefix")} ({ModeName(r.Mode)} mode, {r.OpsDiverged} of {r.OpsCompared} aligned ops over tolerance)";

    /// <summary>" in thread 'worker-2'" where the runs have several threads (single-thread reports stay as they were); empty otherwise.</summary>
    public static string InThread(DiffResult r, string thread, string? threadB = null) =>
        !r.MultiThreaded ? string.Empty
        : threadB is null ? $" in thread '{V(thread)}'"
        : $" in thread '{V(thread)}' (A) / '{V(threadB)}' (B)";

    /// <summary>Where an op was called, and in which thread.</summary>
    public static string Where(DiffResult r, OpComparison c) => $"{Where(c.Source)}{InModule(c.Module)}{InThread(r, c.Thread, c.ThreadB)}";

    /// <summary>" in module 2 (Linear)" for an op that ran in a module (its path and type); empty otherwise.</summary>
    public static string InModule(OpModule? m) => m is null ? string.Empty : $" in module {Module(m)}";

    /// <summary>A module as the reports print it: "encoder.block1.attn (MultiHeadSelfAttention)", "Mlp" for the outermost one.</summary>
    public static string Module(OpModule? m) => m is null ? "-" : V(m.ToString());

    public static string ModeName(DiffMode m) => m.ToString().ToLowerInvariant();

    public static string Num(double v) =>
        double.IsPositiveInfinity(v) ? "inf" : double.IsNaN(v) ? "nan" : v == 0 ? "0" : Math.Abs(v) is >= 1e-3 and < 1e5 ? v.ToString("G4", Inv) : v.ToString("0.###e+0", Inv);

    /// <summary>
    /// A share as a percentage that never reads as 0% or 100% when it is neither: "12.5%", "0.05%" (1 of 2,048),
    /// "0.0012%", "99.9%" for nearly all.
    /// </summary>
    public static string Percent(double share)
    {
        double p = share * 100;
        string text = p == 0 || p >= 1 ? p.ToString("0.0", Inv)
            : p >= 0.01 ? p.ToString("0.00", Inv)
            : p.ToString("G2", Inv);
        if (share < 1 && text == "100.0")
        {
            text = "99.9";
        }

        return text + "%";
    }

    /// <summary>A count with thousands separators ("2,048").</summary>
    public static string Count(long n) => n.ToString("N0", Inv);

    public static string Shape(int[] s) => "[" + string.Join(", ", s) + "]";

    public static string Run(string label, string path, Recorder.LogHeader h) => V(
        $"{label}: {Path.GetFileName(Path.TrimEndingDirectorySeparator(path))}  backend {h.Environment.Backend}, {h.Environment.DType}, {h.Environment.Threads} thread{(h.Environment.Threads == 1 ? string.Empty : "s")}, {h.Environment.Cpu}, {h.Environment.Os}");

    public static string OpLabel(OpComparison c) =>
        $"'{V(c.Op)}'{(c.Phase == OpPhase.Backward ? $" (backward of op {c.BackwardOf})" : string.Empty)}";

    public static string Seq(OpComparison c) =>
        c.A is not null && c.B is not null && c.A.Seq == c.B.Seq ? $"op {c.A.Seq}"
        : $"op {(c.A is null ? "-" : c.A.Seq.ToString(Inv))} in A / {(c.B is null ? "-" : c.B.Seq.ToString(Inv))} in B";

    public static string Status(OpComparison c) => c.Status switch
    {
        OpStatus.Identical => "identical",
        OpStatus.WithinTolerance => "within tol.",
        OpStatus.Diverged => "DIVERGED",
        OpStatus.OnlyInA => "only in A",
        _ => "only in B",
    };

    public static string Cause(OpComparison c) => c.Cause switch
    {
        Diffing.Cause.Origin => "origin",
        Diffing.Cause.Propagated => "propagated",
        _ => string.Empty,
    };

    public static string CauseSentence(DiffResult r)
    {
        var f = r.FirstDivergence!;
        if (f.Cause == Diffing.Cause.Origin)
        {
            return f.LocalMetrics is { } l
                ? $"ORIGIN: re-run alone on B's backend and dtype with A's exact inputs, it still errs (max rel {Num(l.MaxRel)}, {Percent(l.ShareOverTolerance)} of elements over tolerance): this op makes the error."
                : "ORIGIN: its inputs are identical in both runs, so this op alone makes the difference.";
        }

        var g = r.GrowthStart;
        string where = g is null ? string.Empty : $" The error starts to grow upstream at {Seq(g)} {OpLabel(g)} at {Where(r, g)} (error {Num(g.Score)} x its tolerance).";
        return f.LocalMetrics is { } m
            ? $"PROPAGATED: re-run alone on B's backend and dtype with A's exact inputs, it stays within tolerance (max rel {Num(m.MaxRel)}): the error came in through its inputs.{where}"
            : $"PROPAGATED: its inputs already differ between the runs.{where}";
    }

    public static string Metrics(ErrorMetrics m, int[] shape) =>
        $"max abs {Num(m.MaxAbs)}, max rel {Num(m.MaxRel)}, max ulp {Num(m.MaxUlp)}, {Count(m.OverTolerance)} of {Count(m.Count)} elements over tolerance ({Percent(m.ShareOverTolerance)}), worst at {Index(m.WorstIndex, shape)}";

    public static string Tolerance(Tolerance t) =>
        t.Atol == 0 && t.Rtol == 0 && t.Ulp == 0 ? "exact (bit for bit)" : $"atol {Num(t.Atol)}, rtol {Num(t.Rtol)}{(t.Ulp > 0 ? $", {Num(t.Ulp)} ulp" : string.Empty)}";

    public static string Index(long flat, int[] shape)
    {
        if (flat < 0)
        {
            return "-";
        }

        var idx = new long[shape.Length];
        long rest = flat;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            int extent = Math.Max(shape[d], 1);
            idx[d] = rest % extent;
            rest /= extent;
        }

        return "[" + string.Join(", ", idx) + "]";
    }

    public static string Health(Recorder.HealthSummary? h) =>
        h is null ? "not recorded"
        : $"min {Num(h.Min ?? double.NaN)}, max {Num(h.Max ?? double.NaN)}, mean {Num(h.Mean ?? double.NaN)}, NaN {h.NaN}, +Inf {h.PosInf}, -Inf {h.NegInf}, subnormal {h.Subnormal}, zero {h.Zero}";

    public static string Structural(DiffResult r, StructuralDifference s) =>
        V($"{s.Description}{InThread(r, s.Thread)} (A at {s.SourceA}{InModule(s.ModuleA)}, B at {s.SourceB}{InModule(s.ModuleB)})");

    public static string NonFinite(DiffResult r, NonFiniteOrigin n) =>
        V($"run {n.Run}, op {n.Seq} '{n.Op}' at {n.Source}{InModule(n.Module)}{InThread(r, n.Thread)}: output {Health(n.Output)}");

    /// <summary>A source location as the reports print it.</summary>
    public static string Where(Engine.SourceLocation s) => V(s.ToString());

    /// <summary>Text from a log, printable (see <see cref="Recorder.LogText.Visible"/>).</summary>
    public static string V(string? text) => Recorder.LogText.Visible(text);

    /// <summary>Table columns (the error column is relative to the op's tolerance, so it agrees with the status: at most 1 within tolerance): index, seq, op, source, module, (thread, where there are several), status, cause, max rel, max ulp, over tolerance.</summary>
    public static string[] Row(DiffResult r, OpComparison c)
    {
        string[] row =
        [
            c.Index.ToString(Inv),
            c.A?.Seq.ToString(Inv) ?? "-",
            c.B?.Seq.ToString(Inv) ?? "-",
            V(c.Op) + (c.Phase == OpPhase.Backward ? " (bwd)" : string.Empty),
            Shape((c.A ?? c.B)!.Output.Shape),
            Where(c.Source),
            Module(c.Module),
            Status(c),
            Cause(c),
            c.Metrics is null ? (c.Status == OpStatus.Diverged ? "hash differs" : "-") : Num(c.Score),
            c.Metrics is null ? "-" : Num(c.Metrics.MaxUlp),
            c.Metrics is null ? "-" : Percent(c.Metrics.ShareOverTolerance),
        ];
        return r.MultiThreaded ? [.. row[..7], V(c.ThreadB is null ? c.Thread : $"{c.Thread} / {c.ThreadB}"), .. row[7..]] : row;
    }

    public static string[] Columns(DiffResult r) => r.MultiThreaded ? [.. SingleThreadColumns[..7], "thread", .. SingleThreadColumns[7..]] : SingleThreadColumns;

    private static readonly string[] SingleThreadColumns = ["#", "seq A", "seq B", "op", "shape", "source", "module", "status", "cause", "error / tol.", "max ulp", "over tol."];
}
