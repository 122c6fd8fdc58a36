using System.Net;
using System.Text;
using static Repro.Diffing.Reports.ReportText;

namespace Repro.Diffing.Reports;

/// <summary>
/// One self-contained HTML file (no scripts, no network): the summary, an SVG chart of error against op index on a
/// log scale with the first divergence marked, the table of ops, the first divergent op's input and output health,
/// and a heat map of its error for 2-D outputs. Every string from a log is HTML-escaped, its control and bidirectional
/// characters made visible first.
/// </summary>
public static class HtmlReport
{
    private const int ChartWidth = 900;
    private const int ChartHeight = 260;
    private const double LogFloor = -8;
    private const double LogCeil = 8;

    /// <summary>Renders the report.</summary>
    public static string Render(DiffResult r)
    {
        var sb = new StringBuilder();
        sb.AppendLine("<!DOCTYPE html>")
            .AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\"><title>repro diff</title>")
            .AppendLine("<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}tr.diverged td{background:#fde2e2}tr.first td{background:#f8b4b4;font-weight:bold}.verdict{font-size:1.4em;font-weight:bold}.ok{color:#1a7f37}.bad{color:#b42318}code{background:#f4f4f4;padding:1px 4px}</style>")
            .AppendLine("</head><body>")
            .Append("<h1>repro diff</h1><p class=\"verdict ").Append(r.ExitCode == 0 ? "ok" : "bad").Append("\" id=\"verdict\">").Append(E(Headline(r))).AppendLine("</p>")
            .Append("<ul><li>").Append(E(Run("A", r.PathA, r.HeaderA))).Append("</li><li>").Append(E(Run("B", r.PathB, r.HeaderB))).AppendLine("</li></ul>");
        if (r.FirstDivergence is { } f)
        {
            sb.Append("<h2>First divergence: ").Append(E(Seq(f))).Append(' ').Append(E(OpLabel(f))).Append(" at <code>").Append(E(f.Source.ToString())).Append("</code>").Append(E(InThread(r, f.Thread, f.ThreadB))).AppendLine("</h2><ul>");
            if (f.Metrics is { } m)
            {
                sb.Append("<li>").Append(E(Metrics(m, f.A!.Output.Shape))).Append("</li><li>tolerance: ").Append(E(Tolerance(f.Tolerance!))).AppendLine("</li>");
            }
            else
            {
                sb.Append("<li>output hash <code>").Append(E(f.A!.Output.Hash)).Append("</code> in A, <code>").Append(E(f.B!.Output.Hash)).AppendLine("</code> in B</li>");
            }

            sb.Append("<li><strong id=\"cause\">").Append(E(CauseSentence(r))).AppendLine("</strong></li></ul>");
        }

        if (r.Structural is { } s)
        {
            sb.Append("<h2>Structural difference</h2><p>").Append(E(Structural(r, s))).AppendLine("</p>");
        }

        if (r.NonFinite is { } n)
        {
            sb.Append("<h2>First NaN/Inf</h2><p>").Append(E(NonFinite(r, n))).AppendLine("</p>");
        }

        foreach (var note in r.Notes)
        {
            sb.Append("<p><em>").Append(E(note)).AppendLine("</em></p>");
        }

        sb.AppendLine("<h2>Error by op</h2>");
        Chart(sb, r);
        if (r.Context.Count > 0)
        {
            sb.Append("<h2>").Append(r.FirstDivergence is null ? "Last ops compared" : "Ops around the first divergence").AppendLine("</h2>");
            Table(sb, r);
        }

        if (r.FirstDivergence is { } fd)
        {
            Summaries(sb, fd);
        }

        if (r.HeatMap is { } heat)
        {
            sb.AppendLine("<h2>Error of the first divergent output</h2><p>|A - B| per element (largest in each cell when the output is bigger than 64 x 64); darker is larger, on a log scale.</p>");
            HeatMap(sb, heat);
        }

        return sb.AppendLine("</body></html>").ToString();
    }

    private static string E(string s) => WebUtility.HtmlEncode(V(s));

    private static void Chart(StringBuilder sb, DiffResult r)
    {
        const int left = 50;
        const int bottom = 30;
        int w = ChartWidth - left - 10;
        int h = ChartHeight - bottom - 10;
        long maxIndex = Math.Max(1, r.Chart.Count == 0 ? 1 : r.Chart.Max(p => p.Index));
        double X(long i) => left + (w * (double)i / maxIndex);
        double Y(double score)
        {
            double l = score <= 0 ? LogFloor : double.IsPositiveInfinity(score) ? LogCeil : Math.Clamp(Math.Log10(score), LogFloor, LogCeil);
            return 10 + (h * (LogCeil - l) / (LogCeil - LogFloor));
        }

        sb.Append("<svg id=\"error-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").Append(ChartWidth).Append("\" height=\"").Append(ChartHeight)
            .Append("\" role=\"img\" aria-label=\"error relative to tolerance against op index, log scale\">")
            .Append("<rect x=\"0\" y=\"0\" width=\"").Append(ChartWidth).Append("\" height=\"").Append(ChartHeight).Append("\" fill=\"#fff\"/>");
        for (int e = (int)LogFloor; e <= (int)LogCeil; e += 4)
        {
            double y = Y(Math.Pow(10, e));
            sb.Append(Inv, $"<line x1=\"{left}\" y1=\"{y:F1}\" x2=\"{left + w}\" y2=\"{y:F1}\" stroke=\"#eee\"/><text x=\"4\" y=\"{y + 4:F1}\" font-size=\"11\">1e{e}</text>");
        }

        double tol = Y(1);
        sb.Append(Inv, $"<line id=\"tolerance-line\" x1=\"{left}\" y1=\"{tol:F1}\" x2=\"{left + w}\" y2=\"{tol:F1}\" stroke=\"#b42318\" stroke-dasharray=\"4 3\"/><text x=\"{left + w - 60}\" y=\"{tol - 4:F1}\" font-size=\"11\" fill=\"#b42318\">tolerance</text>");
        if (r.Chart.Count > 0)
        {
            sb.Append("<polyline id=\"error-series\" fill=\"none\" stroke=\"#2563eb\" stroke-width=\"1.2\" points=\"")
                .AppendJoin(' ', r.Chart.Select(p => FormattableString.Invariant($"{X(p.Index):F1},{Y(p.Score):F1}")))
                .Append("\"/>");
            foreach (var p in r.Chart.Where(p => p.Score > 1))
            {
                sb.Append(Inv, $"<circle cx=\"{X(p.Index):F1}\" cy=\"{Y(p.Score):F1}\" r=\"2.5\" fill=\"#b42318\"/>");
            }
        }

        if (r.FirstDivergence is { } f)
        {
            double x = X(f.Index);
            sb.Append(Inv, $"<line id=\"first-divergence\" x1=\"{x:F1}\" y1=\"10\" x2=\"{x:F1}\" y2=\"{10 + h}\" stroke=\"#b42318\" stroke-width=\"2\"/>")
                .Append(Inv, $"<text x=\"{x + 4:F1}\" y=\"22\" font-size=\"12\" fill=\"#b42318\">first divergence: {E(f.Op)} (#{f.Index})</text>");
        }

        sb.Append(Inv, $"<text x=\"{left}\" y=\"{ChartHeight - 8}\" font-size=\"11\">op index (0 to {maxIndex}); y: error / tolerance, log scale</text>")
            .AppendLine("</svg>");
    }

    private static void Table(StringBuilder sb, DiffResult r)
    {
        sb.Append("<table id=\"ops\"><thead><tr>");
        foreach (var c in Columns(r))
        {
            sb.Append("<th>").Append(E(c)).Append("</th>");
        }

        sb.AppendLine("</tr></thead><tbody>");
        foreach (var op in r.Context)
        {
            string cls = ReferenceEquals(op, r.FirstDivergence) ? "first" : op.Status == OpStatus.Diverged ? "diverged" : string.Empty;
            sb.Append("<tr class=\"").Append(cls).Append("\">");
            foreach (var cell in Row(r, op))
            {
                sb.Append("<td>").Append(E(cell)).Append("</td>");
            }

            sb.AppendLine("</tr>");
        }

        sb.AppendLine("</tbody></table>");
    }

    private static void Summaries(StringBuilder sb, OpComparison f)
    {
        sb.AppendLine("<h2>Inputs and outputs of the first divergent op</h2><table id=\"summaries\"><thead><tr><th>tensor</th><th>run A</th><th>run B</th></tr></thead><tbody>");
        int inputs = Math.Max(f.InputHealthA?.Count ?? 0, f.InputHealthB?.Count ?? 0);
        for (int i = 0; i < inputs; i++)
        {
            sb.Append("<tr><td>input ").Append(i).Append("</td><td>").Append(E(Health(f.InputHealthA?.ElementAtOrDefault(i))))
                .Append("</td><td>").Append(E(Health(f.InputHealthB?.ElementAtOrDefault(i)))).AppendLine("</td></tr>");
        }

        sb.Append("<tr><td>output</td><td>").Append(E(Health(f.A?.Output.Stats))).Append("</td><td>").Append(E(Health(f.B?.Output.Stats))).AppendLine("</td></tr></tbody></table>");
    }

    private static void HeatMap(StringBuilder sb, double[,] heat)
    {
        int rows = heat.GetLength(0);
        int cols = heat.GetLength(1);
        const int cell = 8;
        double max = 0;
        double min = double.PositiveInfinity;
        foreach (double v in heat)
        {
            if (v > 0 && double.IsFinite(v))
            {
                max = Math.Max(max, v);
                min = Math.Min(min, v);
            }
        }

        sb.Append(Inv, $"<svg id=\"heat-map\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{cols * cell}\" height=\"{rows * cell}\">");
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                double v = heat[r, c];
                double t = v <= 0 ? 0 : !double.IsFinite(v) || max <= min ? 1 : (Math.Log10(v) - Math.Log10(min)) / (Math.Log10(max) - Math.Log10(min));
                int shade = (int)Math.Round(255 * (1 - (0.15 + (0.85 * t))));
                string color = v <= 0 ? "#ffffff" : FormattableString.Invariant($"rgb(255,{shade},{shade})");
                sb.Append(Inv, $"<rect x=\"{c * cell}\" y=\"{r * cell}\" width=\"{cell}\" height=\"{cell}\" fill=\"{color}\"><title>[{r}, {c}] {Num(v)}</title></rect>");
            }
        }

        sb.AppendLine("</svg>");
    }
}
