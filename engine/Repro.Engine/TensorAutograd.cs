using System.Runtime.CompilerServices;

namespace Repro.Engine;

/// <summary>Autograd state of a tensor: whether it requires grad, its accumulated gradient, and the op that made it.</summary>
public sealed partial class Tensor
{
    private bool requiresGrad;

    /// <summary>
    /// True when gradients flow to or through this tensor. Settable on leaves (tensors not made by a differentiable
    /// op from grad-requiring inputs); an op's output requires grad exactly when it is linked to the graph.
    /// </summary>
    public bool RequiresGrad
    {
        get => requiresGrad || GradFn is not null;
        set
        {
            if (GradFn is not null)
            {
                throw new InvalidOperationException($"requires_grad: tensor {ShapeString} was made by op #{GradFn.Seq} ({GradFn.Op}); only leaves can be set (use Detach())");
            }

            if (value && !DType.IsFloat())
            {
                throw Throw.DType("requires_grad", "a float dtype", DType);
            }

            requiresGrad = value;
        }
    }

    /// <summary>True when no differentiable op produced this tensor from grad-requiring inputs.</summary>
    public bool IsLeaf => GradFn is null;

    /// <summary>The gradient accumulated into this leaf by <see cref="Backward"/> calls (null until the first one).</summary>
    public Tensor? Grad { get; set; }

    /// <summary>The graph node of the op that made this tensor, when it requires grad.</summary>
    internal GradNode? GradFn { get; set; }

    /// <summary>Marks this leaf as requiring grad and returns it.</summary>
    public Tensor RequireGrad()
    {
        RequiresGrad = true;
        return this;
    }

    /// <summary>
    /// Computes the gradient of this tensor with respect to every leaf that requires grad and adds it to their
    /// <see cref="Grad"/>. A scalar (one element) is seeded with 1; any other shape needs <paramref name="gradient"/>.
    /// </summary>
    public void Backward(Tensor? gradient = null) => Autograd.Backward(this, gradient);

    /// <summary>The same values cut off from the graph (recorded as a reshape to the same shape, outside grad mode).</summary>
    public Tensor Detach([CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        using var noGrad = Autograd.NoGrad();
        return OpCore.Reshape(this, ShapeArray);
    }
}
