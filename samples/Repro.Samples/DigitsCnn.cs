using Repro.Engine;
using Repro.Nn;

namespace Repro.Samples;

/// <summary>A small CNN on the 8x8 digits: conv 3x3 (16) - ReLU - conv 3x3 (32) - ReLU - maxpool 2 - dropout - linear (64) - ReLU - linear.</summary>
public sealed class DigitsCnn : IWorkload
{
    private const int Epochs = 20;

    /// <inheritdoc/>
    public string Name => "digits-cnn";

    /// <inheritdoc/>
    public string Description => "CNN (2 conv 3x3, max-pool, dropout, 2 linear, AdamW, cosine) on the 8x8 handwritten digits; target test accuracy >= 0.97";

    /// <summary>The model for a seed (float32; the workload converts it).</summary>
    public static Sequential Model(Generator g) => new(
        new Conv2d(1, 16, 3, g, padding: 1),
        new ReLU(),
        new Conv2d(16, 32, 3, g, padding: 1),
        new ReLU(),
        new MaxPool2d(2),
        new Flatten(),
        new Dropout(0.25, g),
        new Linear(32 * 4 * 4, 64, g),
        new ReLU(),
        new Linear(64, 10, g));

    /// <inheritdoc/>
    public WorkloadResult Run(WorkloadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var backend = Training.UseBackend(options);
        var (train, test) = Training.Tables(SampleData.Digits(), options.DType, 1, 8, 8);
        var model = Model(new Generator(options.Seed));
        model.To(options.DType);
        var setup = new Training.Setup(
            model,
            new AdamW(model.Parameters(), learningRate: 3e-3, weightDecay: 1e-3),
            train,
            test,
            BatchSize: 32,
            DefaultEpochs: Epochs,
            Losses.CrossEntropy,
            Training.ArgMaxAccuracy,
            new CosineLR(3e-3, Training.EpochsFor(options, (train.Count + 31) / 32, Epochs) * ((train.Count + 31) / 32)));
        return Training.Classify(options, setup);
    }
}
