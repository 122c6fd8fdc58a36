using System.Globalization;
using System.Text;
using System.Xml;

using Newtonsoft.Json.Linq;
using static Repro.Diffing.Reports.ReportText;

namespace Repro.Diffing.Reports;

/// <summary>JUnit XML: one test case per op group (op, phase, call site), failing when any op of the group diverged.</summary>
public static class JUnitReport
{
    /// <summary>Renders JUnit XML (the common Ant/Jenkins dialect, schema in docs/diff-junit.xsd).</summary>
    public static string Render(DiffResult r)
    {
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false), OmitXmlDeclaration = false };
        var sb = new StringBuilder();

        // An XmlWriter over a text writer declares the text writer's encoding (a plain StringWriter says UTF-16);
        // the report is written as UTF-8, so the declaration must say so or parsers refuse the file.
        using (var sw = new Utf8StringWriter(sb))
        using (var w = XmlWriter.Create(sw, settings))
        {
            long failures = r.Groups.Count(g => g.Diverged > 0) + (r.Structural is null ? 0 : 1);
            long tests = r.Groups.Count + 1;
            w.WriteStartElement("testsuites");
            w.WriteAttributeString("name", "repro diff");
            w.WriteAttributeString("tests", tests.ToString(Inv));
            w.WriteAttributeString("failures", failures.ToString(Inv));
            w.WriteStartElement("testsuite");
            w.WriteAttributeString("name", V($"repro diff {Path.GetFileName(Path.TrimEndingDirectorySeparator(r.PathA))} vs {Path.GetFileName(Path.TrimEndingDirectorySeparator(r.PathB))}"));
            w.WriteAttributeString("tests", tests.ToString(Inv));
            w.WriteAttributeString("failures", failures.ToString(Inv));
            w.WriteAttributeString("errors", "0");
            w.WriteAttributeString("skipped", "0");
            w.WriteStartElement("properties");
            Property(w, "mode", ModeName(r.Mode));
            Property(w, "verdict", Verdict(r));
            Property(w, "a.backend", r.HeaderA.Environment.Backend);
            Property(w, "a.dtype", r.HeaderA.Environment.DType);
            Property(w, "b.backend", r.HeaderB.Environment.Backend);
            Property(w, "b.dtype", r.HeaderB.Environment.DType);
            if (r.MultiThreaded)
            {
                Property(w, "threads", string.Join(", ", r.Threads));
            }

            w.WriteEndElement();

            w.WriteStartElement("testcase");
            w.WriteAttributeString("classname", "repro.diff");
            w.WriteAttributeString("name", "op sequence");
            if (r.Structural is { } s)
            {
                Failure(w, "structural", Structural(r, s));
            }

            w.WriteEndElement();
            foreach (var g in r.Groups)
            {
                w.WriteStartElement("testcase");
                w.WriteAttributeString("classname", "repro.diff." + V(g.Op));
                w.WriteAttributeString("name", V(g.Name) + InThread(r, g.Thread));
                if (g.Diverged > 0)
                {
                    Failure(w, "divergence", $"{g.Diverged} of {g.Count} calls over tolerance; first at op index {g.FirstDiverged}; worst error {Num(g.WorstScore)} x tolerance");
                }

                w.WriteEndElement();
            }

            w.WriteEndElement();
            w.WriteEndElement();
        }

        return sb.ToString();
    }

    private static void Property(XmlWriter w, string name, string value)
    {
        w.WriteStartElement("property");
        w.WriteAttributeString("name", name);
        w.WriteAttributeString("value", V(value));
        w.WriteEndElement();
    }

    private static void Failure(XmlWriter w, string type, string message)
    {
        w.WriteStartElement("failure");
        w.WriteAttributeString("type", type);
        w.WriteAttributeString("message", V(message));
        w.WriteString(V(message));
        w.WriteEndElement();
    }

    /// <summary>A string writer that reports UTF-8, the encoding the report file is written in.</summary>
    private sealed class Utf8StringWriter(StringBuilder sb) : StringWriter(sb, CultureInfo.InvariantCulture)
    {
        public override Encoding Encoding { get; } = new UTF8Encoding(false);
    }
}

/// <summary>JSON for scripts, with the schema in docs/diff-report.schema.json (version 1).</summary>
public static class JsonReport
{
    /// <summary>The schema version written in every report.</summary>
    public const int SchemaVersion = 1;

    /// <summary>The verdict as every JSON document spells it: "identical", "within_tolerance", "diverged", "structure_differs".</summary>
    public static string VerdictName(DiffResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return Verdict(r).ToLowerInvariant().Replace(' ', '_');
    }

    /// <summary>Renders indented JSON.</summary>
    public static string Render(DiffResult r)
    {
        var o = new JObject
        {
            ["schema"] = SchemaVersion,
            ["verdict"] = VerdictName(r),
            ["mode"] = ModeName(r.Mode),
            ["exitCode"] = r.ExitCode,
            ["runs"] = new JObject { ["a"] = RunJson(r.PathA, r.HeaderA), ["b"] = RunJson(r.PathB, r.HeaderB) },
            ["opsCompared"] = r.OpsCompared,
            ["opsDiverged"] = r.OpsDiverged,
            ["firstDivergence"] = r.FirstDivergence is null ? JValue.CreateNull() : Op(r, r.FirstDivergence),
            ["growthStart"] = r.GrowthStart is null ? JValue.CreateNull() : Op(r, r.GrowthStart),
            ["structural"] = r.Structural is null ? JValue.CreateNull() : Threaded(r, r.Structural.Thread, null, new JObject
            {
                ["seqA"] = r.Structural.SeqA,
                ["seqB"] = r.Structural.SeqB,
                ["description"] = r.Structural.Description,
                ["sourceA"] = Source(r.Structural.SourceA),
                ["sourceB"] = Source(r.Structural.SourceB),
                ["moduleA"] = Module(r.Structural.ModuleA),
                ["moduleB"] = Module(r.Structural.ModuleB),
            }),
            ["nonFinite"] = r.NonFinite is null ? JValue.CreateNull() : Threaded(r, r.NonFinite.Thread, null, new JObject
            {
                ["run"] = r.NonFinite.Run,
                ["seq"] = r.NonFinite.Seq,
                ["op"] = r.NonFinite.Op,
                ["source"] = Source(r.NonFinite.Source),
                ["module"] = Module(r.NonFinite.Module),
                ["output"] = Health(r.NonFinite.Output),
                ["inputs"] = new JArray(r.NonFinite.Inputs.Select(Health)),
            }),
            ["context"] = new JArray(r.Context.Select(c => Op(r, c))),
            ["groups"] = new JArray(r.Groups.Select(g => Threaded(r, g.Thread, null, new JObject
            {
                ["op"] = g.Op,
                ["phase"] = g.Phase == Engine.OpPhase.Backward ? "backward" : "forward",
                ["source"] = Source(g.Source),
                ["module"] = Module(g.Module),
                ["count"] = g.Count,
                ["diverged"] = g.Diverged,
                ["firstDiverged"] = g.FirstDiverged,
                ["worstScore"] = Finite(g.WorstScore),
            }))),
            ["chart"] = new JArray(r.Chart.Select(p => new JArray(p.Index, Finite(p.Score)))),
            ["notes"] = new JArray(r.Notes),
        };

        // Thread fields only where the runs have several threads, so single-thread reports keep their shape.
        if (r.MultiThreaded)
        {
            o["threads"] = new JArray(r.Threads);
        }

        if (r.Prefix is { } p)
        {
            o["commonPrefix"] = new JObject
            {
                ["truncatedA"] = p.TruncatedA,
                ["truncatedB"] = p.TruncatedB,
                ["lastSeqA"] = p.LastSeqA,
                ["lastSeqB"] = p.LastSeqB,
                ["notComparedA"] = p.NotComparedA,
                ["notComparedB"] = p.NotComparedB,
            };
        }

        return Recorder.LogText.EscapeJson(o.ToString(Newtonsoft.Json.Formatting.Indented));
    }

    private static JObject Threaded(DiffResult r, string thread, string? threadB, JObject o)
    {
        if (r.MultiThreaded)
        {
            o["thread"] = thread;
            if (threadB is not null)
            {
                o["threadB"] = threadB;
            }
        }

        return o;
    }

    private static JObject RunJson(string path, Recorder.LogHeader h) => new()
    {
        ["log"] = Path.GetFileName(Path.TrimEndingDirectorySeparator(path)),
        ["backend"] = h.Environment.Backend,
        ["dtype"] = h.Environment.DType,
        ["threads"] = h.Environment.Threads,
        ["cpu"] = h.Environment.Cpu,
        ["os"] = h.Environment.Os,
        ["reproVersion"] = h.ReproVersion,
    };

    private static JObject Op(DiffResult r, OpComparison c) => Threaded(r, c.Thread, c.ThreadB, new JObject
    {
        ["index"] = c.Index,
        ["seqA"] = c.A is null ? JValue.CreateNull() : c.A.Seq,
        ["seqB"] = c.B is null ? JValue.CreateNull() : c.B.Seq,
        ["op"] = c.Op,
        ["phase"] = c.Phase == Engine.OpPhase.Backward ? "backward" : "forward",
        ["backwardOf"] = c.BackwardOf,
        ["source"] = Source(c.Source),
        ["module"] = Module(c.Module),
        ["shape"] = new JArray((c.A ?? c.B)!.Output.Shape),
        ["status"] = c.Status switch
        {
            OpStatus.Identical => "identical",
            OpStatus.WithinTolerance => "within_tolerance",
            OpStatus.Diverged => "diverged",
            OpStatus.OnlyInA => "only_in_a",
            _ => "only_in_b",
        },
        ["cause"] = c.Cause == Cause.None ? JValue.CreateNull() : c.Cause.ToString().ToLowerInvariant(),
        ["hashA"] = c.A?.Output.Hash,
        ["hashB"] = c.B?.Output.Hash,
        ["metrics"] = Metrics(c.Metrics),
        ["localMetrics"] = Metrics(c.LocalMetrics),
        ["tolerance"] = c.Tolerance is null ? JValue.CreateNull() : new JObject { ["atol"] = c.Tolerance.Atol, ["rtol"] = c.Tolerance.Rtol, ["ulp"] = c.Tolerance.Ulp },
        ["score"] = Finite(c.Score),
    });

    private static JToken Metrics(ErrorMetrics? m) => m is null ? JValue.CreateNull() : new JObject
    {
        ["count"] = m.Count,
        ["maxAbs"] = Finite(m.MaxAbs),
        ["maxRel"] = Finite(m.MaxRel),
        ["maxUlp"] = Finite(m.MaxUlp),
        ["overTolerance"] = m.OverTolerance,
        ["shareOverTolerance"] = m.ShareOverTolerance,
        ["worstIndex"] = m.WorstIndex,
        ["nonFiniteMismatches"] = m.NonFiniteMismatches,
    };

    private static JToken Health(Recorder.HealthSummary? h) => h is null ? JValue.CreateNull() : new JObject
    {
        ["min"] = h.Min is { } mn ? Finite(mn) : JValue.CreateNull(),
        ["max"] = h.Max is { } mx ? Finite(mx) : JValue.CreateNull(),
        ["mean"] = h.Mean is { } me ? Finite(me) : JValue.CreateNull(),
        ["nan"] = h.NaN,
        ["posInf"] = h.PosInf,
        ["negInf"] = h.NegInf,
        ["subnormal"] = h.Subnormal,
        ["zero"] = h.Zero,
    };

    private static JObject Source(Engine.SourceLocation s)
    {
        var o = new JObject { ["file"] = Path.GetFileName(s.File), ["line"] = s.Line, ["member"] = s.Member };
        if (s.Approximate)
        {
            o["approximate"] = true;
        }

        return o;
    }

    // The module (layer) an op ran in: {"path": "2", "type": "Linear"}, or null when none was recorded.
    private static JToken Module(Engine.OpModule? m) => m is null ? JValue.CreateNull() : new JObject { ["path"] = m.Path, ["type"] = m.Type };

    // JSON has no infinity: infinite errors are written as the string "inf".
    private static JToken Finite(double v) => double.IsFinite(v) ? new JValue(v) : new JValue(double.IsNaN(v) ? "nan" : v > 0 ? "inf" : "-inf");
}

/// <summary>Writes reports by file extension.</summary>
public static class Reports
{
    /// <summary>The extensions understood, with their formats.</summary>
    public static readonly IReadOnlyDictionary<string, string> Formats = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [".txt"] = "terminal text",
        [".md"] = "Markdown",
        [".html"] = "HTML",
        [".htm"] = "HTML",
        [".xml"] = "JUnit XML",
        [".json"] = "JSON",
    };

    /// <summary>Renders the report whose format the file extension names.</summary>
    /// <exception cref="ArgumentException">An unknown extension; the message lists the known ones.</exception>
    public static string Render(DiffResult result, string path)
    {
        var ext = Path.GetExtension(path);
        return ext.ToLowerInvariant() switch
        {
            ".txt" => TerminalReport.Render(result),
            ".md" => MarkdownReport.Render(result),
            ".html" or ".htm" => HtmlReport.Render(result),
            ".xml" => JUnitReport.Render(result),
            ".json" => JsonReport.Render(result),
            _ => throw new ArgumentException($"report '{path}': unknown format '{ext}'; expected one of {string.Join(", ", Formats.Keys)}", nameof(path)),
        };
    }

    /// <summary>Renders and writes a report, creating its folder.</summary>
    public static void Write(DiffResult result, string path)
    {
        var text = Render(result, path);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }

        File.WriteAllText(path, text, new UTF8Encoding(false));
    }
}
