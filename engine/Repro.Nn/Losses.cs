using System.Runtime.CompilerServices;
using Repro.Engine;

namespace Repro.Nn;

/// <summary>
/// A loss function: prediction and target in, a scalar out. The built-in losses (<see cref="Losses"/>) convert to it
/// as method groups. Calling through it passes the caller's location to the loss (the caller-information parameters,
/// filled in by the compiler at the call), so a training loop that holds its loss in a variable still gets its ops
/// located at the line that calls it, without a stack walk. A function of two tensors converts with a lambda that
/// leaves the rest out: <c>(p, t, _, _, _) => MyLoss(p, t)</c>.
/// </summary>
public delegate Tensor LossFunction(Tensor prediction, Tensor target, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "");

/// <summary>
/// Loss functions; each returns the mean over the batch as a scalar tensor. Their ops are located at the call (the
/// caller-information parameters, filled in by the compiler; leave them out), which costs no stack walk.
/// </summary>
public static class Losses
{
    /// <summary>
    /// Cross-entropy of logits [N, C] against int32 labels [N]: -mean(log_softmax(logits)[i, label_i]). The label's
    /// log-probability is picked with a one-hot product, so no label ever indexes memory out of range.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor labels, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
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
    public static Tensor Mse(Tensor prediction, Tensor target, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        using var caller = Dispatcher.LibraryCall();
        SameShape("mse", prediction, target);
        return (prediction - target).Square().Mean();
    }

    /// <summary>
    /// Binary cross-entropy with logits, in the stable form mean(max(x, 0) - x t + log(1 + exp(-|x|))), for float
    /// targets in [0, 1] of the logits' shape.
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor targets, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
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
