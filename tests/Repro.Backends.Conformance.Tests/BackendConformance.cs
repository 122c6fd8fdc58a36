using Repro.Engine;
using Repro.Engine.Backends;
using Repro.Tests.Shared;

namespace Repro.Backends.Conformance.Tests;

/// <summary>
/// The primitive suite, written once and run for every registered backend (managed, the ILGPU accelerators, and any
/// other registered by name): every primitive, every dtype it accepts, edge values, lengths 0..257 and across chunk
/// boundaries (1023, 1024, 1025, 5000, 33K, 1M), compared bit for bit with <see cref="ReferenceBackend"/>, the plain
/// scalar definition that shares no kernel code with any of them. A backend whose device is absent is skipped.
/// </summary>
public sealed class BackendConformance
{
    private static readonly int[] Lengths = [.. Enumerable.Range(0, 258), 1023, 1024, 1025, 5000];
    private static readonly DType[] FloatTypes = [DType.Float32, DType.Float64];
    private static readonly DType[] ComputeTypes = [DType.Float32, DType.Float64, DType.Int32];

    /// <summary>The names of the backends under test (every registered one but the reference).</summary>
    public static TheoryData<string> Backends => [.. ConformanceBackends.Names];

    private static ReferenceBackend Reference => ReferenceBackend.Instance;

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public void UnaryMatchesReferenceForEveryOpDtypeAndLength(string backend)
    {
        var device = ConformanceBackends.Open(backend);
        foreach (var dtype in ComputeTypes)
        {
            foreach (var op in Enum.GetValues<UnaryOp>())
            {
                if (dtype == DType.Int32 && !ScalarOps.IsDefinedForInt(op))
                {
                    continue;
                }

                foreach (int n in Lengths)
                {
                    var (xr, xd) = Bits.Both(Reference, device, Bits.Host(dtype, n, n + (int)op), dtype);
                    var yr = Reference.Allocate(dtype, n);
                    var yd = device.Allocate(dtype, n);
                    Reference.Unary(op, xr, yr);
                    device.Unary(op, xd, yd);
                    Bits.Same(Reference.ToHost(yr), device.ToHost(yd), $"{device.Name}: {op} {dtype} n={n}");
                }
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public void BinaryMatchesReferenceForEveryOpDtypeAndLength(string backend)
    {
        var device = ConformanceBackends.Open(backend);
        foreach (var dtype in ComputeTypes)
        {
            foreach (var op in Enum.GetValues<BinaryOp>())
            {
                foreach (int n in Lengths)
                {
                    var ha = Bits.Host(dtype, n, 7 * n);
                    var hb = Bits.Host(dtype, n, (3 * n) + (int)op + 1);
                    if (dtype == DType.Int32)
                    {
                        var ib = (int[])hb;
                        for (int i = 0; i < n; i++)
                        {
                            ib[i] = op == BinaryOp.Pow ? Math.Abs(ib[i]) % 9 : (ib[i] == 0 ? 5 : ib[i]);
                        }
                    }

                    CompareBinary(device, op, dtype, ha, hb, [n], [n], [n]);
                }
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public void BinaryBroadcastsAndStridesLikeReference(string backend)
    {
        var device = ConformanceBackends.Open(backend);
        int[][][] cases =
        [
            [[3, 1, 5], [1, 4, 5], [3, 4, 5]],
            [[1], [2, 3, 1025], [2, 3, 1025]],
            [[7, 1], [1, 9], [7, 9]],
            [[2, 1, 1, 3], [1, 4, 5, 1], [2, 4, 5, 3]],
            [[0, 3], [1, 3], [0, 3]],
        ];
        foreach (var dtype in ComputeTypes)
        {
            foreach (var op in new[] { BinaryOp.Add, BinaryOp.Sub, BinaryOp.Mul, BinaryOp.Maximum, BinaryOp.Lt })
            {
                foreach (var c in cases)
                {
                    CompareBinary(device, op, dtype, Bits.Host(dtype, ShapeUtil.Numel(c[0]), 1), Bits.Host(dtype, ShapeUtil.Numel(c[1]), 2), c[0], c[1], c[2]);
                }
            }
        }

        // A transposed (non-contiguous) left operand.
        var hx = Bits.Host(DType.Float32, 6 * 35, 9);
        var (xr, xd) = Bits.Both(Reference, device, hx, DType.Float32);
        int[] shape = [35, 6];
        int[] tStrides = [1, 35];
        var (br, bd) = Bits.Both(Reference, device, Bits.Host(DType.Float32, 6, 10), DType.Float32);
        var yr = Reference.Allocate(DType.Float32, 210);
        var yd = device.Allocate(DType.Float32, 210);
        Reference.Binary(BinaryOp.Div, new View(xr, shape, tStrides, 0), new View(br, shape, [0, 1], 0), yr, shape);
        device.Binary(BinaryOp.Div, new View(xd, shape, tStrides, 0), new View(bd, shape, [0, 1], 0), yd, shape);
        Bits.Same(Reference.ToHost(yr), device.ToHost(yd), $"{device.Name}: transposed div");
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public void IntegerDivisionByZeroIsAnErrorLikeTheReference(string backend)
    {
        var device = ConformanceBackends.Open(backend);
        var (ar, ad) = Bits.Both(Reference, device, new[] { 1, 2, 3 }, DType.Int32);
        var (br, bd) = Bits.Both(Reference, device, new[] { 1, 0, 3 }, DType.Int32);
        var er = Assert.Throws<DivideByZeroException>(() => Reference.Binary(BinaryOp.Div, View.Contiguous(ar, [3]), View.Contiguous(br, [3]), Reference.Allocate(DType.Int32, 3), [3]));
        var ed = Assert.Throws<DivideByZeroException>(() => device.Binary(BinaryOp.Div, View.Contiguous(ad, [3]), View.Contiguous(bd, [3]), device.Allocate(DType.Int32, 3), [3]));
        Assert.Equal(er.Message, ed.Message);
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public void CastMatchesReferenceForEveryDtypePair(string backend)
    {
        var device = ConformanceBackends.Open(backend);
        foreach (var from in DTypes.Values)
        {
            foreach (var to in DTypes.Values)
            {
                foreach (int n in new[] { 0, 1, 31, 257, 5000 })
                {
                    var (xr, xd) = Bits.Both(Reference, device, Bits.Host(from, n, n + 3), from);
                    var yr = Reference.Allocate(to, n);
                    var yd = device.Allocate(to, n);
                    Reference.Cast(xr, yr);
                    device.Cast(xd, yd);
                    Bits.Same(Reference.ToHost(yr), device.ToHost(yd), $"{device.Name}: cast {from}->{to} n={n}");
                }
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public void FillAndAllocateMatchReferenceForEveryDtype(string backend)
    {
        var device = ConformanceBackends.Open(backend);
        foreach (var dtype in DTypes.Values)
        {
            Bits.Same(Reference.ToHost(Reference.Allocate(dtype, 9)), device.ToHost(device.Allocate(dtype, 9)), $"{device.Name}: zeros {dtype}");
            foreach (double v in new[] { 0.0, -0.0, 1.5, -7.25, 1e-30, 3e38, 1e300, double.NaN, double.NegativeInfinity, 65519.0, 65520.0, 2147483648.0, -1.7 })
            {
                var yr = Reference.Allocate(dtype, 1025);
                var yd = device.Allocate(dtype, 1025);
                Reference.Fill(yr, v);
                device.Fill(yd, v);
                Bits.Same(Reference.ToHost(yr), device.ToHost(yd), $"{device.Name}: fill {dtype} {v}");
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public void StridedCopyMatchesReferenceForEveryDtype(string backend)
    {
        var device = ConformanceBackends.Open(backend);
        foreach (var dtype in DTypes.Values)
        {
            var (xr, xd) = Bits.Both(Reference, device, Bits.Host(dtype, 4 * 5 * 6, 4), dtype);
            (int[] Shape, int[] Strides, int Offset)[] views =
            [
                ([6, 5, 4], [1, 6, 30], 0),
                ([5, 6], [24, 1], 2),
                ([3, 7, 6], [0, 0, 1], 5),
                ([2, 0, 3], [1, 1, 1], 0),
                ([], [], 17),
            ];
            foreach (var (shape, strides, offset) in views)
            {
                int n = ShapeUtil.Numel(shape);
                var yr = Reference.Allocate(dtype, n);
                var yd = device.Allocate(dtype, n);
                Reference.Copy(new View(xr, shape, strides, offset), View.Contiguous(yr, shape));
                device.Copy(new View(xd, shape, strides, offset), View.Contiguous(yd, shape));
                Bits.Same(Reference.ToHost(yr), device.ToHost(yd), $"{device.Name}: copy {dtype} {string.Join("x", shape)}");
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public void WhereMatchesReferenceForEveryConditionDtype(string backend)
    {
        var device = ConformanceBackends.Open(backend);
        int[] shape = [4, 1, 33];
        int[] outShape = [4, 5, 33];
        foreach (var condType in DTypes.Values)
        {
            foreach (var dtype in ComputeTypes)
            {
                var (cr, cd) = Bits.Both(Reference, device, Bits.Host(condType, 4 * 33, 5), condType);
                var (ar, ad) = Bits.Both(Reference, device, Bits.Host(dtype, 5 * 33, 6), dtype);
                var (br, bd) = Bits.Both(Reference, device, Bits.Host(dtype, 1, 7), dtype);
                int n = ShapeUtil.Numel(outShape);
                var yr = Reference.Allocate(dtype, n);
                var yd = device.Allocate(dtype, n);
                int[] cStr = [33, 0, 1];
                int[] aStr = [0, 33, 1];
                int[] bStr = [0, 0, 0];
                Reference.Where(new View(cr, outShape, cStr, 0), new View(ar, outShape, aStr, 0), new View(br, outShape, bStr, 0), yr, outShape);
                device.Where(new View(cd, outShape, cStr, 0), new View(ad, outShape, aStr, 0), new View(bd, outShape, bStr, 0), yd, outShape);
                Bits.Same(Reference.ToHost(yr), device.ToHost(yd), $"{device.Name}: where cond={condType} {dtype} {string.Join("x", shape)}");
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public void ReductionsMatchReferenceForEveryOpDtypeAndLength(string backend)
    {
        var device = ConformanceBackends.Open(backend);
        foreach (var dtype in ComputeTypes)
        {
            foreach (var op in Enum.GetValues<ReduceOp>())
            {
                foreach (int n in Lengths)
                {
                    foreach (int rows in new[] { 1, 3 })
                    {
                        if (n == 0 && op != ReduceOp.Sum)
                        {
                            continue;
                        }

                        CompareReduce(device, op, dtype, rows, n, finite: false);
                        CompareReduce(device, op, dtype, rows, n, finite: true);
                    }
                }
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public void SumsOfLongRowsMatchReferenceAcrossManyChunks(string backend)
    {
        var device = ConformanceBackends.Open(backend);
        foreach (var dtype in FloatTypes)
        {
            CompareReduce(device, ReduceOp.Sum, dtype, 1, 1_000_003, finite: true);
            CompareReduce(device, ReduceOp.Sum, dtype, 5, 33 * 1024, finite: true);
            CompareReduce(device, ReduceOp.Sum, dtype, 0, 10, finite: true);
            CompareReduce(device, ReduceOp.Sum, dtype, 1000, 3, finite: true);
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public void MatMulMatchesReferenceForEveryDtypeAndShape(string backend)
    {
        var device = ConformanceBackends.Open(backend);
        int[][] shapes = [[1, 1, 1, 1], [1, 3, 0, 4], [2, 5, 7, 3], [1, 17, 33, 65], [3, 1, 257, 1], [1, 64, 300, 48], [2, 0, 4, 5], [1, 130, 33, 129], [2, 65, 16, 64]];
        foreach (var dtype in ComputeTypes)
        {
            foreach (var s in shapes)
            {
                int batch = s[0], m = s[1], k = s[2], n = s[3];
                var (ar, ad) = Bits.Both(Reference, device, Bits.Host(dtype, batch * m * k, m + k, finite: true), dtype);
                var (br, bd) = Bits.Both(Reference, device, Bits.Host(dtype, batch * k * n, k + n, finite: true), dtype);
                var yr = Reference.Allocate(dtype, batch * m * n);
                var yd = device.Allocate(dtype, batch * m * n);
                Reference.MatMul(ar, br, yr, batch, m, k, n);
                device.MatMul(ad, bd, yd, batch, m, k, n);
                Bits.Same(Reference.ToHost(yr), device.ToHost(yd), $"{device.Name}: matmul {dtype} {string.Join('x', s)}");
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public void Conv2dAndItsGradientsMatchReferenceForEveryFloatDtypeAndGeometry(string backend)
    {
        var device = ConformanceBackends.Open(backend);
        ConvGeometry[] shapes =
        [
            ConvGeometry.Create("t", [2, 3, 7, 6], [4, 3, 3, 3], [1, 1], [1, 1, 1, 1], [1, 1], 1),
            ConvGeometry.Create("t", [1, 4, 9, 8], [6, 2, 3, 2], [2, 1], [0, 1, 2, 0], [2, 1], 2),
            ConvGeometry.Create("t", [2, 5, 6, 6], [5, 1, 3, 3], [1, 2], [1, 1, 1, 1], [1, 1], 5),
            ConvGeometry.Create("t", [1, 20, 17, 17], [100, 20, 1, 1], [1, 1], [0, 0, 0, 0], [1, 1], 1),
            ConvGeometry.Create("t", [0, 2, 4, 4], [3, 2, 3, 3], [1, 1], [1, 1, 1, 1], [1, 1], 1),
        ];
        foreach (var dtype in FloatTypes)
        {
            foreach (var g in shapes)
            {
                foreach (var pass in Enum.GetValues<ConvPass>())
                {
                    var (la, lb, ly) = pass switch
                    {
                        ConvPass.Forward => (g.XLength, g.WLength, g.YLength),
                        ConvPass.InputGrad => (g.YLength, g.WLength, g.XLength),
                        _ => (g.YLength, g.XLength, g.WLength),
                    };
                    var (ar, ad) = Bits.Both(Reference, device, Bits.Host(dtype, la, la + 3, finite: true), dtype);
                    var (br, bd) = Bits.Both(Reference, device, Bits.Host(dtype, lb, lb + 5, finite: true), dtype);
                    var yr = Reference.Allocate(dtype, ly);
                    var yd = device.Allocate(dtype, ly);
                    Reference.Conv2d(pass, ar, br, yr, g);
                    device.Conv2d(pass, ad, bd, yd, g);
                    Bits.Same(Reference.ToHost(yr), device.ToHost(yd), $"{device.Name}: conv2d {pass} {dtype} {g}");
                }
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public void Pool2dAndItsGradientsMatchReferenceForEveryFloatDtypeAndGeometry(string backend)
    {
        var device = ConformanceBackends.Open(backend);
        PoolGeometry[] shapes =
        [
            PoolGeometry.Create("t", [2, 3, 11, 10], [3, 3], [2, 2], [1, 1, 1, 1], [1, 1], [0, 0, 0, 0]),
            PoolGeometry.Create("t", [1, 4, 9, 8], [2, 3], [1, 2], [0, 1, 1, 2], [2, 1], [0, 1, 1, 0]),
            PoolGeometry.Create("t", [2, 2, 7, 7], [7, 7], [1, 1], [0, 0, 0, 0], [1, 1], [0, 0, 0, 0]),
            PoolGeometry.Create("t", [1, 2, 8, 8], [3, 3], [2, 2], [1, 1, 2, 2], [1, 1], [1, 1, 1, 1]),
            PoolGeometry.Create("t", [0, 2, 4, 4], [2, 2], [2, 2], [0, 0, 0, 0], [1, 1], [0, 0, 0, 0]),
        ];
        foreach (var dtype in FloatTypes)
        {
            foreach (var g in shapes)
            {
                foreach (var pass in Enum.GetValues<PoolPass>())
                {
                    bool forward = pass is PoolPass.Max or PoolPass.Avg;
                    int la = forward ? g.XLength : g.YLength;
                    int ly = forward ? g.YLength : g.XLength;
                    var (ar, ad) = Bits.Both(Reference, device, Bits.Host(dtype, la, la + 3), dtype);
                    var (br, bd) = Bits.Both(Reference, device, Bits.Host(dtype, g.XLength, g.XLength + 5), dtype);
                    var yr = Reference.Allocate(dtype, ly);
                    var yd = device.Allocate(dtype, ly);
                    Reference.Pool2d(pass, ar, br, yr, g);
                    device.Pool2d(pass, ad, bd, yd, g);
                    Bits.Same(Reference.ToHost(yr), device.ToHost(yd), $"{device.Name}: pool2d {pass} {dtype} {g}");
                }
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public void GatherIndexAddAndScatterAddMatchReference(string backend)
    {
        var device = ConformanceBackends.Open(backend);
        int outer = 3, axisLen = 7, inner = 5;
        int[] index = [6, 0, 0, 3, 6, 6, 1, 2, 0];
        var (ir, id) = Bits.Both(Reference, device, index, DType.Int32);
        foreach (var dtype in DTypes.Values)
        {
            var (xr, xd) = Bits.Both(Reference, device, Bits.Host(dtype, outer * axisLen * inner, 11), dtype);
            var gr = Reference.Allocate(dtype, outer * index.Length * inner);
            var gd = device.Allocate(dtype, outer * index.Length * inner);
            Reference.Gather(xr, outer, axisLen, inner, ir, gr);
            device.Gather(xd, outer, axisLen, inner, id, gd);
            Bits.Same(Reference.ToHost(gr), device.ToHost(gd), $"{device.Name}: gather {dtype}");
        }

        foreach (var dtype in ComputeTypes)
        {
            var hy = Bits.Host(dtype, outer * axisLen * inner, 12, finite: true);
            var hs = Bits.Host(dtype, outer * index.Length * inner, 13, finite: true);
            var (yr, yd) = Bits.Both(Reference, device, hy, dtype);
            var (sr, sd) = Bits.Both(Reference, device, hs, dtype);
            Reference.IndexAdd(yr, outer, axisLen, inner, ir, sr);
            device.IndexAdd(yd, outer, axisLen, inner, id, sd);
            Bits.Same(Reference.ToHost(yr), device.ToHost(yd), $"{device.Name}: index_add {dtype}");

            int len = 4;
            var scatterIndex = Enumerable.Range(0, outer * len * inner).Select(i => (i * 5 % 7 + (i / 3)) % axisLen).ToArray();
            var (sir, sid) = Bits.Both(Reference, device, scatterIndex, DType.Int32);
            var (zr, zd) = Bits.Both(Reference, device, hy, dtype);
            var (tr, td) = Bits.Both(Reference, device, Bits.Host(dtype, outer * len * inner, 14, finite: true), dtype);
            Reference.ScatterAdd(zr, outer, axisLen, inner, sir, tr, len);
            device.ScatterAdd(zd, outer, axisLen, inner, sid, td, len);
            Bits.Same(Reference.ToHost(zr), device.ToHost(zd), $"{device.Name}: scatter_add {dtype}");
        }

        var bad = device.FromHost(new[] { 0, 7 }, DType.Int32);
        Assert.Throws<IndexOutOfRangeException>(() => device.Gather(device.Allocate(DType.Float32, 7), 1, 7, 1, bad, device.Allocate(DType.Float32, 2)));
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public void RandomDrawsMatchReferenceForEveryKind(string backend)
    {
        var device = ConformanceBackends.Open(backend);
        foreach (int n in new[] { 0, 1, 3, 257, 5001 })
        {
            foreach (var (kind, dtype) in new[] { (RandomKind.Bits, DType.Int32), (RandomKind.Uniform, DType.Float32), (RandomKind.Uniform, DType.Float64), (RandomKind.Normal, DType.Float32), (RandomKind.Normal, DType.Float64) })
            {
                var yr = Reference.Allocate(dtype, n);
                var yd = device.Allocate(dtype, n);
                Reference.Random(kind, yr, 42, 7);
                device.Random(kind, yd, 42, 7);
                Bits.Same(Reference.ToHost(yr), device.ToHost(yd), $"{device.Name}: random {kind} {dtype} n={n}");
            }
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Backends))]
    public void TensorProgramsGiveTheSameHashes(string backend)
    {
        var device = ConformanceBackends.Open(backend);
        string Run(Backend on)
        {
            using var scope = Settings.UseBackend(on);
            var g = new Generator(3);
            var x = Tensor.Randn([16, 40], g);
            var w = Tensor.Randn([40, 10], g).Mul(0.1);
            var b = Tensor.Rand([10], g);
            var logits = x.MatMul(w).Add(b).Relu();
            var lsm = logits.LogSoftmax(1);
            var soft = logits.Softmax(1);
            var v = x.Var([1], keepdim: true);
            var half = x.To(DType.BFloat16).Exp().To(DType.Float32).Sum(0);
            var f16 = x.To(DType.Float16).Tanh().Mean([0, 1]);
            var argmax = logits.ArgMax(1);
            var t = x.Transpose().Contiguous().Sigmoid().Sum(1);
            var parts = new[] { lsm, soft, v, half, f16, argmax, t, x.Gelu().Max(1), x.Pow(2.0).Sqrt().Log() };
            return string.Join(",", parts.Select(p => p.ContentHash()));
        }

        Assert.Equal(Run(Reference), Run(device));
    }

    private static void CompareBinary(Backend device, BinaryOp op, DType dtype, Array ha, Array hb, int[] sa, int[] sb, int[] shape)
    {
        var (ar, ad) = Bits.Both(Reference, device, ha, dtype);
        var (br, bd) = Bits.Both(Reference, device, hb, dtype);
        var ea = ShapeUtil.BroadcastStrides("test", sa, ShapeUtil.ContiguousStrides(sa), shape);
        var eb = ShapeUtil.BroadcastStrides("test", sb, ShapeUtil.ContiguousStrides(sb), shape);
        int n = ShapeUtil.Numel(shape);
        var yr = Reference.Allocate(dtype, n);
        var yd = device.Allocate(dtype, n);
        Reference.Binary(op, new View(ar, shape, ea, 0), new View(br, shape, eb, 0), yr, shape);
        device.Binary(op, new View(ad, shape, ea, 0), new View(bd, shape, eb, 0), yd, shape);
        Bits.Same(Reference.ToHost(yr), device.ToHost(yd), $"{device.Name}: {op} {dtype} {string.Join("x", sa)} {string.Join("x", sb)}");
    }

    private static void CompareReduce(Backend device, ReduceOp op, DType dtype, int rows, int n, bool finite)
    {
        var (xr, xd) = Bits.Both(Reference, device, Bits.Host(dtype, rows * n, rows + n + (int)op, finite), dtype);
        var outType = op is ReduceOp.ArgMax or ReduceOp.ArgMin ? DType.Int32 : dtype;
        var yr = Reference.Allocate(outType, rows);
        var yd = device.Allocate(outType, rows);
        Reference.Reduce(op, xr, rows, n, yr);
        device.Reduce(op, xd, rows, n, yd);
        Bits.Same(Reference.ToHost(yr), device.ToHost(yd), $"{device.Name}: {op} {dtype} rows={rows} n={n} finite={finite}");
    }
}
