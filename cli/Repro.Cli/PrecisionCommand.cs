using System.CommandLine;
using System.Globalization;
using System.Text;
using Newtonsoft.Json.Linq;
using Repro.Engine;
using Repro.Precision;
using Spectre.Console;

namespace Repro.Cli;

/// <summary><c>repro precision</c>: which ops must stay in float32, found by replaying a float32 log.</summary>
internal static class PrecisionCommand
{
    /// <summary>Exit code when the budget cannot be met even with every candidate op in float32.</summary>
    public const int Unreachable = 1;

    public static Command Build()
    {
        var log = new Argument<string>("log") { Description = "A float32 log (repro run, repro record, or Recorder.Start)" };
        var dtype = new Option<string>("--dtype") { Description = "The low dtype: bfloat16 or float16", HelpName = "name", Required = true };
        var budget = new Option<string[]>("--budget") { Description = "Error budget, repeatable: <target>:<rel|ulp>=<limit>; target loss, output, params, op:<seq> or last:<op name> (e.g. loss:rel=1e-2, op:1234:ulp=64)", HelpName = "spec", Required = true, AllowMultipleArgumentsPerToken = false };
        var granularity = new Option<string>("--granularity") { Description = "op (each op), site (the same op in every call of a call site: each training step's) or module (ops grouped by module, today by source location)", HelpName = "op|site|module", DefaultValueFactory = _ => "op" };
        granularity.AcceptOnlyFromAmong("op", "site", "module");
        var outOpt = new Option<string>("--out", "-o") { Description = "Write the policy (JSON) here", HelpName = "policy.json" };
        var report = new Option<string>("--report") { Description = "Write a report: .md or .json", HelpName = "file" };
        var backend = new Option<string>("--backend") { Description = "Backend to replay on (the policy does not depend on it)", HelpName = "name" };
        var threads = new Option<int?>("--threads") { Description = "Worker threads (the policy does not depend on it)", HelpName = "N" };
        var maxReplays = new Option<int>("--max-replays") { Description = "Most replays the search may use", HelpName = "N", DefaultValueFactory = _ => 1000 };
        var force = new Option<bool>("--force") { Description = "Replace existing --out and --report files" };
        var cmd = new Command("precision", "Find the ops that must stay in float32 so chosen outputs stay within an error budget in bfloat16 or float16") { log, dtype, budget, granularity, outOpt, report, backend, threads, maxReplays, force };
        Cli.Register(cmd, (p, o) =>
        {
            var low = DTypes.Parse(p.GetValue(dtype)!);
            if (!low.IsLowPrecision())
            {
                throw new CliException($"--dtype {low.Name()}: expected bfloat16 or float16");
            }

            var budgets = (p.GetValue(budget) ?? []).Select(Budget.Parse).ToArray();
            var outPath = p.GetValue(outOpt);
            var reportPath = p.GetValue(report);
            bool overwrite = p.GetValue(force);
            CheckTarget(outPath, "--out", overwrite);
            CheckTarget(reportPath, "--report", overwrite);
            if (reportPath?.EndsWith(".md", StringComparison.OrdinalIgnoreCase) == false && !reportPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            {
                throw new CliException($"--report {reportPath}: expected a .md or .json file");
            }

            if (p.GetValue(maxReplays) < 4)
            {
                throw new CliException($"--max-replays {p.GetValue(maxReplays)}: expected at least 4");
            }

            var path = p.GetValue(log)!;
            var options = new AdvisorOptions
            {
                LowDType = low,
                Budgets = budgets,
                Granularity = p.GetValue(granularity) switch { "module" => Granularity.Module, "site" => Granularity.Site, _ => Granularity.Op },
                Backend = p.GetValue(backend),
                Threads = Commands.CheckThreads(p.GetValue(threads)),
                MaxReplays = p.GetValue(maxReplays),
                Progress = o.Quiet || o.Json ? null : line => Console.Error.WriteLine("precision: " + line),
            };
            var result = Advisor.Run(path, options);
            var policyJson = PolicyFile.ToJson(result.Policy, result.Notes, $"repro precision {Path.GetFileName(Path.GetFullPath(path))} --dtype {low.Name()} {string.Join(' ', budgets.Select(b => "--budget " + b))}");
            if (outPath is not null)
            {
                File.WriteAllText(outPath, policyJson);
            }

            var doc = ToJson(result, path);
            doc["policyFile"] = outPath is null ? null : Path.GetFullPath(outPath);
            int code = result.Status == AdvisorStatus.Impossible ? Unreachable : ExitCodes.Success;
            doc["exitCode"] = code;
            if (reportPath is not null)
            {
                File.WriteAllText(reportPath, reportPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? doc + "\n" : Markdown(result, path));
            }

            o.Document(doc);
            o.Human(c => c.Write(new Text(Markdown(result, path))));
            return code;
        });
        return cmd;
    }

    private static void CheckTarget(string? path, string option, bool force)
    {
        if (path is null)
        {
            return;
        }

        if (Directory.Exists(path))
        {
            throw new CliException($"{option} {path}: a folder is there");
        }

        if (File.Exists(path) && !force)
        {
            throw new CliException($"{option} {path}: the file exists (--force replaces it)");
        }
    }

    private static string G(double v) => double.IsPositiveInfinity(v) ? "inf" : double.IsNaN(v) ? "not measured" : v.ToString("G3", CultureInfo.InvariantCulture);

    internal static JObject ToJson(AdvisorResult r, string log) => new()
    {
        ["command"] = "precision",
        ["log"] = Path.GetFullPath(log),
        ["dtype"] = r.LowDType.Name(),
        ["granularity"] = r.Granularity.ToString().ToLowerInvariant(),
        ["status"] = r.Status switch { AdvisorStatus.AllLow => "all-low", AdvisorStatus.Met => "met", _ => "unreachable" },
        ["budgets"] = new JArray(r.Targets.Select((t, i) => new JObject
        {
            ["budget"] = t.Budget.ToString(),
            ["target"] = t.Description,
            ["seqs"] = new JArray(t.Seqs.Take(64)),
            ["allLowError"] = r.AllLowErrors[i],
            ["finalError"] = r.FinalErrors[i],
        })),
        ["candidates"] = r.Units,
        ["computingOps"] = r.ComputingOps,
        ["opsKept"] = r.OpsKept,
        ["lowShare"] = r.LowShare,
        ["replays"] = r.Replays,
        ["replayLimitReached"] = r.ReplayLimitReached,
        ["minimal"] = r.Minimal,
        ["kept"] = new JArray(r.Kept.Select(k => new JObject
        {
            ["unit"] = k.Key,
            ["description"] = k.Description,
            ["seqs"] = new JArray(k.Seqs),
            ["ops"] = new JArray(k.OpNames),
            ["growth"] = double.IsFinite(k.Score) ? k.Score : double.IsNaN(k.Score) ? null : "inf",
            ["errorsWhenLowered"] = new JArray(k.ErrorsWhenLowered.Select(e => double.IsFinite(e) ? (JToken)e : double.IsNaN(e) ? JValue.CreateNull() : "inf")),
            ["breaksBudgetWhenLowered"] = k.BreaksBudgetWhenLowered,
        })),
    };

    internal static string Markdown(AdvisorResult r, string log)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder().Append(inv, $"# Precision: {Path.GetFileName(Path.GetFullPath(log))} in {r.LowDType.Name()}\n\n").Append(r.Status switch
        {
            AdvisorStatus.AllLow => "Every op can run in the low dtype within budget: nothing is kept in float32.\n\n",
            AdvisorStatus.Met => string.Create(inv, $"Keep {r.Kept.Count} {(r.Granularity == Granularity.Module ? "module(s)" : r.Granularity == Granularity.Site ? "site op(s)" : "op(s)")} ({r.OpsKept} of {r.ComputingOps} computing ops) in float32: {r.LowShare:P1} of the ops run in {r.LowDType.Name()}, within budget{(r.Minimal ? "; lowering any one kept unit breaks it (checked)" : "; NOT checked minimal")}.\n\n"),
            _ => string.Create(inv, $"UNREACHABLE: even with all {r.Units} candidates in float32 (leaves in float32) the budget is not met.\n\n"),
        }).Append("| budget | target | error, all low | error, policy |\n| --- | --- | --- | --- |\n");
        for (int i = 0; i < r.Targets.Count; i++)
        {
            var t = r.Targets[i];
            sb.Append(inv, $"| {t.Budget} | {t.Description} | {G(r.AllLowErrors[i])} | {G(r.FinalErrors[i])} |\n");
        }

        sb.Append(inv, $"\n{r.Replays} replays{(r.ReplayLimitReached ? " (the replay limit was reached: the set may not be minimal)" : string.Empty)}, {r.Units} candidates.\n");
        if (r.Kept.Count > 0 && r.Status == AdvisorStatus.Met)
        {
            sb.Append("\n| kept | growth | error when lowered again | breaks budget |\n| --- | --- | --- | --- |\n");
            foreach (var k in r.Kept)
            {
                sb.Append(inv, $"| {k.Description.Replace("|", "\\|", StringComparison.Ordinal)} | {(double.IsNaN(k.Score) ? "unknown" : G(k.Score))} | {string.Join(", ", k.ErrorsWhenLowered.Select(G))} | {(k.ErrorsWhenLowered.Any(double.IsNaN) ? "not measured" : k.BreaksBudgetWhenLowered ? "yes" : "no")} |\n");
            }
        }

        return sb.ToString();
    }
}
