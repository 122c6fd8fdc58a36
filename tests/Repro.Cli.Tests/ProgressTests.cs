using System.Text.RegularExpressions;

namespace Repro.Cli.Tests;

/// <summary>
/// Progress bars as a person at a terminal sees them: repro runs under a pseudo-terminal (util-linux's <c>script</c>),
/// and the bar must pass through percentages between 0 and 100 instead of jumping from one to the other. Skipped
/// where <c>script</c> is missing.
/// </summary>
public class ProgressTests
{
    [Fact]
    public void Run_and_diff_progress_bars_move_through_intermediate_percentages()
    {
        if (!File.Exists("/usr/bin/script"))
        {
            return; // No pseudo-terminal tool here: nothing to check (CI images have util-linux).
        }

        using var dir = new TempDir();
        var f32 = Path.Combine(dir.Path, "f32");
        var bf16 = Path.Combine(dir.Path, "bf16");

        // The sample workloads report epochs, not steps: the bar must still move with every step.
        var run = InTerminal("run", "digits-mlp", "--steps", "150", "--out", f32);
        Assert.True(run.ExitCode == 0, run.Output);
        AssertMoves(run.Output, "run digits-mlp");

        var other = CliRunner.Run("run", "digits-mlp", "--steps", "150", "--out", bf16, "--dtype", "bfloat16");
        Assert.True(other.ExitCode == 0, other.ToString());
        var diff = InTerminal("diff", f32, bf16);
        Assert.True(diff.ExitCode is 0 or 1, diff.Output);
        AssertMoves(diff.Output, "diff");
    }

    private static void AssertMoves(string output, string what)
    {
        var percents = Regex.Matches(output, @"(\d{1,3})%").Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(percents.Exists(p => p is > 0 and < 100), $"{what}: the progress bar showed only {string.Join(", ", percents.Distinct())}%:\n{output}");
    }

    /// <summary>Runs repro with a pseudo-terminal as its standard output and error.</summary>
    private static (int ExitCode, string Output) InTerminal(params string[] args)
    {
        var command = string.Join(' ', new[] { "dotnet", CliRunner.ReproDll }.Concat(args).Select(Quote));
        using var p = CliRunner.Start(new Dictionary<string, string> { ["COLUMNS"] = "100", ["TERM"] = "xterm" }, "script", "-qec", command, "/dev/null");
        var r = CliRunner.Wait(p, ["script", .. args]);
        return (r.ExitCode, r.Stdout + r.Stderr);
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
