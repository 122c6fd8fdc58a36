using Repro.Engine.Backends;

namespace Repro.Engine;

/// <summary>Composite ops: built from primitives in the front end, so they need no kernels and no backward rules of their own.</summary>
/// <remarks>
/// Operators cannot take caller information, so the dispatcher finds their source location from the stack; each
/// operator opens a <see cref="Dispatcher.LibraryCall"/> scope so that the stack is walked once per operator call
/// (a tensor-scalar operator issues two ops) and once for a whole built-in layer or optimizer step that uses them.
/// </remarks>
public sealed partial class Tensor
{
    /// <summary>Unary minus.</summary>
    public static Tensor operator -(Tensor x)
    {
        using var caller = Dispatcher.LibraryCall();
        return OpCore.Unary(UnaryOp.Neg, x);
    }

    /// <summary>Elementwise sum.</summary>
    public static Tensor operator +(Tensor a, Tensor b)
    {
        using var caller = Dispatcher.LibraryCall();
        return OpCore.Binary(BinaryOp.Add, a, b);
    }

    /// <summary>Elementwise difference.</summary>
    public static Tensor operator -(Tensor a, Tensor b)
    {
        using var caller = Dispatcher.LibraryCall();
        return OpCore.Binary(BinaryOp.Sub, a, b);
    }

    /// <summary>Elementwise product.</summary>
    public static Tensor operator *(Tensor a, Tensor b)
    {
        using var caller = Dispatcher.LibraryCall();
        return OpCore.Binary(BinaryOp.Mul, a, b);
    }

    /// <summary>Elementwise quotient.</summary>
    public static Tensor operator /(Tensor a, Tensor b)
    {
        using var caller = Dispatcher.LibraryCall();
        return OpCore.Binary(BinaryOp.Div, a, b);
    }

    /// <summary>Tensor plus scalar.</summary>
    public static Tensor operator +(Tensor a, double b)
    {
        using var caller = Dispatcher.LibraryCall();
        return OpCore.Binary(BinaryOp.Add, a, OpCore.Scalar(a, b));
    }

    /// <summary>Scalar plus tensor.</summary>
    public static Tensor operator +(double a, Tensor b)
    {
        using var caller = Dispatcher.LibraryCall();
        return OpCore.Binary(BinaryOp.Add, OpCore.Scalar(b, a), b);
    }

    /// <summary>Tensor minus scalar.</summary>
    public static Tensor operator -(Tensor a, double b)
    {
        using var caller = Dispatcher.LibraryCall();
        return OpCore.Binary(BinaryOp.Sub, a, OpCore.Scalar(a, b));
    }

    /// <summary>Scalar minus tensor.</summary>
    public static Tensor operator -(double a, Tensor b)
    {
        using var caller = Dispatcher.LibraryCall();
        return OpCore.Binary(BinaryOp.Sub, OpCore.Scalar(b, a), b);
    }

    /// <summary>Tensor times scalar.</summary>
    public static Tensor operator *(Tensor a, double b)
    {
        using var caller = Dispatcher.LibraryCall();
        return OpCore.Binary(BinaryOp.Mul, a, OpCore.Scalar(a, b));
    }

    /// <summary>Scalar times tensor.</summary>
    public static Tensor operator *(double a, Tensor b)
    {
        using var caller = Dispatcher.LibraryCall();
        return OpCore.Binary(BinaryOp.Mul, OpCore.Scalar(b, a), b);
    }

    /// <summary>Tensor divided by scalar.</summary>
    public static Tensor operator /(Tensor a, double b)
    {
        using var caller = Dispatcher.LibraryCall();
        return OpCore.Binary(BinaryOp.Div, a, OpCore.Scalar(a, b));
    }

    /// <summary>Scalar divided by tensor.</summary>
    public static Tensor operator /(double a, Tensor b)
    {
        using var caller = Dispatcher.LibraryCall();
        return OpCore.Binary(BinaryOp.Div, OpCore.Scalar(b, a), b);
    }

    /// <summary>Copies the tensor to another backend (a new tensor; recorded as "to_backend").</summary>
    public Tensor To(Backend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (ReferenceEquals(backend, Backend))
        {
            return this;
        }

        var host = ToHostArray();
        var t = new Tensor(backend.FromHost(host, DType), (int[])ShapeArray.Clone());
        return OpCore.Emit1(OpTable.ToBackend, OpAttributes.Of(("backend", backend.Name)), [this], t);
    }

    private static Tensor Rng(RandomKind kind, int[] shape, Generator? generator, DType dtype, Backend? backend)
    {
        var g = generator ?? Generator.Default;
        return OpCore.Random(kind, shape, dtype, g.Seed, g.NextStream(), backend ?? Settings.DefaultBackend);
    }

    private int[] SwapDims(int axis0, int axis1)
    {
        int a = ShapeUtil.NormalizeAxis("transpose", axis0, Rank);
        int b = ShapeUtil.NormalizeAxis("transpose", axis1, Rank);
        var dims = Enumerable.Range(0, Rank).ToArray();
        (dims[a], dims[b]) = (dims[b], dims[a]);
        return dims;
    }

    private int[] FlattenShape(int start, int end)
    {
        if (Rank == 0)
        {
            return [1];
        }

        int s = ShapeUtil.NormalizeAxis("flatten", start, Rank);
        int e = ShapeUtil.NormalizeAxis("flatten", end, Rank);
        if (e < s)
        {
            throw Throw.Arg("flatten", $"end axis {end} comes before start axis {start}");
        }

        var shape = new List<int>();
        shape.AddRange(ShapeArray.Take(s));
        shape.Add(ShapeArray.Skip(s).Take(e - s + 1).Aggregate(1, (x, y) => x * y));
        shape.AddRange(ShapeArray.Skip(e + 1));
        return [.. shape];
    }

    private int CountOver(int[]? axes)
    {
        var ax = OpCore.Axes("mean", axes, Rank);
        return ax.Aggregate(1, (n, a) => n * ShapeArray[a]);
    }

    private Tensor MeanCore(int[]? axes, bool keepdim)
    {
        if (!DType.IsFloat())
        {
            throw Throw.DType("mean", "a float dtype", DType);
        }

        int n = CountOver(axes);
        return OpCore.Binary(BinaryOp.Div, OpCore.Reduce(ReduceOp.Sum, this, axes, keepdim), OpCore.Scalar(this, n));
    }

    private Tensor VarCore(int[]? axes, bool keepdim, int correction)
    {
        int n = CountOver(axes);
        var centered = OpCore.Binary(BinaryOp.Sub, this, MeanCore(axes, keepdim: true));
        var sq = OpCore.Binary(BinaryOp.Mul, centered, centered);
        return OpCore.Binary(BinaryOp.Div, OpCore.Reduce(ReduceOp.Sum, sq, axes, keepdim), OpCore.Scalar(this, Math.Max(n - correction, 0)));
    }

    private Tensor LogSumExpCore(int axis, bool keepdim)
    {
        if (RowFastPath.Applies(this, axis))
        {
            var fused = RowFastPath.LogSumExp(this, logSoftmax: false);
            return keepdim ? fused : OpCore.Squeeze(fused, axis);
        }

        // Shift by the row maximum; rows whose maximum is infinite shift by 0 so that all -inf rows give -inf, not NaN.
        // m - m is 0 exactly when m is finite (NaN for infinities and NaN), so no infinite constant is needed.
        var m = OpCore.Reduce(ReduceOp.Max, this, [axis], keepdim: true);
        var zero = OpCore.Scalar(m, 0.0);
        var finite = OpCore.Binary(BinaryOp.Eq, OpCore.Binary(BinaryOp.Sub, m, m), zero);
        var shift = OpCore.Where(finite, m, zero);
        var s = OpCore.Reduce(ReduceOp.Sum, OpCore.Unary(UnaryOp.Exp, OpCore.Binary(BinaryOp.Sub, this, shift)), [axis], keepdim: true);
        var r = OpCore.Binary(BinaryOp.Add, OpCore.Unary(UnaryOp.Log, s), shift);
        return keepdim ? r : OpCore.Squeeze(r, axis);
    }

    private Tensor SoftmaxCore(int axis)
    {
        if (RowFastPath.Applies(this, axis))
        {
            return RowFastPath.Softmax(this);
        }

        var m = OpCore.Reduce(ReduceOp.Max, this, [axis], keepdim: true);
        var e = OpCore.Unary(UnaryOp.Exp, OpCore.Binary(BinaryOp.Sub, this, m));
        return OpCore.Binary(BinaryOp.Div, e, OpCore.Reduce(ReduceOp.Sum, e, [axis], keepdim: true));
    }
}
