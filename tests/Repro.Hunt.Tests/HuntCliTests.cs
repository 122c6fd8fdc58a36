using Newtonsoft.Json.Linq;

namespace Repro.Hunt.Tests;

/// <summary>repro hunt as a user runs it: exit codes, the clean program, and the same report from the same seed.</summary>
public sealed class HuntCliTests
{
    private static ChildResult Repro(params string[] args) => ChildProcess.Run(Subject.ReproDll, args, timeoutMs: 300_000);

    [Fact]
    public void The_clean_program_comes_out_identical_and_exits_0()
    {
        using var dir = new TempDir();
        var r = Repro(["hunt", "--runs", "4", "--vary", "repeat,threads,isa", "--out", dir.Sub("hunt"), "--", .. Subject.Command("none")]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("repro hunt: IDENTICAL: all 4 runs agree with the baseline bit for bit", r.Stdout);
        // Progress on standard error, one line per run.
        Assert.Contains("hunt: run 4/4 done: isa (DOTNET_EnableHWIntrinsic=0)", r.Stderr);
    }

    [Fact]
    public void Two_hunts_of_one_program_with_one_seed_give_the_same_report()
    {
        using var dir = new TempDir();
        string[] Hunt(string report, bool force) =>
            ["hunt", "--json", "--seed", "5", "--runs", "4", "--vary", "culture,tz", "--out", dir.Sub("hunt"), "--report", report, .. force ? new[] { "--force" } : [], "--", .. Subject.Command("culture,timezone,threads")];
        var first = Repro(Hunt(dir.Sub("first.md"), force: false));
        var second = Repro(Hunt(dir.Sub("second.md"), force: true));
        Assert.True(first.ExitCode == 1, first.ToString());
        Assert.True(second.ExitCode == 1, second.ToString());
        Assert.Equal(first.Stdout, second.Stdout);
        Assert.Equal(File.ReadAllText(dir.Sub("first.md")), File.ReadAllText(dir.Sub("second.md")));

        var doc = JObject.Parse(first.Stdout);
        Assert.Equal("diverged", (string?)doc["verdict"]);
        // The threads plant is in the program but its condition is not varied: two kinds, not three.
        Assert.Equal(["culture", "tz"], doc["kinds"]!.Select(k => (string)k["conditions"]!.Single()!));
        // The combined run changes both, with alternatives the seed picked (the same in both hunts, as the equal outputs show).
        Assert.Equal("combined", (string?)doc["runs"]![3]!["condition"]);
        Assert.Equal(2, doc["runs"]![3]!["changes"]!.Count());
    }

    [Theory]
    [InlineData("--vary,colour", "unknown condition 'colour'")]
    [InlineData("--runs,1", "--runs 1: expected at least 2")]
    [InlineData("--budget,soon", "--budget soon: expected a positive time")]
    public void Bad_options_exit_2_with_one_line(string options, string expected)
    {
        using var dir = new TempDir();
        var r = Repro(["hunt", .. options.Split(','), "--out", dir.Sub("hunt"), "--", .. Subject.Command("none")]);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains(expected, r.Stderr);
        Assert.False(Directory.Exists(dir.Sub("hunt")) && Directory.EnumerateFileSystemEntries(dir.Sub("hunt")).Any(), "nothing ran");
    }

    [Fact]
    public void A_folder_in_use_or_a_program_without_the_engine_exits_2()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.Sub("notes.txt"), "mine");
        var busy = Repro(["hunt", "--out", dir.Path, "--", .. Subject.Command("none")]);
        Assert.True(busy.ExitCode == 2, busy.ToString());
        Assert.Contains("the folder is not empty; pass --force", busy.Stderr);
        Assert.Equal("mine", File.ReadAllText(dir.Sub("notes.txt")));

        var none = Repro(["hunt", "--out", dir.Sub("hunt"), "--", "dotnet", "--version"]);
        Assert.True(none.ExitCode == 2, none.ToString());
        Assert.Contains("is it a .NET program that uses the Repro engine?", none.Stderr);
    }
}
