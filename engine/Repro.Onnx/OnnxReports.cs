using System.Globalization;
using System.Net;
using System.Text;
using System.Xml;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Repro.Diffing;
using Repro.Engine;

namespace Repro.Onnx;

/// <summary>
/// The per-node comparison against ONNX Runtime in the differ's report formats: terminal text, Markdown, HTML (with a
/// chart of each node's error relative to its tolerance), JUnit XML (one test case per node) and JSON.
/// </summary>
public static class OnnxReports
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The extensions understood (the same as repro diff's).</summary>
    public static IReadOnlyDictionary<string, string> Formats => Repro.Diffing.Reports.Reports.Formats;

    /// <summary>Renders the format the extension of <paramref name="path"/> names.</summary>
    public static string Render(OnnxComparison r, string path)
    {
        ArgumentNullException.ThrowIfNull(r);
        string ext = Path.GetExtension(path).ToLowerInvariant();
        return ext switch
        {
            ".txt" => Terminal(r),
            ".md" => Markdown(r),
            ".html" or ".htm" => Html(r),
            ".xml" => JUnit(r),
            ".json" => Json(r).ToString(Newtonsoft.Json.Formatting.Indented),
            _ => throw new OnnxException($"report '{path}': unknown format '{ext}'; expected one of {string.Join(", ", Formats.Keys)}"),
        };
    }

    /// <summary>Writes a report, creating its folder.</summary>
    public static void Write(OnnxComparison r, string path)
    {
        var text = Render(r, path);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }

        File.WriteAllText(path, text, new UTF8Encoding(false));
    }

    /// <summary>The verdict in a few words.</summary>
    public static string Verdict(OnnxComparison r) => r.WithinTolerance ? "WITHIN TOLERANCE" : "OVER TOLERANCE";

    /// <summary>One line: the verdict, counts and the first node over tolerance.</summary>
    public static string Headline(OnnxComparison r)
    {
        ArgumentNullException.ThrowIfNull(r);
        int over = r.Nodes.Count(n => n.Over);
        var s = $"{Verdict(r)}: {r.Model}, Repro {r.DType.Name()} vs ONNX Runtime float32 (tolerance of {r.ToleranceDType.Name()}; ORT {r.OrtThreads[0]} thread{(r.OrtThreads[0] == 1 ? "" : "s")}), {over} of {r.Nodes.Count} node outputs over tolerance";
        if (r.First is { } f)
        {
            s += $"; first: node '{f.Node}' ({f.OpType}) output '{f.Output}'{CauseText(f)}";
            if (r.FirstOrigin is { } o && o != f)
            {
                s += $"; first origin: node '{o.Node}' ({o.OpType})";
            }
        }

        return s;
    }

    private static string CauseText(NodeComparison n) => n.Cause switch
    {
        NodeCause.Origin => ", an origin (over tolerance alone, from ONNX Runtime's inputs)",
        NodeCause.Propagated => ", propagated (within tolerance alone, from ONNX Runtime's inputs)",
        _ => "",
    };

    /// <summary>The ORT thread-count check in one line.</summary>
    public static string? ThreadLine(OnnxComparison r)
    {
        ArgumentNullException.ThrowIfNull(r);
        if (r.OrtThreads.Count < 2)
        {
            return null;
        }

        if (r.OrtThreadDifferences.Count == 0)
        {
            return $"ONNX Runtime at {string.Join(", ", r.OrtThreads)} threads: every value bit-identical";
        }

        var names = r.OrtThreadDifferences.Select(d => $"'{d.Node}' ({d.OpType}, {d.Threads} threads, {d.Differing} elements, max abs {Num(d.MaxAbs)})").Take(10);
        return $"ONNX Runtime at {string.Join(", ", r.OrtThreads)} threads: {r.OrtThreadDifferences.Count} values differ from {r.OrtThreads[0]} thread{(r.OrtThreads[0] == 1 ? "" : "s")}: {string.Join("; ", names)}";
    }

    /// <summary>Number format shared by the reports.</summary>
    public static string Num(double v) =>
        double.IsPositiveInfinity(v) ? "inf" : double.IsNaN(v) ? "nan" : v == 0 ? "0" : Math.Abs(v) is >= 1e-3 and < 1e5 ? v.ToString("G4", Inv) : v.ToString("0.###e+0", Inv);

    /// <summary>The table's columns.</summary>
    public static readonly string[] Columns = ["#", "node", "op", "output", "shape", "max abs", "max rel", "score", "over", "status"];

    /// <summary>One table row.</summary>
    public static string[] Row(NodeComparison n)
    {
        ArgumentNullException.ThrowIfNull(n);
        var m = n.Metrics;
        string status = n.Note ?? (!n.Over ? "ok" : n.Cause switch
        {
            NodeCause.Origin => "OVER (origin)",
            NodeCause.Propagated => "over (propagated)",
            _ => "OVER",
        });
        return
        [
            n.Index.ToString(Inv), n.Node, n.OpType, n.Output, "[" + string.Join(", ", n.Shape) + "]",
            m is null ? "-" : Num(m.MaxAbs), m is null ? "-" : Num(m.MaxRel), m is null ? "-" : Num(m.MaxScore),
            m is null ? "-" : m.OverTolerance.ToString(Inv), status,
        ];
    }

    /// <summary>Plain-text report: headline, tolerance rule, the table.</summary>
    public static string Terminal(OnnxComparison r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sb = new StringBuilder();
        sb.AppendLine(Headline(r));
        if (ThreadLine(r) is { } t)
        {
            sb.AppendLine(t);
        }

        sb.AppendLine(ToleranceRule(r.ToleranceDType));
        var rows = r.Nodes.Select(Row).ToList();
        var widths = Columns.Select((c, i) => Math.Max(c.Length, rows.Count == 0 ? 0 : rows.Max(x => x[i].Length))).ToArray();
        sb.AppendLine(string.Join("  ", Columns.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        foreach (var row in rows)
        {
            sb.AppendLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        }

        return sb.ToString();
    }

    /// <summary>How the tolerances were derived, in one sentence.</summary>
    public static string ToleranceRule(DType dtype) =>
        $"Tolerance per node: |ort - repro| <= atol + rtol*|ort| with rtol = u(4 + 2 sqrt(n)), atol = rtol * (largest magnitude among the node's inputs and output), u = {Num(Tolerance.UnitRoundoff(dtype))} ({dtype.Name()} unit roundoff), n = terms summed per element along the longest path from the inputs (each node adds its own: conv C/group*kH*kW, matmul K, pools their window); a node re-run alone from ONNX Runtime's inputs gets its own n only. Score = error / tolerance (over 1 is over).";

    /// <summary>Markdown report.</summary>
    public static string Markdown(OnnxComparison r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sb = new StringBuilder();
        sb.AppendLine($"# ONNX comparison: {Md(r.Model)}").AppendLine();
        sb.AppendLine($"**{Md(Headline(r))}**").AppendLine();
        if (ThreadLine(r) is { } t)
        {
            sb.AppendLine(Md(t)).AppendLine();
        }

        sb.AppendLine(Md(ToleranceRule(r.ToleranceDType))).AppendLine();
        sb.AppendLine("| " + string.Join(" | ", Columns) + " |");
        sb.AppendLine("|" + string.Concat(Columns.Select(_ => " --- |")));
        foreach (var n in r.Nodes)
        {
            sb.AppendLine("| " + string.Join(" | ", Row(n).Select(Md)) + " |");
        }

        return sb.ToString();
    }

    private static string Md(string s) => s.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    /// <summary>HTML report with a bar chart of each node's score (log scale).</summary>
    public static string Html(OnnxComparison r)
    {
        ArgumentNullException.ThrowIfNull(r);
        static string E(string s) => WebUtility.HtmlEncode(s);
        var sb = new StringBuilder();
        sb.AppendLine("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>ONNX comparison</title>");
        sb.AppendLine("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}tr.over{background:#fdd}tr.prop{background:#ffe}</style></head><body>");
        sb.AppendLine($"<h1>ONNX comparison: {E(r.Model)}</h1><p><b>{E(Headline(r))}</b></p>");
        if (ThreadLine(r) is { } t)
        {
            sb.AppendLine($"<p>{E(t)}</p>");
        }

        sb.AppendLine($"<p>{E(ToleranceRule(r.ToleranceDType))}</p>");
        // Chart: one bar per node output, height log10(score) from -6 to +3; the line at 0 is the tolerance.
        int w = Math.Max(200, r.Nodes.Count * 4);
        sb.AppendLine($"<svg width=\"{w}\" height=\"180\" role=\"img\" aria-label=\"error relative to tolerance per node\"><line x1=\"0\" y1=\"60\" x2=\"{w}\" y2=\"60\" stroke=\"red\"/>");
        for (int i = 0; i < r.Nodes.Count; i++)
        {
            var n = r.Nodes[i];
            double score = n.Metrics?.MaxScore ?? 1e3;
            double lg = Math.Clamp(score > 0 ? Math.Log10(score) : -6, -6, 3); // A chart's colour only: never a result.
            double height = (lg + 6) * 20;
            string color = n.Over ? (n.Cause == NodeCause.Propagated ? "#e0a000" : "#d00") : "#4a4";
            sb.Append(Inv, $"<rect x=\"{i * 4}\" y=\"{180 - height:F1}\" width=\"3\" height=\"{height:F1}\" fill=\"{color}\"><title>{E(n.Node)} ({E(n.OpType)}): score {Num(score)}</title></rect>");
        }

        sb.AppendLine("</svg><p>Bars: log10(error / tolerance) per node output, from 1e-6 (bottom) to 1e3; the red line is the tolerance.</p>");
        sb.AppendLine("<table><tr>" + string.Concat(Columns.Select(c => $"<th>{E(c)}</th>")) + "</tr>");
        foreach (var n in r.Nodes)
        {
            string cls = !n.Over ? "" : n.Cause == NodeCause.Propagated ? " class=\"prop\"" : " class=\"over\"";
            sb.AppendLine($"<tr{cls}>" + string.Concat(Row(n).Select(c => $"<td>{E(c)}</td>")) + "</tr>");
        }

        sb.AppendLine("</table></body></html>");
        return sb.ToString();
    }

    /// <summary>JUnit XML: one test case per node output; over tolerance is a failure.</summary>
    public static string JUnit(OnnxComparison r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sb = new StringBuilder();
        using (var x = XmlWriter.Create(new StringWriter(sb, Inv), new XmlWriterSettings { Indent = true, OmitXmlDeclaration = false }))
        {
            x.WriteStartElement("testsuites");
            x.WriteStartElement("testsuite");
            x.WriteAttributeString("name", $"onnx compare {r.Model} ({r.DType.Name()})");
            x.WriteAttributeString("tests", r.Nodes.Count.ToString(Inv));
            x.WriteAttributeString("failures", r.Nodes.Count(n => n.Over).ToString(Inv));
            foreach (var n in r.Nodes)
            {
                x.WriteStartElement("testcase");
                x.WriteAttributeString("classname", r.Model);
                x.WriteAttributeString("name", $"{n.Index:D4} {n.Node} ({n.OpType}) -> {n.Output}");
                if (n.Over)
                {
                    x.WriteStartElement("failure");
                    x.WriteAttributeString("message", n.Note ?? $"max abs {Num(n.Metrics!.MaxAbs)}, score {Num(n.Metrics.MaxScore)}{CauseText(n)}");
                    x.WriteEndElement();
                }

                x.WriteEndElement();
            }

            x.WriteEndElement();
            x.WriteEndElement();
        }

        return sb.ToString();
    }

    /// <summary>The JSON document.</summary>
    public static JObject Json(OnnxComparison r)
    {
        ArgumentNullException.ThrowIfNull(r);
        static JToken M(ErrorMetrics? m) => m is null ? JValue.CreateNull() : new JObject
        {
            ["count"] = m.Count,
            ["maxAbs"] = Finite(m.MaxAbs),
            ["maxRel"] = Finite(m.MaxRel),
            ["maxScore"] = Finite(m.MaxScore),
            ["overTolerance"] = m.OverTolerance,
        };
        return new JObject
        {
            ["model"] = r.Model,
            ["dtype"] = r.DType.Name(),
            ["toleranceDType"] = r.ToleranceDType.Name(),
            ["ortThreads"] = new JArray(r.OrtThreads),
            ["verdict"] = r.WithinTolerance ? "within-tolerance" : "over-tolerance",
            ["headline"] = Headline(r),
            ["first"] = r.First is { } f ? new JObject { ["node"] = f.Node, ["opType"] = f.OpType, ["output"] = f.Output, ["cause"] = f.Cause.ToString().ToLowerInvariant() } : JValue.CreateNull(),
            ["firstOrigin"] = r.FirstOrigin is { } o ? new JObject { ["node"] = o.Node, ["opType"] = o.OpType, ["output"] = o.Output } : JValue.CreateNull(),
            ["ortThreadDifferences"] = new JArray(r.OrtThreadDifferences.Select(d => new JObject { ["threads"] = d.Threads, ["node"] = d.Node, ["opType"] = d.OpType, ["output"] = d.Output, ["differing"] = d.Differing, ["maxAbs"] = d.MaxAbs })),
            ["nodes"] = new JArray(r.Nodes.Select(n => new JObject
            {
                ["index"] = n.Index,
                ["node"] = n.Node,
                ["opType"] = n.OpType,
                ["output"] = n.Output,
                ["shape"] = new JArray(n.Shape),
                ["reductionLength"] = n.ReductionLength,
                ["atol"] = n.Tolerance.Atol,
                ["rtol"] = n.Tolerance.Rtol,
                ["metrics"] = M(n.Metrics),
                ["over"] = n.Over,
                ["cause"] = n.Cause.ToString().ToLowerInvariant(),
                ["alone"] = M(n.Alone),
                ["note"] = n.Note,
            })),
        };
    }

    private static JToken Finite(double v) => double.IsFinite(v) ? v : v.ToString(Inv);
}
