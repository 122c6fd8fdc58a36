using Repro.Engine;
using Repro.Engine.Backends;

namespace Repro.Diffing.Tests;

/// <summary>
/// Test-only backends that change exactly one op of <see cref="PlantedWorkload"/> on purpose, picked by a shape that
/// only that op has, so that re-running the op alone (the differ's origin check) reproduces the change.
/// </summary>
internal sealed class PlantedBackend : ManagedBackend
{
    private PlantedBackend(string kind) => Kind = kind;

    public string Kind { get; }

    public override string Name => "planted-" + Kind;

    public static PlantedBackend Get(string kind)
    {
        var backend = new PlantedBackend(kind);
        Settings.RegisterBackend(backend.Name, () => backend);
        return backend;
    }

    // A sequential sum instead of the chunked-lane order, for rows of 37 (the workload's row sum).
    protected override void ReduceCore(ReduceOp op, Storage x, int rows, int n, Storage y)
    {
        base.ReduceCore(op, x, rows, n, y);
        if (Kind == "sum-order" && op == ReduceOp.Sum && n == PlantedWorkload.Cols && x.DType == DType.Float32)
        {
            var xs = (float[])((HostStorage)x).Data;
            var ys = (float[])((HostStorage)y).Data;
            for (int r = 0; r < rows; r++)
            {
                float acc = 0f;
                for (int i = 0; i < n; i++)
                {
                    acc += xs[(r * n) + i];
                }

                ys[r] = acc;
            }
        }
    }

    // Separately rounded multiply and add instead of a fused multiply-add, for the [6,37] x [37,19] matmul.
    protected override void MatMulCore(Storage a, Storage b, Storage y, int batch, int m, int k, int n)
    {
        base.MatMulCore(a, b, y, batch, m, k, n);
        if (Kind == "unfused-matmul" && n == PlantedWorkload.Hidden && y.DType == DType.Float32)
        {
            var af = (float[])((HostStorage)a).Data;
            var bf = (float[])((HostStorage)b).Data;
            var yf = (float[])((HostStorage)y).Data;
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    float acc = 0f;
                    for (int q = 0; q < k; q++)
                    {
                        float p = af[(i * k) + q] * bf[(q * n) + j];
                        acc += p;
                    }

                    yf[(i * n) + j] = acc;
                }
            }
        }
    }

    // exp one ulp up, and subnormal products flushed to zero, each for its one op in the workload.
    protected override void UnaryCore(UnaryOp op, Storage x, Storage y)
    {
        base.UnaryCore(op, x, y);
        if (Kind == "exp-ulp" && op == UnaryOp.Exp && x.Length == PlantedWorkload.Rows * PlantedWorkload.Hidden && y.DType == DType.Float32)
        {
            var ys = (float[])((HostStorage)y).Data;
            for (int i = 0; i < ys.Length; i++)
            {
                ys[i] = MathF.BitIncrement(ys[i]);
            }
        }
    }

    protected override void BinaryCore(BinaryOp op, in View a, in View b, Storage y, int[] shape)
    {
        base.BinaryCore(op, a, b, y, shape);
        if (Kind == "flush-subnormals" && op == BinaryOp.Mul && y.Length == PlantedWorkload.Rows * PlantedWorkload.Cols && y.DType == DType.Float32)
        {
            var ys = (float[])((HostStorage)y).Data;
            for (int i = 0; i < ys.Length; i++)
            {
                if (float.IsSubnormal(ys[i]))
                {
                    ys[i] = 0f;
                }
            }
        }
    }

    // scatter_add that drops the last contribution along the axis.
    protected override void ScatterAddCore(Storage y, int outer, int axisLen, int inner, Storage index, Storage src, int len)
    {
        if (Kind != "dropped-scatter-add")
        {
            base.ScatterAddCore(y, outer, axisLen, inner, index, src, len);
            return;
        }

        var idx = (int[])((HostStorage)index).Data;
        var ys = (float[])((HostStorage)y).Data;
        var ss = (float[])((HostStorage)src).Data;
        for (int o = 0; o < outer; o++)
        {
            for (int l = 0; l < len - 1; l++)
            {
                for (int j = 0; j < inner; j++)
                {
                    int si = (((o * len) + l) * inner) + j;
                    ys[(((o * axisLen) + idx[si]) * inner) + j] += ss[si];
                }
            }
        }
    }

    // index_add that drops the last contribution.
    protected override void IndexAddCore(Storage y, int outer, int axisLen, int inner, Storage index, Storage src)
    {
        if (Kind != "dropped-index-add")
        {
            base.IndexAddCore(y, outer, axisLen, inner, index, src);
            return;
        }

        var idx = (int[])((HostStorage)index).Data;
        var ys = (float[])((HostStorage)y).Data;
        var ss = (float[])((HostStorage)src).Data;
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < idx.Length - 1; i++)
            {
                for (int j = 0; j < inner; j++)
                {
                    ys[(((o * axisLen) + idx[i]) * inner) + j] += ss[(((o * idx.Length) + i) * inner) + j];
                }
            }
        }
    }
}

/// <summary>A small program whose ops each have a shape of their own, so a planted change hits exactly one op.</summary>
internal static class PlantedWorkload
{
    public const int Rows = 6;
    public const int Cols = 37;
    public const int Hidden = 19;

    /// <summary>Source lines of the ops the plants target, filled in by <see cref="Run"/>.</summary>
    public static readonly Dictionary<string, int> Lines = [];

    public static void Run(DType dtype = DType.Float32)
    {
        using var model = Dispatcher.Module(string.Empty, "PlantedModel");
        var g = new Generator(11);
        var x = Tensor.Randn([Rows, Cols], g, dtype);
        var w = Tensor.Randn([Cols, Hidden], g, dtype) * 0.3;
        Lines["sum"] = Line(); var rowSums = x.Sum(1);
        Lines["matmul"] = Line(); var h = x.MatMul(w);
        var head = Dispatcher.Module("head", "Head");
        Lines["exp"] = Line(); var e = (h * 0.1).Exp();
        head.Dispose();
        Lines["mul"] = Line(); var tiny = x.Mul(1e-39);
        var idx = Tensor.FromArray(new[] { 2, 0, 2, 3, 1, 2 }, [Rows]);
        Lines["index_add"] = Line(); var pooled = Tensor.Zeros([4, Hidden], dtype).IndexAdd(0, idx, h);
        var buckets = Tensor.FromArray([.. Enumerable.Range(0, Rows * Hidden).Select(i => i * 7 % 5)], [Rows, Hidden]);
        Lines["scatter_add"] = Line(); var scattered = Tensor.Zeros([Rows, 5], dtype).ScatterAdd(1, buckets, h);
        var loss = rowSums.Sum() + e.Sum() + (tiny.Sum() * 1e38) + pooled.Square().Mean() + scattered.Sum();
        _ = loss.Sigmoid();
    }

    private static int Line([System.Runtime.CompilerServices.CallerLineNumber] int line = 0) => line;
}
