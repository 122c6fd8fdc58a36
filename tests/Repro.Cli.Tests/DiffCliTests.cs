namespace Repro.Cli.Tests;

/// <summary>repro diff and repro demo as a user runs them: exit codes, reports, errors.</summary>
public class DiffCliTests
{
    private static string Temp(string name) => Path.Combine(Path.GetTempPath(), "repro-diff-cli-" + Guid.NewGuid().ToString("N")[..8], name);

    private static string Record(string name, params string[] extra)
    {
        var path = Temp(name);
        var r = CliRunner.Run(["run", "smoke", "--out", path, "--steps", "3", .. extra]);
        Assert.True(r.ExitCode == 0, r.ToString());
        return path;
    }

    [Fact]
    public void Identical_runs_exit_0_and_write_every_report_format()
    {
        var a = Record("a", "--threads", "1");
        var b = Record("b", "--threads", "2");
        var dir = Path.GetDirectoryName(a)!;
        var reports = new[] { "r.txt", "r.md", "r.html", "r.xml", "r.json" }.Select(f => Path.Combine(dir, f)).ToArray();
        var r = CliRunner.Run(["diff", a, b, .. reports.SelectMany(f => new[] { "--report", f })]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("IDENTICAL", r.Stdout, StringComparison.Ordinal);
        Assert.All(reports, f => Assert.True(new FileInfo(f).Length > 100, f));
        Assert.Contains("\"verdict\": \"identical\"", File.ReadAllText(reports[4]), StringComparison.Ordinal);
    }

    [Fact]
    public void A_dtype_change_is_compared_numerically_and_exits_1_when_it_diverges()
    {
        var a = Record("f32");
        var b = Record("bf16", "--dtype", "bfloat16");
        var r = CliRunner.Run("diff", a, b, "--json");
        Assert.Contains("\"mode\": \"numeric\"", r.Stdout, StringComparison.Ordinal);
        Assert.True(r.ExitCode is 0 or 1, r.ToString());
        Assert.Equal(r.Stdout.Contains("\"verdict\": \"diverged\"", StringComparison.Ordinal) ? 1 : 0, r.ExitCode);
        var tight = CliRunner.Run("diff", a, b, "--rtol", "0", "--atol", "0");
        Assert.True(tight.ExitCode == 1, tight.ToString());
        Assert.Contains("First divergence", tight.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_input_exits_2_with_one_line_naming_the_problem()
    {
        var a = Record("ok");
        var missing = CliRunner.Run("diff", a, Temp("nope"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("no such log", missing.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", missing.Stderr, StringComparison.Ordinal);
        var format = CliRunner.Run("diff", a, a, "--report", Temp("x.pdf"));
        Assert.Equal(2, format.ExitCode);
        Assert.Contains("unknown format '.pdf'", format.Stderr, StringComparison.Ordinal);
        var mode = CliRunner.Run("diff", a, a, "--mode", "fuzzy");
        Assert.Equal(2, mode.ExitCode);
        Assert.Contains("--mode fuzzy", mode.Stderr, StringComparison.Ordinal);
        var help = CliRunner.Run("diff", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--report", help.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Demo_shows_invariance_and_the_first_bfloat16_divergence_with_its_layer_and_the_docs_show_its_real_output()
    {
        // The demo as the README runs it (default steps): its output is what README.md and docs/diff.md show.
        var dir = Temp("demo");
        var r = CliRunner.Run("demo", "--out", dir);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Every float32 run agreed bit for bit.", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("float32 vs bfloat16", r.Stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(dir, "report.html")));
        Assert.True(File.Exists(Path.Combine(dir, "report.md")));

        // The first divergence names the user's line and the layer: its module path and type.
        var first = r.Stdout.Split('\n').Single(l => l.StartsWith("First divergence: ", StringComparison.Ordinal));
        Assert.Matches(@" at Training\.cs:~?\d+ \(Classify\) in module \d+ \((Linear|ReLU)\)", first);
        Assert.Matches(@"in module \d+ \((Linear|ReLU)\)", File.ReadAllText(Path.Combine(dir, "report.md")));

        // Every block the docs mark as demo output is in this run's output, line for line.
        var output = Normalize(r.Stdout).Split('\n').Select(l => l.TrimEnd()).ToList();
        int blocks = 0;
        foreach (var doc in new[] { "README.md", Path.Combine("docs", "diff.md") })
        {
            foreach (var block in MarkedBlocks(File.ReadAllText(Path.Combine(CliRunner.RepoRoot, doc)), "<!-- demo-output -->"))
            {
                blocks++;
                foreach (var line in Normalize(block).Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0))
                {
                    bool found = line.EndsWith("...", StringComparison.Ordinal)
                        ? output.Exists(o => o.StartsWith(line[..^3], StringComparison.Ordinal))
                        : output.Contains(line);
                    Assert.True(found, $"{doc} shows a line the demo does not print:\n{line}\n--- demo output\n{r.Stdout}");
                }
            }
        }

        Assert.True(blocks >= 2, "README.md and docs/diff.md each mark a block of demo output");
    }

    /// <summary>The code blocks that follow <paramref name="marker"/>.</summary>
    internal static IEnumerable<string> MarkedBlocks(string text, string marker)
    {
        int at = 0;
        while ((at = text.IndexOf(marker, at, StringComparison.Ordinal)) >= 0)
        {
            int open = text.IndexOf("```", at, StringComparison.Ordinal);
            int start = text.IndexOf('\n', open) + 1;
            int close = text.IndexOf("\n```", start, StringComparison.Ordinal);
            yield return text[start..close];
            at = close;
        }
    }

    // What depends on the machine: the number of processors (the "all threads" run), and with it the width of the
    // demo's table columns.
    private static string Normalize(string s)
    {
        s = s.Replace("\r", string.Empty, StringComparison.Ordinal);
        s = System.Text.RegularExpressions.Regex.Replace(s, @"1 vs \d+ threads", "1 vs N threads");
        s = System.Text.RegularExpressions.Regex.Replace(s, @"\d+ threads?\b", "N threads");
        s = System.Text.RegularExpressions.Regex.Replace(s, "─+", "─");
        return System.Text.RegularExpressions.Regex.Replace(s, " {2,}", " ");
    }
}
