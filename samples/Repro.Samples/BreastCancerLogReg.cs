using Repro.Engine;
using Repro.Nn;

namespace Repro.Samples;

/// <summary>Logistic regression (one linear unit, binary cross-entropy with logits, SGD with momentum) on breast cancer.</summary>
public sealed class BreastCancerLogReg : IWorkload
{
    /// <inheritdoc/>
    public string Name => "breast-cancer-logreg";

    /// <inheritdoc/>
    public string Description => "logistic regression (SGD, momentum 0.9, L2 1e-4) on breast cancer Wisconsin; target test accuracy >= 0.95";

    /// <inheritdoc/>
    public WorkloadResult Run(WorkloadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var backend = Training.UseBackend(options);
        var (train, test) = Training.Tables(SampleData.BreastCancer(), options.DType);
        var model = new Sequential(new Linear(30, 1, new Generator(options.Seed)));
        model.To(options.DType);
        var setup = new Training.Setup(
            model,
            new Sgd(model.Parameters(), learningRate: 0.05, momentum: 0.9, weightDecay: 1e-4),
            train,
            test,
            BatchSize: 32,
            DefaultEpochs: 30,
            (logits, labels, _, _, _) => Loss(logits, labels),
            Accuracy);
        return Training.Classify(options, setup);
    }

    /// <summary>BCE with logits of [N, 1] logits against int32 labels [N].</summary>
    private static Tensor Loss(Tensor logits, Tensor labels) =>
        Losses.BinaryCrossEntropyWithLogits(logits, labels.To(logits.DType).Reshape([-1, 1]));

    private static double Accuracy(Tensor logits, Tensor labels) =>
        logits.Gt(0.0).Reshape([-1]).To(DType.Int32).Eq(labels).To(DType.Float32).Mean().Item();
}
