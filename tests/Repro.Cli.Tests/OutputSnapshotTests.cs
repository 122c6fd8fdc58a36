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
        var log = dir.Sub(LongLogName);
        RecordFixed(log);
        var r = CliRunner.Run("inspect", log, "--ops", "--op", "3");
        Assert.True(r.ExitCode == 0, r.ToString());
        Snapshot.Match(Mask(r.Stdout, log));
    }

    [Fact]
    public void Inspect_json()
    {
        using var dir = new TempDir();
        var log = dir.Sub(LongLogName);
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

    /// <summary>
    /// A log name that makes the log's path longer than any terminal: the lines that show it must not wrap, or the
    /// snapshot would depend on where the temporary folder is (CI runners and macOS have long ones).
    /// </summary>
    private static readonly string LongLogName = new string('l', 150) + ".repro";

    /// <summary>
    /// The snapshot commands print the same bytes whatever the terminal width, language, culture or time zone of the
    /// process that runs them (each variant is a child process, as a user or CI would start it).
    /// </summary>
    [Fact]
    public void Output_does_not_depend_on_terminal_width_locale_or_time_zone()
    {
        using var dir = new TempDir();
        var log = dir.Sub(LongLogName);
        RecordFixed(log);
        string[][] commands = [["inspect", log, "--ops", "--op", "3"], ["inspect", log, "--json"], ["--help"]];
        Dictionary<string, string>[] variants =
        [
            new() { ["COLUMNS"] = "80", ["LANG"] = "C.UTF-8", ["LC_ALL"] = "C.UTF-8", ["TZ"] = "UTC" },

            // A narrow window, a culture with a decimal comma (asking the runtime for ICU cultures too), a time zone
            // far from UTC.
            new()
            {
                ["COLUMNS"] = "20", ["LANG"] = "de_DE.UTF-8", ["LC_ALL"] = "de_DE.UTF-8", ["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "false",
                ["TZ"] = "Pacific/Auckland",
            },

            // A wide window, Turkish casing rules (a dotless i), a half-hour offset west of UTC.
            new()
            {
                ["COLUMNS"] = "400", ["LANG"] = "tr_TR.UTF-8", ["LC_ALL"] = "tr_TR.UTF-8", ["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "false",
                ["TZ"] = "America/St_Johns",
            },
        ];
        foreach (var command in commands)
        {
            var expected = CliRunner.Run(variants[0], command);
            Assert.True(expected.ExitCode == 0, expected.ToString());
            foreach (var env in variants.Skip(1))
            {
                var r = CliRunner.Run(env, command);
                var setting = string.Join(' ', env.Select(kv => kv.Key + "=" + kv.Value));
                Assert.True(expected.Stdout == r.Stdout, $"repro {string.Join(' ', command)} with {setting} printed\n{r.Stdout}\ninstead of\n{expected.Stdout}");
            }
        }
    }
}
