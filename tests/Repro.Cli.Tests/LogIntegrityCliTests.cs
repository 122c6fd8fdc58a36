using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Xml.Linq;
using Newtonsoft.Json.Linq;
using Repro.Engine;
using Repro.Recorder;

namespace Repro.Cli.Tests;

/// <summary>What the command line makes of a damaged, incomplete, linked or hostile log.</summary>
public sealed class LogIntegrityCliTests
{
    [Fact]
    public void Verify_exits_2_on_a_log_that_does_not_match_its_own_content()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        Assert.Equal(0, CliRunner.Run("run", "smoke", "--out", log, "--steps", "2").ExitCode);
        var relu = Ops(log).First(o => o.Op == "relu");
        LogEdits.Reseal(log, relu.Position.Line, body => body.Replace("\"nan\":0", "\"nan\":7", StringComparison.Ordinal));

        var r = CliRunner.Run("verify", log);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Equal($"error: {Path.GetFullPath(log)}/records.jsonl:{relu.Position.Line} (byte {relu.Position.Offset}): damaged log: op {relu.Seq} (relu): stats.nan is 7 in the log but 0 in the replayed output\n", r.Stderr);
        var j = JObject.Parse(CliRunner.Run("verify", log, "--json").Stdout);
        Assert.Equal(2, (int)j["exitCode"]!);
        Assert.Contains("damaged log", (string)j["error"]!);
    }

    [Fact]
    public void Verify_strict_refuses_an_incomplete_log_that_plain_verify_checks_with_a_warning()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        Assert.Equal(0, CliRunner.Run("run", "smoke", "--out", log, "--steps", "1").ExitCode);
        var path = LogEdits.Records(log);
        var whole = File.ReadAllBytes(path);

        // The run closed with another status (an exception, an interrupt).
        int endLine = File.ReadAllLines(path).Length;
        LogEdits.Reseal(log, endLine, body => body.Replace("\"status\":\"complete\"", "\"status\":\"exception\"", StringComparison.Ordinal));
        var plain = CliRunner.Run("verify", log);
        Assert.True(plain.ExitCode == 0, plain.ToString());
        Assert.Contains("warning: the run did not complete: its end record's status is 'exception'", plain.Stderr);
        var strict = CliRunner.Run("verify", log, "--strict");
        Assert.True(strict.ExitCode == 2, strict.ToString());
        Assert.StartsWith("error: the run did not complete: its end record's status is 'exception'", strict.Stderr);
        Assert.EndsWith("; --strict accepts only a complete log\n", strict.Stderr);
        Assert.Single(strict.Stderr.TrimEnd('\n').Split('\n'));

        // No end record, and a last line cut short.
        var lines = File.ReadAllLines(path);
        File.WriteAllText(path, string.Join('\n', lines[..^2]) + "\n" + lines[^2][..20]);
        plain = CliRunner.Run("verify", log);
        Assert.True(plain.ExitCode == 0, plain.ToString());
        Assert.Contains("warning: the log is truncated", plain.Stderr);
        strict = CliRunner.Run("verify", log, "--strict");
        Assert.True(strict.ExitCode == 2, strict.ToString());
        Assert.Contains("the log is truncated", strict.Stderr);

        File.WriteAllText(path, string.Join('\n', lines[..^1]) + "\n");
        strict = CliRunner.Run("verify", log, "--strict", "--json");
        Assert.Equal(2, strict.ExitCode);
        Assert.Contains("the log has no end record", (string)JObject.Parse(strict.Stdout)["error"]!);

        File.WriteAllBytes(path, whole);
        Assert.Equal(0, CliRunner.Run("verify", log, "--strict").ExitCode);
    }

    [Fact]
    public void A_damaged_captured_blob_fails_verify_export_and_inspect_with_one_line()
    {
        using var dir = new TempDir();
        var log = dir.Sub("all.repro");
        Assert.Equal(0, CliRunner.Run("run", "smoke", "--out", log, "--steps", "1", "--capture", "all").ExitCode);
        var ops = Ops(log);
        var mm = ops.First(o => o.Op == "matmul" && ops.Count(x => x.Output.Blob == o.Output.Blob) == 1);
        var blob = Path.Combine(log, LogFormat.BlobsFolder, mm.Output.Blob + ".bin");
        var bytes = File.ReadAllBytes(blob);
        bytes[3] ^= 0x40;
        File.WriteAllBytes(blob, bytes);
        var seq = mm.Seq.ToString(CultureInfo.InvariantCulture);
        foreach (var args in new[] { new[] { "verify", log }, ["export", log, "--op", seq, "--out", dir.Sub("x")], ["inspect", log, "--op", seq] })
        {
            var r = CliRunner.Run(args);
            Assert.True(r.ExitCode == 2, r.ToString());
            Assert.Matches($"^error: .*blob {mm.Output.Blob} .*is corrupt: its bytes hash to [0-9a-f]{{32}}\n$", r.Stderr);
        }
    }

    [Fact]
    public void A_blobs_folder_that_is_a_link_is_refused_by_every_command()
    {
        using var dir = new TempDir();
        var real = dir.Sub("real.repro");
        Assert.Equal(0, CliRunner.Run("run", "smoke", "--out", real, "--steps", "1").ExitCode);
        var log = dir.Sub("linked.repro");
        Directory.CreateDirectory(log);
        File.Copy(LogEdits.Records(real), LogEdits.Records(log));
        Directory.CreateSymbolicLink(Path.Combine(log, LogFormat.BlobsFolder), Path.Combine(real, LogFormat.BlobsFolder));
        foreach (var args in new[] { new[] { "inspect", log }, ["verify", log], ["replay", log], ["export", log, "--leaves", "--out", dir.Sub("x")], ["diff", real, log] })
        {
            var r = CliRunner.Run(args);
            Assert.True(r.ExitCode == 2, r.ToString());
            Assert.Contains("the blobs folder is a link", r.Stderr);
        }
    }

    [Fact]
    public void Text_from_a_log_reaches_no_terminal_or_report_raw()
    {
        using var dir = new TempDir();
        var a = dir.Sub("a.repro");
        const string Command = "app \u001b]0;pwned\u0007 --lr\r0.1 \u202Etxt.exe";
        var fingerprint = new EnvironmentFingerprint(
            "Evil\u001b[2JOS", ".NET 10", "CPU\u009b31m\u202E", ["avx2"], 4, 1, "managed", "managed", "float32", 3,
            new SortedDictionary<string, string>(StringComparer.Ordinal) { ["REPRO_SEED"] = "3\u0007" }, Command);
        using (Recorder.Recorder.Start(a, new RecorderOptions { Fingerprint = fingerprint, Backend = Settings.GetBackend("managed") }))
        using (Dispatcher.Site("/src/\u001b[31mEvil\u202Efdp.cs", 7, "Run\u0007\r\u001b[1A"))
        {
            var x = Tensor.FromArray([1f, 0f, 4f], [3]);
            x.Log().Relu().Mul(2.0).Sum();
        }

        // An attribute string, and a second run that differs at the relu.
        var relu = Ops(a).First(o => o.Op == "relu");
        LogEdits.Reseal(a, relu.Position.Line, body => body.Replace("\"in\":", "\"attrs\":{\"note\":\"\\u001b[2J\\u0007\\r\\u202e\\u009b\"},\"in\":", StringComparison.Ordinal));
        var b = dir.Sub("b.repro");
        Directory.CreateDirectory(b);
        File.Copy(LogEdits.Records(a), LogEdits.Records(b));
        Directory.CreateDirectory(Path.Combine(b, LogFormat.BlobsFolder));
        foreach (var f in Directory.GetFiles(Path.Combine(a, LogFormat.BlobsFolder)))
        {
            File.Copy(f, Path.Combine(b, LogFormat.BlobsFolder, Path.GetFileName(f)));
        }

        EndToEndTests.ForgeHash(b, "relu");
        var reports = new[] { "r.txt", "r.md", "r.html", "r.xml", "r.json" }.Select(dir.Sub).ToArray();
        var seq = relu.Seq.ToString(CultureInfo.InvariantCulture);
        var runs = new List<(string What, CliResult Result)>();
        foreach (var args in new[]
        {
            new[] { "inspect", a }, ["inspect", a, "--ops"], ["inspect", a, "--op", seq], ["inspect", a, "--json"], ["inspect", a, "--op", seq, "--json"],
            ["diff", a, b, .. reports.SelectMany(f => new[] { "--report", f })], ["diff", a, b, "--json"], ["verify", b], ["verify", b, "--json"],
        })
        {
            runs.Add((string.Join(' ', args), CliRunner.Run(args)));
        }

        foreach (var (what, r) in runs)
        {
            Assert.True(r.ExitCode is 0 or 1 or 2, what + ": " + r);
            AssertNoRawControl(what, r.Stdout + r.Stderr);
        }

        // Everything was said, visibly.
        var inspectOp = runs[2].Result;
        Assert.Contains(@"\u001b[2J\u0007\u000d\u202e\u009b", inspectOp.Stdout);
        Assert.Contains(@"\u001b[31mEvil\u202efdp.cs:7 (Run\u0007\u000d\u001b[1A)", inspectOp.Stdout);
        Assert.Contains(@"app \u001b]0;pwned\u0007 --lr\u000d0.1 \u202etxt.exe", runs[0].Result.Stdout);
        Assert.Contains(@"\u001b[31mEvil\u202efdp.cs:7", runs[5].Result.Stdout);
        Assert.Contains(@"\u001b[31mEvil\u202efdp.cs:7", runs[7].Result.Stdout);

        // JSON means exactly what the log says; XML parses.
        Assert.Equal(Command, (string)JObject.Parse(runs[3].Result.Stdout)["env"]!["command"]!);
        Assert.Contains("\u202E", (string)JObject.Parse(runs[4].Result.Stdout)["op"]!["attrs"]!);
        Assert.Equal("Run\u0007\r\u001b[1A", (string)JObject.Parse(runs[6].Result.Stdout)["firstDivergence"]!["source"]!["member"]!);
        Assert.Equal("Run\u0007\r\u001b[1A", (string)JObject.Parse(runs[8].Result.Stdout)["firstDivergence"]!["member"]!);
        foreach (var report in reports)
        {
            var text = File.ReadAllText(report);
            AssertNoRawControl(report, text);
            Assert.Contains("Evil", text);
        }

        XDocument.Parse(File.ReadAllText(reports[3]));
        Assert.Equal("Run\u0007\r\u001b[1A", (string)JObject.Parse(File.ReadAllText(reports[4]))["firstDivergence"]!["source"]!["member"]!);
    }

    private static void AssertNoRawControl(string what, string text)
    {
        // Line breaks are the outputs' own; anything else of the kind came from the log.
        int at = Array.FindIndex(text.ToCharArray(), c => c != '\n' && LogText.IsUnsafe(c));
        Assert.True(at < 0, at < 0 ? what : $"{what}: raw U+{(int)text[at]:X4} at {at}: ...{text[Math.Max(0, at - 40)..Math.Min(text.Length, at + 40)]}...");
    }

    private static List<OpRecord> Ops(string log)
    {
        using var reader = LogReader.Open(log);
        return [.. reader.Ops()];
    }
}

/// <summary>Edits of a log's records with a valid checksum, to forge damage that only verify's checks can find.</summary>
internal static class LogEdits
{
    public static string Records(string log) => Path.Combine(log, LogFormat.RecordsFile);

    /// <summary>Rewrites record line <paramref name="line"/> (1-based): <paramref name="edit"/> gets and returns its text before the checksum.</summary>
    public static void Reseal(string log, int line, Func<string, string> edit)
    {
        var path = Records(log);
        var lines = File.ReadAllLines(path);
        var text = lines[line - 1];
        var body = edit(text[..text.LastIndexOf(",\"crc\":\"", StringComparison.Ordinal)]);
        lines[line - 1] = body + ",\"crc\":\"" + Crc32.HashToUInt32(Encoding.UTF8.GetBytes(body)).ToString("x8", CultureInfo.InvariantCulture) + "\"}";
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
    }
}
