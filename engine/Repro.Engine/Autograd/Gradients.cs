using Repro.Engine.Backends;

namespace Repro.Engine;

/// <summary>
/// Runs the backward rules, which live in <see cref="OpTable"/>'s rows, and holds the pieces they share. A rule
/// receives the forward node and the gradient of its output and returns one gradient per input (null where an input
/// gets none or does not need one). Rules call the same primitives as the forward pass, so their ops are recorded
/// too. Composite ops (mean, softmax, log_softmax, clamp, ...) have no row: they are differentiated through their parts.
/// </summary>
internal static class Gradients
{
    /// <summary>Runs the rule of the node's op; the error names the op when there is none.</summary>
    public static Tensor?[] Apply(GradNode node, Tensor?[] outputGrads)
    {
        if (node.Op.Gradient.Rule is not { } rule)
        {
            throw new NotSupportedException($"autograd: op '{node.Op}' (#{node.Seq}, at {node.Source}) has no backward rule");
        }

        var g = outputGrads[0] ?? OpCore.Full(node.Outputs[0].ShapeArray, 0.0, node.Outputs[0].DType, node.Outputs[0].Backend);
        var grads = rule(new GradContext(node, g));
        if (grads.Length != node.Inputs.Length)
        {
            throw new InvalidOperationException($"autograd: rule for '{node.Op}' returned {grads.Length} gradients for {node.Inputs.Length} inputs");
        }

        return grads;
    }

    /// <summary>Sums <paramref name="g"/> over the axes that broadcasting added or stretched, in one canonical reduction.</summary>
    internal static Tensor SumTo(Tensor g, int[] shape)
    {
        if (g.ShapeArray.AsSpan().SequenceEqual(shape))
        {
            return g;
        }

        int lead = g.Rank - shape.Length;
        var axes = new List<int>();
        for (int d = 0; d < g.Rank; d++)
        {
            if (d < lead || (shape[d - lead] == 1 && g.ShapeArray[d] != 1))
            {
                axes.Add(d);
            }
        }

        var s = axes.Count > 0 ? OpCore.Reduce(ReduceOp.Sum, g, [.. axes], keepdim: true) : g;
        return Reshaped(s, shape);
    }

    /// <summary>The tensor in <paramref name="shape"/>: itself when it has it already, else a reshape.</summary>
    internal static Tensor Reshaped(Tensor t, int[] shape) => t.ShapeArray.AsSpan().SequenceEqual(shape) ? t : OpCore.Reshape(t, shape);

    internal static Tensor Negate(Tensor a) => OpCore.Unary(UnaryOp.Neg, a);

    internal static Tensor Times(Tensor a, Tensor b) => OpCore.Binary(BinaryOp.Mul, a, b);

    internal static Tensor Over(Tensor a, Tensor b) => OpCore.Binary(BinaryOp.Div, a, b);

    internal static Tensor Scaled(Tensor a, double s) => OpCore.Binary(BinaryOp.Mul, a, OpCore.Scalar(a, s));

    /// <summary>1 - a.</summary>
    internal static Tensor OneMinus(Tensor a) => OpCore.Binary(BinaryOp.Sub, OpCore.Scalar(a, 1.0), a);

    internal static int[] Inverse(int[] dims)
    {
        var inv = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            inv[dims[i]] = i;
        }

        return inv;
    }

    /// <summary>GELU'(x) = Phi(x) + x phi(x) for the erf form.</summary>
    internal static Tensor GeluDerivative(Tensor x)
    {
        var cdf = Scaled(OpCore.Binary(BinaryOp.Add, OpCore.Unary(UnaryOp.Erf, Scaled(x, 0.70710678118654752)), OpCore.Scalar(x, 1.0)), 0.5);
        var pdf = Scaled(OpCore.Unary(UnaryOp.Exp, Scaled(Times(x, x), -0.5)), 0.39894228040143268);
        return OpCore.Binary(BinaryOp.Add, cdf, Times(x, pdf));
    }

    /// <summary>d(a^b)/da = b a^(b-1) via pow (correct at a = 0); d/db = y log(a), only built when b needs it.</summary>
    internal static Tensor?[] PowBackward(GradContext c) =>
    [
        c.Needs(0) ? SumTo(Times(c.G, Times(c.B, OpCore.Binary(BinaryOp.Pow, c.A, OpCore.Binary(BinaryOp.Sub, c.B, OpCore.Scalar(c.B, 1.0))))), c.A.ShapeArray) : null,
        c.Needs(1) ? SumTo(Times(c.G, Times(c.Y, OpCore.Unary(UnaryOp.Log, c.A))), c.B.ShapeArray) : null,
    ];

    /// <summary>The condition gets none; each value input gets the gradient where it was chosen.</summary>
    internal static Tensor?[] WhereBackward(GradContext c) =>
    [
        null,
        c.Needs(1) ? SumTo(OpCore.Where(c.Node.Inputs[0], c.G, OpCore.Scalar(c.G, 0.0)), c.Node.Inputs[1].ShapeArray) : null,
        c.Needs(2) ? SumTo(OpCore.Where(c.Node.Inputs[0], OpCore.Scalar(c.G, 0.0), c.G), c.Node.Inputs[2].ShapeArray) : null,
    ];

    /// <summary>maximum/minimum: the first operand wins ties (<paramref name="firstWins"/> is Ge or Le).</summary>
    internal static Tensor?[] Select(GradContext c, BinaryOp firstWins)
    {
        var mask = OpCore.Binary(firstWins, c.A, c.B);
        var zero = OpCore.Scalar(c.G, 0.0);
        return
        [
            c.Needs(0) ? SumTo(OpCore.Where(mask, c.G, zero), c.A.ShapeArray) : null,
            c.Needs(1) ? SumTo(OpCore.Where(mask, zero, c.G), c.B.ShapeArray) : null,
        ];
    }

    /// <summary>The output gradient with the reduced axes restored as size 1.</summary>
    internal static Tensor KeepDims(Tensor g, GradContext c)
    {
        if (c.Attr.Bool("keepdim"))
        {
            return g;
        }

        var shape = (int[])c.X.ShapeArray.Clone();
        foreach (int a in c.Attr.Ints("axes"))
        {
            shape[a] = 1;
        }

        return OpCore.Reshape(g, shape);
    }

    /// <summary>max/min: the gradient is shared equally by the elements equal to the extremum (ties split evenly).</summary>
    internal static Tensor?[] ExtremumBackward(GradContext c)
    {
        var y = KeepDims(c.Y, c);
        var g = KeepDims(c.G, c);
        var mask = OpCore.Cast(OpCore.Binary(BinaryOp.Eq, c.X, y), c.X.DType);
        var count = OpCore.Reduce(ReduceOp.Sum, mask, c.Attr.Ints("axes"), keepdim: true);
        return [Times(mask, Over(g, count))];
    }

    internal static Tensor?[] MatMulBackward(GradContext c)
    {
        var a = c.A;
        var b = c.B;

        // 1-D operands were promoted to [1, K] and [K, 1]; restore those axes on the gradient first.
        var a2 = a.Rank == 1 ? OpCore.Unsqueeze(a, 0) : a;
        var b2 = b.Rank == 1 ? OpCore.Unsqueeze(b, -1) : b;
        var g = c.G;
        if (a.Rank == 1)
        {
            g = OpCore.Unsqueeze(g, g.Rank - (b.Rank == 1 ? 0 : 1));
        }

        if (b.Rank == 1)
        {
            g = OpCore.Unsqueeze(g, g.Rank);
        }

        Tensor? ga = null;
        Tensor? gb = null;
        if (c.Needs(0))
        {
            ga = Reshaped(SumTo(OpCore.MatMul(g, Transposed(b2)), a2.ShapeArray), a.ShapeArray);
        }

        if (c.Needs(1))
        {
            gb = Reshaped(SumTo(OpCore.MatMul(Transposed(a2), g), b2.ShapeArray), b.ShapeArray);
        }

        return [ga, gb];
    }

    private static Tensor Transposed(Tensor t)
    {
        var dims = Enumerable.Range(0, t.Rank).ToArray();
        (dims[^1], dims[^2]) = (dims[^2], dims[^1]);
        return OpCore.Permute(t, dims);
    }

    /// <summary>The gradient placed back at the sliced positions, zeros elsewhere: interleave zeros for the step, then pad.</summary>
    internal static Tensor SliceBackward(GradContext c)
    {
        int axis = c.Attr.Int("axis");
        int start = c.Attr.Int("start");
        int step = c.Attr.Int("step");
        int len = c.X.ShapeArray[axis];
        var g = c.G;
        int count = g.ShapeArray[axis];
        if (count == 0)
        {
            return OpCore.Full(c.X.ShapeArray, 0.0, c.X.DType, c.X.Backend);
        }

        if (step > 1)
        {
            // [.., count, ..] -> [.., count, step, ..] with zeros after each element -> [.., count * step, ..].
            var u = OpCore.Unsqueeze(g, axis + 1);
            var pads = new int[2 * u.Rank];
            pads[(2 * (axis + 1)) + 1] = step - 1;
            var spread = OpCore.Pad(u, pads, 0.0);
            var shape = (int[])g.ShapeArray.Clone();
            shape[axis] = count * step;
            g = OpCore.Reshape(spread, shape);
            int keep = Math.Min(count * step, len - start);
            g = keep < g.ShapeArray[axis] ? OpCore.Slice(g, axis, 0, keep, 1) : g;
        }

        var p = new int[2 * g.Rank];
        p[2 * axis] = start;
        p[(2 * axis) + 1] = len - start - g.ShapeArray[axis];
        return OpCore.Pad(g, p, 0.0);
    }

    internal static Tensor?[] ConcatBackward(GradContext c)
    {
        int axis = c.Attr.Int("axis");
        var grads = new Tensor?[c.Node.Inputs.Length];
        int at = 0;
        for (int i = 0; i < grads.Length; i++)
        {
            int n = c.Node.Inputs[i].ShapeArray[axis];
            if (c.Needs(i))
            {
                grads[i] = OpCore.Slice(c.G, axis, at, at + n, 1);
            }

            at += n;
        }

        return grads;
    }

    internal static Tensor PadBackward(GradContext c)
    {
        var pads = c.Attr.Ints("pads");
        var g = c.G;
        for (int d = 0; d < c.X.Rank; d++)
        {
            if (pads[2 * d] != 0 || pads[(2 * d) + 1] != 0)
            {
                g = OpCore.Slice(g, d, pads[2 * d], pads[2 * d] + c.X.ShapeArray[d], 1);
            }
        }

        return g;
    }

    /// <summary>
    /// out[.., l, ..] = x[.., index[.., l, ..], ..] along <paramref name="axis"/>, built from recorded ops: flat offsets
    /// (an arange per axis, scaled by the contiguous strides and summed) select from the flattened tensor.
    /// </summary>
    internal static Tensor Gather(Tensor x, int axis, Tensor index)
    {
        var xs = ShapeUtil.ContiguousStrides(x.ShapeArray);
        var shape = index.ShapeArray;
        var flat = OpCore.Binary(BinaryOp.Mul, index, OpCore.Scalar(index, xs[axis]));
        for (int d = 0; d < shape.Length; d++)
        {
            if (d == axis)
            {
                continue;
            }

            var view = Enumerable.Repeat(1, shape.Length).ToArray();
            view[d] = shape[d];
            var offs = OpCore.Binary(BinaryOp.Mul, OpCore.Reshape(OpCore.Arange(shape[d], DType.Int32, x.Backend), view), OpCore.Scalar(index, xs[d]));
            flat = OpCore.Binary(BinaryOp.Add, flat, offs);
        }

        var picked = OpCore.IndexSelect(OpCore.Reshape(x, [x.Numel]), 0, OpCore.Reshape(flat, [flat.Numel]));
        return OpCore.Reshape(picked, shape);
    }
}

/// <summary>What a backward rule sees: the forward node and the gradient of its output.</summary>
/// <param name="Node">The forward op.</param>
/// <param name="G">The gradient of its output.</param>
internal readonly record struct GradContext(GradNode Node, Tensor G)
{
    public Tensor X => Node.Inputs[0];

    public Tensor A => Node.Inputs[0];

    public Tensor B => Node.Inputs[1];

    public Tensor Y => Node.Outputs[0];

    public OpAttributes Attr => Node.Attributes;

    public bool Needs(int i) => Node.Inputs[i].RequiresGrad;
}
