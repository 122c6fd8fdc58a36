using Repro.Engine;
using Repro.Samples;
using Repro.Tests.Shared;

namespace Repro.Nn.Tests;

/// <summary>Short runs of every workload: bit-identical parameters across repeats and thread counts, and a loss that falls.</summary>
public class SampleTests
{
    public static TheoryData<string> Names => [.. Workloads.All.Select(w => w.Name)];

    [Theory]
    [MemberData(nameof(Names))]
    public void A_few_steps_give_identical_parameters_twice_and_on_1_and_2_threads(string name)
    {
        var workload = Workloads.Get(name);
        string Run(int threads)
        {
            using var scope = Settings.UseThreads(threads);
            var r = workload.Run(new WorkloadOptions(Seed: 11, Steps: 3));
            Assert.Equal(3, r.Steps);
            return r.ParameterHash;
        }

        string first = Run(1);
        Assert.Equal(first, Run(1));
        Assert.Equal(first, Run(2));
        Assert.NotEqual(first, Workloads.Get(name).Run(new WorkloadOptions(Seed: 12, Steps: 3)).ParameterHash);
    }

    /// <summary>
    /// A training step (forward, backward, optimizer update) emits only ops of the op table, and each event shows its
    /// row's facts: arity, dtypes, and a link into autograd's graph exactly when the row has a gradient.
    /// </summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void A_training_step_emits_only_table_ops_with_the_facts_of_their_rows(string name)
    {
        var facts = new OpFacts();
        using (Dispatcher.Observe(facts))
        {
            Workloads.Get(name).Run(new WorkloadOptions(Seed: 5, Steps: 1));
        }

        Assert.True(facts.Problems.Count == 0, string.Join(Environment.NewLine, facts.Problems.Take(20)));
        Assert.True(facts.Count > 50, $"{name}: only {facts.Count} ops seen");
        Assert.Contains(OpTable.MatMul.Name, facts.Seen);
    }

    [Theory]
    [InlineData("digits-mlp", 90, "test_loss", 0.6)]
    [InlineData("digits-cnn", 90, "test_loss", 0.8)]
    [InlineData("breast-cancer-logreg", 45, "test_loss", 0.3)]
    [InlineData("tiny-transformer", 60, "train_loss", 1.5)]
    public void A_short_run_reaches_the_loss_threshold(string name, int steps, string metric, double threshold)
    {
        using var scope = Settings.UseThreads(2);
        var r = Workloads.Get(name).Run(new WorkloadOptions(Seed: 1, Steps: steps));
        Assert.True(r.Metrics[metric] < threshold, $"{name}: {metric} {r.Metrics[metric]} after {steps} steps, expected < {threshold}");
    }

    [Fact]
    public void Bfloat16_training_runs_and_keeps_its_dtype()
    {
        var r = Workloads.Get("digits-mlp").Run(new WorkloadOptions(Seed: 1, Steps: 20, DType: DType.BFloat16));
        Assert.Equal(20, r.Steps);
        Assert.True(r.Metrics["test_loss"] < 2.0, $"bfloat16 test loss {r.Metrics["test_loss"]}");
    }

    [Fact]
    public void Unknown_workloads_and_bad_flags_are_reported()
    {
        var e = Assert.Throws<ArgumentException>(() => Workloads.Get("nope"));
        Assert.Contains("digits-mlp", e.Message);
        var err = new StringWriter();
        Assert.Equal(2, SampleCli.Main("digits-mlp", ["--epochs", "zero"], new StringWriter(), err));
        Assert.Contains("digits-mlp", err.ToString());
        Assert.Equal(2, SampleCli.Main("digits-mlp", ["--bogus", "1"], new StringWriter(), err));
    }
}
