using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Newtonsoft.Json.Linq;
using Repro.Diffing;
using Repro.Diffing.Reports;
using Repro.Engine;
using Repro.Engine.Backends;
using Repro.Recorder;
using Repro.Samples;
using Spectre.Console;

namespace Repro.Cli;

/// <summary><c>repro diff</c> (first divergent op between two logs) and <c>repro demo</c> (the guided tour).</summary>
internal static class DiffCommands
{
    public static Command DiffCommand()
    {
        var a = new Argument<string>("a") { Description = "The reference run's log folder" };
        var b = new Argument<string>("b") { Description = "The run to compare against it" };
        var mode = new Option<string>("--mode") { Description = "auto (bitwise when both runs have one dtype, else numeric), bitwise (hashes from the logs, no replay) or numeric (replay both in lockstep)", HelpName = "mode", DefaultValueFactory = _ => "auto" };
        var atol = new Option<double?>("--atol") { Description = "Absolute tolerance (numeric mode; default derived from the dtypes and the op)", HelpName = "x" };
        var rtol = new Option<double?>("--rtol") { Description = "Relative tolerance (numeric mode)", HelpName = "x" };
        var ulp = new Option<double?>("--ulp") { Description = "Tolerance in units in the last place (numeric mode)", HelpName = "n" };
        var report = new Option<string[]>("--report", "-r") { Description = "Write a report; the extension picks the format: .txt, .md, .html, .xml (JUnit), .json. Repeatable", HelpName = "file", AllowMultipleArgumentsPerToken = false };
        var context = new Option<int>("--context") { Description = "Ops shown on each side of the first divergence", HelpName = "N", DefaultValueFactory = _ => 8 };
        var cmd = new Command("diff", "Find the first op where two runs part ways, where in the source it was called, and whether it caused the error or inherited it. Exit code 0 identical or within tolerance, 1 diverged, 2 bad input")
        {
            a, b, mode, atol, rtol, ulp, report, context,
        };
        Cli.Register(cmd, (p, o) =>
        {
            var m = p.GetValue(mode) switch
            {
                "auto" or null => DiffMode.Auto,
                "bitwise" => DiffMode.Bitwise,
                "numeric" => DiffMode.Numeric,
                var other => throw new CliException($"--mode {other}: expected auto, bitwise or numeric"),
            };
            var reports = p.GetValue(report) ?? [];
            foreach (var r in reports)
            {
                if (!Reports.Formats.ContainsKey(Path.GetExtension(r)))
                {
                    throw new CliException($"--report {r}: unknown format '{Path.GetExtension(r)}'; expected one of {string.Join(", ", Reports.Formats.Keys)}");
                }
            }

            foreach (var (name, v) in new[] { ("--atol", p.GetValue(atol)), ("--rtol", p.GetValue(rtol)), ("--ulp", p.GetValue(ulp)) })
            {
                if (v is < 0 or double.NaN)
                {
                    throw new CliException($"{name} {v}: expected a number >= 0");
                }
            }

            int ctx = p.GetValue(context);
            if (ctx < 0)
            {
                throw new CliException($"--context {ctx}: expected a number >= 0");
            }

            var options = new DiffOptions { Mode = m, Atol = p.GetValue(atol), Rtol = p.GetValue(rtol), Ulp = p.GetValue(ulp), Context = ctx };
            var result = DiffWithProgress(o, "diff", p.GetValue(a)!, p.GetValue(b)!, options);
            foreach (var r in reports)
            {
                Reports.Write(result, r);
            }

            if (o.Json)
            {
                var doc = JObject.Parse(JsonReport.Render(result));
                doc["reports"] = new JArray(reports.Select(Path.GetFullPath));
                o.Document(doc);
            }

            // Plain text straight to stdout: the report lays out its own table and must not be re-wrapped.
            o.Human(_ => Console.Out.Write(TerminalReport.Render(result)));
            foreach (var r in reports)
            {
                o.Line("report: " + Path.GetFullPath(r));
            }

            return result.ExitCode;
        });
        return cmd;
    }

    public static Command DemoCommand()
    {
        var outOpt = new Option<string>("--out", "-o") { Description = "Folder for the logs and reports", HelpName = "dir", DefaultValueFactory = _ => "repro-demo" };
        var steps = new Option<int>("--steps") { Description = "Training steps of digits-mlp per run", HelpName = "N", DefaultValueFactory = _ => 30 };
        var cmd = new Command("demo", "The tour: train digits-mlp on 1 and all threads and on every backend and show by diff that the bits agree; train it in bfloat16 and show the first divergent op, its source line and whether it is the origin; write report.html and report.md") { outOpt, steps };
        Cli.Register(cmd, (p, o) =>
        {
            var dir = Path.GetFullPath(p.GetValue(outOpt)!);
            int n = p.GetValue(steps);
            if (n < 1)
            {
                throw new CliException($"--steps {n}: expected at least 1");
            }

            return Demo(dir, n, o);
        });
        return cmd;
    }

    /// <summary>
    /// Runs the differ under a progress bar that moves with the ops compared, out of run A's op count (from its end
    /// record; a bar without a known end, for a log that has none).
    /// </summary>
    internal static DiffResult DiffWithProgress(Output o, string label, string a, string b, DiffOptions? options = null)
    {
        options ??= new DiffOptions();
        long total = 0;
        if (o.ShowProgress)
        {
            try
            {
                total = LogReader.ReadEnd(a)?.Ops ?? 0;
            }
            catch (Exception ex) when (ex is LogFormatException or IOException or UnauthorizedAccessException)
            {
                // The differ reports a log it cannot read, with its own message.
            }
        }

        return o.WithProgress(label, report => Differ.Run(a, b, options with { Progress = done => report(done, total) }));
    }

    private static int Demo(string dir, int steps, Output o)
    {
        var sw = Stopwatch.StartNew();
        Directory.CreateDirectory(dir);
        var workload = Workloads.Get("digits-mlp");
        int all = Environment.ProcessorCount;
        var managed = ManagedBackend.Instance;
        string Record(string name, Backend backend, int threads, DType dtype)
        {
            var path = Path.Combine(dir, name);
            using var th = Settings.UseThreads(threads);
            using var be = Settings.UseBackend(backend);
            Generator.ManualSeed(0);
            o.Line($"  recording {name}: digits-mlp, {Output.Plural(steps, "step")}, backend {backend.Name}, {Output.Plural(threads, "thread")}, {dtype.Name()}");
            using (Recorder.Recorder.Start(path, new RecorderOptions { Backend = backend, DType = dtype, Seed = 0, CommandLine = "repro demo", Force = true, Stopped = Commands.ReportStop }))
            {
                o.WithProgress(name, report => workload.Run(new WorkloadOptions(Seed: 0, Steps: steps, DType: dtype, Backend: backend, OnStep: (done, total) => report(done, total))));
            }

            Commands.RequireComplete(Path.GetFullPath(path));
            return path;
        }

        o.Line("1. Thread invariance: the same training on 1 thread and on " + all.ToString(CultureInfo.InvariantCulture) + " threads.");
        var baseline = Record("managed-1-thread", managed, 1, DType.Float32);
        var rows = new List<(string What, DiffResult Result)>
        {
            ("managed, 1 vs " + all + " threads", DiffWithProgress(o, "diff", baseline, Record($"managed-{all}-threads", managed, all, DType.Float32))),
        };

        o.Line("2. Backend invariance: every other backend against the managed one.");
        var failedBackends = new List<string>();
        foreach (var name in Settings.BackendNames.Where(b => b != managed.Name))
        {
            Backend backend;
            try
            {
                backend = Settings.GetBackend(name);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or NotSupportedException)
            {
                o.Line($"  skipping backend {name}: {ex.Message}");
                continue;
            }

            try
            {
                rows.Add(($"managed vs {name}", DiffWithProgress(o, "diff", baseline, Record("backend-" + name, backend, all, DType.Float32))));
            }
#pragma warning disable CA1031 // A backend that cannot run here is reported and skipped; the tour goes on.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                o.Warn($"backend {name} could not run the workload: {ex.GetType().Name}: {ex.Message.Split('\n')[0]}");
                failedBackends.Add(name);
            }
        }

        o.Line("3. A dtype change: the same training in bfloat16, compared numerically.");
        var bf16 = DiffWithProgress(o, "diff", baseline, Record("bfloat16", managed, all, DType.BFloat16));
        rows.Add(("float32 vs bfloat16", bf16));
        var html = Path.Combine(dir, "report.html");
        var md = Path.Combine(dir, "report.md");
        Reports.Write(bf16, html);
        Reports.Write(bf16, md);

        bool invariantOk = failedBackends.Count == 0 && rows.Take(rows.Count - 1).All(r => r.Result.Verdict == Verdict.Identical && r.Result.Structural is null);
        o.Document(new JObject
        {
            ["comparisons"] = new JArray(rows.Select(r => new JObject
            {
                ["what"] = r.What,
                ["verdict"] = JsonReport.VerdictName(r.Result),
                ["opsCompared"] = r.Result.OpsCompared,
                ["firstDivergence"] = r.Result.FirstDivergence is { } f ? $"{f.Op} at {f.Source}{(f.Module is null ? string.Empty : $" in module {f.Module}")} ({f.Cause.ToString().ToLowerInvariant()})" : null,
            })),
            ["reportHtml"] = html,
            ["reportMd"] = md,
            ["seconds"] = sw.Elapsed.TotalSeconds,
        });
        o.Human(c =>
        {
            c.WriteLine();
            var t = new Table().AddColumns("comparison", "verdict", "ops compared", "first divergence");
            foreach (var (what, r) in rows)
            {
                var f = r.FirstDivergence;
                t.AddRow(
                    Output.Esc(what),
                    Output.Esc(TerminalReport.VerdictName(r)),
                    r.OpsCompared.ToString(CultureInfo.InvariantCulture),
                    Output.Esc(f is null ? "-" : $"op {f.A?.Seq} '{f.Op}' at {f.Source}{(f.Module is null ? string.Empty : $" in module {f.Module}")}: {f.Cause.ToString().ToLowerInvariant()}"));
            }

            c.Write(t);
            c.WriteLine();
            Console.Out.Write(TerminalReport.Render(bf16));
            c.WriteLine();
            c.WriteLine($"Reports: {html}");
            c.WriteLine($"         {md}");
            c.WriteLine($"Logs:    {dir}   (try: {Output.Invocation} inspect {Output.Quote(Path.Combine(dir, "bfloat16"))} --op {bf16.FirstDivergence?.B?.Seq ?? 0})");
            c.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Done in {sw.Elapsed.TotalSeconds:F1} s. {(invariantOk ? "Every float32 run agreed bit for bit." : failedBackends.Count > 0 ? $"Backends that failed to run: {string.Join(", ", failedBackends)}." : "MISMATCH: a float32 run differed (a bug in Repro; please report it).")}"));
        });
        return invariantOk ? ExitCodes.Success : ExitCodes.Divergence;
    }
}
