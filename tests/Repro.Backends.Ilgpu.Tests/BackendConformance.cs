using Repro.Engine;
using Repro.Engine.Backends;

namespace Repro.Backends.Ilgpu.Tests;

/// <summary>
/// The primitive suite, written once and run per ILGPU accelerator: every primitive, every dtype it accepts, on
/// lengths 0..257 and across chunk boundaries (1023, 1024, 1025, 5000), compared bit for bit with
/// <see cref="ManagedBackend"/>. Derived classes pick the device and skip when it is absent.
/// </summary>
public abstract class BackendConformance
{
    private static readonly int[] Lengths = [.. Enumerable.Range(0, 258), 1023, 1024, 1025, 5000];
    private static readonly DType[] FloatTypes = [DType.Float32, DType.Float64];
    private static readonly DType[] ComputeTypes = [DType.Float32, DType.Float64, DType.Int32];

    /// <summary>The backend under test; calls <c>Skip</c> when its device is absent.</summary>
    protected abstract Backend Device { get; }

    private static ManagedBackend Managed => ManagedBackend.Instance;

    [SkippableFact]
    public void UnaryMatchesManagedForEveryOpDtypeAndLength()
    {
        var device = Device;
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
                    var (xm, xd) = Bits.Both(device, Bits.Host(dtype, n, n + (int)op), dtype);
                    var ym = Managed.Allocate(dtype, n);
                    var yd = device.Allocate(dtype, n);
                    Managed.Unary(op, xm, ym);
                    device.Unary(op, xd, yd);
                    Bits.Same(Managed.ToHost(ym), device.ToHost(yd), $"{op} {dtype} n={n}");
                }
            }
        }
    }

    [SkippableFact]
    public void BinaryMatchesManagedForEveryOpDtypeAndLength()
    {
        var device = Device;
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

    [SkippableFact]
    public void BinaryBroadcastsAndStridesLikeManaged()
    {
        var device = Device;
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
        var (xm, xd) = Bits.Both(device, hx, DType.Float32);
        int[] shape = [35, 6];
        int[] tStrides = [1, 35];
        var (bm, bd) = Bits.Both(device, Bits.Host(DType.Float32, 6, 10), DType.Float32);
        var ym = Managed.Allocate(DType.Float32, 210);
        var yd = device.Allocate(DType.Float32, 210);
        Managed.Binary(BinaryOp.Div, new View(xm, shape, tStrides, 0), new View(bm, shape, [0, 1], 0), ym, shape);
        device.Binary(BinaryOp.Div, new View(xd, shape, tStrides, 0), new View(bd, shape, [0, 1], 0), yd, shape);
        Bits.Same(Managed.ToHost(ym), device.ToHost(yd), "transposed div");
    }

    [SkippableFact]
    public void IntegerDivisionByZeroIsAnErrorOnBothBackends()
    {
        var device = Device;
        var (am, ad) = Bits.Both(device, new[] { 1, 2, 3 }, DType.Int32);
        var (bm, bd) = Bits.Both(device, new[] { 1, 0, 3 }, DType.Int32);
        var em = Assert.Throws<DivideByZeroException>(() => Managed.Binary(BinaryOp.Div, View.Contiguous(am, [3]), View.Contiguous(bm, [3]), Managed.Allocate(DType.Int32, 3), [3]));
        var ed = Assert.Throws<DivideByZeroException>(() => device.Binary(BinaryOp.Div, View.Contiguous(ad, [3]), View.Contiguous(bd, [3]), device.Allocate(DType.Int32, 3), [3]));
        Assert.Equal(em.Message, ed.Message);
    }

    [SkippableFact]
    public void CastMatchesManagedForEveryDtypePair()
    {
        var device = Device;
        foreach (var from in DTypes.Values)
        {
            foreach (var to in DTypes.Values)
            {
                foreach (int n in new[] { 0, 1, 31, 257, 5000 })
                {
                    var (xm, xd) = Bits.Both(device, Bits.Host(from, n, n + 3), from);
                    var ym = Managed.Allocate(to, n);
                    var yd = device.Allocate(to, n);
                    Managed.Cast(xm, ym);
                    device.Cast(xd, yd);
                    Bits.Same(Managed.ToHost(ym), device.ToHost(yd), $"cast {from}->{to} n={n}");
                }
            }
        }
    }

    [SkippableFact]
    public void FillAndAllocateMatchManagedForEveryDtype()
    {
        var device = Device;
        foreach (var dtype in DTypes.Values)
        {
            Bits.Same(Managed.ToHost(Managed.Allocate(dtype, 9)), device.ToHost(device.Allocate(dtype, 9)), $"zeros {dtype}");
            foreach (double v in new[] { 0.0, -0.0, 1.5, -7.25, 1e-30, 3e38, 1e300, double.NaN, double.NegativeInfinity, 65519.0, 65520.0, 2147483648.0, -1.7 })
            {
                var ym = Managed.Allocate(dtype, 1025);
                var yd = device.Allocate(dtype, 1025);
                Managed.Fill(ym, v);
                device.Fill(yd, v);
                Bits.Same(Managed.ToHost(ym), device.ToHost(yd), $"fill {dtype} {v}");
            }
        }
    }

    [SkippableFact]
    public void StridedCopyMatchesManagedForEveryDtype()
    {
        var device = Device;
        foreach (var dtype in DTypes.Values)
        {
            var (xm, xd) = Bits.Both(device, Bits.Host(dtype, 4 * 5 * 6, 4), dtype);
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
                var ym = Managed.Allocate(dtype, n);
                var yd = device.Allocate(dtype, n);
                Managed.Copy(new View(xm, shape, strides, offset), View.Contiguous(ym, shape));
                device.Copy(new View(xd, shape, strides, offset), View.Contiguous(yd, shape));
                Bits.Same(Managed.ToHost(ym), device.ToHost(yd), $"copy {dtype} {string.Join("x", shape)}");
            }
        }
    }

    [SkippableFact]
    public void WhereMatchesManagedForEveryConditionDtype()
    {
        var device = Device;
        int[] shape = [4, 1, 33];
        int[] outShape = [4, 5, 33];
        foreach (var condType in DTypes.Values)
        {
            foreach (var dtype in ComputeTypes)
            {
                var (cm, cd) = Bits.Both(device, Bits.Host(condType, 4 * 33, 5), condType);
                var (am, ad) = Bits.Both(device, Bits.Host(dtype, 5 * 33, 6), dtype);
                var (bm, bd) = Bits.Both(device, Bits.Host(dtype, 1, 7), dtype);
                int n = ShapeUtil.Numel(outShape);
                var ym = Managed.Allocate(dtype, n);
                var yd = device.Allocate(dtype, n);
                int[] cStr = [33, 0, 1];
                int[] aStr = [0, 33, 1];
                int[] bStr = [0, 0, 0];
                Managed.Where(new View(cm, outShape, cStr, 0), new View(am, outShape, aStr, 0), new View(bm, outShape, bStr, 0), ym, outShape);
                device.Where(new View(cd, outShape, cStr, 0), new View(ad, outShape, aStr, 0), new View(bd, outShape, bStr, 0), yd, outShape);
                Bits.Same(Managed.ToHost(ym), device.ToHost(yd), $"where cond={condType} {dtype} {string.Join("x", shape)}");
            }
        }
    }

    [SkippableFact]
    public void ReductionsMatchManagedForEveryOpDtypeAndLength()
    {
        var device = Device;
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

    [SkippableFact]
    public void SumsOfLongRowsMatchManagedAcrossManyChunks()
    {
        var device = Device;
        foreach (var dtype in FloatTypes)
        {
            CompareReduce(device, ReduceOp.Sum, dtype, 1, 1_000_003, finite: true);
            CompareReduce(device, ReduceOp.Sum, dtype, 5, 33 * 1024, finite: true);
            CompareReduce(device, ReduceOp.Sum, dtype, 0, 10, finite: true);
            CompareReduce(device, ReduceOp.Sum, dtype, 1000, 3, finite: true);
        }
    }

    [SkippableFact]
    public void MatMulMatchesManagedForEveryDtypeAndShape()
    {
        var device = Device;
        int[][] shapes = [[1, 1, 1, 1], [1, 3, 0, 4], [2, 5, 7, 3], [1, 17, 33, 65], [3, 1, 257, 1], [1, 64, 300, 48], [2, 0, 4, 5], [1, 130, 33, 129], [2, 65, 16, 64]];
        foreach (var dtype in ComputeTypes)
        {
            foreach (var s in shapes)
            {
                int batch = s[0], m = s[1], k = s[2], n = s[3];
                var (am, ad) = Bits.Both(device, Bits.Host(dtype, batch * m * k, m + k, finite: true), dtype);
                var (bm, bd) = Bits.Both(device, Bits.Host(dtype, batch * k * n, k + n, finite: true), dtype);
                var ym = Managed.Allocate(dtype, batch * m * n);
                var yd = device.Allocate(dtype, batch * m * n);
                Managed.MatMul(am, bm, ym, batch, m, k, n);
                device.MatMul(ad, bd, yd, batch, m, k, n);
                Bits.Same(Managed.ToHost(ym), device.ToHost(yd), $"matmul {dtype} {string.Join('x', s)}");
            }
        }
    }

    [SkippableFact]
    public void GatherIndexAddAndScatterAddMatchManaged()
    {
        var device = Device;
        int outer = 3, axisLen = 7, inner = 5;
        int[] index = [6, 0, 0, 3, 6, 6, 1, 2, 0];
        var (im, id) = Bits.Both(device, index, DType.Int32);
        foreach (var dtype in DTypes.Values)
        {
            var (xm, xd) = Bits.Both(device, Bits.Host(dtype, outer * axisLen * inner, 11), dtype);
            var gm = Managed.Allocate(dtype, outer * index.Length * inner);
            var gd = device.Allocate(dtype, outer * index.Length * inner);
            Managed.Gather(xm, outer, axisLen, inner, im, gm);
            device.Gather(xd, outer, axisLen, inner, id, gd);
            Bits.Same(Managed.ToHost(gm), device.ToHost(gd), $"gather {dtype}");
        }

        foreach (var dtype in ComputeTypes)
        {
            var hy = Bits.Host(dtype, outer * axisLen * inner, 12, finite: true);
            var hs = Bits.Host(dtype, outer * index.Length * inner, 13, finite: true);
            var (ym, yd) = Bits.Both(device, hy, dtype);
            var (sm, sd) = Bits.Both(device, hs, dtype);
            Managed.IndexAdd(ym, outer, axisLen, inner, im, sm);
            device.IndexAdd(yd, outer, axisLen, inner, id, sd);
            Bits.Same(Managed.ToHost(ym), device.ToHost(yd), $"index_add {dtype}");

            int len = 4;
            var scatterIndex = Enumerable.Range(0, outer * len * inner).Select(i => (i * 5 % 7 + (i / 3)) % axisLen).ToArray();
            var (sim, sid) = Bits.Both(device, scatterIndex, DType.Int32);
            var (zm, zd) = Bits.Both(device, hy, dtype);
            var (tm, td) = Bits.Both(device, Bits.Host(dtype, outer * len * inner, 14, finite: true), dtype);
            Managed.ScatterAdd(zm, outer, axisLen, inner, sim, tm, len);
            device.ScatterAdd(zd, outer, axisLen, inner, sid, td, len);
            Bits.Same(Managed.ToHost(zm), device.ToHost(zd), $"scatter_add {dtype}");
        }

        var bad = device.FromHost(new[] { 0, 7 }, DType.Int32);
        Assert.Throws<IndexOutOfRangeException>(() => device.Gather(device.Allocate(DType.Float32, 7), 1, 7, 1, bad, device.Allocate(DType.Float32, 2)));
    }

    [SkippableFact]
    public void RandomDrawsMatchManagedForEveryKind()
    {
        var device = Device;
        foreach (int n in new[] { 0, 1, 3, 257, 5001 })
        {
            foreach (var (kind, dtype) in new[] { (RandomKind.Bits, DType.Int32), (RandomKind.Uniform, DType.Float32), (RandomKind.Uniform, DType.Float64), (RandomKind.Normal, DType.Float32), (RandomKind.Normal, DType.Float64) })
            {
                var ym = Managed.Allocate(dtype, n);
                var yd = device.Allocate(dtype, n);
                Managed.Random(kind, ym, 42, 7);
                device.Random(kind, yd, 42, 7);
                Bits.Same(Managed.ToHost(ym), device.ToHost(yd), $"random {kind} {dtype} n={n}");
            }
        }
    }

    [SkippableFact]
    public void TensorProgramsGiveTheSameHashes()
    {
        var device = Device;
        string Run(Backend backend)
        {
            using var scope = Settings.UseBackend(backend);
            var g = new Generator(3);
            var x = Tensor.Randn([16, 40], g);
            var w = Tensor.Randn([40, 10], g).Mul(0.1);
            var b = Tensor.Rand([10], g);
            var logits = x.MatMul(w).Add(b).Relu();
            var lsm = logits.LogSoftmax(1);
            var sm = logits.Softmax(1);
            var v = x.Var([1], keepdim: true);
            var half = x.To(DType.BFloat16).Exp().To(DType.Float32).Sum(0);
            var f16 = x.To(DType.Float16).Tanh().Mean([0, 1]);
            var am = logits.ArgMax(1);
            var t = x.Transpose().Contiguous().Sigmoid().Sum(1);
            var parts = new[] { lsm, sm, v, half, f16, am, t, x.Gelu().Max(1), x.Pow(2.0).Sqrt().Log() };
            return string.Join(",", parts.Select(p => p.ContentHash()));
        }

        Assert.Equal(Run(Managed), Run(device));
    }

    private static void CompareBinary(Backend device, BinaryOp op, DType dtype, Array ha, Array hb, int[] sa, int[] sb, int[] shape)
    {
        var (am, ad) = Bits.Both(device, ha, dtype);
        var (bm, bd) = Bits.Both(device, hb, dtype);
        var ea = ShapeUtil.BroadcastStrides("test", sa, ShapeUtil.ContiguousStrides(sa), shape);
        var eb = ShapeUtil.BroadcastStrides("test", sb, ShapeUtil.ContiguousStrides(sb), shape);
        int n = ShapeUtil.Numel(shape);
        var ym = Managed.Allocate(dtype, n);
        var yd = device.Allocate(dtype, n);
        Managed.Binary(op, new View(am, shape, ea, 0), new View(bm, shape, eb, 0), ym, shape);
        device.Binary(op, new View(ad, shape, ea, 0), new View(bd, shape, eb, 0), yd, shape);
        Bits.Same(Managed.ToHost(ym), device.ToHost(yd), $"{op} {dtype} {string.Join("x", sa)} {string.Join("x", sb)}");
    }

    private static void CompareReduce(Backend device, ReduceOp op, DType dtype, int rows, int n, bool finite)
    {
        var (xm, xd) = Bits.Both(device, Bits.Host(dtype, rows * n, rows + n + (int)op, finite), dtype);
        var outType = op is ReduceOp.ArgMax or ReduceOp.ArgMin ? DType.Int32 : dtype;
        var ym = Managed.Allocate(outType, rows);
        var yd = device.Allocate(outType, rows);
        Managed.Reduce(op, xm, rows, n, ym);
        device.Reduce(op, xd, rows, n, yd);
        Bits.Same(Managed.ToHost(ym), device.ToHost(yd), $"{op} {dtype} rows={rows} n={n} finite={finite}");
    }
}
