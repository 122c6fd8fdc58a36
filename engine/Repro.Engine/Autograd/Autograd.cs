namespace Repro.Engine;

/// <summary>
/// Reverse-mode automatic differentiation over the dispatcher's ops. While grad mode is on, every op with an input
/// that requires grad links its outputs to a <see cref="GradNode"/>. <see cref="Tensor.Backward"/> then walks those
/// nodes in a topological order derived only from the ordered inputs and runs each op's backward rule inside
/// <see cref="Dispatcher.Backward"/>, so the gradient ops are recorded as backward ops of their forward op.
/// </summary>
public static class Autograd
{
    [ThreadStatic]
    private static int disabled;

    private static long passCounter;

    /// <summary>True when ops on this thread build the graph for gradients (no <see cref="NoGrad"/> scope is open).</summary>
    public static bool IsEnabled => disabled == 0;

    /// <summary>Opens a scope in which no op builds the graph (evaluation, optimizer updates). Scopes nest.</summary>
    public static IDisposable NoGrad()
    {
        disabled++;
        return new NoGradScope();
    }

    /// <summary>Called by the dispatcher for every numbered op: links the outputs to a grad node when needed.</summary>
    internal static void OnEmit(long seq, OpInfo op, OpAttributes attributes, Tensor[] inputs, Tensor[] outputs, SourceLocation source, OpModule? module)
    {
        if (disabled != 0 || outputs.Length == 0 || !op.IsDifferentiable)
        {
            return;
        }

        bool any = false;
        foreach (var t in inputs)
        {
            any |= t.RequiresGrad;
        }

        if (!any)
        {
            return;
        }

        foreach (var t in outputs)
        {
            if (!t.DType.IsFloat())
            {
                return;
            }
        }

        var node = new GradNode(seq, op, attributes, inputs, outputs, source, module);
        foreach (var t in outputs)
        {
            t.GradFn = node;
        }
    }

    /// <summary>Runs the backward pass from <paramref name="root"/> seeded with <paramref name="seed"/> (or ones for a scalar).</summary>
    internal static void Backward(Tensor root, Tensor? seed)
    {
        if (!root.RequiresGrad)
        {
            throw new InvalidOperationException($"backward: tensor {root.ShapeString} does not require grad (no input of the ops that made it requires grad)");
        }

        if (seed is null && root.Numel != 1)
        {
            throw Throw.Arg("backward", $"a gradient is required for a non-scalar output of shape {root.ShapeString}; pass one of that shape");
        }

        if (seed is not null && (!seed.ShapeArray.AsSpan().SequenceEqual(root.ShapeArray) || seed.DType != root.DType))
        {
            throw Throw.Arg("backward", $"expected a gradient of shape {root.ShapeString} and dtype {root.DType.Name()}, got {seed.ShapeString} {seed.DType.Name()}");
        }

        using var noGrad = NoGrad();
        var rootNode = root.GradFn;
        if (rootNode is null)
        {
            // A leaf: its gradient is the seed itself.
            using var leafScope = Dispatcher.Backward(root.CreatedBy, Dispatcher.CurrentSite, Dispatcher.CurrentModule);
            Deliver(root, seed ?? OpCore.Full(root.ShapeArray, 1.0, root.DType, root.Backend));
            return;
        }

        var order = TopologicalOrder(rootNode);
        using (Dispatcher.Backward(rootNode.Seq, rootNode.Source, rootNode.Module))
        {
            Deliver(root, seed ?? OpCore.Full(root.ShapeArray, 1.0, root.DType, root.Backend));
        }

        // Consumers before producers: by the time a node runs, every gradient for its outputs has arrived.
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var node = order[i];
            var grads = node.OutputGrads.ToArray();
            Array.Clear(node.OutputGrads);
            if (Array.TrueForAll(grads, g => g is null))
            {
                continue;
            }

            using var scope = Dispatcher.Backward(node.Seq, node.Source, node.Module);
            var inputGrads = Gradients.Apply(node, grads);
            for (int j = 0; j < node.Inputs.Length; j++)
            {
                var g = inputGrads[j];
                if (g is not null && node.Inputs[j].RequiresGrad)
                {
                    Deliver(node.Inputs[j], g);
                }
            }
        }
    }

    /// <summary>Adds a gradient contribution to a tensor: into its node's output slot, or into a leaf's <see cref="Tensor.Grad"/>.</summary>
    private static void Deliver(Tensor t, Tensor g)
    {
        if (!g.ShapeArray.AsSpan().SequenceEqual(t.ShapeArray))
        {
            throw new InvalidOperationException($"autograd: gradient of shape {g.ShapeString} for a tensor of shape {t.ShapeString}");
        }

        if (t.GradFn is { } node)
        {
            int k = node.OutputIndex(t);
            var prev = node.OutputGrads[k];
            node.OutputGrads[k] = prev is null ? g : OpCore.Binary(Backends.BinaryOp.Add, prev, g);
        }
        else
        {
            t.Grad = t.Grad is null ? g : OpCore.Binary(Backends.BinaryOp.Add, t.Grad, g);
        }
    }

    /// <summary>Post-order DFS over the ordered inputs (iterative, so deep graphs do not overflow the stack).</summary>
    private static List<GradNode> TopologicalOrder(GradNode root)
    {
        long mark = Interlocked.Increment(ref passCounter);
        var order = new List<GradNode>();
        var stack = new Stack<(GradNode Node, int Next)>();
        root.Mark = mark;
        stack.Push((root, 0));
        while (stack.Count > 0)
        {
            var (node, next) = stack.Pop();
            if (next < node.Inputs.Length)
            {
                stack.Push((node, next + 1));
                var child = node.Inputs[next].GradFn;
                if (child is not null && child.Mark != mark)
                {
                    child.Mark = mark;
                    stack.Push((child, 0));
                }
            }
            else
            {
                order.Add(node);
            }
        }

        return order;
    }

    private sealed class NoGradScope : IDisposable
    {
        private bool done;

        public void Dispose()
        {
            if (!done)
            {
                done = true;
                disabled--;
            }
        }
    }
}
