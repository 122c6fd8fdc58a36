using Newtonsoft.Json.Linq;
using Repro.Engine;
using Repro.Recorder;

namespace Repro.Precision.Tests;

public sealed class AdvisorTests
{
    private static AdvisorResult Advise(string log, DType low, string budget, Granularity g = Granularity.Op, int? threads = null, string? backend = null) =>
        Advisor.Run(log, new AdvisorOptions { LowDType = low, Budgets = [Budget.Parse(budget)], Granularity = g, Threads = threads, Backend = backend });

    /// <summary>The error of the budget's target when the log is replayed under <paramref name="policy"/>, against the float32 replay.</summary>
    private static double ErrorUnder(string log, PrecisionPolicy? policy, long seq)
    {
        double[]? reference = null;
        double[]? got = null;
        Replayer.Replay(log, new ReplayOptions { OnOutput = (op, t) => reference = op.Seq == seq ? t.ToDoubleArray() : reference });
        Replayer.Replay(log, new ReplayOptions { Policy = policy, OnOutput = (op, t) => got = op.Seq == seq ? t.ToDoubleArray() : got });
        return ErrorOf.Relative(reference!, got!);
    }

    [Fact]
    public void Sum_of_squares_in_float16_keeps_exactly_the_sum()
    {
        using var dir = new TempDir();
        var log = dir.Sub("sos.repro");
        long sum = Planted.SumOfSquares(log);
        var r = Advise(log, DType.Float16, "loss:rel=1e-2");

        Assert.Equal(AdvisorStatus.Met, r.Status);
        var kept = Assert.Single(r.Kept);
        Assert.Equal([sum], kept.Seqs);
        Assert.Equal(["sum"], kept.OpNames);
        Assert.True(r.Minimal);
        Assert.True(kept.BreaksBudgetWhenLowered);

        // Independently of the advisor's bookkeeping: the policy meets the budget, and without the sum it does not.
        Assert.True(ErrorUnder(log, r.Policy, sum) <= 1e-2);
        Assert.True(double.IsPositiveInfinity(ErrorUnder(log, new PrecisionPolicy(DType.Float16, []), sum)));
    }

    [Fact]
    public void Layer_norm_over_large_activations_in_bfloat16_keeps_exactly_the_layer_norm_module()
    {
        using var dir = new TempDir();
        var log = dir.Sub("ln.repro");
        Planted.LayerNormOverLargeActivations(log);
        var r = Advise(log, DType.BFloat16, "loss:rel=2e-2", Granularity.Module);

        Assert.Equal(AdvisorStatus.Met, r.Status);
        var kept = Assert.Single(r.Kept);
        Assert.Contains("Planted.cs", kept.Description, StringComparison.Ordinal);
        Assert.Contains("rsqrt", kept.OpNames);
        Assert.True(r.Minimal);
        Assert.True(kept.BreaksBudgetWhenLowered);
        Assert.True(r.FinalErrors[0] <= 2e-2);
        Assert.True(r.AllLowErrors[0] > 2e-2);
    }

    [Fact]
    public void Softmax_over_wide_logits_in_bfloat16_keeps_exactly_the_softmax_module()
    {
        using var dir = new TempDir();
        var log = dir.Sub("softmax.repro");
        Planted.SoftmaxOverWideLogits(log);
        var r = Advise(log, DType.BFloat16, "loss:rel=2e-2", Granularity.Module);

        Assert.Equal(AdvisorStatus.Met, r.Status);
        var kept = Assert.Single(r.Kept);
        Assert.Contains("exp", kept.OpNames);
        Assert.Contains("max", kept.OpNames);
        Assert.True(r.Minimal);
        Assert.True(kept.BreaksBudgetWhenLowered);
        Assert.True(r.FinalErrors[0] <= 2e-2);
    }

    [Fact]
    public void The_same_log_and_budget_give_the_same_policy_on_any_thread_count_and_backend()
    {
        using var dir = new TempDir();
        var log = dir.Sub("softmax.repro");
        Planted.SoftmaxOverWideLogits(log);
        string Policy(int threads, string? backend)
        {
            var r = Advise(log, DType.BFloat16, "loss:rel=2e-3", Granularity.Op, threads, backend);
            return PolicyFile.ToJson(r.Policy, r.Notes) + string.Join(",", r.FinalErrors.Select(e => BitConverter.DoubleToInt64Bits(e)));
        }

        var one = Policy(1, null);
        Assert.Equal(one, Policy(3, null));
        Assert.Equal(one, Policy(2, "reference"));
        Assert.Contains("\"seq\"", one, StringComparison.Ordinal);
    }

    [Fact]
    public void A_loose_budget_keeps_nothing_and_an_exact_one_keeps_the_target_op()
    {
        using var dir = new TempDir();
        var log = dir.Sub("sos.repro");
        Planted.SumOfSquares(log);

        var loose = Advise(log, DType.BFloat16, "loss:rel=0.5");
        Assert.Equal(AdvisorStatus.AllLow, loose.Status);
        Assert.Empty(loose.Kept);
        Assert.Empty(loose.Policy.Rules);

        // The inputs stay float32, so an exact budget on the relu needs the relu, and only it, in float32.
        var exact = Advise(log, DType.Float16, "last:relu:rel=0");
        Assert.Equal(AdvisorStatus.Met, exact.Status);
        Assert.Equal(["relu"], Assert.Single(exact.Kept).OpNames);
        Assert.Equal(0, exact.FinalErrors[0]);
    }

    [Fact]
    public void Written_policies_read_back_with_an_independent_parser_and_with_PolicyFile()
    {
        using var dir = new TempDir();
        var log = dir.Sub("sos.repro");
        long sum = Planted.SumOfSquares(log);
        var r = Advise(log, DType.Float16, "loss:rel=1e-2");
        var json = PolicyFile.ToJson(r.Policy, r.Notes);

        var doc = JObject.Parse(json);
        Assert.Equal("repro-precision-policy", (string?)doc["format"]);
        Assert.Equal("float16", (string?)doc["dtype"]);
        var rule = Assert.Single((JArray)doc["rules"]!);
        Assert.Equal(sum, (long)rule["seq"]!);
        Assert.Equal("sum", (string?)rule["op"]);
        Assert.Equal("float32", (string?)rule["dtype"]);

        var back = PolicyFile.Parse(json);
        Assert.Equal(DType.Float16, back.LowDType);
        Assert.Equal(r.Policy.Rules, back.Rules);
    }
}
