using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Xml;
using Newtonsoft.Json.Linq;
using Repro.Diffing;
using Repro.Diffing.Reports;
using Repro.Engine;
using Repro.Engine.Backends;
using Repro.Recorder;
using Spectre.Console;

namespace Repro.Cli;

/// <summary>
/// <c>repro matrix</c>: runs a workload on every combination of thread counts, backends and dtypes, records each,
/// diffs each against the first configuration (or a committed golden log), and writes what a CI job publishes: one
/// JUnit file (a test case per pair), one Markdown summary, one HTML index linking every report, and an exit code.
/// </summary>
internal static class MatrixCommand
{
    public static Command Build()
    {
        var workload = new Argument<string[]>("workload") { Description = "The workload to run (repro run --list), or after -- a program that uses the engine (recorded as repro record does; threads and backends vary through REPRO_THREADS and REPRO_BACKEND)", Arity = ArgumentArity.OneOrMore };
        var threads = new Option<string>("--threads") { Description = "Thread counts, comma-separated", HelpName = "N,M", DefaultValueFactory = _ => "1," + Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture) };
        var backends = new Option<string>("--backend") { Description = "Backends, comma-separated", HelpName = "a,b", DefaultValueFactory = _ => "managed" };
        var dtypes = new Option<string>("--dtype") { Description = "Dtypes, comma-separated (float32, float64, float16, bfloat16)", HelpName = "a,b", DefaultValueFactory = _ => "float32" };
        var steps = new Option<int?>("--steps") { Description = "Training steps per run (default: the workload's)", HelpName = "N" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of every run", HelpName = "N", DefaultValueFactory = _ => 0 };
        var golden = new Option<string?>("--golden") { Description = "Compare every configuration with this log (e.g. one committed to the repository) instead of the first configuration", HelpName = "log" };
        var reportDir = new Option<string>("--report-dir") { Description = "Folder for the logs and reports (junit.xml, summary.md, index.html, one report per pair)", HelpName = "dir", DefaultValueFactory = _ => "repro-matrix" };
        var failOn = new Option<string>("--fail-on") { Description = "invariance: fail when a configuration that changes only threads or backend is not identical (a dtype change is reported, not failed); any: fail on every divergence", HelpName = "what", DefaultValueFactory = _ => "invariance" };
        failOn.AcceptOnlyFromAmong("invariance", "any");
        var cmd = new Command("matrix", "Run a workload on every combination of --threads, --backend and --dtype, diff each against the first (or --golden), and write junit.xml, summary.md and index.html for CI. Exit code 0 when every pair passes, 1 when one fails, 2 bad input")
        {
            workload, threads, backends, dtypes, steps, seed, golden, reportDir, failOn,
        };
        Cli.Register(cmd, (p, o) =>
        {
            var target = p.GetValue(workload)!;
            var info = target.Length == 1 && WorkloadCatalog.All.Any(w => w.Name == target[0])
                ? new MatrixTarget(target[0], WorkloadCatalog.Get(target[0]), null)
                : ProgramWorkload(target);
            var threadList = List("--threads", p.GetValue(threads)!, t => int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is >= 1 and <= Settings.MaxThreads ? n : throw new CliException($"--threads {t}: expected counts of 1 to {Settings.MaxThreads}"));
            var backendList = List("--backend", p.GetValue(backends)!, b => Settings.BackendNames.Contains(b) ? b : throw new CliException($"--backend {b}: expected one of {string.Join(", ", Settings.BackendNames)}"));
            var dtypeList = List("--dtype", p.GetValue(dtypes)!, Commands.ParseDType);
            if (info.Program is not null && (dtypeList.Count > 1 || dtypeList[0] != DType.Float32))
            {
                throw new CliException($"--dtype {p.GetValue(dtypes)}: a program chooses its own dtypes; with a program only --threads and --backend vary");
            }
            if (p.GetValue(steps) is < 1)
            {
                throw new CliException($"--steps {p.GetValue(steps)}: expected at least 1");
            }

            var goldenLog = p.GetValue(golden) is { } g ? Path.GetFullPath(g) : null;
            if (goldenLog is not null && !Directory.Exists(goldenLog))
            {
                throw new CliException($"--golden {p.GetValue(golden)}: no such log");
            }

            var configs = (from d in dtypeList from b in backendList from t in threadList select new Config(t, b, d)).ToList();
            return Run(info, configs, p.GetValue(steps), p.GetValue(seed), goldenLog, Path.GetFullPath(p.GetValue(reportDir)!), p.GetValue(failOn) == "any", o);
        });
        return cmd;
    }

    private static List<T> List<T>(string option, string text, Func<string, T> parse)
    {
        var items = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (items.Length == 0)
        {
            throw new CliException($"{option} '{text}': expected a comma-separated list");
        }

        var list = items.Distinct(StringComparer.Ordinal).Select(parse).ToList();
        return list;
    }

    private static int Run(MatrixTarget info, List<Config> configs, int? steps, ulong seed, string? golden, string dir, bool failOnAny, Output o)
    {
        var sw = Stopwatch.StartNew();
        Directory.CreateDirectory(dir);
        var runs = Path.Combine(dir, "runs");
        var pairs = new List<Pair>();
        string? baseline = golden;
        Config? baseConfig = null;
        var failedRuns = new List<(Config Config, string Error)>();
        foreach (var c in configs)
        {
            var log = Path.Combine(runs, c.Name);
            o.Line($"recording {c.Name}: {info.Name}, backend {c.Backend}, {Output.Plural(c.Threads, "thread")}, {c.DType.Name()}");
            try
            {
                Record(info, c, steps, seed, log, o);
            }
            catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or ArgumentException)
            {
                // A backend without its device: the configuration fails, the others still run.
                failedRuns.Add((c, Cli.Message(ex)));
                o.Warn($"{c.Name} could not run: {Cli.Message(ex)}");
                continue;
            }

            if (baseline is null)
            {
                baseline = log;
                baseConfig = c;
                continue;
            }

            var result = DiffCommands.DiffWithProgress(o, "diff " + c.Name, baseline, log);
            var html = Path.Combine(dir, c.Name + ".html");
            Reports.Write(result, html);
            Reports.Write(result, Path.Combine(dir, c.Name + ".md"));
            bool dtypeChanged = baseConfig is null ? golden is not null && result.HeaderA.Environment.DType != c.DType.Name() : baseConfig.DType != c.DType;
            bool pass = result.ExitCode == 0 || (dtypeChanged && !failOnAny && result.Structural is null);
            pairs.Add(new Pair(c, result, Path.GetFileName(html), dtypeChanged, pass));
        }

        string against = golden is not null ? $"golden {Path.GetFileName(Path.TrimEndingDirectorySeparator(golden))}" : baseConfig?.Name ?? "-";
        WriteJUnit(Path.Combine(dir, "junit.xml"), info.Name, against, pairs, failedRuns);
        File.WriteAllText(Path.Combine(dir, "summary.md"), Markdown(info.Name, against, pairs, failedRuns), new UTF8Encoding(false));
        File.WriteAllText(Path.Combine(dir, "index.html"), Index(info.Name, against, pairs, failedRuns), new UTF8Encoding(false));
        bool ok = failedRuns.Count == 0 && pairs.TrueForAll(x => x.Pass);
        o.Document(new JObject
        {
            ["workload"] = info.Name,
            ["baseline"] = against,
            ["pairs"] = new JArray(pairs.Select(x => new JObject
            {
                ["config"] = x.Config.Name,
                ["verdict"] = JsonReport.VerdictName(x.Result),
                ["pass"] = x.Pass,
                ["dtypeChanged"] = x.DTypeChanged,
                ["opsCompared"] = x.Result.OpsCompared,
                ["opsDiverged"] = x.Result.OpsDiverged,
                ["firstDivergence"] = FirstDivergence(x.Result),
                ["report"] = Path.Combine(dir, x.Report),
            })),
            ["failedRuns"] = new JArray(failedRuns.Select(f => new JObject { ["config"] = f.Config.Name, ["error"] = f.Error })),
            ["junit"] = Path.Combine(dir, "junit.xml"),
            ["summary"] = Path.Combine(dir, "summary.md"),
            ["index"] = Path.Combine(dir, "index.html"),
            ["exitCode"] = ok ? ExitCodes.Success : ExitCodes.Divergence,
        });
        o.Human(c =>
        {
            var t = new Table().AddColumns("configuration", "against", "verdict", "result", "first divergence");
            foreach (var x in pairs)
            {
                t.AddRow(Output.Esc(x.Config.Name), Output.Esc(against), Output.Esc(TerminalReport.VerdictName(x.Result)), x.Pass ? "pass" : "FAIL", Output.Esc(FirstDivergence(x.Result) ?? "-"));
            }

            foreach (var (config, error) in failedRuns)
            {
                t.AddRow(Output.Esc(config.Name), Output.Esc(against), "-", "FAIL", Output.Esc("could not run: " + error));
            }

            c.Write(t);
            c.WriteLine($"JUnit:   {Path.Combine(dir, "junit.xml")}");
            c.WriteLine($"Summary: {Path.Combine(dir, "summary.md")}");
            c.WriteLine($"Index:   {Path.Combine(dir, "index.html")}");
            c.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(ok ? "PASS" : "FAIL")}: {pairs.Count(x => x.Pass)} of {Output.Plural(pairs.Count + failedRuns.Count, "pair")} passed in {sw.Elapsed.TotalSeconds:F1} s"));
        });
        return ok ? ExitCodes.Success : ExitCodes.Divergence;
    }

    /// <summary>A program to record (after --), as a workload of the matrix.</summary>
    private static MatrixTarget ProgramWorkload(string[] command) =>
        command.Length == 1 && !File.Exists(command[0]) && !command[0].Contains('/', StringComparison.Ordinal)
            ? throw new CliException($"unknown workload '{command[0]}': expected one of {string.Join(", ", WorkloadCatalog.All.Select(w => w.Name))}, or a program after --")
            : new MatrixTarget(Path.GetFileName(command[0]) + (command.Length > 1 ? " " + string.Join(' ', command.Skip(1).Select(Path.GetFileName)) : string.Empty), null, command);

    /// <summary>Records one configuration of a program: the recorder's startup hook, with the thread count and backend in its environment.</summary>
    private static void RecordProgram(string[] command, Config c, ulong seed, string log)
    {
        var psi = new ProcessStartInfo(command[0]) { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var a in command.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }

        var hook = typeof(Recording).Assembly.Location;
        var existing = Environment.GetEnvironmentVariable("DOTNET_STARTUP_HOOKS");
        psi.Environment["DOTNET_STARTUP_HOOKS"] = string.IsNullOrEmpty(existing) ? hook : existing + Path.PathSeparator + hook;
        psi.Environment["REPRO_RECORD"] = log;
        psi.Environment["REPRO_RECORD_CAPTURE"] = "default";
        psi.Environment["REPRO_RECORD_FORCE"] = "1";
        psi.Environment["REPRO_THREADS"] = c.Threads.ToString(CultureInfo.InvariantCulture);
        psi.Environment["REPRO_BACKEND"] = c.Backend;
        psi.Environment["REPRO_SEED"] = seed.ToString(CultureInfo.InvariantCulture);
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new CliException($"cannot start '{command[0]}'");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new CliException($"cannot start '{command[0]}': {ex.Message}");
        }

        using (process)
        {
            // The program's output goes to standard error: standard output is the matrix's (one document with --json).
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    Console.Error.WriteLine(e.Data);
                }
            };
            process.BeginOutputReadLine();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"the program exited with code {process.ExitCode}");
            }
        }

        Commands.RequireComplete(log);
    }

    private static void Record(MatrixTarget info, Config c, int? steps, ulong seed, string log, Output o)
    {
        if (info.Program is { } command)
        {
            RecordProgram(command, c, seed, log);
            return;
        }

        var backend = Settings.GetBackend(c.Backend);
        using var th = Settings.UseThreads(c.Threads);
        using var be = Settings.UseBackend(backend);
        Generator.ManualSeed(seed);
        var rec = Recorder.Recorder.Start(log, new RecorderOptions { DType = c.DType, Backend = backend, Seed = seed, CommandLine = "repro matrix", Force = true, Stopped = Commands.ReportStop });
        try
        {
            // As repro run does (the epoch messages requested), so a matrix run and a repro run log the same ops.
            o.WithProgress(c.Name, report => info.Workload!.Run(new WorkloadRequest(seed, steps, c.DType, backend, _ => { }, (done, total) => report(done, total))));
        }
        catch (Exception ex)
        {
            rec.Fail(ex);
            throw;
        }

        rec.Dispose();
        Commands.RequireComplete(Path.GetFullPath(log));
    }

    private static string? FirstDivergence(DiffResult r) =>
        r.FirstDivergence is { } f ? $"op {f.A?.Seq} '{f.Op}' at {f.Source}{(f.Module is null ? string.Empty : $" in module {f.Module}")}: {f.Cause.ToString().ToLowerInvariant()}"
        : r.Structural is { } s ? s.Description
        : null;

    private static string Outcome(Pair x) =>
        x.Pass && x.Result.ExitCode != 0 ? "pass (dtype change: reported, not gated)" : x.Pass ? "pass" : "FAIL";

    private static void WriteJUnit(string path, string workload, string against, List<Pair> pairs, List<(Config Config, string Error)> failedRuns)
    {
        // Written straight to the file through a UTF-8 stream, so the declaration and the bytes agree.
        using var stream = File.Create(path);
        using var w = XmlWriter.Create(stream, new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) });
        int failures = pairs.Count(x => !x.Pass) + failedRuns.Count;
        int tests = pairs.Count + failedRuns.Count;
        w.WriteStartElement("testsuites");
        w.WriteAttributeString("name", "repro matrix");
        w.WriteAttributeString("tests", tests.ToString(CultureInfo.InvariantCulture));
        w.WriteAttributeString("failures", failures.ToString(CultureInfo.InvariantCulture));
        w.WriteStartElement("testsuite");
        w.WriteAttributeString("name", LogText.Visible($"repro matrix {workload} against {against}"));
        w.WriteAttributeString("tests", tests.ToString(CultureInfo.InvariantCulture));
        w.WriteAttributeString("failures", failures.ToString(CultureInfo.InvariantCulture));
        w.WriteAttributeString("errors", "0");
        w.WriteAttributeString("skipped", "0");
        foreach (var x in pairs)
        {
            w.WriteStartElement("testcase");
            w.WriteAttributeString("classname", "repro.matrix." + workload);
            w.WriteAttributeString("name", $"{x.Config.Name} vs {against}");
            var text = $"{TerminalReport.VerdictName(x.Result)}: {x.Result.OpsDiverged} of {x.Result.OpsCompared} aligned ops over tolerance{(FirstDivergence(x.Result) is { } f ? "; first divergence " + f : string.Empty)}; report {x.Report}";
            if (!x.Pass)
            {
                w.WriteStartElement("failure");
                w.WriteAttributeString("type", x.Result.Structural is null ? "divergence" : "structural");
                w.WriteAttributeString("message", LogText.Visible(text));
                w.WriteString(LogText.Visible(text));
                w.WriteEndElement();
            }
            else
            {
                w.WriteElementString("system-out", LogText.Visible(Outcome(x) + ": " + text));
            }

            w.WriteEndElement();
        }

        foreach (var (config, error) in failedRuns)
        {
            w.WriteStartElement("testcase");
            w.WriteAttributeString("classname", "repro.matrix." + workload);
            w.WriteAttributeString("name", $"{config.Name} vs {against}");
            w.WriteStartElement("failure");
            w.WriteAttributeString("type", "run");
            w.WriteAttributeString("message", LogText.Visible("could not run: " + error));
            w.WriteEndElement();
            w.WriteEndElement();
        }

        w.WriteEndElement();
        w.WriteEndElement();
    }

    private static string Markdown(string workload, string against, List<Pair> pairs, List<(Config Config, string Error)> failedRuns)
    {
        bool ok = failedRuns.Count == 0 && pairs.TrueForAll(x => x.Pass);
        var sb = new StringBuilder()
            .Append("## repro matrix: ").Append(Md(workload)).Append(" — ").AppendLine(ok ? "PASS" : "FAIL").AppendLine()
            .Append("Every configuration against ").Append(Md(against)).AppendLine(".").AppendLine()
            .AppendLine("| configuration | verdict | result | ops over tolerance | first divergence | report |")
            .AppendLine("| --- | --- | --- | --- | --- | --- |");
        foreach (var x in pairs)
        {
            sb.Append("| ").Append(Md(x.Config.Name)).Append(" | ").Append(TerminalReport.VerdictName(x.Result)).Append(" | ").Append(Outcome(x))
                .Append(" | ").Append(x.Result.OpsDiverged.ToString("N0", CultureInfo.InvariantCulture)).Append(" of ").Append(x.Result.OpsCompared.ToString("N0", CultureInfo.InvariantCulture))
                .Append(" | ").Append(Md(FirstDivergence(x.Result) ?? "-")).Append(" | [").Append(Md(x.Report)).Append("](").Append(x.Report).AppendLine(") |");
        }

        foreach (var (config, error) in failedRuns)
        {
            sb.Append("| ").Append(Md(config.Name)).Append(" | - | FAIL | - | ").Append(Md("could not run: " + error)).AppendLine(" | - |");
        }

        return sb.ToString();
    }

    private static string Index(string workload, string against, List<Pair> pairs, List<(Config Config, string Error)> failedRuns)
    {
        static string E(string s) => WebUtility.HtmlEncode(LogText.Visible(s));
        var sb = new StringBuilder()
            .AppendLine("<!DOCTYPE html>")
            .AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\"><title>repro matrix</title>")
            .AppendLine("<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;font-size:14px}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}.fail{color:#b42318;font-weight:bold}.pass{color:#1a7f37}</style>")
            .AppendLine("</head><body>")
            .Append("<h1>repro matrix: ").Append(E(workload)).AppendLine("</h1>")
            .Append("<p>Every configuration against <code>").Append(E(against)).AppendLine("</code>.</p>")
            .AppendLine("<table id=\"pairs\"><thead><tr><th>configuration</th><th>verdict</th><th>result</th><th>first divergence</th><th>report</th></tr></thead><tbody>");
        foreach (var x in pairs)
        {
            sb.Append("<tr><td>").Append(E(x.Config.Name)).Append("</td><td>").Append(E(TerminalReport.VerdictName(x.Result)))
                .Append("</td><td class=\"").Append(x.Pass ? "pass" : "fail").Append("\">").Append(E(Outcome(x)))
                .Append("</td><td>").Append(E(FirstDivergence(x.Result) ?? "-"))
                .Append("</td><td><a href=\"").Append(Uri.EscapeDataString(x.Report)).Append("\">").Append(E(x.Report)).AppendLine("</a></td></tr>");
        }

        foreach (var (config, error) in failedRuns)
        {
            sb.Append("<tr><td>").Append(E(config.Name)).Append("</td><td>-</td><td class=\"fail\">FAIL</td><td>").Append(E("could not run: " + error)).AppendLine("</td><td>-</td></tr>");
        }

        return sb.AppendLine("</tbody></table></body></html>").ToString();
    }

    // Escapes Markdown's table and inline characters.
    private static string Md(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (char ch in LogText.Visible(s))
        {
            if (ch is '|' or '\\' or '`' or '*' or '_' or '[' or ']' or '<' or '>')
            {
                sb.Append('\\');
            }

            sb.Append(ch is '\n' or '\r' ? ' ' : ch);
        }

        return sb.ToString();
    }

    /// <summary>What the matrix runs: a built-in workload, or a program recorded through the startup hook.</summary>
    private sealed record MatrixTarget(string Name, WorkloadInfo? Workload, string[]? Program);

    private sealed record Config(int Threads, string Backend, DType DType)
    {
        public string Name => string.Create(CultureInfo.InvariantCulture, $"{Backend}-{DType.Name()}-{Threads}t");
    }

    private sealed record Pair(Config Config, DiffResult Result, string Report, bool DTypeChanged, bool Pass);
}
