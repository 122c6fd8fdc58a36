using Repro.Engine.Backends;
using static Repro.Engine.Gradients;

namespace Repro.Engine;

/// <summary>
/// The op table: one row per op the engine can emit, and the only place an op's facts are written (name, arity,
/// dtypes, gradient, replay, reduction length, thread-splitting cost, canonical order). Replay, autograd, the log
/// decoder, the differ's tolerances and the kernels' thread splitting read it; nothing else switches on op names.
/// </summary>
/// <remarks>
/// A row registers itself when it is made, so adding an op is adding its row here (plus its kernel, for a new
/// primitive). Fields are initialized in the order they are written: the registries come first, the lookups last.
/// </remarks>
public static class OpTable
{
    private const DTypeSet Any = DTypeSet.All;
    private const DTypeSet Floats = DTypeSet.Floats;

    private static readonly List<OpInfo> Rows = [];
    private static readonly Dictionary<UnaryOp, OpInfo> UnaryRows = [];
    private static readonly Dictionary<BinaryOp, OpInfo> BinaryRows = [];
    private static readonly Dictionary<ReduceOp, OpInfo> ReduceRows = [];
    private static readonly Dictionary<RandomKind, OpInfo> RandomRows = [];

    /// <summary>Elementwise ops, copies and selections: each output element comes from one term.</summary>
    private static readonly ReductionLengthRule One = static (_, _) => 1;

    // ---- Creation ----

    /// <summary>full(shape, value, dtype).</summary>
    public static readonly OpInfo Full = Creation(
        "full",
        static (a, _, b) => OpCore.Full(a.Ints("shape"), a.Double("value"), DTypes.Parse(a.String("dtype")), b),
        "every element is the value converted once to the dtype");

    /// <summary>arange(n, dtype): 0, 1, ..., n-1.</summary>
    public static readonly OpInfo Arange = Creation(
        "arange",
        static (a, _, b) => OpCore.Arange(a.Int("n"), DTypes.Parse(a.String("dtype")), b),
        "element i is i, converted once from float64 to the dtype");

    /// <summary>A leaf made from host data; replay reads its values from the log.</summary>
    public static readonly OpInfo FromHost = Creation(
        "from_host",
        static (_, _, _) => throw new ArgumentException("from_host is a leaf: its data comes from the log, not from an executor"),
        "the host values as given, no arithmetic",
        hostData: true);

    // ---- Random: element i depends on (seed, stream, i) only ----

    /// <summary>Uniform draws in [0, 1).</summary>
    public static readonly OpInfo Rand = Random(
        "rand",
        RandomKind.Uniform,
        "element i is a uniform in [0, 1) from the Philox4x32-10 words (seed, stream, i); 16-bit dtypes draw float32 and round once");

    /// <summary>Standard normal draws.</summary>
    public static readonly OpInfo Randn = Random(
        "randn",
        RandomKind.Normal,
        "element i is Box-Muller on the Philox4x32-10 words (seed, stream, i); 16-bit dtypes draw float32 and round once");

    /// <summary>A permutation of 0..n-1.</summary>
    public static readonly OpInfo Randperm = Register(
        new(
            "randperm",
            OpKind.Random,
            0,
            [],
            OutputDType.Int32,
            DTypeSet.Int32,
            static (a, _, b) => OpCore.Permutation(a.Int("n"), (ulong)a.Long("seed"), (ulong)a.Long("stream"), b),
            OpGradient.None,
            One,
            cost: 32,
            "the keys (Philox4x32-10 word (seed, stream, i), i) sorted ascending; element k is the i of the k-th key"),
        RandomKind.Bits);

    // ---- Views: no arithmetic, the output re-describes the input's storage ----

    /// <summary>A new shape over the same elements.</summary>
    public static readonly OpInfo Reshape = View(
        "reshape",
        static (a, x, _) => OpCore.Reshape(x[0], a.Ints("shape")),
        static c => [Reshaped(c.G, c.X.ShapeArray)],
        "no arithmetic: the elements in row-major order under a new shape (a non-contiguous input is copied first)");

    /// <summary>Axes reordered.</summary>
    public static readonly OpInfo Permute = View(
        "permute",
        static (a, x, _) => OpCore.Permute(x[0], a.Ints("dims")),
        static c => [OpCore.Permute(c.G, Inverse(c.Attr.Ints("dims")))],
        "no arithmetic: the axes reordered by dims");

    /// <summary>Every step-th element of one axis from start to end.</summary>
    public static readonly OpInfo Slice = View(
        "slice",
        static (a, x, _) => OpCore.Slice(x[0], a.Int("axis"), a.Int("start"), a.Int("end"), a.Int("step")),
        static c => [SliceBackward(c)],
        "no arithmetic: every step-th element of axis from start to end");

    /// <summary>Size-1 axes repeated.</summary>
    public static readonly OpInfo Expand = View(
        "expand",
        static (a, x, _) => OpCore.Expand(x[0], a.Ints("shape")),
        static c => [SumTo(c.G, c.X.ShapeArray)],
        "no arithmetic: size-1 and added leading axes repeated with stride 0");

    // ---- Copies: values moved, never computed ----

    /// <summary>A row-major copy of a strided input.</summary>
    public static readonly OpInfo Contiguous = Copy(
        "contiguous",
        static (_, x, _) => OpCore.Contiguous(x[0]),
        static c => [c.G],
        "a row-major copy, no arithmetic");

    /// <summary>A conversion to the dtype attribute.</summary>
    public static readonly OpInfo Cast = Register(new(
        "cast",
        OpKind.Copy,
        1,
        [Any],
        OutputDType.Attribute,
        Any,
        static (a, x, _) => OpCore.Cast(x[0], DTypes.Parse(a.String("dtype"))),
        By(static c => [OpCore.Cast(c.G, c.X.DType)]),
        One,
        cost: 2,
        "each element converted once, rounding to nearest even (float64 to a 16-bit dtype rounds to float32 first)"));

    /// <summary>A copy to the backend named by the backend attribute.</summary>
    public static readonly OpInfo ToBackend = Copy(
        "to_backend",
        static (a, x, _) => x[0].To(Settings.GetBackend(a.String("backend"))),
        static c => [c.G.To(c.X.Backend)],
        "a bit-exact copy to another backend");

    /// <summary>The source copied into the target in place.</summary>
    public static readonly OpInfo Assign = Register(new(
        "assign",
        OpKind.Copy,
        2,
        [Any, Any],
        OutputDType.FirstInput,
        Any,
        static (_, x, _) => OpCore.Assign(x[0], x[1]),
        OpGradient.None,
        One,
        cost: 1,
        "the source, broadcast to the target's shape, copied into the target's storage in place"));

    /// <summary>Inputs joined along an axis.</summary>
    public static readonly OpInfo Concat = Register(new(
        "concat",
        OpKind.Copy,
        OpInfo.Variadic,
        [Any],
        OutputDType.FirstInput,
        Any,
        static (a, x, _) => OpCore.Concat([.. x], a.Int("axis")),
        By(ConcatBackward),
        One,
        cost: 1,
        "the inputs copied one after another along axis, no arithmetic"));

    /// <summary>The input surrounded by a constant.</summary>
    public static readonly OpInfo Pad = Copy(
        "pad",
        static (a, x, _) => OpCore.Pad(x[0], a.Ints("pads"), a.Double("value")),
        static c => [PadBackward(c)],
        "the input copied into a tensor filled with value, offset by the leading pads");

    // ---- Unary elementwise: the derivative, often written with the output y to avoid recomputing it ----

    /// <summary>-x.</summary>
    public static readonly OpInfo Neg = Unary(UnaryOp.Neg, "neg", Any, cost: 1, By(static c => [Negate(c.G)]), "elementwise: the sign bit flipped (also of 0 and NaN)");

    /// <summary>|x|.</summary>
    public static readonly OpInfo Abs = Unary(UnaryOp.Abs, "abs", Any, cost: 1, By(static c => [Times(c.G, OpCore.Unary(UnaryOp.Sign, c.X))]), "elementwise: the sign bit cleared");

    /// <summary>e^x.</summary>
    public static readonly OpInfo Exp = Unary(UnaryOp.Exp, "exp", Floats, cost: 16, By(static c => [Times(c.G, c.Y)]), "elementwise: DetMath exp: a fixed sequence of IEEE operations with explicit FMA");

    /// <summary>ln x.</summary>
    public static readonly OpInfo Log = Unary(UnaryOp.Log, "log", Floats, cost: 16, By(static c => [Over(c.G, c.X)]), "elementwise: DetMath log: a fixed sequence of IEEE operations with explicit FMA");

    /// <summary>sqrt x.</summary>
    public static readonly OpInfo Sqrt = Unary(UnaryOp.Sqrt, "sqrt", Floats, cost: 16, By(static c => [Over(c.G, Scaled(c.Y, 2.0))]), "elementwise: IEEE square root, correctly rounded");

    /// <summary>1 / sqrt x; d/dx x^(-1/2) = -1/2 y^3.</summary>
    public static readonly OpInfo Rsqrt = Unary(UnaryOp.Rsqrt, "rsqrt", Floats, cost: 16, By(static c => [Times(c.G, Scaled(Times(Times(c.Y, c.Y), c.Y), -0.5))]), "elementwise: 1 / sqrt(x): two correctly rounded operations, never a hardware estimate");

    /// <summary>tanh x.</summary>
    public static readonly OpInfo Tanh = Unary(UnaryOp.Tanh, "tanh", Floats, cost: 16, By(static c => [Times(c.G, OneMinus(Times(c.Y, c.Y)))]), "elementwise: DetMath tanh: a fixed sequence of IEEE operations with explicit FMA");

    /// <summary>1 / (1 + e^-x).</summary>
    public static readonly OpInfo Sigmoid = Unary(UnaryOp.Sigmoid, "sigmoid", Floats, cost: 16, By(static c => [Times(c.G, Times(c.Y, OneMinus(c.Y)))]), "elementwise: DetMath sigmoid: a fixed sequence of IEEE operations with explicit FMA");

    /// <summary>max(x, 0); the subgradient at 0 is 0, as in PyTorch.</summary>
    public static readonly OpInfo Relu = Unary(
        UnaryOp.Relu,
        "relu",
        Any,
        cost: 1,
        By(static c => [OpCore.Where(OpCore.Binary(BinaryOp.Gt, c.X, OpCore.Scalar(c.X, 0.0)), c.G, OpCore.Scalar(c.G, 0.0))]),
        "elementwise: x where x > 0, else +0; relu(NaN) = NaN");

    /// <summary>x Phi(x), erf form.</summary>
    public static readonly OpInfo Gelu = Unary(UnaryOp.Gelu, "gelu", Floats, cost: 16, By(static c => [Times(c.G, GeluDerivative(c.X))]), "elementwise: 0.5 x (1 + erf(x / sqrt 2)) evaluated in float64, rounded once");

    /// <summary>erf x; d/dx erf(x) = 2/sqrt(pi) exp(-x^2).</summary>
    public static readonly OpInfo Erf = Unary(
        UnaryOp.Erf,
        "erf",
        Floats,
        cost: 16,
        By(static c => [Times(c.G, Scaled(OpCore.Unary(UnaryOp.Exp, Scaled(Times(c.X, c.X), -1.0)), 1.1283791670955126))]),
        "elementwise: DetMath erf: a fixed sequence of IEEE operations with explicit FMA");

    /// <summary>sin x.</summary>
    public static readonly OpInfo Sin = Unary(UnaryOp.Sin, "sin", Floats, cost: 16, By(static c => [Times(c.G, OpCore.Unary(UnaryOp.Cos, c.X))]), "elementwise: DetMath sin: a fixed argument reduction and polynomial with explicit FMA");

    /// <summary>cos x.</summary>
    public static readonly OpInfo Cos = Unary(UnaryOp.Cos, "cos", Floats, cost: 16, By(static c => [Negate(Times(c.G, OpCore.Unary(UnaryOp.Sin, c.X)))]), "elementwise: DetMath cos: a fixed argument reduction and polynomial with explicit FMA");

    /// <summary>log(1 + e^x); d/dx = sigmoid(x).</summary>
    public static readonly OpInfo Softplus = Unary(UnaryOp.Softplus, "softplus", Floats, cost: 16, By(static c => [Times(c.G, OpCore.Unary(UnaryOp.Sigmoid, c.X))]), "elementwise: max(x, 0) + log1p(exp(-|x|)) with DetMath in float64, rounded once");

    /// <summary>-1, 0 or +1.</summary>
    public static readonly OpInfo Sign = Unary(UnaryOp.Sign, "sign", Any, cost: 1, OpGradient.None, "elementwise: -1, 0 or +1; sign(NaN) = NaN, sign(-0) = -0");

    // ---- Binary elementwise: broadcast inputs get the gradient summed back to their shape ----

    /// <summary>a + b.</summary>
    public static readonly OpInfo Add = Binary(
        BinaryOp.Add,
        "add",
        By(static c => [c.Needs(0) ? SumTo(c.G, c.A.ShapeArray) : null, c.Needs(1) ? SumTo(c.G, c.B.ShapeArray) : null]),
        "elementwise: a + b, correctly rounded (int32 wraps)");

    /// <summary>a - b.</summary>
    public static readonly OpInfo Sub = Binary(
        BinaryOp.Sub,
        "sub",
        By(static c => [c.Needs(0) ? SumTo(c.G, c.A.ShapeArray) : null, c.Needs(1) ? SumTo(Negate(c.G), c.B.ShapeArray) : null]),
        "elementwise: a - b, correctly rounded (int32 wraps)");

    /// <summary>a * b.</summary>
    public static readonly OpInfo Mul = Binary(
        BinaryOp.Mul,
        "mul",
        By(static c => [c.Needs(0) ? SumTo(Times(c.G, c.B), c.A.ShapeArray) : null, c.Needs(1) ? SumTo(Times(c.G, c.A), c.B.ShapeArray) : null]),
        "elementwise: a * b, correctly rounded, never fused with a neighbouring add (int32 wraps)");

    /// <summary>a / b; d(a/b)/db = -y/b, with y = a/b the output.</summary>
    public static readonly OpInfo Div = Binary(
        BinaryOp.Div,
        "div",
        By(static c => [c.Needs(0) ? SumTo(Over(c.G, c.B), c.A.ShapeArray) : null, c.Needs(1) ? SumTo(Negate(Over(Times(c.G, c.Y), c.B)), c.B.ShapeArray) : null]),
        "elementwise: a / b, correctly rounded (int32 truncates; division by zero is an error)");

    /// <summary>a ^ b.</summary>
    public static readonly OpInfo Pow = Binary(BinaryOp.Pow, "pow", By(PowBackward), "elementwise: DetMath pow with explicit FMA (int32: exact power by squaring, wrapping)");

    /// <summary>The larger; ties go to the first operand, so clamp(x, lo, hi) = min(max(x, lo), hi) passes the gradient at its bounds.</summary>
    public static readonly OpInfo Maximum = Binary(BinaryOp.Maximum, "maximum", By(static c => Select(c, BinaryOp.Ge)), "elementwise: the larger; NaN if either is NaN; +0 above -0");

    /// <summary>The smaller; ties go to the first operand.</summary>
    public static readonly OpInfo Minimum = Binary(BinaryOp.Minimum, "minimum", By(static c => Select(c, BinaryOp.Le)), "elementwise: the smaller; NaN if either is NaN; -0 below +0");

    /// <summary>a == b.</summary>
    public static readonly OpInfo Eq = Binary(BinaryOp.Eq, "eq", OpGradient.None, "elementwise: 1 where a == b, else 0 (IEEE: NaN equals nothing)");

    /// <summary>a != b.</summary>
    public static readonly OpInfo Ne = Binary(BinaryOp.Ne, "ne", OpGradient.None, "elementwise: 1 where a != b, else 0 (NaN differs from everything)");

    /// <summary>a &lt; b.</summary>
    public static readonly OpInfo Lt = Binary(BinaryOp.Lt, "lt", OpGradient.None, "elementwise: 1 where a < b, else 0 (IEEE comparison)");

    /// <summary>a &lt;= b.</summary>
    public static readonly OpInfo Le = Binary(BinaryOp.Le, "le", OpGradient.None, "elementwise: 1 where a <= b, else 0 (IEEE comparison)");

    /// <summary>a &gt; b.</summary>
    public static readonly OpInfo Gt = Binary(BinaryOp.Gt, "gt", OpGradient.None, "elementwise: 1 where a > b, else 0 (IEEE comparison)");

    /// <summary>a &gt;= b.</summary>
    public static readonly OpInfo Ge = Binary(BinaryOp.Ge, "ge", OpGradient.None, "elementwise: 1 where a >= b, else 0 (IEEE comparison)");

    /// <summary>cond ? a : b, broadcasting all three.</summary>
    public static readonly OpInfo Where = Register(new(
        "where",
        OpKind.Select,
        3,
        [Any, Any, Any],
        OutputDType.SecondInput,
        Any,
        static (_, x, _) => OpCore.Where(x[0], x[1], x[2]),
        By(WhereBackward),
        One,
        cost: 1,
        "a where cond != 0 (NaN counts as true, -0 as false), else b; a pure selection"));

    // ---- Reductions: the reduced axes are moved last and made contiguous ----

    /// <summary>Sum over axes.</summary>
    public static readonly OpInfo Sum = Reduction(
        ReduceOp.Sum,
        "sum",
        OutputDType.FirstInput,
        By(static c => [OpCore.Expand(KeepDims(c.G, c), c.X.ShapeArray)]),
        ReducedExtent,
        $"rows cut into chunks of {Canonical.ReductionChunk}; in a chunk {Canonical.ReductionLanes} lanes from +0.0 add the elements i mod {Canonical.ReductionLanes} in increasing i; lanes, then chunks, combine by the pairwise tree");

    /// <summary>Maximum over axes.</summary>
    public static readonly OpInfo Max = Reduction(ReduceOp.Max, "max", OutputDType.FirstInput, By(ExtremumBackward), One, "a total order (NaN wins, +0 above -0), so any order agrees; an empty axis is an error");

    /// <summary>Minimum over axes.</summary>
    public static readonly OpInfo Min = Reduction(ReduceOp.Min, "min", OutputDType.FirstInput, By(ExtremumBackward), One, "a total order (NaN wins, -0 below +0), so any order agrees; an empty axis is an error");

    /// <summary>Index of the first maximum.</summary>
    public static readonly OpInfo ArgMax = Reduction(ReduceOp.ArgMax, "argmax", OutputDType.Int32, OpGradient.None, One, "the first index of the maximum (of the first NaN if any) under max's total order");

    /// <summary>Index of the first minimum.</summary>
    public static readonly OpInfo ArgMin = Reduction(ReduceOp.ArgMin, "argmin", OutputDType.Int32, OpGradient.None, One, "the first index of the minimum (of the first NaN if any) under min's total order");

    // ---- Linear algebra ----

    /// <summary>Matrix product with numpy semantics.</summary>
    public static readonly OpInfo MatMul = Register(new(
        "matmul",
        OpKind.Linalg,
        2,
        [Any, Any],
        OutputDType.FirstInput,
        Any,
        static (_, x, _) => OpCore.MatMul(x[0], x[1]),
        By(MatMulBackward),
        static (s, _) => s.Count > 0 && s[0].Count > 0 ? s[0][^1] : 1,
        cost: 1,
        "each output element: acc = +0.0, then acc = fma(a[i,k], b[k,j], acc) for k = 0..K-1 in order; blocks over i and j only, K never split"));

    /// <summary>2-D convolution of x [N, C, H, W] with w [O, C / groups, KH, KW] (stride, pads, dilation, groups).</summary>
    public static readonly OpInfo Conv2d = Register(new(
        "conv2d",
        OpKind.Linalg,
        2,
        [Floats, Floats],
        OutputDType.FirstInput,
        Floats,
        static (a, x, _) => OpCore.Conv2d(x[0], x[1], a.Ints("stride"), a.Ints("pads"), a.Ints("dilation"), a.Int("groups")),
        By(OpCore.Conv2dBackward),
        static (s, _) => s.Count > 1 && s[1].Count == 4 ? (long)s[1][1] * s[1][2] * s[1][3] : 1,
        cost: 1,
        "each output y[n,o,oh,ow]: acc = +0.0, then acc = fma(x[n,c,oh*sh+ki*dh-top, ow*sw+kj*dw-left], w[o,c,ki,kj], acc) over the group's (c, ki, kj) in order, padding read as 0 (the im2col + matmul order: the same bits); implicit GEMM, K never split"));

    /// <summary>conv2d's input gradient: dx from dy and w.</summary>
    public static readonly OpInfo Conv2dInputGrad = Register(new(
        "conv2d_input_grad",
        OpKind.Linalg,
        2,
        [Floats, Floats],
        OutputDType.FirstInput,
        Floats,
        static (a, x, _) => OpCore.Conv2dInputGrad(x[0], x[1], a.Ints("input_shape"), a.Ints("stride"), a.Ints("pads"), a.Ints("dilation"), a.Int("groups")),
        OpGradient.None,
        static (s, a) => s.Count > 1 && s[1].Count == 4 && a.Has("groups") ? (long)s[1][0] / Math.Max(1, a.Int("groups")) * s[1][2] * s[1][3] : 1,
        cost: 1,
        "each dx[n,c,h,w]: acc = +0.0, then acc = fma(w[o,c,ki,kj], dy[n,o,(h+top-ki*dh)/sh,(w+left-kj*dw)/sw], acc) over the group's (o, ki, kj) in order, dy read as 0 where a division is inexact or out of range; no gradient of its own"));

    /// <summary>conv2d's weight gradient: dw from dy and x.</summary>
    public static readonly OpInfo Conv2dWeightGrad = Register(new(
        "conv2d_weight_grad",
        OpKind.Linalg,
        2,
        [Floats, Floats],
        OutputDType.FirstInput,
        Floats,
        static (a, x, _) => OpCore.Conv2dWeightGrad(x[0], x[1], a.Ints("weight_shape"), a.Ints("stride"), a.Ints("pads"), a.Ints("dilation"), a.Int("groups")),
        OpGradient.None,
        static (s, _) => s.Count > 0 && s[0].Count == 4 ? (long)s[0][0] * s[0][2] * s[0][3] : 1,
        cost: 1,
        "each dw[o,c,ki,kj]: acc = +0.0, then acc = fma(dy[n,o,oh,ow], x[n,c,oh*sh+ki*dh-top, ow*sw+kj*dw-left], acc) over (n, oh, ow) in order, padding read as 0; no gradient of its own"));

    // ---- Pooling: windows over the last two axes of x [N, C, H, W], one (n, c) plane at a time ----

    /// <summary>2-D max pooling of x [N, C, H, W] (kernel, stride, pads, dilation).</summary>
    public static readonly OpInfo MaxPool2d = Register(new(
        "max_pool2d",
        OpKind.Linalg,
        1,
        [Floats],
        OutputDType.FirstInput,
        Floats,
        static (a, x, _) => OpCore.MaxPool2d(x[0], a.Ints("kernel"), a.Ints("stride"), a.Ints("pads"), a.Ints("dilation")),
        By(OpCore.MaxPool2dBackward),
        One,
        cost: 1,
        "each y[n,c,oh,ow]: the maximum of the window's taps x[n,c,oh*sh+ki*dh-top, ow*sw+kj*dw-left] that lie inside the input (padding is skipped, never read as -inf), under max's total order: NaN if any tap is NaN (the canonical NaN), else the largest with +0 above -0; no rounding, so any reading order agrees. Every window must keep a tap inside the input (an error otherwise)"));

    /// <summary>2-D average pooling of x [N, C, H, W] (kernel, stride, pads, dilation, count_pads).</summary>
    public static readonly OpInfo AvgPool2d = Register(new(
        "avg_pool2d",
        OpKind.Linalg,
        1,
        [Floats],
        OutputDType.FirstInput,
        Floats,
        static (a, x, _) => OpCore.AvgPool2d(x[0], a.Ints("kernel"), a.Ints("stride"), a.Ints("pads"), a.Ints("dilation"), a.Ints("count_pads")),
        By(OpCore.AvgPool2dBackward),
        static (_, a) => a.Has("kernel") && a.Ints("kernel").Length == 2 ? (long)a.Ints("kernel")[0] * a.Ints("kernel")[1] : 1,
        cost: 1,
        "each y[n,c,oh,ow]: the window's kh*kw taps in row-major (ki, kj) order, taps outside the input as +0, summed in sum's canonical order (32 lanes from +0, the pairwise tree, chunks of 1024), then ONE division by the count: the taps inside the input grown by count_pads (0: count_include_pad off; the declared pads: on). So it is bit for bit the engine's mean over the window (pad, stack, sum, div), for any padding; in 16-bit dtypes it rounds once where sum-then-div rounded twice"));

    /// <summary>max_pool2d's input gradient: dx from dy and x.</summary>
    public static readonly OpInfo MaxPool2dGrad = Register(new(
        "max_pool2d_grad",
        OpKind.Linalg,
        2,
        [Floats, Floats],
        OutputDType.FirstInput,
        Floats,
        static (a, x, _) => OpCore.MaxPool2dGrad(x[0], x[1], a.Ints("kernel"), a.Ints("stride"), a.Ints("pads"), a.Ints("dilation")),
        OpGradient.None,
        static (_, a) => OpCore.PoolWindowsPerCell(a),
        cost: 1,
        "each dx[n,c,h,w]: acc = +0.0, then acc += dy[n,c,oh,ow] over the windows in increasing (oh, ow) whose arg-max is (h, w); a window's arg-max is its first tap in row-major (ki, kj) order inside the input holding the maximum (the first NaN if any; +0 beats -0); no gradient of its own. The composition it replaced (stacked windows, then max) split dy evenly between tied taps and left -0 in some untouched cells, and summed a cell's terms in tap order, not output order: without ties the two agree up to the sign of zero and the rounding of cells shared by overlapping windows (tested to 1e-12 in float64)"));

    /// <summary>avg_pool2d's input gradient: dx from dy.</summary>
    public static readonly OpInfo AvgPool2dGrad = Register(new(
        "avg_pool2d_grad",
        OpKind.Linalg,
        1,
        [Floats],
        OutputDType.FirstInput,
        Floats,
        static (a, x, _) => OpCore.AvgPool2dGrad(x[0], a.Ints("input_shape"), a.Ints("kernel"), a.Ints("stride"), a.Ints("pads"), a.Ints("dilation"), a.Ints("count_pads")),
        OpGradient.None,
        static (_, a) => OpCore.PoolWindowsPerCell(a),
        cost: 1,
        "each dx[n,c,h,w]: acc = +0.0, then acc += dy[n,c,oh,ow] / count(oh,ow) (one division per term) over the windows having (h, w) as a tap, in increasing (oh, ow); no gradient of its own"));

    // ---- Indexing: gather and scatter are each other's transpose ----

    /// <summary>The slices of an axis named by an int32 index.</summary>
    public static readonly OpInfo IndexSelect = Register(new(
        "index_select",
        OpKind.Index,
        2,
        [Any, DTypeSet.Int32],
        OutputDType.FirstInput,
        Any,
        static (a, x, _) => OpCore.IndexSelect(x[0], a.Int("axis"), x[1]),
        By(static c => [OpCore.IndexAdd(OpCore.Full(c.X.ShapeArray, 0.0, c.X.DType, c.X.Backend), c.Attr.Int("axis"), c.Node.Inputs[1], c.G), null]),
        One,
        cost: 1,
        "no arithmetic: the slices named by index, in index order"));

    /// <summary>x with source slice i added into slice index[i].</summary>
    public static readonly OpInfo IndexAdd = Register(new(
        "index_add",
        OpKind.Index,
        3,
        [Any, DTypeSet.Int32, Any],
        OutputDType.FirstInput,
        Any,
        static (a, x, _) => OpCore.IndexAdd(x[0], a.Int("axis"), x[1], x[2]),
        By(static c => [c.Needs(0) ? c.G : null, null, c.Needs(2) ? OpCore.IndexSelect(c.G, c.Attr.Int("axis"), c.Node.Inputs[1]) : null]),
        static (s, _) => s.Count > 1 ? 1L + Extent(s[1], 0) : 1,
        cost: 1,
        "a copy of x, then for i = 0..count-1 in order slice index[i] += source slice i: each element takes its terms in increasing i"));

    /// <summary>x with source[.., l, ..] added at index[.., l, ..] along an axis.</summary>
    public static readonly OpInfo ScatterAdd = Register(new(
        "scatter_add",
        OpKind.Index,
        3,
        [Any, DTypeSet.Int32, Any],
        OutputDType.FirstInput,
        Any,
        static (a, x, _) => OpCore.ScatterAdd(x[0], a.Int("axis"), x[1], x[2]),
        By(static c => [c.Needs(0) ? c.G : null, null, c.Needs(2) ? Gather(c.G, c.Attr.Int("axis"), c.Node.Inputs[1]) : null]),
        static (s, a) => s.Count > 1 && a.Has("axis") ? 1L + Extent(s[1], a.Int("axis")) : 1,
        cost: 1,
        "a copy of x, then for l = 0..len-1 along axis in order y[.., index[.., l, ..], ..] += source[.., l, ..]"));

    /// <summary>Every row, in the order written above.</summary>
    public static IReadOnlyList<OpInfo> All { get; } = [.. Rows];

    private static readonly Dictionary<string, OpInfo> ByName = Rows.ToDictionary(r => r.Name, StringComparer.Ordinal);

    /// <summary>The row named <paramref name="name"/>, or null when the engine has no such op.</summary>
    public static OpInfo? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>The row named <paramref name="name"/>.</summary>
    /// <exception cref="UnknownOpException">The engine has no such op.</exception>
    public static OpInfo Get(string name) => Find(name) ?? throw new UnknownOpException(name);

    /// <summary>The row of a unary kernel.</summary>
    public static OpInfo Of(UnaryOp op) => Lookup(UnaryRows, op);

    /// <summary>The row of a binary kernel.</summary>
    public static OpInfo Of(BinaryOp op) => Lookup(BinaryRows, op);

    /// <summary>The row of a reduction kernel.</summary>
    public static OpInfo Of(ReduceOp op) => Lookup(ReduceRows, op);

    /// <summary>The row of a random kernel (raw words: randperm's).</summary>
    public static OpInfo Of(RandomKind kind) => Lookup(RandomRows, kind);

    private static OpInfo Lookup<TKernel>(Dictionary<TKernel, OpInfo> rows, TKernel kernel)
        where TKernel : struct, Enum =>
        rows.TryGetValue(kernel, out var row) ? row : throw new InvalidOperationException($"op table: no row for {typeof(TKernel).Name}.{kernel}");

    private static OpGradient By(BackwardRule rule) => OpGradient.By(rule);

    /// <summary>The extent of <paramref name="axis"/>, or 0 when the shape has no such axis (a damaged record).</summary>
    private static int Extent(IReadOnlyList<int> shape, int axis) => axis >= 0 && axis < shape.Count ? shape[axis] : 0;

    /// <summary>The product of the extents of the reduced axes (all axes when the attribute is missing).</summary>
    private static long ReducedExtent(IReadOnlyList<IReadOnlyList<int>> inputShapes, OpAttributes attributes)
    {
        if (inputShapes.Count == 0)
        {
            return 1;
        }

        var shape = inputShapes[0];
        var axes = attributes.Has("axes") ? attributes.Ints("axes") : [.. Enumerable.Range(0, shape.Count)];
        return axes.Aggregate(1L, (n, axis) => n * shape[axis < 0 ? axis + shape.Count : axis]);
    }

    private static OpInfo Register(OpInfo row)
    {
        Rows.Add(row);
        return row;
    }

    private static OpInfo Register(OpInfo row, UnaryOp kernel)
    {
        UnaryRows.Add(kernel, row);
        return Register(row);
    }

    private static OpInfo Register(OpInfo row, BinaryOp kernel)
    {
        BinaryRows.Add(kernel, row);
        return Register(row);
    }

    private static OpInfo Register(OpInfo row, ReduceOp kernel)
    {
        ReduceRows.Add(kernel, row);
        return Register(row);
    }

    private static OpInfo Register(OpInfo row, RandomKind kernel)
    {
        RandomRows.Add(kernel, row);
        return Register(row);
    }

    private static OpInfo Creation(string name, OpExecutor replay, string order, bool hostData = false) =>
        Register(new(name, OpKind.Creation, 0, [], OutputDType.Attribute, Any, replay, OpGradient.None, One, cost: 1, order, hostData));

    private static OpInfo Random(string name, RandomKind kind, string order) => Register(
        new(
            name,
            OpKind.Random,
            0,
            [],
            OutputDType.Attribute,
            Floats,
            (a, _, b) => OpCore.Random(kind, a.Ints("shape"), DTypes.Parse(a.String("dtype")), (ulong)a.Long("seed"), (ulong)a.Long("stream"), b),
            OpGradient.None,
            One,
            cost: 32,
            order),
        kind);

    private static OpInfo View(string name, OpExecutor replay, BackwardRule gradient, string order) =>
        Register(new(name, OpKind.View, 1, [Any], OutputDType.FirstInput, Any, replay, By(gradient), One, cost: 1, order));

    private static OpInfo Copy(string name, OpExecutor replay, BackwardRule gradient, string order) =>
        Register(new(name, OpKind.Copy, 1, [Any], OutputDType.FirstInput, Any, replay, By(gradient), One, cost: 1, order));

    private static OpInfo Unary(UnaryOp op, string name, DTypeSet accepts, int cost, OpGradient gradient, string order) => Register(
        new(name, OpKind.Unary, 1, [accepts], OutputDType.FirstInput, accepts, (_, x, _) => OpCore.Unary(op, x[0]), gradient, One, cost, order),
        op);

    private static OpInfo Binary(BinaryOp op, string name, OpGradient gradient, string order) => Register(
        new(name, OpKind.Binary, 2, [Any, Any], OutputDType.FirstInput, Any, (_, x, _) => OpCore.Binary(op, x[0], x[1]), gradient, One, cost: 1, order),
        op);

    private static OpInfo Reduction(ReduceOp op, string name, OutputDType output, OpGradient gradient, ReductionLengthRule length, string order) => Register(
        new(
            name,
            OpKind.Reduction,
            1,
            [Any],
            output,
            output == OutputDType.Int32 ? DTypeSet.Int32 : Any,
            (a, x, _) => OpCore.Reduce(op, x[0], a.Ints("axes"), a.Bool("keepdim")),
            gradient,
            length,
            cost: 1,
            order),
        op);
}
