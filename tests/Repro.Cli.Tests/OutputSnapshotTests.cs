using System.Text.RegularExpressions;
using Repro.Engine;
using Repro.Recorder;
using Snapshooter;
using Snapshooter.Xunit;

namespace Repro.Cli.Tests;

/// <summary>Snapshot tests of help and inspect output (snapshots live in __snapshots__/ beside this file).</summary>
public sealed partial class OutputSnapshotTests
{
    [Theory]
    [InlineData("root")]
    [InlineData("run")]
    [InlineData("record")]
    [InlineData("replay")]
    [InlineData("verify")]
    [InlineData("inspect")]
    [InlineData("export")]
    [InlineData("doctor")]
    public void Help(string command)
    {
        var r = command == "root" ? CliRunner.Run("--help") : CliRunner.Run(command, "--help");
        Assert.Equal(0, r.ExitCode);
        Snapshot.Match(r.Stdout, SnapshotNameExtension.Create(command));
    }

    [Fact]
    public void Inspect_text()
    {
        using var dir = new TempDir();
        var log = dir.Sub("fixed.repro");
        RecordFixed(log);
        var r = CliRunner.Run("inspect", log, "--ops", "--op", "3");
        Assert.True(r.ExitCode == 0, r.ToString());
        Snapshot.Match(Mask(r.Stdout, log));
    }

    [Fact]
    public void Inspect_json()
    {
        using var dir = new TempDir();
        var log = dir.Sub("fixed.repro");
        RecordFixed(log);
        var r = CliRunner.Run("inspect", log, "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        Snapshot.Match(Mask(r.Stdout, log));
    }

    /// <summary>A small run with a fixed fingerprint, so the output depends on nothing of this machine.</summary>
    private static void RecordFixed(string log)
    {
        var fingerprint = new EnvironmentFingerprint(
            "TestOS 1.0 (x64)", ".NET 10.0.0", "Test CPU @ 3.0GHz", ["sse4.2", "avx2", "fma"], 8, 4, "managed", "managed", "float32", 11,
            new SortedDictionary<string, string>(StringComparer.Ordinal) { ["REPRO_SEED"] = "11" }, "repro-tests fixed");
        using var rec = Recorder.Recorder.Start(log, new RecorderOptions { Fingerprint = fingerprint, Backend = ManagedBackend() });
        var g = new Generator(11);
        var x = Tensor.FromArray([1f, -2f, 0.5f, 3f, 0f, -1f], [2, 3]);
        var w = Tensor.Randn([3, 2], g);
        var h = x.MatMul(w).Relu();
        var p = h.Softmax();
        p.Log().Mean();
    }

    private static Engine.Backends.Backend ManagedBackend() => Settings.GetBackend("managed");

    private static string Mask(string text, string log)
    {
        var full = Path.GetFullPath(log);
        text = text.Replace(full, "<log>", StringComparison.Ordinal).Replace(CliRunner.RepoRoot, "<repo>", StringComparison.Ordinal);

        // Record sizes depend on the length of the source paths, which depend on where the repository is.
        return Offsets().Replace(
            JsonPerOp().Replace(PerOp().Replace(JsonRecordBytes().Replace(RecordBytes().Replace(text, "records <n> bytes"), "\"recordBytes\": <n>"), "<n> bytes per op"), "\"bytesPerOp\": <n>"),
            "(byte <n>)");
    }

    [GeneratedRegex(@"records \d+ bytes")]
    private static partial Regex RecordBytes();

    [GeneratedRegex(@"""recordBytes"": \d+")]
    private static partial Regex JsonRecordBytes();

    [GeneratedRegex(@"[\d.]+ bytes per op")]
    private static partial Regex PerOp();

    [GeneratedRegex(@"""bytesPerOp"": [\d.]+")]
    private static partial Regex JsonPerOp();

    [GeneratedRegex(@"\(byte \d+\)")]
    private static partial Regex Offsets();
}
