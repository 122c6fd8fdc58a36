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
            sb.Append("<h2>First divergence: ").Append(E(Seq(f))).Append(' ').Append(E(OpLabel(f))).Append(" at <code>").Append(E(f.Source.ToString())).Append("</code>")
                .Append(f.Module is null ? string.Empty : $" in module <code>{E(Module(f.Module))}</code>").Append(E(InThread(r, f.Thread, f.ThreadB))).AppendLine("</h2><ul>");
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
        // Plot area inside a frame; y labels on the left, the tolerance's label in the right margin (off the data).
        const int left = 56;
        const int right = 76;
        const int top = 28;
        const int bottom = 36;
        int w = ChartWidth - left - right;
        int h = ChartHeight - top - bottom;
        long maxIndex = Math.Max(1, r.Chart.Count == 0 ? 1 : r.Chart.Max(p => p.Index));
        double X(long i) => left + (w * (double)i / maxIndex);
        double Y(double score)
        {
            double l = score <= 0 ? LogFloor : double.IsPositiveInfinity(score) ? LogCeil : Math.Clamp(Math.Log10(score), LogFloor, LogCeil);
            return top + (h * (LogCeil - l) / (LogCeil - LogFloor));
        }

        sb.Append("<svg id=\"error-chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").Append(ChartWidth).Append("\" height=\"").Append(ChartHeight)
            .Append("\" role=\"img\" aria-label=\"error relative to tolerance against op index, log scale\" font-family=\"system-ui,sans-serif\">")
            .Append("<rect x=\"0\" y=\"0\" width=\"").Append(ChartWidth).Append("\" height=\"").Append(ChartHeight).Append("\" fill=\"#fff\"/>");
        for (int e = (int)LogFloor; e <= (int)LogCeil; e += 4)
        {
            double y = Y(Math.Pow(10, e));
            string label = e == 0 ? "1" : "1e" + e.ToString(Inv);
            sb.Append(Inv, $"<line x1=\"{left}\" y1=\"{y:F1}\" x2=\"{left + w}\" y2=\"{y:F1}\" stroke=\"#eee\"/><text x=\"{left - 6}\" y=\"{y + 4:F1}\" font-size=\"11\" text-anchor=\"end\">{label}</text>");
        }

        // x ticks: five evenly spaced op indices.
        for (int k = 0; k <= 4; k++)
        {
            long i = maxIndex * k / 4;
            double x = X(i);
            sb.Append(Inv, $"<line x1=\"{x:F1}\" y1=\"{top + h}\" x2=\"{x:F1}\" y2=\"{top + h + 4}\" stroke=\"#444\"/><text x=\"{x:F1}\" y=\"{top + h + 16}\" font-size=\"11\" text-anchor=\"middle\">{i}</text>");
        }

        double tol = Y(1);
        sb.Append(Inv, $"<line id=\"tolerance-line\" x1=\"{left}\" y1=\"{tol:F1}\" x2=\"{left + w}\" y2=\"{tol:F1}\" stroke=\"#b42318\" stroke-dasharray=\"4 3\"/><text id=\"tolerance-label\" x=\"{left + w + 6}\" y=\"{tol + 4:F1}\" font-size=\"11\" fill=\"#b42318\">tolerance</text>");
        if (r.Chart.Count > 0)
        {
            sb.Append("<polyline id=\"error-series\" fill=\"none\" stroke=\"#2563eb\" stroke-width=\"1.2\" points=\"")
                .AppendJoin(' ', r.Chart.Select(p => FormattableString.Invariant($"{X(p.Index):F1},{Y(p.Score):F1}")))
                .Append("\"/>");
            foreach (var p in r.Chart.Where(p => p.Score > 1))
            {
                sb.Append(Inv, $"<circle cx=\"{X(p.Index):F1}\" cy=\"{Y(p.Score):F1}\" r=\"2.5\" fill=\"#b42318\"/>");
            }

            // The largest spike, labelled with its op and index (the table's # column).
            var peak = r.Chart.Aggregate((m, p) => p.Score > m.Score ? p : m);
            if (peak.Score > 0)
            {
                double px = X(peak.Index);
                double py = Y(peak.Score);
                bool leftSide = px > left + (w / 2);
                string text = string.Create(Inv, $"largest: #{peak.Index} {peak.Op ?? "op"}, {Num(peak.Score)} x tol.");
                sb.Append(Inv, $"<circle cx=\"{px:F1}\" cy=\"{py:F1}\" r=\"4\" fill=\"none\" stroke=\"#111\"/>")
                    .Append(Inv, $"<text id=\"largest-label\" x=\"{(leftSide ? px - 8 : px + 8):F1}\" y=\"{Math.Max(py + 4, top + 12):F1}\" font-size=\"11\" fill=\"#111\" text-anchor=\"{(leftSide ? "end" : "start")}\">{E(text)}</text>");
            }
        }

        if (r.FirstDivergence is { } f)
        {
            // The same numbering as the heading (sequence numbers in each run), with the chart's own x (#, the table's column).
            double x = X(f.Index);
            bool leftSide = x > left + (w / 2);
            sb.Append(Inv, $"<line id=\"first-divergence\" x1=\"{x:F1}\" y1=\"{top}\" x2=\"{x:F1}\" y2=\"{top + h}\" stroke=\"#b42318\" stroke-width=\"2\"/>")
                .Append(Inv, $"<text id=\"first-divergence-label\" x=\"{(leftSide ? x - 4 : x + 4):F1}\" y=\"{top - 8}\" font-size=\"12\" fill=\"#b42318\" text-anchor=\"{(leftSide ? "end" : "start")}\">first divergence: {E(Seq(f))} {E(OpLabel(f))} (#{f.Index})</text>");
        }

        sb.Append(Inv, $"<rect id=\"chart-frame\" x=\"{left}\" y=\"{top}\" width=\"{w}\" height=\"{h}\" fill=\"none\" stroke=\"#444\"/>")
            .Append(Inv, $"<text x=\"{left + (w / 2)}\" y=\"{ChartHeight - 6}\" font-size=\"11\" text-anchor=\"middle\">op index (#, as in the table)</text>")
            .Append(Inv, $"<text transform=\"translate(14,{top + (h / 2)}) rotate(-90)\" font-size=\"11\" text-anchor=\"middle\">error / tolerance (log)</text>")
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
        int cell = Math.Clamp(512 / Math.Max(rows, cols), 4, 16);
        const int left = 44;
        const int top = 22;
        const int legendWidth = 200;
        double max = 0;
        double min = double.PositiveInfinity;
        long nonZero = 0;
        foreach (double v in heat)
        {
            if (v > 0)
            {
                nonZero++;
            }

            if (v > 0 && double.IsFinite(v))
            {
                max = Math.Max(max, v);
                min = Math.Min(min, v);
            }
        }

        if (double.IsPositiveInfinity(min))
        {
            min = max = 1;
        }

        double T(double v) => v <= 0 ? 0 : !double.IsFinite(v) || max <= min ? 1 : (Math.Log10(v) - Math.Log10(min)) / (Math.Log10(max) - Math.Log10(min));
        static string Color(double t) => FormattableString.Invariant($"rgb(255,{(int)Math.Round(255 * (1 - (0.15 + (0.85 * t))))},{(int)Math.Round(255 * (1 - (0.15 + (0.85 * t))))})");

        int mapW = cols * cell;
        int mapH = rows * cell;
        int width = left + Math.Max(mapW, legendWidth + 120) + 20;
        int height = top + mapH + 80;
        sb.Append(Inv, $"<svg id=\"heat-map\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"system-ui,sans-serif\">")
            .Append(Inv, $"<rect x=\"{left}\" y=\"{top}\" width=\"{mapW}\" height=\"{mapH}\" fill=\"#ffffff\"/>");
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                double v = heat[r, c];
                if (v <= 0)
                {
                    continue; // White: the frame's background.
                }

                sb.Append(Inv, $"<rect x=\"{left + (c * cell)}\" y=\"{top + (r * cell)}\" width=\"{cell}\" height=\"{cell}\" fill=\"{Color(T(v))}\" stroke=\"#b42318\" stroke-width=\"{(nonZero <= 16 ? 1 : 0)}\"><title>[{r}, {c}] {Num(v)}</title></rect>");
            }
        }

        // Frame and axes: column indices on top, row indices on the left, five ticks each.
        sb.Append(Inv, $"<rect id=\"heat-frame\" x=\"{left}\" y=\"{top}\" width=\"{mapW}\" height=\"{mapH}\" fill=\"none\" stroke=\"#444\"/>");
        foreach (int c in Ticks(cols))
        {
            double x = left + (c * cell) + (cell / 2.0);
            sb.Append(Inv, $"<text x=\"{x:F1}\" y=\"{top - 6}\" font-size=\"10\" text-anchor=\"middle\">{c}</text>");
        }

        foreach (int r in Ticks(rows))
        {
            double y = top + (r * cell) + (cell / 2.0) + 3;
            sb.Append(Inv, $"<text x=\"{left - 6}\" y=\"{y:F1}\" font-size=\"10\" text-anchor=\"end\">{r}</text>");
        }

        sb.Append(Inv, $"<text x=\"4\" y=\"{top - 6}\" font-size=\"10\">row\\col</text>");

        // Colour scale: white for no difference, then light to dark red from the smallest to the largest |A - B|.
        int ly = top + mapH + 24;
        sb.Append("<defs><linearGradient id=\"heat-scale\">")
            .Append(Inv, $"<stop offset=\"0\" stop-color=\"{Color(0)}\"/><stop offset=\"1\" stop-color=\"{Color(1)}\"/>")
            .Append("</linearGradient></defs>")
            .Append(Inv, $"<g id=\"heat-legend\"><rect x=\"{left}\" y=\"{ly}\" width=\"14\" height=\"12\" fill=\"#fff\" stroke=\"#444\"/><text x=\"{left + 18}\" y=\"{ly + 10}\" font-size=\"11\">0</text>")
            .Append(Inv, $"<rect x=\"{left + 40}\" y=\"{ly}\" width=\"{legendWidth}\" height=\"12\" fill=\"url(#heat-scale)\" stroke=\"#444\"/>")
            .Append(Inv, $"<text x=\"{left + 40}\" y=\"{ly + 26}\" font-size=\"11\">{(max > min ? Num(min) : string.Empty)}</text><text x=\"{left + 40 + legendWidth}\" y=\"{ly + 26}\" font-size=\"11\" text-anchor=\"end\">{Num(max)}</text>")
            .Append(Inv, $"<text x=\"{left + 48 + legendWidth}\" y=\"{ly + 10}\" font-size=\"11\">|A - B|, log scale; {Count(nonZero)} of {Count((long)rows * cols)} cells differ</text></g>")
            .AppendLine("</svg>");
    }

    private static IEnumerable<int> Ticks(int n) => n <= 1 ? [0] : Enumerable.Range(0, 5).Select(k => (n - 1) * k / 4).Distinct();
}
