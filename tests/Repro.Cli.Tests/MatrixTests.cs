using System.Diagnostics;
using System.Xml;

namespace Repro.Cli.Tests;

/// <summary>
/// <c>repro matrix</c> as CI runs it: every configuration recorded and diffed in one command, its JUnit file read
/// from its bytes by independent parsers (.NET's XmlReader over the file stream, xmllint), its Markdown summary
/// parsed as a table, and docs/ci.md showing the summary this command writes.
/// </summary>
public class MatrixTests
{
    // The command docs/ci.md shows (with its --report-dir).
    private static readonly string[] Command = ["matrix", "smoke", "--steps", "3", "--threads", "1,2", "--backend", "managed,reference", "--dtype", "float32,bfloat16"];

    [Fact]
    public void Matrix_runs_every_configuration_and_writes_junit_markdown_and_an_index()
    {
        using var dir = new TempDir();
        var outDir = dir.Sub("matrix");
        var r = CliRunner.Run([.. Command, "--report-dir", outDir]);
        Assert.True(r.ExitCode == 0, r.ToString());

        // JUnit: one test case per configuration after the first (2 x 2 x 2 - 1), none failing.
        var junit = Path.Combine(outDir, "junit.xml");
        var cases = new List<(string Name, bool Failed)>();
        using (var stream = File.OpenRead(junit))
        using (var reader = XmlReader.Create(stream))
        {
            string? current = null;
            bool failed = false;
            while (reader.Read())
            {
                if (reader.NodeType == XmlNodeType.Element && reader.Name == "testcase")
                {
                    if (current is not null)
                    {
                        cases.Add((current, failed));
                    }

                    current = reader.GetAttribute("name");
                    failed = false;
                }
                else if (reader.NodeType == XmlNodeType.Element && reader.Name == "failure")
                {
                    failed = true;
                }
            }

            if (current is not null)
            {
                cases.Add((current, failed));
            }
        }

        Assert.Equal(7, cases.Count);
        Assert.All(cases, c => Assert.False(c.Failed, c.Name));
        Assert.Contains(cases, c => c.Name == "reference-bfloat16-2t vs managed-float32-1t");
        Xmllint(junit);

        // Markdown: a table with a row per configuration, each linking its report, which exists.
        var rows = MarkdownRows(File.ReadAllText(Path.Combine(outDir, "summary.md")));
        Assert.Equal(["configuration", "verdict", "result", "ops over tolerance", "first divergence", "report"], rows[0]);
        Assert.Equal(7, rows.Count - 1);
        foreach (var row in rows.Skip(1))
        {
            var link = System.Text.RegularExpressions.Regex.Match(row[5], @"\]\((?<file>[^)]+)\)").Groups["file"].Value;
            Assert.True(File.Exists(Path.Combine(outDir, link)), link);
        }

        Assert.Contains(rows, row => row[0] == "managed-float32-2t" && row[1] == "IDENTICAL" && row[2] == "pass");
        Assert.Contains("<a href=\"reference-float32-2t.html\">", File.ReadAllText(Path.Combine(outDir, "index.html")), StringComparison.Ordinal);

        // docs/ci.md shows the summary this command writes, line for line.
        var doc = File.ReadAllText(Path.Combine(CliRunner.RepoRoot, "docs", "ci.md"));
        var block = DiffCliTests.MarkedBlocks(doc, "<!-- matrix-summary -->").Single();
        var summary = File.ReadAllText(Path.Combine(outDir, "summary.md")).Replace("\r", string.Empty, StringComparison.Ordinal).TrimEnd();
        Assert.Equal(block.TrimEnd(), summary);
    }

    [Fact]
    public void Matrix_against_a_golden_log_of_another_run_fails_each_pair_and_exits_1()
    {
        using var dir = new TempDir();
        var golden = dir.Sub("golden");
        Assert.Equal(0, CliRunner.Run("run", "smoke", "--steps", "3", "--seed", "7", "--out", golden).ExitCode);
        var outDir = dir.Sub("matrix");
        var r = CliRunner.Run("matrix", "smoke", "--steps", "3", "--threads", "1,2", "--golden", golden, "--report-dir", outDir, "--json");
        Assert.True(r.ExitCode == 1, r.ToString());
        var doc = Newtonsoft.Json.Linq.JObject.Parse(r.Stdout);
        Assert.Equal(1, (int)doc["exitCode"]!);
        var junit = new XmlDocument();
        using (var stream = File.OpenRead(Path.Combine(outDir, "junit.xml")))
        {
            junit.Load(stream);
        }

        Assert.Equal(2, junit.SelectNodes("//testcase[failure]")!.Count);
        Xmllint(Path.Combine(outDir, "junit.xml"));

        var bad = CliRunner.Run("matrix", "smoke", "--dtype", "int32", "--report-dir", dir.Sub("bad"));
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--dtype int32", bad.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Matrix_records_a_program_on_every_thread_count_and_backend()
    {
        using var dir = new TempDir();
        var outDir = dir.Sub("matrix");
        var r = CliRunner.Run("matrix", "--threads", "1,2", "--backend", "managed,reference", "--report-dir", outDir, "--json", "--", "dotnet", CliRunner.TargetDll, "ops", "20");
        Assert.True(r.ExitCode == 0, r.ToString());
        var doc = Newtonsoft.Json.Linq.JObject.Parse(r.Stdout);
        var pairs = (Newtonsoft.Json.Linq.JArray)doc["pairs"]!;
        Assert.Equal(3, pairs.Count);
        Assert.All(pairs, x => Assert.Equal("identical", (string?)x["verdict"]));
        Assert.Contains("done ", r.Stderr, StringComparison.Ordinal);
        Xmllint(Path.Combine(outDir, "junit.xml"));

        var dtype = CliRunner.Run("matrix", "--dtype", "bfloat16", "--report-dir", dir.Sub("x"), "--", "dotnet", CliRunner.TargetDll, "ops", "5");
        Assert.Equal(2, dtype.ExitCode);
        Assert.Contains("a program chooses its own dtypes", dtype.Stderr, StringComparison.Ordinal);
    }

    private static List<string[]> MarkdownRows(string markdown) =>
        [.. markdown.Replace("\r", string.Empty, StringComparison.Ordinal).Split('\n')
            .Where(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| ---", StringComparison.Ordinal))
            .Select(l => l.Trim().Trim('|').Split(" | ").Select(c => c.Trim()).ToArray())];

    private static void Xmllint(string file)
    {
        if (!File.Exists("/usr/bin/xmllint"))
        {
            return;
        }

        using var p = Process.Start(new ProcessStartInfo("xmllint", ["--noout", file]) { RedirectStandardError = true, UseShellExecute = false })!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, "xmllint refused " + file + ": " + err);
    }
}
