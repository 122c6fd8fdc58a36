using System.Diagnostics;
using System.Security.Cryptography;
using Newtonsoft.Json.Linq;
using Repro.Recorder;

namespace Repro.Cli.Tests;

/// <summary>
/// No command destroys a log it was not asked to replace, and none reports success for a log that is incomplete:
/// the output-over-input replay, overwrites without --force, a recorded program that crashed, failed or was
/// interrupted, and thread counts beyond the cap. End records are read back with an independent JSON parser.
/// </summary>
public sealed class LogSafetyTests
{
    [Theory]
    [InlineData("same")]
    [InlineData("inside")]
    [InlineData("containing")]
    [InlineData("link")]
    public void Replay_refuses_an_output_that_overlaps_its_input_and_touches_nothing(string where)
    {
        using var dir = new TempDir();
        var log = dir.Sub("parent/run.repro");
        Assert.Equal(0, CliRunner.Run("run", "smoke", "--out", log, "--steps", "2").ExitCode);
        var before = Fingerprint(log);
        var outPath = where switch
        {
            "same" => log,
            "inside" => Path.Combine(log, "again.repro"),
            "containing" => dir.Sub("parent"),
            _ => dir.Sub("alias.repro"),
        };
        if (where == "link")
        {
            Directory.CreateSymbolicLink(outPath, log);
        }

        foreach (var extra in new[] { Array.Empty<string>(), ["--force"] })
        {
            var r = CliRunner.Run(["replay", log, "--out", outPath, .. extra]);
            Assert.True(r.ExitCode == 2, r.ToString());
            Assert.Contains("the log being read", r.Stderr);
            Assert.DoesNotContain("   at ", r.Stderr);
            Assert.Equal(before, Fingerprint(log));
        }

        var verify = CliRunner.Run("verify", log);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public void Run_and_replay_refuse_an_existing_log_without_force_and_replace_it_with_force()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        Assert.Equal(0, CliRunner.Run("run", "smoke", "--out", log, "--steps", "3").ExitCode);
        var first = Fingerprint(log);

        var again = CliRunner.Run("run", "smoke", "--out", log, "--steps", "1");
        Assert.True(again.ExitCode == 2, again.ToString());
        Assert.Contains("a log is already there; pass --force", again.Stderr);
        Assert.Equal(first, Fingerprint(log));

        var other = dir.Sub("other.repro");
        Assert.Equal(0, CliRunner.Run("run", "smoke", "--out", other, "--steps", "1").ExitCode);
        var replay = CliRunner.Run("replay", other, "--out", log);
        Assert.True(replay.ExitCode == 2, replay.ToString());
        Assert.Equal(first, Fingerprint(log));

        var forced = CliRunner.Run("run", "smoke", "--out", log, "--steps", "1", "--force", "--json");
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.NotEqual(first, Fingerprint(log));
        Assert.Equal((long)JObject.Parse(forced.Stdout)["ops"]!, EndRecord(log)["ops"]!.Value<long>());
        Assert.DoesNotContain(Directory.GetDirectories(dir.Path), d => Path.GetFileName(d).StartsWith("run.repro.", StringComparison.Ordinal));

        // A folder with other files in it is never replaced, even with --force.
        File.WriteAllText(Path.Combine(log, "notes.txt"), "mine");
        var kept = Fingerprint(log);
        var refused = CliRunner.Run("run", "smoke", "--out", log, "--steps", "1", "--force");
        Assert.True(refused.ExitCode == 2, refused.ToString());
        Assert.Contains("notes.txt", refused.Stderr);
        Assert.Equal(kept, Fingerprint(log));
    }

    [Fact]
    public void Record_refuses_an_existing_log_before_the_program_runs()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        Assert.Equal(0, CliRunner.Run("record", "--out", log, "--", "dotnet", CliRunner.TargetDll, "ops", "20").ExitCode);
        var first = Fingerprint(log);
        var r = CliRunner.Run("record", "--out", log, "--", "dotnet", CliRunner.TargetDll, "ops", "5");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.DoesNotContain("done", r.Stdout);
        Assert.Equal(first, Fingerprint(log));
        Assert.Equal(0, CliRunner.Run("record", "--force", "--out", log, "--", "dotnet", CliRunner.TargetDll, "ops", "5").ExitCode);
        Assert.NotEqual(first, Fingerprint(log));
    }

    [Fact]
    public void An_unhandled_exception_is_recorded_in_the_end_record_and_record_exits_2()
    {
        using var dir = new TempDir();
        var log = dir.Sub("throw.repro");
        var r = CliRunner.Run("record", "--out", log, "--", "dotnet", CliRunner.TargetDll, "throw");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("matmul", r.Stderr);
        Assert.Contains("marked 'exception'", r.Stderr);

        var end = EndRecord(log);
        Assert.Equal("exception", (string)end["status"]!);
        var error = (JObject)end["error"]!;
        Assert.Equal("Repro.Engine.ShapeException", (string)error["type"]!);
        Assert.StartsWith("matmul:", (string)error["message"]!, StringComparison.Ordinal);
        Assert.Equal("Tensor.MatMul", (string)error["op"]!);
        Assert.EndsWith("Program.cs", (string)error["src"]!["file"]!, StringComparison.Ordinal);
        Assert.True((int)error["src"]!["line"]! > 0);
        Assert.Equal(OpCount(log) - 1, (long)error["last"]!);

        var inspect = CliRunner.Run("inspect", log);
        Assert.True(inspect.ExitCode == 0, inspect.ToString());
        Assert.Contains("ended by EXCEPTION", inspect.Stdout);
        Assert.Contains("run ended by: Repro.Engine.ShapeException: matmul:", inspect.Stdout);
        Assert.Equal("exception", (string)JObject.Parse(CliRunner.Run("inspect", log, "--json").Stdout)["status"]!);
    }

    [Theory]
    [InlineData("INT", "SIGINT")]
    [InlineData("TERM", "SIGTERM")]
    public void A_signal_closes_the_log_as_interrupted_and_record_says_so(string signal, string name)
    {
        using var dir = new TempDir();
        var log = dir.Sub("wait.repro");
        var p = CliRunner.Start(null, "dotnet", CliRunner.ReproDll, "record", "--out", log, "--", "dotnet", CliRunner.TargetDll, "wait");
        var ready = p.StandardOutput.ReadLine() ?? string.Empty;
        Assert.StartsWith("ready ", ready, StringComparison.Ordinal);
        Thread.Sleep(300);
        Signal(signal, ready["ready ".Length..]);
        var r = CliRunner.Wait(p, ["record"], ready + "\n");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains($"by {name}", r.Stderr);
        Assert.Contains("marked 'interrupted'", r.Stderr);
        var end = EndRecord(log);
        Assert.Equal("interrupted", (string)end["status"]!);
        Assert.Equal(name, (string)end["error"]!["type"]!);
        Assert.Equal(OpCount(log), (long)end["ops"]!);
    }

    [Fact]
    public void A_killed_program_leaves_its_prefix_beside_the_earlier_log_and_record_exits_2()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        Assert.Equal(0, CliRunner.Run("record", "--out", log, "--", "dotnet", CliRunner.TargetDll, "ops", "20").ExitCode);
        var first = Fingerprint(log);

        var p = CliRunner.Start(null, "dotnet", CliRunner.ReproDll, "record", "--force", "--out", log, "--", "dotnet", CliRunner.TargetDll, "wait");
        var ready = p.StandardOutput.ReadLine() ?? string.Empty;
        Assert.StartsWith("ready ", ready, StringComparison.Ordinal);
        Thread.Sleep(300);
        Signal("KILL", ready["ready ".Length..]);
        var r = CliRunner.Wait(p, ["record"], ready + "\n");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("did not complete", r.Stderr);
        Assert.Contains("no end record", r.Stderr);

        // The earlier log is untouched; the killed run's prefix is in its partial folder and reads as truncated.
        Assert.Equal(first, Fingerprint(log));
        var partial = Assert.Single(Directory.GetDirectories(dir.Path, "run.repro.partial-*"));
        Assert.Contains(partial, r.Stderr);
        using var reader = LogReader.Open(partial);
        Assert.True(reader.Ops().Count() > 1);
        Assert.NotNull(reader.Truncation);
    }

    [Fact]
    public void A_recording_that_fails_to_write_is_exit_2_not_success()
    {
        // The file-size limit makes the log writer's writes fail (EFBIG) once records.jsonl passes 64 KiB, as a full
        // disk would (SIGXFSZ is ignored so that the write fails instead of the process dying; the runtime's
        // write-xor-execute mapping, a file of its own, is turned off so that the runtime starts under the limit);
        // the program itself runs on and exits 0.
        using var dir = new TempDir();
        var log = dir.Sub("full.repro");
        var script = $"trap '' XFSZ; ulimit -f 128; exec dotnet '{CliRunner.ReproDll}' record --out '{log}' -- dotnet '{CliRunner.TargetDll}' ops 3000";
        var r = CliRunner.Wait(CliRunner.Start(new Dictionary<string, string> { ["DOTNET_EnableWriteXorExecute"] = "0" }, "bash", "-c", script), ["record"]);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("done", r.Stdout);
        Assert.Contains("did not complete", r.Stderr);
        Assert.False(Directory.Exists(log));
    }

    [Theory]
    [InlineData("run", "smoke", "--out", "x.repro")]
    [InlineData("replay", "x.repro")]
    [InlineData("verify", "x.repro")]
    public void Thread_counts_above_the_cap_are_refused(params string[] args)
    {
        var r = CliRunner.Run([.. args, "--threads", "100000"]);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("--threads 100000: expected 1 to 1024", r.Stderr);
        Assert.False(Directory.Exists("x.repro"));
    }

    /// <summary>The end record, parsed with Newtonsoft from the last line of records.jsonl.</summary>
    private static JObject EndRecord(string log)
    {
        var last = File.ReadLines(Path.Combine(log, LogFormat.RecordsFile)).Last();
        var end = JObject.Parse(last);
        Assert.Equal("end", (string)end["type"]!);
        return end;
    }

    private static long OpCount(string log) =>
        File.ReadLines(Path.Combine(log, LogFormat.RecordsFile)).Count(l => (string?)JObject.Parse(l)["type"] == "op");

    /// <summary>A hash over every file of a folder (names and bytes).</summary>
    private static string Fingerprint(string folder)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var f in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetRelativePath(folder, f)));
            sha.AppendData(File.ReadAllBytes(f));
        }

        return Convert.ToHexString(sha.GetHashAndReset());
    }

    private static void Signal(string signal, string pid)
    {
        using var kill = Process.Start("kill", ["-" + signal, pid.Trim()]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }
}
