using Repro.Engine;
using Repro.Nn;

namespace Repro.Samples;

/// <summary>A 64-128-64-10 ReLU MLP on the 8x8 digits, trained with Adam and cross-entropy.</summary>
public sealed class DigitsMlp : IWorkload
{
    /// <inheritdoc/>
    public string Name => "digits-mlp";

    /// <inheritdoc/>
    public string Description => "MLP (64-128-64-10, ReLU, Adam) on the 8x8 handwritten digits; target test accuracy >= 0.95";

    /// <summary>The model for a seed (float32; the workload converts it).</summary>
    public static Sequential Model(Generator g) =>
        new(new Linear(64, 128, g), new ReLU(), new Linear(128, 64, g), new ReLU(), new Linear(64, 10, g));

    /// <inheritdoc/>
    public WorkloadResult Run(WorkloadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var backend = Training.UseBackend(options);
        var (train, test) = Training.Tables(SampleData.Digits(), options.DType);
        var model = Model(new Generator(options.Seed));
        model.To(options.DType);
        var setup = new Training.Setup(
            model,
            new Adam(model.Parameters(), learningRate: 1e-3),
            train,
            test,
            BatchSize: 32,
            DefaultEpochs: 20,
            Losses.CrossEntropy,
            Training.ArgMaxAccuracy);
        return Training.Classify(options, setup);
    }
}
