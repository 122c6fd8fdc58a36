using Repro.Engine;

namespace Repro.Nn;

/// <summary>Loss functions; each returns the mean over the batch as a scalar tensor.</summary>
public static class Losses
{
    /// <summary>
    /// Cross-entropy of logits [N, C] against int32 labels [N]: -mean(log_softmax(logits)[i, label_i]). The label's
    /// log-probability is picked with a one-hot product, so no label ever indexes memory out of range.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor labels)
    {
        using var caller = Dispatcher.LibraryCall();
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        if (logits.Rank != 2 || labels.Rank != 1 || labels.Shape[0] != logits.Shape[0])
        {
            throw new ShapeException($"cross_entropy: expected logits [N, C] and labels [N], got {logits.ShapeString} and {labels.ShapeString}");
        }

        if (labels.DType != DType.Int32)
        {
            throw new DTypeException($"cross_entropy: expected int32 labels, got {labels.DType.Name()}");
        }

        var picked = (logits.LogSoftmax(-1) * Tensor.OneHot(labels, logits.Shape[1], logits.DType)).Sum(-1);
        return -picked.Mean();
    }

    /// <summary>mean((prediction - target)^2).</summary>
    public static Tensor Mse(Tensor prediction, Tensor target)
    {
        using var caller = Dispatcher.LibraryCall();
        SameShape("mse", prediction, target);
        return (prediction - target).Square().Mean();
    }

    /// <summary>
    /// Binary cross-entropy with logits, in the stable form mean(max(x, 0) - x t + log(1 + exp(-|x|))), for float
    /// targets in [0, 1] of the logits' shape.
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor targets)
    {
        using var caller = Dispatcher.LibraryCall();
        SameShape("binary_cross_entropy_with_logits", logits, targets);
        var softplus = (1.0 + (-logits.Abs()).Exp()).Log();
        return (logits.Relu() - (logits * targets) + softplus).Mean();
    }

    private static void SameShape(string op, Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (!a.Shape.SequenceEqual(b.Shape))
        {
            throw new ShapeException($"{op}: expected prediction and target of one shape, got {a.ShapeString} and {b.ShapeString}");
        }
    }
}
