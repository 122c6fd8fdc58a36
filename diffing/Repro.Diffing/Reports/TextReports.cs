using System.Text;
using static Repro.Diffing.Reports.ReportText;

namespace Repro.Diffing.Reports;

/// <summary>The terminal summary: verdict, first divergence with its location, metrics and cause, then the ops around it.</summary>
public static class TerminalReport
{
    /// <summary>The verdict as the text reports spell it: "IDENTICAL", "WITHIN TOLERANCE", "DIVERGED", "STRUCTURE DIFFERS".</summary>
    public static string VerdictName(DiffResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return Verdict(r);
    }

    /// <summary>Renders plain text (no colours, fixed-width table).</summary>
    public static string Render(DiffResult r)
    {
        var sb = new StringBuilder();
        sb.Append("repro diff: ").AppendLine(Headline(r))
            .Append("  ").AppendLine(Run("A", r.PathA, r.HeaderA))
            .Append("  ").AppendLine(Run("B", r.PathB, r.HeaderB))
            .AppendLine();
        if (r.FirstDivergence is { } f)
        {
            sb.Append("First divergence: ").Append(Seq(f)).Append(' ').Append(OpLabel(f)).Append(" at ").AppendLine(Where(r, f));
            if (f.Metrics is { } m)
            {
                sb.Append("  ").AppendLine(Metrics(m, f.A!.Output.Shape))
                    .Append("  tolerance: ").AppendLine(Tolerance(f.Tolerance!));
            }
            else
            {
                sb.Append("  output hash ").Append(f.A!.Output.Hash).Append(" in A, ").Append(f.B!.Output.Hash).AppendLine(" in B");
            }

            sb.Append("  ").AppendLine(CauseSentence(r)).AppendLine();
        }

        if (r.Structural is { } s)
        {
            sb.Append("Structural difference: ").AppendLine(Structural(r, s)).AppendLine();
        }

        if (r.NonFinite is { } n)
        {
            sb.Append("First NaN/Inf: ").AppendLine(NonFinite(r, n));
            for (int i = 0; i < n.Inputs.Count; i++)
            {
                sb.Append("  input ").Append(i).Append(": ").AppendLine(Health(n.Inputs[i]));
            }

            sb.AppendLine();
        }

        foreach (var note in r.Notes)
        {
            sb.Append("Note: ").AppendLine(V(note));
        }

        if (r.Context.Count > 0)
        {
            sb.AppendLine(r.FirstDivergence is null ? "Last ops compared:" : "Ops around the first divergence:");
            AppendTable(sb, r);
        }

        return sb.ToString();
    }

    private static void AppendTable(StringBuilder sb, DiffResult result)
    {
        var columns = Columns(result);
        var rows = result.Context.Select(c => Row(result, c)).Prepend(columns).ToList();
        var widths = Enumerable.Range(0, columns.Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            sb.Append("  ");
            for (int c = 0; c < row.Length; c++)
            {
                sb.Append(row[c].PadRight(widths[c]));
                if (c < row.Length - 1)
                {
                    sb.Append("  ");
                }
            }

            sb.AppendLine();
        }
    }
}

/// <summary>The same content as the terminal report, as Markdown for a CI job summary or a pull-request comment.</summary>
public static class MarkdownReport
{
    /// <summary>Renders Markdown; strings from the logs are escaped for tables and inline code.</summary>
    public static string Render(DiffResult r)
    {
        var sb = new StringBuilder();
        sb.Append("## repro diff: ").AppendLine(Md(Headline(r))).AppendLine()
            .Append("- ").AppendLine(Md(Run("A", r.PathA, r.HeaderA)))
            .Append("- ").AppendLine(Md(Run("B", r.PathB, r.HeaderB)))
            .AppendLine();
        if (r.FirstDivergence is { } f)
        {
            sb.Append("### First divergence: ").Append(Md(Seq(f))).Append(' ').Append(Md(OpLabel(f))).Append(" at `").Append(Code(Where(f.Source))).Append('`')
                .Append(f.Module is null ? string.Empty : $" in module `{Code(Module(f.Module))}`").AppendLine(Md(InThread(r, f.Thread, f.ThreadB))).AppendLine();
            if (f.Metrics is { } m)
            {
                sb.Append("- ").AppendLine(Md(Metrics(m, f.A!.Output.Shape)))
                    .Append("- tolerance: ").AppendLine(Md(Tolerance(f.Tolerance!)));
            }
            else
            {
                sb.Append("- output hash `").Append(f.A!.Output.Hash).Append("` in A, `").Append(f.B!.Output.Hash).AppendLine("` in B");
            }

            sb.Append("- **").Append(Md(CauseSentence(r))).AppendLine("**").AppendLine();
        }

        if (r.Structural is { } s)
        {
            sb.Append("### Structural difference\n\n").AppendLine(Md(Structural(r, s))).AppendLine();
        }

        if (r.NonFinite is { } n)
        {
            sb.Append("### First NaN/Inf\n\n").AppendLine(Md(NonFinite(r, n))).AppendLine();
        }

        foreach (var note in r.Notes)
        {
            sb.Append("> ").AppendLine(Md(V(note)));
        }

        if (r.Context.Count > 0)
        {
            sb.AppendLine().AppendLine(r.FirstDivergence is null ? "### Last ops compared" : "### Ops around the first divergence").AppendLine()
                .Append("| ").AppendJoin(" | ", Columns(r)).AppendLine(" |")
                .Append('|').AppendJoin(string.Empty, Columns(r).Select(_ => " --- |")).AppendLine();
            foreach (var c in r.Context)
            {
                sb.Append("| ").AppendJoin(" | ", Row(r, c).Select(Md)).AppendLine(" |");
            }
        }

        return sb.ToString();
    }

    // Escapes characters with meaning in Markdown (and HTML, which Markdown passes through).
    private static string Md(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (char ch in s)
        {
            switch (ch)
            {
                case '|' or '\\' or '`' or '*' or '_' or '[' or ']' or '#' or '!':
                    sb.Append('\\').Append(ch);
                    break;
                case '<':
                    sb.Append("&lt;");
                    break;
                case '>':
                    sb.Append("&gt;");
                    break;
                case '&':
                    sb.Append("&amp;");
                    break;
                case '\n' or '\r':
                    sb.Append(' ');
                    break;
                default:
                    sb.Append(ch);
                    break;
            }
        }

        return sb.ToString();
    }

    private static string Code(string s) => s.Replace("`", "'", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
