using Repro.Engine;
using Repro.Engine.Backends;

namespace Repro.Cli;

/// <summary>What a built-in workload is asked to do.</summary>
/// <param name="Seed">Seed of initialization, shuffling and dropout.</param>
/// <param name="Steps">Cap on training steps (null: the workload's default).</param>
/// <param name="DType">Dtype of parameters and activations.</param>
/// <param name="Backend">Backend to run on.</param>
/// <param name="Progress">Receives one line per epoch (the sample workloads evaluate the model for it, which the log records).</param>
/// <param name="OnStep">Receives each completed step and the total (for a progress bar).</param>
public sealed record WorkloadRequest(ulong Seed, int? Steps, DType DType, Backend Backend, Action<string>? Progress, Repro.Samples.StepProgress? OnStep = null);

/// <summary>What a built-in workload reports.</summary>
public sealed record WorkloadOutcome(IReadOnlyDictionary<string, double> Metrics, string ParameterHash, int Steps);

/// <summary>A workload <c>repro run</c> can run.</summary>
public sealed record WorkloadInfo(string Name, string Description, Func<WorkloadRequest, WorkloadOutcome> Run);

/// <summary>The built-in workloads: the samples, and a tiny smoke workload for quick checks.</summary>
public static class WorkloadCatalog
{
    /// <summary>Every workload, in a fixed order.</summary>
    public static IReadOnlyList<WorkloadInfo> All { get; } = [.. SampleWorkloads(), new("smoke", "a tiny two-layer network, a few SGD steps with hand-written gradients (seconds; for checks)", Smoke)];

    /// <summary>The workload named <paramref name="name"/>.</summary>
    public static WorkloadInfo Get(string name) =>
        All.FirstOrDefault(w => w.Name == name)
        ?? throw new CliException($"unknown workload '{name}': expected one of {string.Join(", ", All.Select(w => w.Name))} (see repro run --list)");

    private static IEnumerable<WorkloadInfo> SampleWorkloads() =>
        Repro.Samples.Workloads.All.Select(w => new WorkloadInfo(w.Name, w.Description, r =>
        {
            var result = w.Run(new Repro.Samples.WorkloadOptions(r.Seed, r.Steps, null, r.DType, r.Backend, r.Progress, r.OnStep));
            return new WorkloadOutcome(result.Metrics, result.ParameterHash, result.Steps);
        }));

    private static WorkloadOutcome Smoke(WorkloadRequest r)
    {
        int steps = r.Steps ?? 20;
        const int batch = 16, features = 8, hidden = 12;
        var g = new Generator(r.Seed);
        var x = Tensor.Randn([batch, features], g, r.DType, r.Backend);
        var target = x.Sum(1, keepdim: true).Tanh();
        var w1 = Tensor.Randn([features, hidden], g, r.DType, r.Backend).Mul(0.3);
        var b1 = Tensor.Zeros([hidden], r.DType, r.Backend);
        var w2 = Tensor.Randn([hidden, 1], g, r.DType, r.Backend).Mul(0.3);
        double loss = 0;
        for (int s = 0; s < steps; s++)
        {
            var h = x.MatMul(w1).Add(b1);
            var a = h.Relu();
            var err = a.MatMul(w2).Sub(target);
            loss = err.Square().Mean().Item();
            var dpred = err.Mul(2.0 / batch);
            var dw2 = a.Transpose().MatMul(dpred);
            var dh = dpred.MatMul(w2.Transpose()).Mul(h.Gt(0.0).To(r.DType));
            var dw1 = x.Transpose().MatMul(dh);
            w1.Assign(w1.Sub(dw1.Mul(0.05)));
            b1.Assign(b1.Sub(dh.Sum(0).Mul(0.05)));
            w2.Assign(w2.Sub(dw2.Mul(0.05)));
            r.Progress?.Invoke(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"step {s + 1}/{steps} loss {loss:G6}"));
            r.OnStep?.Invoke(s + 1, steps);
        }

        var hash = string.Concat(w1.ContentHash(), b1.ContentHash(), w2.ContentHash());
        return new WorkloadOutcome(new Dictionary<string, double> { ["loss"] = loss }, Convert.ToHexStringLower(System.IO.Hashing.XxHash128.Hash(System.Text.Encoding.ASCII.GetBytes(hash))), steps);
    }
}
