using Repro.Engine.Backends;

namespace Repro.Engine;

/// <summary>
/// The backward rules: one per differentiable primitive, in one table keyed by op name. A rule receives the
/// forward node and the gradient of its output and returns one gradient per input (null where an input gets none
/// or does not need one). Rules call the same primitives as the forward pass, so their ops are recorded too.
/// Composite ops (mean, softmax, log_softmax, clamp, ...) have no rule: they are differentiated through their parts.
/// </summary>
internal static class Gradients
{
    private delegate Tensor?[] Rule(Ctx c);

    /// <summary>Ops whose outputs never carry gradients: comparisons, indices, random sources, in-place copies.</summary>
    private static readonly HashSet<string> NoGradOps =
    [
        "eq", "ne", "lt", "le", "gt", "ge", "argmax", "argmin", "sign", "randperm", "rand", "randn",
        "full", "arange", "from_host", "assign",
    ];

    private static readonly Dictionary<string, Rule> Rules = new()
    {
        // Views and copies: route the gradient back to the input's layout.
        ["reshape"] = c => [Reshape(c.G, c.X.ShapeArray)],
        ["permute"] = c => [OpCore.Permute(c.G, Inverse(c.Attr.Ints("dims")))],
        ["slice"] = c => [SliceBackward(c)],
        ["expand"] = c => [SumTo(c.G, c.X.ShapeArray)],
        ["contiguous"] = c => [c.G],
        ["cast"] = c => [OpCore.Cast(c.G, c.X.DType)],
        ["to_backend"] = c => [c.G.To(c.X.Backend)],

        // Unary elementwise: the derivative, often written with the output y to avoid recomputing it.
        ["neg"] = c => [Neg(c.G)],
        ["abs"] = c => [Mul(c.G, OpCore.Unary(UnaryOp.Sign, c.X))],
        ["exp"] = c => [Mul(c.G, c.Y)],
        ["log"] = c => [Div(c.G, c.X)],
        ["sqrt"] = c => [Div(c.G, MulS(c.Y, 2.0))],

        // d/dx x^(-1/2) = -1/2 y^3.
        ["rsqrt"] = c => [Mul(c.G, MulS(Mul(Mul(c.Y, c.Y), c.Y), -0.5))],
        ["tanh"] = c => [Mul(c.G, RSubS(1.0, Mul(c.Y, c.Y)))],
        ["sigmoid"] = c => [Mul(c.G, Mul(c.Y, RSubS(1.0, c.Y)))],

        // The subgradient at 0 is 0, as in PyTorch.
        ["relu"] = c => [OpCore.Where(OpCore.Binary(BinaryOp.Gt, c.X, OpCore.Scalar(c.X, 0.0)), c.G, OpCore.Scalar(c.G, 0.0))],
        ["gelu"] = c => [Mul(c.G, GeluDerivative(c.X))],

        // d/dx erf(x) = 2/sqrt(pi) exp(-x^2).
        ["erf"] = c => [Mul(c.G, MulS(OpCore.Unary(UnaryOp.Exp, MulS(Mul(c.X, c.X), -1.0)), 1.1283791670955126))],
        ["sin"] = c => [Mul(c.G, OpCore.Unary(UnaryOp.Cos, c.X))],
        ["cos"] = c => [Neg(Mul(c.G, OpCore.Unary(UnaryOp.Sin, c.X)))],

        // Binary elementwise: broadcast inputs get the gradient summed back to their shape.
        ["add"] = c => [c.Needs(0) ? SumTo(c.G, c.A.ShapeArray) : null, c.Needs(1) ? SumTo(c.G, c.B.ShapeArray) : null],
        ["sub"] = c => [c.Needs(0) ? SumTo(c.G, c.A.ShapeArray) : null, c.Needs(1) ? SumTo(Neg(c.G), c.B.ShapeArray) : null],
        ["mul"] = c => [c.Needs(0) ? SumTo(Mul(c.G, c.B), c.A.ShapeArray) : null, c.Needs(1) ? SumTo(Mul(c.G, c.A), c.B.ShapeArray) : null],

        // d(a/b)/db = -y/b, with y = a/b the output.
        ["div"] = c => [c.Needs(0) ? SumTo(Div(c.G, c.B), c.A.ShapeArray) : null, c.Needs(1) ? SumTo(Neg(Div(Mul(c.G, c.Y), c.B)), c.B.ShapeArray) : null],

        // d(a^b)/da = b a^(b-1) via pow (correct at a = 0); d/db = y log(a), only built when b needs it.
        ["pow"] = c =>
        [
            c.Needs(0) ? SumTo(Mul(c.G, Mul(c.B, OpCore.Binary(BinaryOp.Pow, c.A, OpCore.Binary(BinaryOp.Sub, c.B, OpCore.Scalar(c.B, 1.0))))), c.A.ShapeArray) : null,
            c.Needs(1) ? SumTo(Mul(c.G, Mul(c.Y, OpCore.Unary(UnaryOp.Log, c.A))), c.B.ShapeArray) : null,
        ],

        // Ties go to the first operand, so clamp(x, lo, hi) = min(max(x, lo), hi) passes the gradient at its bounds.
        ["maximum"] = c => Select(c, BinaryOp.Ge),
        ["minimum"] = c => Select(c, BinaryOp.Le),
        ["where"] = c =>
        [
            null,
            c.Needs(1) ? SumTo(OpCore.Where(c.Node.Inputs[0], c.G, OpCore.Scalar(c.G, 0.0)), c.Node.Inputs[1].ShapeArray) : null,
            c.Needs(2) ? SumTo(OpCore.Where(c.Node.Inputs[0], OpCore.Scalar(c.G, 0.0), c.G), c.Node.Inputs[2].ShapeArray) : null,
        ],

        // Reductions: broadcast the gradient back over the reduced axes.
        ["sum"] = c => [OpCore.Expand(KeepDims(c.G, c), c.X.ShapeArray)],
        ["max"] = ExtremumBackward,
        ["min"] = ExtremumBackward,

        ["matmul"] = MatMulBackward,

        // Indexing: gather and scatter are each other's transpose; accumulation runs in increasing index order.
        ["index_select"] = c =>
        [
            OpCore.IndexAdd(OpCore.Full(c.X.ShapeArray, 0.0, c.X.DType, c.X.Backend), c.Attr.Int("axis"), c.Node.Inputs[1], c.G),
            null,
        ],
        ["index_add"] = c => [c.Needs(0) ? c.G : null, null, c.Needs(2) ? OpCore.IndexSelect(c.G, c.Attr.Int("axis"), c.Node.Inputs[1]) : null],
        ["scatter_add"] = c => [c.Needs(0) ? c.G : null, null, c.Needs(2) ? Gather(c.G, c.Attr.Int("axis"), c.Node.Inputs[1]) : null],
        ["concat"] = ConcatBackward,
        ["pad"] = c => [PadBackward(c)],
    };

    /// <summary>True unless the op is known to carry no gradient.</summary>
    public static bool IsDifferentiable(string op) => !NoGradOps.Contains(op);

    /// <summary>Runs the rule of the node's op; the error names the op when there is none.</summary>
    public static Tensor?[] Apply(GradNode node, Tensor?[] outputGrads)
    {
        if (!Rules.TryGetValue(node.Op, out var rule))
        {
            throw new NotSupportedException($"autograd: op '{node.Op}' (#{node.Seq}, at {node.Source}) has no backward rule");
        }

        var g = outputGrads[0] ?? OpCore.Full(node.Outputs[0].ShapeArray, 0.0, node.Outputs[0].DType, node.Outputs[0].Backend);
        var grads = rule(new Ctx(node, g));
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
        return Reshape(s, shape);
    }

    private static Tensor Reshape(Tensor t, int[] shape) => t.ShapeArray.AsSpan().SequenceEqual(shape) ? t : OpCore.Reshape(t, shape);

    private static Tensor Neg(Tensor a) => OpCore.Unary(UnaryOp.Neg, a);

    private static Tensor Mul(Tensor a, Tensor b) => OpCore.Binary(BinaryOp.Mul, a, b);

    private static Tensor Div(Tensor a, Tensor b) => OpCore.Binary(BinaryOp.Div, a, b);

    private static Tensor MulS(Tensor a, double s) => OpCore.Binary(BinaryOp.Mul, a, OpCore.Scalar(a, s));

    private static Tensor RSubS(double s, Tensor a) => OpCore.Binary(BinaryOp.Sub, OpCore.Scalar(a, s), a);

    private static int[] Inverse(int[] dims)
    {
        var inv = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            inv[dims[i]] = i;
        }

        return inv;
    }

    /// <summary>GELU'(x) = Phi(x) + x phi(x) for the erf form.</summary>
    private static Tensor GeluDerivative(Tensor x)
    {
        var cdf = MulS(OpCore.Binary(BinaryOp.Add, OpCore.Unary(UnaryOp.Erf, MulS(x, 0.70710678118654752)), OpCore.Scalar(x, 1.0)), 0.5);
        var pdf = MulS(OpCore.Unary(UnaryOp.Exp, MulS(Mul(x, x), -0.5)), 0.39894228040143268);
        return OpCore.Binary(BinaryOp.Add, cdf, Mul(x, pdf));
    }

    private static Tensor?[] Select(Ctx c, BinaryOp firstWins)
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
    private static Tensor KeepDims(Tensor g, Ctx c)
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
    private static Tensor?[] ExtremumBackward(Ctx c)
    {
        var y = KeepDims(c.Y, c);
        var g = KeepDims(c.G, c);
        var mask = OpCore.Cast(OpCore.Binary(BinaryOp.Eq, c.X, y), c.X.DType);
        var count = OpCore.Reduce(ReduceOp.Sum, mask, c.Attr.Ints("axes"), keepdim: true);
        return [Mul(mask, Div(g, count))];
    }

    private static Tensor?[] MatMulBackward(Ctx c)
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
            ga = Reshape(SumTo(OpCore.MatMul(g, Transposed(b2)), a2.ShapeArray), a.ShapeArray);
        }

        if (c.Needs(1))
        {
            gb = Reshape(SumTo(OpCore.MatMul(Transposed(a2), g), b2.ShapeArray), b.ShapeArray);
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
    private static Tensor SliceBackward(Ctx c)
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

    private static Tensor?[] ConcatBackward(Ctx c)
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

    private static Tensor PadBackward(Ctx c)
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
    private static Tensor Gather(Tensor x, int axis, Tensor index)
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

    private readonly record struct Ctx(GradNode Node, Tensor G)
    {
        public Tensor X => Node.Inputs[0];

        public Tensor A => Node.Inputs[0];

        public Tensor B => Node.Inputs[1];

        public Tensor Y => Node.Outputs[0];

        public OpAttributes Attr => Node.Attributes;

        public bool Needs(int i) => Node.Inputs[i].RequiresGrad;
    }
}
