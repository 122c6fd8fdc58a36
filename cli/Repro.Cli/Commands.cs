using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Newtonsoft.Json.Linq;
using Repro.Engine;
using Repro.Recorder;
using Spectre.Console;

namespace Repro.Cli;

/// <summary>The commands' definitions and bodies.</summary>
internal static class Commands
{
    private static Option<string> BackendOption(string what) => new("--backend") { Description = what + " (" + string.Join(", ", Settings.BackendNames) + ")", HelpName = "name" };

    private static Option<int?> ThreadsOption(string what) => new("--threads") { Description = what, HelpName = "N" };

    private static Option<string> DTypeOption(string what) => new("--dtype") { Description = what + " (float32, float64, float16, bfloat16)", HelpName = "name" };

    private static Option<string> CaptureOption() => new("--capture") { Description = "What to store by value besides leaves: default (hashes and summaries), all, or a range of ops N..M", HelpName = "policy", DefaultValueFactory = _ => "default" };

    private static Argument<string> LogArgument() => new("log") { Description = "The log folder" };

    private static Option<bool> ForceOption() => new("--force") { Description = "Replace a log already at the output path (only a folder that holds nothing but a log is ever replaced, once the new log is complete)" };

    public static Command RunCommand()
    {
        var workload = new Argument<string?>("workload") { Description = "The workload to run (see --list)", Arity = ArgumentArity.ZeroOrOne };
        var list = new Option<bool>("--list") { Description = "List the built-in workloads and exit" };
        var outOpt = new Option<string>("--out", "-o") { Description = "The log folder to write", HelpName = "log" };
        var backend = BackendOption("Backend to run on");
        var threads = ThreadsOption("Worker threads (results never depend on it)");
        var dtype = DTypeOption("Floating-point dtype of the run");
        var seed = new Option<ulong>("--seed") { Description = "Random seed", HelpName = "S", DefaultValueFactory = _ => 0 };
        var steps = new Option<int?>("--steps") { Description = "Training steps (default: the workload's)", HelpName = "N" };
        var capture = CaptureOption();
        var force = ForceOption();
        var keep = new Option<string>("--keep-float32") { Description = "Train live under a precision policy (JSON, docs/precision.md): the ops its rules match run in float32, the rest at --dtype, with explicit casts between", HelpName = "policy.json" };
        var cmd = new Command("run", "Run a built-in workload while recording it") { workload, list, outOpt, backend, threads, dtype, seed, steps, capture, force, keep };
        Cli.Register(cmd, (p, o) =>
        {
            if (p.GetValue(list))
            {
                o.Document(new JObject { ["workloads"] = new JArray(WorkloadCatalog.All.Select(w => new JObject { ["name"] = w.Name, ["description"] = w.Description })) });
                o.Human(c =>
                {
                    var t = new Table().AddColumns("workload", "description");
                    foreach (var w in WorkloadCatalog.All)
                    {
                        t.AddRow(Output.Esc(w.Name), Output.Esc(w.Description));
                    }

                    c.Write(t);
                });
                return ExitCodes.Success;
            }

            var name = p.GetValue(workload) ?? throw new CliException("missing workload: name one (see repro run --list)");
            var info = WorkloadCatalog.Get(name);
            var outPath = p.GetValue(outOpt) ?? throw new CliException("missing --out <log>: the log folder to write");
            var be = Settings.GetBackend(p.GetValue(backend) ?? Settings.DefaultBackend.Name);
            var dt = ParseDType(p.GetValue(dtype) ?? "float32");
            int? n = CheckThreads(p.GetValue(threads));
            int? st = p.GetValue(steps);
            if (st is < 1)
            {
                throw new CliException($"--steps {st}: expected at least 1");
            }

            var policy = CapturePolicy.Parse(p.GetValue(capture) ?? "default");
            ulong s = p.GetValue(seed);
            var livePolicy = p.GetValue(keep) is { } file ? Repro.Precision.PolicyFile.Load(file, dt) : null;
            if (livePolicy is not null && !dt.IsLowPrecision())
            {
                throw new CliException($"--keep-float32 needs --dtype bfloat16 or float16 (got {dt.Name()})");
            }

            using var th = n is { } chosen ? Settings.UseThreads(chosen) : null;
            using var bs = Settings.UseBackend(be);
            Generator.ManualSeed(s);
            var sw = Stopwatch.StartNew();
            WorkloadOutcome outcome;
            long ops;
            var rec = Recorder.Recorder.Start(outPath, new RecorderOptions { Capture = policy, DType = dt, Backend = be, Seed = s, Force = p.GetValue(force), Stopped = ReportStop });
            try
            {
                // Progress comes from the workload's typed step callback; the per-epoch messages stay requested (the
                // samples evaluate the model for them, and the log has always recorded that evaluation).
                using var live = livePolicy is null ? null : Autocast.Use(livePolicy);
                outcome = o.WithProgress(name, report =>
                    info.Run(new WorkloadRequest(s, st, dt, be, _ => { }, (done, total) => report(done, total))));
                ops = rec.Ops;
            }
            catch (Exception ex)
            {
                // The log says the run failed (and where) instead of ending as if it were complete.
                rec.Fail(ex);
                throw;
            }

            rec.Dispose();
            var full = Path.GetFullPath(outPath);
            RequireComplete(full);
            o.Document(new JObject
            {
                ["workload"] = name,
                ["log"] = full,
                ["ops"] = ops,
                ["steps"] = outcome.Steps,
                ["backend"] = be.Name,
                ["dtype"] = dt.Name(),
                ["seed"] = s.ToString(CultureInfo.InvariantCulture),
                ["parameterHash"] = outcome.ParameterHash,
                ["metrics"] = new JObject(outcome.Metrics.Select(kv => new JProperty(kv.Key, kv.Value))),
                ["seconds"] = sw.Elapsed.TotalSeconds,
            });
            o.Human(c =>
            {
                c.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {Output.Plural(outcome.Steps, "step")}, {Output.Plural(ops, "op")} recorded to {full} in {sw.Elapsed.TotalSeconds:F2} s"));
                var t = new Table().AddColumns("metric", "value");
                foreach (var kv in outcome.Metrics)
                {
                    t.AddRow(Output.Esc(kv.Key), kv.Value.ToString("G9", CultureInfo.InvariantCulture));
                }

                t.AddRow("parameter hash", outcome.ParameterHash);
                c.Write(t);
                if (outcome.Metrics.Any(kv => !double.IsFinite(kv.Value)))
                {
                    c.WriteLine(LogText.Visible(NonFiniteHint(full)));
                }
            });
            return ExitCodes.Success;
        });
        return cmd;
    }

    public static Command RecordCommand()
    {
        var outOpt = new Option<string>("--out", "-o") { Description = "The log folder to write", HelpName = "log", Required = true };
        var capture = CaptureOption();
        var force = ForceOption();
        var command = new Argument<string[]>("command") { Description = "The program to record, after --, e.g. -- dotnet app.dll args", Arity = ArgumentArity.OneOrMore };
        var cmd = new Command("record", "Record any program that uses the engine, without changing its code (through a .NET startup hook)") { outOpt, capture, force, command };
        Cli.Register(cmd, (p, o) => RecordProcess.Run(p.GetValue(outOpt)!, CapturePolicy.Parse(p.GetValue(capture) ?? "default"), p.GetValue(force), p.GetValue(command)!, o));
        return cmd;
    }

    public static Command ReplayCommand()
    {
        var log = LogArgument();
        var backend = BackendOption("Backend to replay on (default: the recorded one)");
        var threads = ThreadsOption("Worker threads (default: this machine's)");
        var dtype = DTypeOption("Dtype to replay at (default: the recorded one)");
        var outOpt = new Option<string>("--out", "-o") { Description = "Write the replayed run's log here (to diff against the original)", HelpName = "log" };
        var capture = CaptureOption();
        var force = ForceOption();
        var keep = new Option<string>("--keep-float32") { Description = "A precision policy (JSON, docs/precision.md): the ops its rules match run in float32, the rest at --dtype (or the policy's dtype)", HelpName = "policy.json" };
        var cmd = new Command("replay", "Re-execute a log from its leaves on any backend, thread count and dtype") { log, backend, threads, dtype, outOpt, capture, force, keep };
        Cli.Register(cmd, (p, o) =>
        {
            var options = new ReplayOptions
            {
                Backend = p.GetValue(backend),
                Threads = CheckThreads(p.GetValue(threads)),
                DType = p.GetValue(dtype) is { } d ? ParseDType(d) : null,
                OutPath = p.GetValue(outOpt),
                Capture = CapturePolicy.Parse(p.GetValue(capture) ?? "default"),
                Force = p.GetValue(force),
                Policy = p.GetValue(keep) is { } file ? Repro.Precision.PolicyFile.Load(file, p.GetValue(dtype) is { } low ? ParseDType(low) : null) : null,
            };
            var path = p.GetValue(log)!;
            var result = o.WithProgress("replay", report => Replayer.Replay(path, options with { Progress = (done, total, _) => report(done, total) }));
            if (result.OutPath is { } written)
            {
                RequireComplete(written);
            }

            return Report(o, "replay", result);
        });
        return cmd;
    }

    public static Command VerifyCommand()
    {
        var log = LogArgument();
        var threads = ThreadsOption("Worker threads (default: the recorded count)");
        var strict = new Option<bool>("--strict") { Description = "Fail (exit 2) on an incomplete log: no end record, a cut last line, or an end status other than complete" };
        var cmd = new Command("verify", "Replay on the recorded configuration and check every hash; name the first op that differs") { log, threads, strict };
        Cli.Register(cmd, (p, o) =>
        {
            var path = p.GetValue(log)!;
            int? n = CheckThreads(p.GetValue(threads));
            var result = o.WithProgress("verify", report => Replayer.Verify(path, n, progress: (done, total, _) => report(done, total)));
            if (p.GetValue(strict) && Incomplete(result) is { } why)
            {
                throw new CliException(why + "; --strict accepts only a complete log");
            }

            return Report(o, "verify", result);
        });
        return cmd;
    }

    public static Command InspectCommand()
    {
        var log = LogArgument();
        var ops = new Option<bool>("--ops") { Description = "List every op" };
        var op = new Option<long?>("--op") { Description = "Show one op in full (first; the log's summary only with --summary)", HelpName = "N" };
        var summary = new Option<bool>("--summary") { Description = "With --op: print the log's summary after the op" };
        var cmd = new Command("inspect", "Show a log: environment, op counts by kind, sizes, the first NaN/Inf and the op that made it") { log, ops, op, summary };
        Cli.Register(cmd, (p, o) => Inspector.Run(p.GetValue(log)!, p.GetValue(ops), p.GetValue(op), o, p.GetValue(summary)));
        return cmd;
    }

    public static Command ExportCommand()
    {
        var log = LogArgument();
        var op = new Option<long?>("--op") { Description = "Export op N's output (regenerated by replay when it was not captured)", HelpName = "N" };
        var leaves = new Option<bool>("--leaves") { Description = "Export every leaf (data batches, initial parameters)" };
        var format = new Option<string>("--format") { Description = "safetensors or npy", HelpName = "format", DefaultValueFactory = _ => "npy" };
        format.AcceptOnlyFromAmong("safetensors", "npy");
        var outOpt = new Option<string>("--out", "-o") { Description = "The folder to write", HelpName = "dir", Required = true };
        var cmd = new Command("export", "Write tensors for Python users as .npy files or one .safetensors file") { log, op, leaves, format, outOpt };
        Cli.Register(cmd, (p, o) => Exporter.Run(p.GetValue(log)!, p.GetValue(op), p.GetValue(leaves), p.GetValue(format)!, p.GetValue(outOpt)!, o));
        return cmd;
    }

    public static Command DoctorCommand()
    {
        var cmd = new Command("doctor", "Show this machine's environment fingerprint and the settings that would change results");
        Cli.Register(cmd, (_, o) => Doctor.Run(o));
        return cmd;
    }

    /// <summary>The dtypes a run, a replay or a matrix accepts (floating-point ones).</summary>
    internal static readonly string[] RunDTypes = ["float32", "float64", "float16", "bfloat16"];

    internal static DType ParseDType(string name) =>
        Array.IndexOf(RunDTypes, name) >= 0 ? DTypes.Parse(name)
        : throw new CliException(name == "int32"
            ? $"--dtype int32: a run's dtype must be a floating-point one ({string.Join(", ", RunDTypes)})"
            : $"--dtype {name}: expected one of {string.Join(", ", RunDTypes)}");

    /// <summary>
    /// A hint for metrics that came out NaN or infinite: the first op of the log that produced a NaN or an infinity
    /// from finite inputs, and the command that shows it.
    /// </summary>
    internal static string NonFiniteHint(string log)
    {
        try
        {
            var s = LogInspection.Analyze(log);
            return s.FirstNonFinite is { Op: var bad }
                ? $"a metric is NaN or infinite: the first NaN/Inf came from op {bad.Seq} '{bad.Op}' at {bad.Source}{(bad.Module is null ? string.Empty : $" in module {bad.Module}")}; see {Output.Invocation} inspect {Output.Quote(log)} --op {bad.Seq}"
                : "a metric is NaN or infinite, but no recorded op produced a NaN or an infinity (it came from outside the recorded ops)";
        }
        catch (Exception ex) when (ex is LogFormatException or IOException)
        {
            return "a metric is NaN or infinite; the log could not be read to find the first NaN op: " + ex.Message;
        }
    }

    /// <summary>Runs <paramref name="body"/>; a log without the op asked for is an error about the --op argument.</summary>
    internal static T ForOp<T>(Func<T> body)
    {
        try
        {
            return body();
        }
        catch (OpNotFoundException ex)
        {
            throw new CliException($"--op {ex.Seq}: {ex.Message}");
        }
    }

    internal static int? CheckThreads(int? n) =>
        n is < 1 or > Settings.MaxThreads ? throw new CliException($"--threads {n}: expected 1 to {Settings.MaxThreads}") : n;

    /// <summary>
    /// Every command that writes a log reads its end record back: a log without one (the writer failed, the disk
    /// filled) or one that says the run did not complete is an error, never a success.
    /// </summary>
    internal static void RequireComplete(string log)
    {
        var end = LogReader.ReadEnd(log);
        if (end is null)
        {
            throw new CliException($"the log at {log} is incomplete: it has no end record (the recording failed before it closed)");
        }

        if (!end.IsComplete)
        {
            throw new CliException($"the log at {log} ends with status '{end.Status}': {end.Error?.Describe() ?? "no error recorded"}");
        }
    }

    /// <summary>The one line printed when a recording was closed by a signal or an unhandled exception.</summary>
    internal static void ReportStop(Recording recording, RunError error) =>
        Console.Error.WriteLine(error.Type is "SIGINT" or "SIGTERM"
            ? $"repro: {error.Message} by {error.Type}{(error.LastSeq >= 0 ? $" after op {error.LastSeq}" : string.Empty)}; the log at {recording.Path} is closed and marked interrupted"
            : $"repro: the run failed: {error.Describe()}; the log at {recording.Path} is closed and marked as failed");

    /// <summary>Why a replayed log is not a complete run's (cut short, or closed with a status other than complete); null when it is.</summary>
    private static string? Incomplete(ReplayResult r) =>
        r.Truncation is { } t ? $"{t.Message} (at {t.Position})"
        : r.End is { Status: not "complete" } end ? $"the run did not complete: its end record's status is '{end.Status}' (at {end.Position})"
        : null;

    private static int Report(Output o, string what, ReplayResult r)
    {
        int code = r.HashesChecked && r.Mismatches > 0 ? ExitCodes.Divergence : ExitCodes.Success;
        var doc = new JObject
        {
            ["command"] = what,
            ["ops"] = r.Ops,
            ["leaves"] = r.Leaves,
            ["backend"] = r.Backend,
            ["dtype"] = r.DType.Name(),
            ["threads"] = r.Threads,
            ["configurationMatches"] = r.ConfigurationMatches,
            ["hashesChecked"] = r.HashesChecked,
            ["identical"] = r.Identical,
            ["mismatches"] = r.Mismatches,
            ["seconds"] = r.Elapsed.TotalSeconds,
            ["exitCode"] = code,
        };
        if (r.OutPath is not null)
        {
            doc["out"] = r.OutPath;
        }

        if (r.FirstDivergence is { } d)
        {
            doc["firstDivergence"] = new JObject
            {
                ["seq"] = d.Seq,
                ["op"] = d.Op,
                ["phase"] = d.Phase == OpPhase.Backward ? "backward" : "forward",
                ["source"] = d.Source.IsKnown ? $"{d.Source.File}:{d.Source.Line}" : null,
                ["member"] = d.Source.Member,
                ["what"] = d.What,
                ["record"] = d.Position.ToString(),
            };
        }

        if (r.Truncation is { } t)
        {
            doc["truncated"] = new JObject { ["message"] = t.Message, ["lastSeq"] = t.LastSeq, ["at"] = t.Position.ToString() };
        }

        if (r.End is { } end)
        {
            doc["status"] = end.Status;
        }

        if (Incomplete(r) is { } why)
        {
            o.Warn($"{why}; {what} covered the ops it holds");
        }

        o.Document(doc);
        o.Human(c =>
        {
            string config = $"{r.Backend}, {r.DType.Name()}, {Output.Plural(r.Threads, "thread")}";
            if (!r.HashesChecked)
            {
                c.WriteLine(LogText.Visible(string.Create(CultureInfo.InvariantCulture, $"replayed {Output.Plural(r.Ops, "op")} ({config}) in {r.Elapsed.TotalSeconds:F2} s; configuration differs from the recording ({r.Header.Environment.Backend}, {r.Header.Environment.DType}), hashes not compared")));
            }
            else if (r.Mismatches == 0)
            {
                c.WriteLine(string.Create(CultureInfo.InvariantCulture, $"identical: {(r.Ops == 1 ? "the 1 op matches" : $"all {r.Ops} ops match")} the log ({config}, {r.Elapsed.TotalSeconds:F2} s)"));
            }
            else
            {
                var d = r.FirstDivergence!;
                c.WriteLine($"DIVERGED: {r.Mismatches} of {Output.Plural(r.Ops, "op")} {(r.Mismatches == 1 ? "differs" : "differ")} ({config})");
                c.WriteLine(LogText.Visible($"first: op {d.Seq} ({d.Op}{(d.Phase == OpPhase.Backward ? ", backward" : string.Empty)}) at {(d.Source.IsKnown ? $"{d.Source.File}:{d.Source.Line} in {d.Source.Member}" : "an unknown location")}"));
                c.WriteLine(LogText.Visible($"       {d.What}"));
                c.WriteLine(LogText.Visible($"       record {d.Position}"));
            }

            if (r.OutPath is not null)
            {
                c.WriteLine($"replay log: {r.OutPath}");
            }
        });
        return code;
    }
}
