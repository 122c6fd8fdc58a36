using Newtonsoft.Json.Linq;

namespace Repro.Precision.Tests;

public sealed class CliTests
{
    private static (int Code, string Out, string Err) Repro(params string[] args)
    {
        var stdout = Console.Out;
        var stderr = Console.Error;
        using var o = new StringWriter();
        using var e = new StringWriter();
        Console.SetOut(o);
        Console.SetError(e);
        try
        {
            int code = Cli.Cli.Run(args);
            return (code, o.ToString(), e.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }

    [Fact]
    public void Precision_writes_the_policy_and_reports_and_exits_0_when_the_budget_is_met()
    {
        using var dir = new TempDir();
        var log = dir.Sub("sos.repro");
        long sum = Planted.SumOfSquares(log);
        var policy = dir.Sub("p.json");
        var report = dir.Sub("r.md");
        var (code, json, _) = Repro("precision", log, "--dtype", "float16", "--budget", "loss:rel=1e-2", "--out", policy, "--report", report, "--json");
        Assert.Equal(0, code);
        var doc = JObject.Parse(json);
        Assert.Equal("met", (string?)doc["status"]);
        Assert.Equal(sum, (long)doc["kept"]![0]!["seqs"]![0]!);
        Assert.True((bool)doc["minimal"]!);
        Assert.Equal(sum, (long)JObject.Parse(File.ReadAllText(policy))["rules"]![0]!["seq"]!);
        Assert.Contains("| kept |", File.ReadAllText(report), StringComparison.Ordinal);

        // The policy replays through the CLI; an existing policy file is not replaced without --force.
        Assert.Equal(0, Repro("replay", log, "--keep-float32", policy, "--quiet").Code);
        var again = Repro("precision", log, "--dtype", "float16", "--budget", "loss:rel=1e-2", "--out", policy);
        Assert.Equal(2, again.Code);
        Assert.Contains("--force", again.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("loss:rel", "--budget 'loss:rel'")]
    [InlineData("loss:abs=1", "unknown measure 'abs'")]
    [InlineData("op:x:rel=1", "--budget 'op:x:rel=1'")]
    [InlineData("op:999999:rel=1", "op 999999 is not in the log")]
    [InlineData("last:softmax:rel=1", "no floating-point op named 'softmax'")]
    [InlineData("loss:rel=-1", "the limit '-1' is not a non-negative number")]
    public void Bad_budgets_exit_2_with_one_line_naming_them(string budget, string message)
    {
        using var dir = new TempDir();
        var log = dir.Sub("sos.repro");
        Planted.SumOfSquares(log);
        var (code, _, err) = Repro("precision", log, "--dtype", "float16", "--budget", budget);
        Assert.Equal(2, code);
        Assert.Contains(message, err, StringComparison.Ordinal);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void A_dtype_that_is_not_16_bit_and_a_bad_policy_file_exit_2()
    {
        using var dir = new TempDir();
        var log = dir.Sub("sos.repro");
        Planted.SumOfSquares(log);
        Assert.Equal(2, Repro("precision", log, "--dtype", "float64", "--budget", "loss:rel=1").Code);
        var bad = dir.Sub("bad.json");
        File.WriteAllText(bad, "{\"dtype\": \"float16\", \"rules\": [{\"sq\": 1}]}");
        var (code, _, err) = Repro("replay", log, "--keep-float32", bad);
        Assert.Equal(2, code);
        Assert.Contains("unknown key 'rules[0].sq'", err, StringComparison.Ordinal);
    }
}
