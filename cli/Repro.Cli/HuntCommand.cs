using System.CommandLine;
using System.Globalization;
using Newtonsoft.Json;
using Repro.Hunt;
using Repro.Recorder;

namespace Repro.Cli;

/// <summary><c>repro hunt -- command</c>: runs a program under changing conditions and names what changes its results (docs/hunt.md).</summary>
internal static class HuntCommand
{
    public static Command Build()
    {
        var runs = new Option<int?>("--runs") { Description = "Runs in all, the baseline included (default: a baseline, two repeats, one run per condition and one with all of them)", HelpName = "N" };
        var vary = new Option<string>("--vary") { Description = "Conditions to vary, comma-separated: " + string.Join(", ", HuntConditions.All.Select(c => c.Name)) + " (hash: an alias of repeat), or all", HelpName = "list", DefaultValueFactory = _ => "all" };
        var budget = new Option<string?>("--budget") { Description = "Stop after this much time (90s, 5m, 1h): the runs done so far are compared", HelpName = "time" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the choice of alternatives (the report is the same for the same program and seed)", HelpName = "S", DefaultValueFactory = _ => 0 };
        var outOpt = new Option<string>("--out", "-o") { Description = "Folder for the runs' logs and output", HelpName = "dir", DefaultValueFactory = _ => "repro-hunt" };
        var force = new Option<bool>("--force") { Description = "Replace an earlier hunt's logs in --out" };
        var report = new Option<string[]>("--report", "-r") { Description = "Write the report to a file; the extension picks the format: .md, .json, .txt. Repeatable", HelpName = "file", AllowMultipleArgumentsPerToken = false };
        var command = new Argument<string[]>("command") { Description = "The program, after --, e.g. -- dotnet app.dll args", Arity = ArgumentArity.OneOrMore };
        var cmd = new Command("hunt", "Run a program many times under changing conditions (threads, vector width, culture, time zone, ...), record each run, and name every difference: where it entered the engine, what changes it, and the likely cause")
        {
            runs, vary, budget, seed, outOpt, force, report, command,
        };
        Cli.Register(cmd, (p, o) =>
        {
            var reports = p.GetValue(report) ?? [];
            foreach (var r in reports)
            {
                if (Path.GetExtension(r).ToLowerInvariant() is not (".md" or ".json" or ".txt"))
                {
                    throw new CliException($"--report {r}: unknown format '{Path.GetExtension(r)}'; expected .md, .json or .txt");
                }
            }

            var options = new HuntOptions
            {
                Command = p.GetValue(command) ?? [],
                Vary = HuntConditions.Parse(p.GetValue(vary)),
                Runs = p.GetValue(runs),
                Seed = p.GetValue(seed),
                OutDir = p.GetValue(outOpt)!,
                Force = p.GetValue(force),
                Budget = p.GetValue(budget) is { } b ? ParseBudget(b) : null,
                Progress = o.Quiet ? null : (done, total, run) => Console.Error.WriteLine(LogText.Visible(
                    string.Create(CultureInfo.InvariantCulture, $"hunt: run {done}/{total} done: {run.Run.Label} ({run.Run.Description}){(run.Log is null ? ", no log" : run.ExitCode != 0 ? $", exit code {run.ExitCode}" : string.Empty)}"))),
            };
            var result = Hunter.Hunt(options);
            foreach (var r in reports)
            {
                string text = Path.GetExtension(r).ToLowerInvariant() switch
                {
                    ".md" => HuntReport.Markdown(result),
                    ".json" => HuntReport.Json(result).ToString(Formatting.Indented) + "\n",
                    _ => HuntReport.Text(result),
                };
                File.WriteAllText(r, text);
            }

            o.Document(HuntReport.Json(result));
            o.Human(_ => Console.Out.Write(HuntReport.Text(result)));
            return result.ExitCode;
        });
        return cmd;
    }

    /// <summary>"90", "90s", "5m", "1h" or a TimeSpan ("00:05:00").</summary>
    internal static TimeSpan ParseBudget(string text)
    {
        var t = text.Trim();
        double scale = t.EndsWith('h') ? 3600 : t.EndsWith('m') ? 60 : 1;
        var number = t.TrimEnd('s', 'm', 'h');
        if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && v * scale <= TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return TimeSpan.FromSeconds(v * scale);
        }

        return !t.Contains(':') || !TimeSpan.TryParse(t, CultureInfo.InvariantCulture, out var span) || span <= TimeSpan.Zero
            ? throw new CliException($"--budget {text}: expected a positive time such as 90s, 5m or 1h")
            : span;
    }
}
