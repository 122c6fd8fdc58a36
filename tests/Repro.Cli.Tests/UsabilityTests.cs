using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Repro.Cli.Tests;

/// <summary>What a new user trips over: error wording, suggestions, --json, plurals, the order of inspect's output, doctor.</summary>
public class UsabilityTests
{
    [Fact]
    public void A_mistyped_command_gets_one_line_with_the_closest_command()
    {
        var r = CliRunner.Run("verfy");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal(string.Empty, r.Stdout);
        Assert.Equal(["error: unknown command 'verfy'; did you mean 'verify'?"], Lines(r.Stderr));

        var far = CliRunner.Run("frobnicate");
        Assert.Equal(2, far.ExitCode);
        Assert.Single(Lines(far.Stderr));
        Assert.Contains("expected one of run, record, replay, verify, inspect", far.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Errors_show_no_dotnet_type_names_and_dtype_errors_list_only_what_run_accepts()
    {
        using var dir = new TempDir();
        var steps = CliRunner.Run("run", "smoke", "--steps", "abc", "--out", dir.Sub("a"));
        Assert.Equal(2, steps.ExitCode);
        Assert.Contains("--steps abc: expected an integer", steps.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", steps.Stderr, StringComparison.Ordinal);

        var dtype = CliRunner.Run("run", "smoke", "--dtype", "bogus", "--out", dir.Sub("b"));
        Assert.Equal(2, dtype.ExitCode);
        Assert.Contains("--dtype bogus: expected one of float32, float64, float16, bfloat16", dtype.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("int32", dtype.Stderr, StringComparison.Ordinal);

        var backend = CliRunner.Run("run", "smoke", "--backend", "bogus", "--out", dir.Sub("c"));
        Assert.Equal(2, backend.ExitCode);
        Assert.Contains("bogus", backend.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter '", backend.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", backend.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_is_always_exactly_one_document_on_stdout()
    {
        using var dir = new TempDir();

        // A usage error.
        var usage = CliRunner.Run("--json", "verfy");
        Assert.Equal(2, usage.ExitCode);
        Assert.Equal(2, (int)OneDocument(usage.Stdout)["exitCode"]!);
        var badOption = CliRunner.Run("run", "smoke", "--json", "--steps", "abc", "--out", dir.Sub("x"));
        Assert.Contains("--steps abc", (string?)OneDocument(badOption.Stdout)["error"], StringComparison.Ordinal);

        // record: the program's own output stays off stdout, also when it succeeds.
        var ok = CliRunner.Run("record", "--json", "--out", dir.Sub("ok"), "--", "dotnet", CliRunner.TargetDll, "ops", "5");
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.True((long)OneDocument(ok.Stdout)["ops"]! > 0, ok.Stdout);
        Assert.Contains("done ", ok.Stderr, StringComparison.Ordinal);

        // record of a program that writes no log: one document that holds the error.
        var none = CliRunner.Run("record", "--json", "--out", dir.Sub("none"), "--", "/bin/sh", "-c", "echo not-a-dotnet-program");
        Assert.Equal(2, none.ExitCode);
        var doc = OneDocument(none.Stdout);
        Assert.Contains("wrote no log", (string?)doc["error"], StringComparison.Ordinal);
        Assert.Contains("not-a-dotnet-program", none.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Counts_of_one_are_singular()
    {
        using var dir = new TempDir();
        var r = CliRunner.Run("run", "smoke", "--steps", "1", "--threads", "1", "--out", dir.Sub("one"));
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("smoke: 1 step, ", r.Stdout, StringComparison.Ordinal);
        var verify = CliRunner.Run("verify", dir.Sub("one"), "--threads", "1");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("1 thread,", verify.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("1 threads", verify.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("1 steps", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_op_prints_the_op_first_and_the_summary_only_on_request()
    {
        using var dir = new TempDir();
        var log = dir.Sub("log");
        Assert.Equal(0, CliRunner.Run("run", "smoke", "--steps", "2", "--out", log).ExitCode);
        var r = CliRunner.Run("inspect", log, "--op", "3");
        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = Lines(r.Stdout);
        Assert.Contains("│ op ", lines[1], StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.Contains("│ cpu ", StringComparison.Ordinal) || l.StartsWith("ops: ", StringComparison.Ordinal));
        Assert.Contains("--summary", lines[^1], StringComparison.Ordinal);
        Assert.True(lines.Count < 20, r.Stdout);

        var full = CliRunner.Run("inspect", log, "--op", "3", "--summary");
        var fullLines = Lines(full.Stdout);
        int op = fullLines.FindIndex(l => l.Contains("│ op ", StringComparison.Ordinal));
        int summary = fullLines.FindIndex(l => l.StartsWith("ops: ", StringComparison.Ordinal));
        Assert.True(op >= 0 && summary > op, full.Stdout);
    }

    [Fact]
    public void Doctor_says_which_backends_have_no_device()
    {
        var r = CliRunner.Run("doctor", "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        var status = ((JArray)OneDocument(r.Stdout)["env"]!["backendStatus"]!).Cast<JObject>().ToList();
        Assert.Contains(status, b => (string?)b["name"] == "managed" && (bool)b["available"]!);
        foreach (var b in status.Where(b => !(bool)b["available"]!))
        {
            Assert.False(string.IsNullOrEmpty((string?)b["problem"]), b.ToString());
        }

        var cuda = status.Single(b => (string?)b["name"] == "ilgpu-cuda");
        if (!(bool)cuda["available"]!)
        {
            Assert.Contains("no Cuda device", (string?)cuda["problem"], StringComparison.Ordinal);
            Assert.Contains("not available: ", CliRunner.Run("doctor").Stdout, StringComparison.Ordinal);
        }
    }

    private static List<string> Lines(string s) => [.. s.Replace("\r", string.Empty, StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries)];

    /// <summary>The one JSON document that <paramref name="stdout"/> must consist of.</summary>
    private static JObject OneDocument(string stdout)
    {
        using var reader = new JsonTextReader(new StringReader(stdout)) { SupportMultipleContent = true };
        var docs = new List<JObject>();
        while (reader.Read())
        {
            docs.Add(JObject.Load(reader));
        }

        Assert.True(docs.Count == 1, $"expected one JSON document on stdout, got {docs.Count}:\n{stdout}");
        return docs[0];
    }
}
