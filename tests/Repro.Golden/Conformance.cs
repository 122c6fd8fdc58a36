using Repro.Engine;
using Repro.Engine.Backends;

namespace Repro.Golden;

/// <summary>
/// The conformance part of the golden program: every op of the engine in every dtype it takes, on edge values and on
/// lengths and shapes that cross the vector widths (4, 8 and 16 float lanes) and the reduction chunks (1024 elements,
/// 32 lanes). Every input comes from a seeded generator or a constant array, so the program depends on nothing of the
/// machine or the environment.
/// </summary>
internal static class Conformance
{
    /// <summary>Values every elementwise op meets: signed zeros, NaN, infinities, subnormals, extremes, the edges of exp and of the 16-bit types, ties.</summary>
    private static readonly float[] Specials =
    [
        0f, -0f, 1f, -1f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, -float.Epsilon,
        1.17549435e-38f, 1e-38f, float.MaxValue, float.MinValue, 88.72f, -103.97f, 0.5f, -0.5f, 3.1415927f, 1e-7f,
        15.9f, 65504f, 65520f, 6e-8f, 1.0000001f, 0.99999994f, 2.5f, -2.5f, 1e10f, -1e10f,
    ];

    /// <summary>Integers with the wrap-around and sign cases.</summary>
    private static readonly int[] Ints = [0, 1, -1, 2, -2, 7, -7, 100, -3, int.MaxValue, int.MinValue];

    /// <summary>Nonzero divisors and non-negative exponents for the integer ops that need them.</summary>
    private static readonly int[] IntDivisors = [1, -1, 2, -3, 7, 5, 0x10000];

    private static readonly int[] IntExponents = [0, 1, 2, 3, 5];

    /// <summary>The floating-point dtypes.</summary>
    private static readonly DType[] Floats = [DType.Float32, DType.Float64, DType.Float16, DType.BFloat16];

    /// <summary>Lengths of 1-D sums: empty, single, either side of the vector widths and of one, two and three chunks.</summary>
    private static readonly int[] SumLengths = [0, 1, 31, 33, 1023, 1025, 2049, 3073];

    /// <summary>Every public call behind a unary op, so a renamed or rerouted op shows in the log.</summary>
    private static readonly (string Name, Func<Tensor, Tensor> Apply)[] UnaryOps =
    [
        ("neg", x => x.Neg()), ("abs", x => x.Abs()), ("exp", x => x.Exp()), ("log", x => x.Log()), ("sqrt", x => x.Sqrt()),
        ("rsqrt", x => x.Rsqrt()), ("tanh", x => x.Tanh()), ("sigmoid", x => x.Sigmoid()), ("relu", x => x.Relu()),
        ("gelu", x => x.Gelu()), ("erf", x => x.Erf()), ("softplus", x => x.Softplus()), ("sin", x => x.Sin()), ("cos", x => x.Cos()), ("sign", x => x.Sign()),
    ];

    private static readonly string[] IntUnaryOps = ["neg", "abs", "relu", "sign"];

    private static readonly (string Name, Func<Tensor, Tensor, Tensor> Apply)[] BinaryOps =
    [
        ("add", (a, b) => a.Add(b)), ("sub", (a, b) => a.Sub(b)), ("mul", (a, b) => a.Mul(b)), ("div", (a, b) => a.Div(b)),
        ("pow", (a, b) => a.Pow(b)), ("maximum", (a, b) => a.Maximum(b)), ("minimum", (a, b) => a.Minimum(b)),
        ("eq", (a, b) => a.Eq(b)), ("ne", (a, b) => a.Ne(b)), ("lt", (a, b) => a.Lt(b)), ("le", (a, b) => a.Le(b)),
        ("gt", (a, b) => a.Gt(b)), ("ge", (a, b) => a.Ge(b)),
    ];

    /// <summary>Issues the whole conformance program on the current backend.</summary>
    public static void Run()
    {
        Creation();
        Unary();
        Binary();
        Reductions();
        MatMuls();
        Convolutions();
        Pooling();
        ShapesAndIndexing();
        Casts();
        OtherBackend();
    }

    private static void Creation()
    {
        foreach (var dtype in DTypes.Values)
        {
            Tensor.Full([3, 5], -2.75, dtype);
            Tensor.Arange(37, dtype);
        }

        foreach (var dtype in Floats)
        {
            Tensor.Rand([37], new Generator(1), dtype);
            Tensor.Randn([37], new Generator(2), dtype);
        }

        Tensor.Permutation(100, new Generator(3));
        Tensor.Bernoulli([70], 0.3, new Generator(4));
        Tensor.FromArray(new double[] { 0.1, -0.0, double.NaN, 1e-310, double.MaxValue }, [5]);
    }

    private static void Unary()
    {
        foreach (var dtype in Floats)
        {
            // Specials then noise: 29 + 1000 elements, so every op meets every special and a vector tail.
            var x = Mixed(dtype, seed: 10, scale: 4, noise: 1000);
            foreach (var (_, apply) in UnaryOps)
            {
                apply(x);
            }
        }

        var i = Tensor.FromArray(Ints, [Ints.Length]);
        foreach (var (name, apply) in UnaryOps)
        {
            if (IntUnaryOps.Contains(name))
            {
                apply(i);
            }
        }

        // A strided input: the kernels gather before they compute.
        Mixed(DType.Float32, seed: 11, scale: 3, noise: 91).Reshape([8, 15]).Transpose().Exp();
    }

    private static void Binary()
    {
        foreach (var dtype in Floats)
        {
            // Every pair of special values: [29, 1] against [1, 29] broadcasts to all 841 combinations.
            var s = Tensor.FromArray(Specials, [Specials.Length], dtype);
            var a = s.Reshape([Specials.Length, 1]);
            var b = s.Reshape([1, Specials.Length]);
            foreach (var (_, apply) in BinaryOps)
            {
                apply(a, b);
            }

            // Ordinary values, broadcast over the leading axis with a tail past every vector width.
            var x = Tensor.Randn([5, 67], new Generator(20), dtype);
            var y = Tensor.Randn([67], new Generator(21), dtype);
            foreach (var (_, apply) in BinaryOps)
            {
                apply(x, y);
            }
        }

        var ia = Tensor.FromArray(Ints, [Ints.Length, 1]);
        var ib = Tensor.FromArray(IntDivisors, [1, IntDivisors.Length]);
        foreach (var (name, apply) in BinaryOps)
        {
            apply(ia, name == "pow" ? Tensor.FromArray(IntExponents, [1, IntExponents.Length]) : ib);
        }

        // Transposed against contiguous, and a scalar operand (operators: their source location comes from the stack).
        var t = Tensor.Randn([33, 9], new Generator(22)).Transpose();
        _ = t * Tensor.Randn([9, 33], new Generator(23));
        _ = t + 0.25;
    }

    private static void Reductions()
    {
        foreach (int n in SumLengths)
        {
            Tensor.Randn([n], new Generator((ulong)(100 + n))).Sum();
        }

        Tensor.Randn([3, 1025], new Generator(30)).Sum(1, keepdim: true);
        Tensor.Randn([33, 37], new Generator(31)).Sum(0);
        Tensor.Randn([4, 5, 6], new Generator(32)).Sum([0, 2]);
        foreach (var dtype in DTypes.Values)
        {
            var x = dtype == DType.Int32 ? Tensor.Arange(3 * 1025).Reshape([3, 1025]) : Tensor.Randn([3, 1025], new Generator(33), dtype);
            Each(x, t => t.Sum(), t => t.Sum(1), t => t.Max(1), t => t.Min(0), t => t.ArgMax(1), t => t.ArgMin(1));
        }

        // NaN propagation, signed zeros and ties in max, min, argmax and argmin.
        foreach (var dtype in Floats)
        {
            var s = Tensor.FromArray(Specials, [Specials.Length], dtype);
            var noNaN = Tensor.FromArray(new float[] { 0f, -0f, 3f, -1f, 3f, -0f, 0f }, [7], dtype);
            foreach (var x in new[] { s, noNaN })
            {
                Each(x, t => t.Max(), t => t.Min(), t => t.ArgMax(0), t => t.ArgMin(0));
            }
        }

        // The composites, made of the ops above in each composite's order (float32 ones also run in the training steps).
        Each(Tensor.Randn([4, 1025], new Generator(34), DType.BFloat16).Mul(6), t => t.Mean(1), t => t.Var([1]), t => t.Softmax(-1), t => t.LogSoftmax(-1), t => t.LogSumExp(1));
    }

    private static void Convolutions()
    {
        // conv2d and both gradient ops in every float dtype: groups, stride, dilation and asymmetric padding at once.
        foreach (var dtype in new[] { DType.Float32, DType.Float64, DType.Float16, DType.BFloat16 })
        {
            var x = Tensor.Randn([2, 4, 6, 5], new Generator(45), dtype).RequireGrad();
            var w = Tensor.Randn([6, 2, 3, 3], new Generator(46), dtype).RequireGrad();
            var y = Tensor.Conv2d(x, w, null, [2, 1], [1, 0, 1, 2], [1, 2], 2);
            y.Backward(Tensor.Randn([.. y.Shape], new Generator(47), dtype));
        }
    }

    private static void Pooling()
    {
        // max_pool2d and avg_pool2d with both gradient ops in every float dtype: ResNet's 3x3 stride 2 pad 1 over
        // special values (NaN, infinities, signed zeros, ties), and asymmetric pads, dilation, ceil_mode and
        // count_include_pad off at once.
        foreach (var dtype in Floats)
        {
            float[] values = [.. Enumerable.Range(0, 2 * 3 * 7 * 6).Select(i => Specials[(i * 7) % Specials.Length])];
            var x = Tensor.FromArray(values, [2, 3, 7, 6], dtype).RequireGrad();
            var y = Tensor.MaxPool2d(x, [3], [2], [1]);
            y.Backward(Tensor.Randn([.. y.Shape], new Generator(48), dtype));
            var z = Tensor.Randn([2, 3, 7, 6], new Generator(49), dtype).RequireGrad();
            var m = Tensor.AvgPool2d(z, [2, 3], [2, 1], [1, 0, 0, 2], ceilMode: true, countIncludePad: false, dilation: [1, 2]);
            m.Backward(Tensor.Randn([.. m.Shape], new Generator(50), dtype));
        }
    }

    private static void MatMuls()
    {
        (int[] A, int[] B)[] shapes =
        [
            ([1, 1], [1, 1]), ([3, 0], [0, 4]), ([3, 7], [7, 5]), ([7, 15], [15, 17]), ([9, 33], [33, 31]),
            ([17, 65], [65, 33]), ([2, 3, 4, 5], [5, 6]), ([2, 1, 4, 5], [3, 5, 6]), ([5], [5, 3]), ([4, 5], [5]), ([5], [5]),
        ];
        foreach (var (a, b) in shapes)
        {
            Tensor.Randn(a, new Generator(40)).MatMul(Tensor.Randn(b, new Generator(41)));
        }

        foreach (var dtype in new[] { DType.Float64, DType.Float16, DType.BFloat16 })
        {
            Tensor.Randn([9, 20], new Generator(42), dtype).MatMul(Tensor.Randn([20, 17], new Generator(43), dtype));
        }

        Tensor.Arange(12).Reshape([3, 4]).MatMul(Tensor.Arange(20).Reshape([4, 5]));

        // A transposed operand, and special values in the sums through a broadcast (stride 0) operand.
        float[] column = [.. Specials, 1f, -2f, 3f, -4f];
        Tensor.Randn([33, 9], new Generator(44)).Transpose().MatMul(Tensor.FromArray(column, [column.Length, 1]).Expand([column.Length, 3]));
    }

    private static void ShapesAndIndexing()
    {
        var x = Tensor.Randn([2, 3, 4], new Generator(50));
        Each(x, t => t.Reshape([6, 4]), t => t.Permute([2, 0, 1]).Contiguous(), t => t.Unsqueeze(1).Squeeze(1), t => t.Flatten(), t => t.Slice(2, 1, 4, 2).Mul(2.0));
        _ = Tensor.Randn([3, 1], new Generator(51)).Expand([3, 4]) + 1.0;
        Tensor.Concat([x.Slice(1, 0, 1), Tensor.Randn([2, 2, 4], new Generator(52)), x.Transpose(1, 2).Slice(2, 1, 3).Transpose(1, 2)], 1);
        Tensor.Stack([Tensor.Randn([2, 3], new Generator(53)), Tensor.Randn([2, 3], new Generator(54))], 1);
        foreach (var dtype in DTypes.Values)
        {
            Tensor.Full([2, 3], 1.5, dtype).Pad([1, 0, 2, 1], -7);
        }

        // where: NaN counts as true, -0 as false; values in every dtype.
        var cond = Tensor.FromArray(Specials, [Specials.Length]);
        foreach (var dtype in DTypes.Values)
        {
            var a = dtype == DType.Int32 ? Tensor.Arange(Specials.Length) : Tensor.Randn([Specials.Length], new Generator(55), dtype);
            Tensor.Where(cond.To(dtype), a, Tensor.Full([1], 9, dtype));
        }

        var target = Tensor.Zeros([4, 5]);
        target.Assign(Tensor.Randn([4, 5], new Generator(56)));
        var index = Tensor.FromArray(new[] { 3, 0, 0, 2 }, [4]);
        Each(
            target,
            t => t.IndexSelect(0, index),
            t => t.IndexSelect(1, index),
            t => t.IndexAdd(0, index, Tensor.Randn([4, 5], new Generator(57))),
            t => t.ScatterAdd(1, Tensor.FromArray(new[] { 0, 0, 4, 1, 2, 2, 2, 2, 3, 0, 1, 4, 4, 4, 0, 1, 3, 3, 2, 1 }, [4, 5]), Tensor.Randn([4, 5], new Generator(58))));
        Tensor.OneHot(Tensor.FromArray(new[] { 3, 0, 9, 3 }, [4]), 10);
        Mixed(DType.Float32, seed: 59, scale: 3, noise: 20).Clamp(-1, 1);
    }

    private static void Casts()
    {
        foreach (var from in DTypes.Values)
        {
            var x = from == DType.Int32 ? Tensor.FromArray(Ints, [Ints.Length]) : Mixed(from, seed: 60, scale: 1000, noise: 35);
            foreach (var to in DTypes.Values)
            {
                if (to != from)
                {
                    x.To(to);
                }
            }
        }
    }

    /// <summary>Ops on the reference backend between two moves: the scalar definition must give the same bits.</summary>
    private static void OtherBackend()
    {
        var a = Tensor.Randn([6, 33], new Generator(70)).To(ReferenceBackend.Instance);
        var b = Tensor.Randn([33, 5], new Generator(71)).To(ReferenceBackend.Instance);
        a.MatMul(b).Softmax(-1).To(ManagedBackend.Instance).Sum();
    }

    /// <summary>Applies each of <paramref name="ops"/> to <paramref name="x"/>, in order.</summary>
    private static void Each(Tensor x, params Func<Tensor, Tensor>[] ops)
    {
        foreach (var op in ops)
        {
            op(x);
        }
    }

    /// <summary>The special values followed by <paramref name="noise"/> normal draws times <paramref name="scale"/>, in <paramref name="dtype"/>.</summary>
    private static Tensor Mixed(DType dtype, ulong seed, double scale, int noise) =>
        Tensor.Concat([Tensor.FromArray(Specials, [Specials.Length], dtype), Tensor.Randn([noise], new Generator(seed), dtype).Mul(scale)]);
}
