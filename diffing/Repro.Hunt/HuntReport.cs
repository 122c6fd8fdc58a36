using System.Globalization;
using System.Text;
using Newtonsoft.Json.Linq;
using Repro.Recorder;

namespace Repro.Hunt;

/// <summary>
/// A hunt's report: text for the terminal, Markdown, JSON. Each is a function of the result alone, with no time or
/// machine in it, so one program hunted twice with one seed gives the same report (when the program's own
/// differences repeat). Text from the program's logs is written with its control characters made visible.
/// </summary>
public static class HuntReport
{
    /// <summary>The terminal report.</summary>
    public static string Text(HuntResult r)
    {
        var s = new StringBuilder();
        s.Append("repro hunt: ").Append(Verdict(r)).Append('\n')
            .Append("  program: ").Append(LogText.Visible(string.Join(' ', r.Command))).Append('\n')
            .Append("  varied: ").AppendJoin(", ", r.Vary).Append("; seed ").Append(r.Seed.ToString(CultureInfo.InvariantCulture))
            .Append("; logs in ").Append(LogText.Visible(r.OutDir)).Append('\n')
            .Append('\n').Append("Runs:\n");
        int width = r.Runs.Max(x => x.Run.Label.Length);
        int summaryWidth = r.Runs.Max(x => RunSummary(r, x).Length);
        foreach (var run in r.Runs)
        {
            s.Append("  ").Append(run.Run.Index.ToString("D2", CultureInfo.InvariantCulture)).Append(' ')
                .Append(run.Run.Label.PadRight(width)).Append("  ").Append(RunSummary(r, run).PadRight(summaryWidth)).Append("  ").Append(run.Run.Description).Append('\n');
        }

        foreach (var k in r.Kinds)
        {
            s.Append('\n').Append(k.Id.ToString(CultureInfo.InvariantCulture)).Append(". ").Append(LogText.Visible(Title(k))).Append('\n');
            foreach (var (label, value) in Fields(r, k))
            {
                s.Append("   ").Append((label + ":").PadRight(14)).Append(LogText.Visible(value)).Append('\n');
            }
        }

        if (r.Notes.Count > 0)
        {
            s.Append('\n');
            foreach (var n in r.Notes)
            {
                s.Append("note: ").Append(LogText.Visible(n)).Append('\n');
            }
        }

        return s.ToString();
    }

    /// <summary>The Markdown report.</summary>
    public static string Markdown(HuntResult r)
    {
        var s = new StringBuilder();
        s.Append("# repro hunt: ").Append(Md(Verdict(r))).Append("\n\n")
            .Append("Program: `").Append(LogText.Visible(string.Join(' ', r.Command)).Replace("`", "'", StringComparison.Ordinal)).Append("`  \n")
            .Append("Varied: ").AppendJoin(", ", r.Vary).Append("; seed ").Append(r.Seed.ToString(CultureInfo.InvariantCulture))
            .Append("; logs in `").Append(LogText.Visible(r.OutDir)).Append("`\n\n")
            .Append("| run | condition | result | changed |\n| --- | --- | --- | --- |\n");
        foreach (var run in r.Runs)
        {
            s.Append("| ").Append(run.Run.Index.ToString("D2", CultureInfo.InvariantCulture)).Append(" | ").Append(run.Run.Label).Append(" | ").Append(Md(RunSummary(r, run))).Append(" | ").Append(Md(run.Run.Description)).Append(" |\n");
        }

        foreach (var k in r.Kinds)
        {
            s.Append("\n## ").Append(k.Id.ToString(CultureInfo.InvariantCulture)).Append(". ").Append(Md(Title(k))).Append("\n\n");
            foreach (var (label, value) in Fields(r, k))
            {
                s.Append("- **").Append(label).Append("**: ").Append(Md(value)).Append('\n');
            }
        }

        if (r.Notes.Count > 0)
        {
            s.Append('\n');
            foreach (var n in r.Notes)
            {
                s.Append("> ").Append(Md(n)).Append('\n');
            }
        }

        return s.ToString();
    }

    /// <summary>The JSON report (exact strings; the caller escapes control characters for a terminal).</summary>
    public static JObject Json(HuntResult r) => new()
    {
        ["verdict"] = r.Identical ? "identical" : "diverged",
        ["exitCode"] = r.ExitCode,
        ["command"] = new JArray(r.Command),
        ["seed"] = r.Seed.ToString(CultureInfo.InvariantCulture),
        ["vary"] = new JArray(r.Vary),
        ["outDir"] = r.OutDir,
        ["runsPlanned"] = r.Planned,
        ["runs"] = new JArray(r.Runs.Select(run => new JObject
        {
            ["index"] = run.Run.Index,
            ["condition"] = run.Run.Label,
            ["changes"] = new JArray(run.Run.Changes.Select(c => c.Description)),
            ["log"] = run.Log is null ? null : r.LogOf(run.Run.Index),
            ["programExitCode"] = run.ExitCode,
            ["status"] = run.Status,
            ["kinds"] = new JArray(r.Kinds.Where(k => k.Runs.Contains(run.Run.Index)).Select(k => k.Id)),
        })),
        ["kinds"] = new JArray(r.Kinds.Select(k => new JObject
        {
            ["id"] = k.Id,
            ["class"] = ClassName(k.Class),
            ["op"] = k.Op,
            ["leaf"] = k.Leaf,
            ["phase"] = k.Phase == Repro.Engine.OpPhase.Backward ? "backward" : "forward",
            ["source"] = k.Source.IsKnown ? new JObject { ["file"] = k.Source.File, ["line"] = k.Source.Line, ["member"] = k.Source.Member, ["approximate"] = k.Source.Approximate } : null,
            ["thread"] = k.Thread,
            ["firstSeq"] = k.FirstSeq,
            ["what"] = k.What,
            ["ops"] = k.Ops,
            ["elements"] = k.Elements is { } e ? new JObject { ["count"] = e.Elements, ["differing"] = e.Differing, ["sameMultiset"] = e.SameMultiset, ["maxUlp"] = double.IsFinite(e.MaxUlp) ? e.MaxUlp : "inf" } : null,
            ["attribution"] = k.Attribution switch { Attribution.RunToRun => "run-to-run", Attribution.Conditions => "conditions", _ => "combined-only" },
            ["conditions"] = new JArray(k.Conditions),
            ["runs"] = new JArray(k.Runs),
            ["cause"] = k.Cause,
            ["rules"] = new JArray(k.Rules),
            ["compare"] = new JArray(r.LogOf(0), r.LogOf(k.Runs[0])),
        })),
        ["notes"] = new JArray(r.Notes),
    };

    /// <summary>"order", "last-bits", "values", "sequence", "outcome", "no-log".</summary>
    public static string ClassName(DifferenceClass c) => c switch
    {
        DifferenceClass.Order => "order",
        DifferenceClass.LastBits => "last-bits",
        DifferenceClass.Values => "values",
        DifferenceClass.Sequence => "sequence",
        DifferenceClass.Outcome => "outcome",
        _ => "no-log",
    };

    private static string Verdict(HuntResult r) => r.Identical
        ? $"IDENTICAL: all {r.Runs.Count} runs agree with the baseline bit for bit"
        : $"DIVERGED: {r.Kinds.Count} kind{(r.Kinds.Count == 1 ? string.Empty : "s")} of difference in {r.Runs.Count} runs";

    private static string RunSummary(HuntResult r, RunOutcome run)
    {
        if (run.Run.Index == 0)
        {
            return run.Status == EndStatus.Complete && run.ExitCode == 0 ? "reference" : $"reference (exit code {run.ExitCode}, status {run.Status ?? "none"})";
        }

        if (run.StoppedByBudget)
        {
            return "stopped: budget";
        }

        var kinds = r.Kinds.Where(k => k.Runs.Contains(run.Run.Index)).Select(k => k.Id.ToString(CultureInfo.InvariantCulture)).ToList();
        return kinds.Count == 0 ? "identical" : "differs: " + string.Join(", ", kinds);
    }

    private static string Title(HuntKind k) => k.Class switch
    {
        DifferenceClass.Outcome => $"the run ends differently{(k.Source.IsKnown ? " at " + k.Source : string.Empty)}",
        DifferenceClass.NoLog => "a run left no log",
        DifferenceClass.Sequence => $"the op sequence differs at {k.Source}",
        _ => $"{(k.Leaf ? "leaf" : "op")} '{k.Op}'{(k.Phase == Repro.Engine.OpPhase.Backward ? " (backward)" : string.Empty)} at {k.Source}: {ClassText(k.Class)}",
    };

    private static string ClassText(DifferenceClass c) => c switch
    {
        DifferenceClass.Order => "element order",
        DifferenceClass.LastBits => "last bits",
        _ => "values",
    };

    private static IEnumerable<(string Label, string Value)> Fields(HuntResult r, HuntKind k)
    {
        yield return ("what", k.What);
        if (k.Source.IsKnown)
        {
            yield return ("source", $"{k.Source.File}:{(k.Source.Approximate ? "~" : string.Empty)}{k.Source.Line} in {k.Source.Member}{(k.Thread != LogFormat.MainThread ? $" (thread '{k.Thread}')" : string.Empty)}");
        }

        if (k.FirstSeq >= 0)
        {
            yield return ("first op", $"op {k.FirstSeq} of the baseline" + (k.Ops > 1 ? $" ({k.Ops} ops at this line differ)" : string.Empty));
        }

        yield return ("changes with", ChangesWith(r, k));
        if (k.Elements is { } e)
        {
            string ulp = double.IsFinite(e.MaxUlp) ? e.MaxUlp.ToString("G3", CultureInfo.InvariantCulture) : "inf";
            yield return ("elements", $"{e.Differing} of {e.Elements} differ" + (e.SameMultiset == true ? " (the same values, reordered)" : $" (at most {ulp} ulp apart)"));
        }

        yield return ("likely cause", k.Cause);
        yield return ("rules", k.Rules.Count == 0 ? "none" : string.Join(", ", k.Rules) + (k.Rules.Any(x => x.StartsWith("CA", StringComparison.Ordinal)) ? " (CAxxxx: the .NET SDK's code analysis; Repro has no rule for this)" : string.Empty));
        yield return ("compare", $"repro diff {r.LogOf(0)} {r.LogOf(k.Runs[0])}");
    }

    private static string ChangesWith(HuntResult r, HuntKind k)
    {
        string runs = (k.Runs.Count == 1 ? "run " : "runs ") + string.Join(", ", k.Runs);
        return k.Attribution switch
        {
            Attribution.RunToRun => $"nothing: it varies from run to run under identical conditions ({runs})",
            Attribution.CombinedOnly => $"only the conditions changed together ({runs})",
            _ => string.Join("; ", k.Conditions.Select(c => c + " (" + string.Join(", ", r.Runs.Where(x => x.Run.Role == RunRole.Single && x.Run.Changes[0].Condition == c && k.Runs.Contains(x.Run.Index)).Select(x => x.Run.Changes[0].Description).Distinct()) + ")")) + $" ({runs})",
        };
    }

    private static string Md(string text) => LogText.Visible(text).Replace("|", "\\|", StringComparison.Ordinal).Replace("*", "\\*", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
