using Repro.Engine;
using Repro.Engine.Backends;

namespace Repro.Samples;

/// <summary>How to run a workload.</summary>
/// <param name="Seed">Seed of initialization, shuffling and dropout.</param>
/// <param name="Steps">Cap on optimizer steps (null: the workload's full schedule).</param>
/// <param name="Epochs">Number of epochs (null: the workload's default).</param>
/// <param name="DType">Dtype of parameters and activations (labels stay int32).</param>
/// <param name="Backend">Backend to run on (null: <see cref="Settings.DefaultBackend"/>).</param>
/// <param name="Progress">Receives one line per epoch (text for people; the workload evaluates the model for it).</param>
/// <param name="OnStep">Receives each optimizer step as it completes (for progress bars; costs nothing and records nothing).</param>
public sealed record WorkloadOptions(ulong Seed = 0, int? Steps = null, int? Epochs = null, DType DType = DType.Float32, Backend? Backend = null, Action<string>? Progress = null, StepProgress? OnStep = null);

/// <summary>Progress of a training run: <paramref name="step"/> optimizer steps of <paramref name="total"/> are done (1-based, at most total).</summary>
public delegate void StepProgress(int step, int total);

/// <summary>What a workload reached.</summary>
/// <param name="Metrics">Final metrics by name (e.g. "test_accuracy", "train_loss").</param>
/// <param name="ParameterHash">XxHash128 of all parameters' canonical bytes in parameter order.</param>
/// <param name="Steps">Optimizer steps taken.</param>
public sealed record WorkloadResult(IReadOnlyDictionary<string, double> Metrics, string ParameterHash, int Steps);

/// <summary>A training run that can be started by name (samples, CLI, tests, benchmarks).</summary>
public interface IWorkload
{
    /// <summary>Name typed on the command line, e.g. "digits-mlp".</summary>
    string Name { get; }

    /// <summary>One line.</summary>
    string Description { get; }

    /// <summary>Trains and evaluates. The thread count is the caller's (<see cref="Settings.UseThreads"/>).</summary>
    WorkloadResult Run(WorkloadOptions options);
}

/// <summary>The registry of workloads.</summary>
public static class Workloads
{
    /// <summary>Every workload, in a fixed order.</summary>
    public static IReadOnlyList<IWorkload> All { get; } =
    [
        new DigitsMlp(),
        new DigitsCnn(),
        new BreastCancerLogReg(),
        new TinyTransformer(),
    ];

    /// <summary>The workload named <paramref name="name"/>; the error lists the names.</summary>
    public static IWorkload Get(string name) =>
        All.FirstOrDefault(w => string.Equals(w.Name, name, StringComparison.Ordinal))
        ?? throw new ArgumentException($"unknown workload '{name}': expected one of {string.Join(", ", All.Select(w => w.Name))}", nameof(name));
}
