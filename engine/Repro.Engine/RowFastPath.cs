using Repro.Engine.Backends;

namespace Repro.Engine;

/// <summary>
/// Runs softmax, log_softmax, logsumexp and layer norm as one fused managed kernel (<see cref="RowKernels"/>) where
/// nothing can see the difference from the recorded composition: no observer (recorder) is attached, no gradient is
/// being built through the input, no autocast policy decides the ops' dtypes, the tensor lives on the managed backend in float32 or float64 and the axis is the last.
/// The fused kernels compute the composition's values bit for bit, advance the op sequence by the number of ops the
/// composition would have emitted, and mark the output as made by the last of them; anything observed (a recording, a
/// training step) takes the composition, so every log and golden hash is unchanged.
/// </summary>
internal static class RowFastPath
{
    /// <summary>Ops the softmax composition emits (max, sub, exp, sum, div).</summary>
    public const int SoftmaxOps = 5;

    /// <summary>Ops the logsumexp composition emits with keepdim (max, full, sub, eq, where, sub, exp, sum, log, add).</summary>
    public const int LogSumExpOps = 10;

    /// <summary>Ops of log_softmax: logsumexp and one sub.</summary>
    public const int LogSoftmaxOps = LogSumExpOps + 1;

    /// <summary>
    /// Ops of Repro.Nn's LayerNorm: mean (sum, full, div), sub, mul, mean (sum, full, div), add eps (full, add), rsqrt,
    /// mul, mul, add.
    /// </summary>
    public const int LayerNormOps = 14;

    [ThreadStatic]
    private static bool off;

    /// <summary>Turns the fused path off on this thread (tests compare it with the composition).</summary>
    public static bool Off
    {
        get => off;
        set => off = value;
    }

    /// <summary>True when <paramref name="x"/> reduced along <paramref name="axis"/> may take a fused kernel.</summary>
    public static bool Applies(Tensor x, int axis)
    {
        if (off || Dispatcher.IsObserved || Autocast.IsActive || !ReferenceEquals(x.Backend, ManagedBackend.Instance) || x.Rank == 0)
        {
            return false;
        }

        if ((Autograd.IsEnabled && x.RequiresGrad) || x.DType is not (DType.Float32 or DType.Float64))
        {
            return false;
        }

        int a = axis < 0 ? axis + x.Rank : axis;
        return a == x.Rank - 1 && x.ShapeArray[^1] > 0;
    }

    /// <summary>Softmax over the last axis.</summary>
    public static Tensor Softmax(Tensor x)
    {
        var (src, rows, n) = Rows(x);
        var dst = (HostStorage)x.Backend.AllocateOutput(x.DType, src.Length);
        if (x.DType == DType.Float32)
        {
            RowKernels.Softmax(src.F32, dst.F32, rows, n);
        }
        else
        {
            RowKernels.Softmax(src.F64, dst.F64, rows, n);
        }

        GC.KeepAlive(src);

        return Done(new Tensor(dst, (int[])x.ShapeArray.Clone()), SoftmaxOps);
    }

    /// <summary>logsumexp over the last axis, kept as a size-1 axis; with <paramref name="logSoftmax"/>, x - logsumexp instead.</summary>
    public static Tensor LogSumExp(Tensor x, bool logSoftmax)
    {
        var (src, rows, n) = Rows(x);
        var lse = (HostStorage)x.Backend.AllocateOutput(x.DType, rows);
        var y = logSoftmax ? (HostStorage)x.Backend.AllocateOutput(x.DType, src.Length) : null;
        if (x.DType == DType.Float32)
        {
            RowKernels.LogSumExp(src.F32, lse.F32, y?.F32, rows, n);
        }
        else
        {
            RowKernels.LogSumExp(src.F64, lse.F64, y?.F64, rows, n);
        }

        GC.KeepAlive(src);

        if (y is not null)
        {
            return Done(new Tensor(y, (int[])x.ShapeArray.Clone()), LogSoftmaxOps);
        }

        int[] shape = (int[])x.ShapeArray.Clone();
        shape[^1] = 1;
        return Done(new Tensor(lse, shape), LogSumExpOps);
    }

    /// <summary>True when layer norm of <paramref name="x"/> with these parameters may take the fused kernel.</summary>
    public static bool AppliesToLayerNorm(Tensor x, Tensor gamma, Tensor beta) =>
        Applies(x, -1) && !(Autograd.IsEnabled && (gamma.RequiresGrad || beta.RequiresGrad))
        && ReferenceEquals(gamma.Backend, x.Backend) && ReferenceEquals(beta.Backend, x.Backend)
        && gamma.DType == x.DType && beta.DType == x.DType
        && gamma.Rank == 1 && beta.Rank == 1 && gamma.ShapeArray[0] == x.ShapeArray[^1] && beta.ShapeArray[0] == x.ShapeArray[^1];

    /// <summary>Repro.Nn's layer norm composition over the last axis, fused (eps converted once to the dtype).</summary>
    public static Tensor LayerNorm(Tensor x, Tensor gamma, Tensor beta, double eps)
    {
        var (src, rows, n) = Rows(x);
        var g = (HostStorage)gamma.ContiguousStorage();
        var b = (HostStorage)beta.ContiguousStorage();
        var dst = (HostStorage)x.Backend.AllocateOutput(x.DType, src.Length);
        if (x.DType == DType.Float32)
        {
            RowKernels.LayerNorm(src.F32, g.F32, b.F32, (float)eps, dst.F32, rows, n);
        }
        else
        {
            RowKernels.LayerNorm(src.F64, g.F64, b.F64, eps, dst.F64, rows, n);
        }

        GC.KeepAlive(src);
        GC.KeepAlive(g);
        GC.KeepAlive(b);

        return Done(new Tensor(dst, (int[])x.ShapeArray.Clone()), LayerNormOps);
    }

    private static (HostStorage Src, int Rows, int N) Rows(Tensor x)
    {
        var src = (HostStorage)x.ContiguousStorage();
        int n = x.ShapeArray[^1];
        return (src, src.Length / n, n);
    }

    private static Tensor Done(Tensor output, int ops)
    {
        Dispatcher.SkipUnobserved(ops, output);
        return output;
    }
}
