using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Xml;
using System.Xml.Schema;
using Json.Schema;
using Repro.Diffing;
using Repro.Diffing.Reports;
using Repro.Engine;
using Repro.Engine.Backends;
using Repro.Recorder;
using Snapshooter.Xunit;

namespace Repro.Diffing.Tests;

[Collection("recording")]
public class ReportTests
{
    private static readonly LogHeader FixedHeader = new(
        1,
        "0.1.0",
        "default",
        new EnvironmentFingerprint("Linux (fixed for snapshots)", ".NET 10", "test CPU", ["avx2"], 2, 2, "managed", "managed", "float32", 0, new Dictionary<string, string>(), "test"));

    /// <summary>A real diff of a planted run, with the machine-dependent header parts fixed so snapshots are stable.</summary>
    private static DiffResult Planted(string plant, DiffMode mode)
    {
        var a = Runs.Record("a", ManagedBackend.Instance);
        var b = Runs.Record("b", PlantedBackend.Get(plant));
        var r = Differ.Run(a, b, new DiffOptions { Mode = mode });
        return r with
        {
            PathA = "run-a",
            PathB = "run-b-" + plant,
            HeaderA = FixedHeader,
            HeaderB = FixedHeader with { Environment = FixedHeader.Environment with { Backend = "planted-" + plant } },
        };
    }

    [Fact]
    public void Terminal_report_snapshot() => Snapshot.Match(TerminalReport.Render(Planted("exp-ulp", DiffMode.Numeric)));

    [Fact]
    public void Markdown_report_snapshot() => Snapshot.Match(MarkdownReport.Render(Planted("sum-order", DiffMode.Bitwise)));

    [Fact]
    public void Json_report_snapshot_and_schema()
    {
        var json = JsonReport.Render(Planted("unfused-matmul", DiffMode.Numeric));
        Snapshot.Match(json);
        AssertValid(json);
    }

    /// <summary>
    /// Reports render in the caller's process (these snapshots in the test host, whose culture is the machine's), so
    /// every report must read the same under any culture: decimal commas, Turkish casing, a U+2212 minus sign.
    /// </summary>
    [Fact]
    public void Reports_read_the_same_under_any_culture()
    {
        var numeric = Planted("exp-ulp", DiffMode.Numeric);
        var bitwise = Planted("sum-order", DiffMode.Bitwise);
        string All() => string.Join(
            "\n",
            TerminalReport.Render(numeric),
            MarkdownReport.Render(bitwise),
            JsonReport.Render(numeric),
            JUnitReport.Render(numeric),
            HtmlReport.Render(numeric));

        var (culture, ui) = (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture);
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;
            var invariant = All();
            foreach (var name in new[] { "de-DE", "tr-TR", "sv-SE" })
            {
                CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = Culture(name);
                Assert.True(invariant == All(), $"a report reads differently under {name}");
            }
        }
        finally
        {
            (CultureInfo.CurrentCulture, CultureInfo.CurrentUICulture) = (culture, ui);
        }

        // A process in invariant globalization mode (no ICU) knows no other culture, and then cannot vary it either.
        static CultureInfo Culture(string name)
        {
            try
            {
                return CultureInfo.GetCultureInfo(name);
            }
            catch (CultureNotFoundException)
            {
                return CultureInfo.InvariantCulture;
            }
        }
    }

    [Fact]
    public void Json_reports_of_every_kind_validate_against_the_documented_schema()
    {
        foreach (var mode in new[] { DiffMode.Bitwise, DiffMode.Numeric })
        {
            AssertValid(JsonReport.Render(Planted("dropped-index-add", mode)));
        }

        var same = Runs.Record("same", ManagedBackend.Instance);
        AssertValid(JsonReport.Render(Differ.Run(same, same)));
        var broken = JsonNode.Parse(JsonReport.Render(Differ.Run(same, same)))!;
        broken["verdict"] = "maybe";
        Assert.False(Schema().Evaluate(System.Text.Json.JsonDocument.Parse(broken.ToJsonString()).RootElement).IsValid, "the schema must reject an unknown verdict");
    }

    [Fact]
    public void Junit_report_validates_against_its_schema_and_fails_the_divergent_group()
    {
        var xml = JUnitReport.Render(Planted("exp-ulp", DiffMode.Bitwise));
        var schemas = new XmlSchemaSet();
        schemas.Add(null, Path.Combine(RepoRoot(), "docs", "diff-junit.xsd"));
        var doc = new XmlDocument { Schemas = schemas };
        doc.LoadXml(xml);
        var errors = new List<string>();
        doc.Validate((_, e) => errors.Add(e.Message));
        Assert.Empty(errors);
        var failing = doc.SelectNodes("//testcase[failure]")!.Cast<XmlElement>().Select(e => e.GetAttribute("name")).ToList();
        Assert.Contains(failing, n => n.StartsWith("exp at Planted.cs:", StringComparison.Ordinal));
        Assert.Equal(doc.SelectNodes("//testcase")!.Count - 1, int.Parse(doc.DocumentElement!.GetAttribute("tests"), System.Globalization.CultureInfo.InvariantCulture) - 1);
    }

    [Fact]
    public void Every_report_names_the_module_and_the_line_of_the_first_divergence()
    {
        var r = Planted("exp-ulp", DiffMode.Numeric);
        Assert.Equal("exp", r.FirstDivergence!.Op);
        Assert.Equal(new OpModule("head", "Head"), r.FirstDivergence.Module);
        string line = "Planted.cs:" + PlantedWorkload.Lines["exp"].ToString(CultureInfo.InvariantCulture);

        var text = TerminalReport.Render(r);
        Assert.Contains($"at {line} (Run) in module head (Head)", text, StringComparison.Ordinal);
        var md = MarkdownReport.Render(r);
        Assert.Contains($"at `{line} (Run)` in module `head (Head)`", md, StringComparison.Ordinal);
        var html = HtmlReport.Render(r);
        Assert.Contains($"at <code>{line} (Run)</code> in module <code>head (Head)</code>", html, StringComparison.Ordinal);

        var doc = new XmlDocument();
        doc.LoadXml(JUnitReport.Render(r));
        var failing = doc.SelectNodes("//testcase[failure]")!.Cast<XmlElement>().Select(e => e.GetAttribute("name")).ToList();
        Assert.Contains($"exp at {line} (Run) in module head (Head)", failing);

        var json = JsonNode.Parse(JsonReport.Render(r))!;
        Assert.Equal("head", (string?)json["firstDivergence"]!["module"]!["path"]);
        Assert.Equal("Head", (string?)json["firstDivergence"]!["module"]!["type"]);
        Assert.Equal(PlantedWorkload.Lines["exp"], (int)json["firstDivergence"]!["source"]!["line"]!);

        // Ops outside any module say so: the table's module column holds "-" for them, the outermost module its type.
        Assert.Contains(r.Context, c => c.Module == new OpModule(string.Empty, "PlantedModel"));
        Assert.Contains("PlantedModel", text, StringComparison.Ordinal);
    }

    /// <summary>
    /// Each report as written to disk, read back from its bytes by parsers that honour what the file declares: .NET's
    /// XmlReader over the file stream and xmllint (Debian's libxml2-utils, installed by .ci/run) for JUnit, a UTF-8
    /// JSON parser for .json, and a strict UTF-8 decoder (no byte-order mark) for every text format.
    /// </summary>
    [Fact]
    public void Every_report_file_parses_from_its_bytes()
    {
        var r = Planted("exp-ulp", DiffMode.Bitwise);
        var dir = Path.Combine(Path.GetTempPath(), "repro-report-files-" + Guid.NewGuid().ToString("N"));
        try
        {
            foreach (var ext in Reports.Reports.Formats.Keys)
            {
                var path = Path.Combine(dir, "report" + ext);
                Reports.Reports.Write(r, path);
                var bytes = File.ReadAllBytes(path);
                Assert.False(bytes.AsSpan().StartsWith(new byte[] { 0xEF, 0xBB, 0xBF }), ext + " starts with a byte-order mark");
                _ = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            }

            var xml = Path.Combine(dir, "report.xml");
            using (var stream = File.OpenRead(xml))
            using (var reader = XmlReader.Create(stream))
            {
                while (reader.Read())
                {
                }
            }

            Assert.StartsWith("<?xml version=\"1.0\" encoding=\"utf-8\"?>", File.ReadAllText(xml), StringComparison.Ordinal);
            using (var json = File.OpenRead(Path.Combine(dir, "report.json")))
            {
                Assert.NotNull(JsonNode.Parse(json));
            }

            if (File.Exists("/usr/bin/xmllint"))
            {
                var psi = new ProcessStartInfo("xmllint", ["--noout", xml]) { RedirectStandardError = true, UseShellExecute = false };
                using var p = Process.Start(psi)!;
                var err = p.StandardError.ReadToEnd();
                p.WaitForExit();
                Assert.True(p.ExitCode == 0, "xmllint refused the JUnit report: " + err);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Html_escapes_every_string_from_the_logs()
    {
        var r = Planted("exp-ulp", DiffMode.Bitwise);
        var evil = r.FirstDivergence! with { Op = "<script>alert(1)</script>", Source = new SourceLocation("/x/<img src=x onerror=alert(2)>.cs", 3, "M\"'&") };
        var html = HtmlReport.Render(r with { FirstDivergence = evil, Context = [evil], Notes = ["<b>note</b>"] });
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>note", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http", html.Replace("http://www.w3.org/2000/svg", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void Html_report_renders_its_chart_in_headless_chromium()
    {
        var chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);
        Assert.True(chromium is not null, "Debian's chromium package is needed (.ci/run installs it): apt-get install chromium");
        var r = Differ.Run(Runs.Record("h-a", ManagedBackend.Instance), Runs.Record("h-b", PlantedBackend.Get("unfused-matmul")), new DiffOptions { Mode = DiffMode.Numeric });
        var dir = Path.Combine(Path.GetTempPath(), "repro-html-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var page = Path.Combine(dir, "report.html");
        Reports.Reports.Write(r, page);
        var png = Path.Combine(dir, "shot.png");
        string dom = Chromium(chromium!, dir, "--dump-dom", page);
        Chromium(chromium!, dir, $"--screenshot={png}", "--window-size=1000,900", page);

        // The browser parsed the SVG chart: the series, the tolerance line and the first-divergence marker are in its DOM.
        Assert.Contains("<svg id=\"error-chart\"", dom, StringComparison.Ordinal);
        Assert.Contains("id=\"error-series\"", dom, StringComparison.Ordinal);
        Assert.Contains("id=\"first-divergence\"", dom, StringComparison.Ordinal);
        Assert.Contains("id=\"heat-map\"", dom, StringComparison.Ordinal);
        Assert.True(new FileInfo(png).Length > 10_000, "the screenshot is suspiciously small");
    }

    [Fact]
    public void Html_chart_and_heat_map_have_frames_axes_a_scale_and_labels_off_the_data()
    {
        var r = Planted("exp-ulp", DiffMode.Numeric);
        Assert.NotNull(r.HeatMap);
        var html = HtmlReport.Render(r);

        // The SVGs as XML (an independent parser), one at a time.
        var chart = Svg(html, "error-chart");
        var frame = (XmlElement)chart.SelectSingleNode("//*[@id='chart-frame']")!;
        double right = double.Parse(frame.GetAttribute("x"), CultureInfo.InvariantCulture) + double.Parse(frame.GetAttribute("width"), CultureInfo.InvariantCulture);
        var tolLabel = (XmlElement)chart.SelectSingleNode("//*[@id='tolerance-label']")!;
        Assert.True(double.Parse(tolLabel.GetAttribute("x"), CultureInfo.InvariantCulture) > right, "the tolerance label sits on the plot area");
        Assert.StartsWith("largest: #8 exp", chart.SelectSingleNode("//*[@id='largest-label']")!.InnerText, StringComparison.Ordinal);

        // The chart's first-divergence label numbers the op as the heading does.
        var label = chart.SelectSingleNode("//*[@id='first-divergence-label']")!.InnerText;
        Assert.Contains("op 8 'exp'", label, StringComparison.Ordinal);
        Assert.Contains("<h2>First divergence: op 8 'exp'", System.Net.WebUtility.HtmlDecode(html), StringComparison.Ordinal);

        var heat = Svg(html, "heat-map");
        Assert.NotNull(heat.SelectSingleNode("//*[@id='heat-frame']"));
        Assert.NotNull(heat.SelectSingleNode("//*[@id='heat-legend']"));
        Assert.Contains("of 114 cells differ", heat.SelectSingleNode("//*[@id='heat-legend']")!.InnerText, StringComparison.Ordinal);
    }

    [Fact]
    public void Shares_never_read_as_zero_or_all_and_the_table_error_agrees_with_the_status()
    {
        Assert.Equal("0.05%", ReportText.Percent(1.0 / 2048));
        Assert.Equal("0.0012%", ReportText.Percent(1.2e-5));
        Assert.Equal("0.0%", ReportText.Percent(0));
        Assert.Equal("99.9%", ReportText.Percent(0.99999));
        Assert.Equal("100.0%", ReportText.Percent(1));
        Assert.Equal("14.9%", ReportText.Percent(0.149));

        // The table's error column is relative to tolerance: never above 1 (nor inf) beside "within tol.".
        var r = Planted("exp-ulp", DiffMode.Numeric);
        int col = Array.IndexOf(ReportText.Columns(r), "error / tol.");
        Assert.True(col > 0);
        foreach (var c in r.Context.Where(c => c.Status == OpStatus.WithinTolerance))
        {
            var cell = ReportText.Row(r, c)[col];
            Assert.True(cell == "-" || double.Parse(cell, CultureInfo.InvariantCulture) <= 1, $"{cell} beside within tol.");
        }

        Assert.DoesNotContain("max rel", string.Join(' ', ReportText.Columns(r)), StringComparison.Ordinal);
    }

    private static XmlDocument Svg(string html, string id)
    {
        int start = html.IndexOf($"<svg id=\"{id}\"", StringComparison.Ordinal);
        int end = html.IndexOf("</svg>", start, StringComparison.Ordinal) + "</svg>".Length;
        var doc = new XmlDocument();
        doc.LoadXml(html[start..end].Replace(" xmlns=\"http://www.w3.org/2000/svg\"", string.Empty, StringComparison.Ordinal));
        return doc;
    }

    private static string Chromium(string exe, string dir, params string[] args)
    {
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", $"--user-data-dir={Path.Combine(dir, "profile")}" }.Concat(args))
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(120_000), "chromium timed out");
        Assert.True(p.ExitCode == 0, $"chromium failed ({p.ExitCode}): {err.Result}");
        return output;
    }

    private static readonly Lazy<JsonSchema> LoadedSchema = new(() => JsonSchema.FromFile(Path.Combine(RepoRoot(), "docs", "diff-report.schema.json")));

    private static JsonSchema Schema() => LoadedSchema.Value;

    private static void AssertValid(string json)
    {
        var result = Schema().Evaluate(System.Text.Json.JsonDocument.Parse(json).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        var errors = (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"));
        Assert.True(result.IsValid, "JSON report does not match docs/diff-report.schema.json: " + string.Join("; ", errors));
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Repro.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Repro.sln not found above " + AppContext.BaseDirectory);
    }
}
