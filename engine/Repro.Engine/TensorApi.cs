using System.Runtime.CompilerServices;
using Repro.Engine.Backends;

namespace Repro.Engine;

// Generated shape: every public op opens a source-location scope (the outermost call wins) and calls OpCore.
public sealed partial class Tensor
{
    /// <summary>A tensor holding a copy of <paramref name="data"/> (row-major) with the given shape, converted to <paramref name="dtype"/> (16-bit types round to nearest even).</summary>
    public static Tensor FromArray(float[] data, int[] shape, DType dtype = DType.Float32, Backend? backend = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.FromFloats(data, dtype, shape, backend ?? Settings.DefaultBackend);
    }

    /// <summary>A float64 tensor holding a copy of <paramref name="data"/>.</summary>
    public static Tensor FromArray(double[] data, int[] shape, Backend? backend = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.FromHost((double[])data.Clone(), DType.Float64, shape, backend ?? Settings.DefaultBackend);
    }

    /// <summary>An int32 tensor holding a copy of <paramref name="data"/>.</summary>
    public static Tensor FromArray(int[] data, int[] shape, Backend? backend = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.FromHost((int[])data.Clone(), DType.Int32, shape, backend ?? Settings.DefaultBackend);
    }

    /// <summary>A tensor from raw storage-type elements (float[], double[], int[], or ushort[] bits for float16/bfloat16).</summary>
    public static Tensor FromHost(Array data, DType dtype, int[] shape, Backend? backend = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.FromHost((Array)data.Clone(), dtype, shape, backend ?? Settings.DefaultBackend);
    }

    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(int[] shape, DType dtype = DType.Float32, Backend? backend = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Full(shape, 0.0, dtype, backend ?? Settings.DefaultBackend);
    }

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(int[] shape, DType dtype = DType.Float32, Backend? backend = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Full(shape, 1.0, dtype, backend ?? Settings.DefaultBackend);
    }

    /// <summary>A tensor filled with <paramref name="value"/> (converted to the dtype).</summary>
    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32, Backend? backend = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Full(shape, value, dtype, backend ?? Settings.DefaultBackend);
    }

    /// <summary>A rank-0 tensor holding <paramref name="value"/>.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32, Backend? backend = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Full([], value, dtype, backend ?? Settings.DefaultBackend);
    }

    /// <summary>0, 1, ..., n-1.</summary>
    public static Tensor Arange(int n, DType dtype = DType.Int32, Backend? backend = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Arange(n, dtype, backend ?? Settings.DefaultBackend);
    }

    /// <summary>Uniform draws in [0, 1) from the next stream of <paramref name="generator"/> (default: <see cref="Generator.Default"/>).</summary>
    public static Tensor Rand(int[] shape, Generator? generator = null, DType dtype = DType.Float32, Backend? backend = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return Rng(RandomKind.Uniform, shape, generator, dtype, backend);
    }

    /// <summary>Standard normal draws (Box-Muller over Philox words) from the next stream of <paramref name="generator"/>.</summary>
    public static Tensor Randn(int[] shape, Generator? generator = null, DType dtype = DType.Float32, Backend? backend = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return Rng(RandomKind.Normal, shape, generator, dtype, backend);
    }

    /// <summary>
    /// A mask of ones with probability <paramref name="p"/> and zeros otherwise: rand &lt; p, drawn and compared in
    /// float32 (float64 for float64 masks) and then converted, so a 16-bit dtype gives the same mask as float32
    /// (rounding the draws and p to bfloat16 first would move draws across the threshold).
    /// </summary>
    public static Tensor Bernoulli(int[] shape, double p, Generator? generator = null, DType dtype = DType.Float32, Backend? backend = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        var drawType = dtype == DType.Float64 ? DType.Float64 : DType.Float32;
        var mask = Rng(RandomKind.Uniform, shape, generator, drawType, backend).Lt(p);
        return dtype == drawType ? mask : OpCore.Cast(mask, dtype);
    }

    /// <summary>A random permutation of 0..n-1 (int32) from the next stream of <paramref name="generator"/>.</summary>
    public static Tensor Permutation(int n, Generator? generator = null, Backend? backend = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Permutation(n, (generator ?? Generator.Default).Seed, (generator ?? Generator.Default).NextStream(), backend ?? Settings.DefaultBackend);
    }

    /// <summary>The same elements with a new shape (one extent may be -1); a view when the tensor is contiguous.</summary>
    public Tensor Reshape(int[] shape, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Reshape(this, shape);
    }

    /// <summary>Reorders the axes: result axis i is input axis dims[i]. A view.</summary>
    public Tensor Permute(int[] dims, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Permute(this, dims);
    }

    /// <summary>Swaps two axes (default: the last two). A view.</summary>
    public Tensor Transpose(int axis0 = -2, int axis1 = -1, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Permute(this, SwapDims(axis0, axis1));
    }

    /// <summary>Elements start, start+step, ... before end along <paramref name="axis"/> (negative indices count from the end). A view.</summary>
    public Tensor Slice(int axis, int start, int end, int step = 1, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Slice(this, axis, start, end, step);
    }

    /// <summary>Broadcasts size-1 axes (and new leading axes) to <paramref name="shape"/>; -1 keeps an extent. A view.</summary>
    public Tensor Expand(int[] shape, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Expand(this, shape);
    }

    /// <summary>Inserts a size-1 axis at <paramref name="axis"/>. A view.</summary>
    public Tensor Unsqueeze(int axis, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Unsqueeze(this, axis);
    }

    /// <summary>Removes the size-1 axis <paramref name="axis"/>. A view.</summary>
    public Tensor Squeeze(int axis, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Squeeze(this, axis);
    }

    /// <summary>Merges axes start..end into one.</summary>
    public Tensor Flatten(int start = 0, int end = -1, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Reshape(this, FlattenShape(start, end));
    }

    /// <summary>A contiguous copy, or the tensor itself when already contiguous.</summary>
    public Tensor Contiguous([CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Contiguous(this);
    }

    /// <summary>The elements converted to <paramref name="dtype"/> (floats to int32 truncate and saturate; NaN becomes 0; 16-bit types round to nearest even).</summary>
    public Tensor To(DType dtype, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Cast(this, dtype);
    }

    /// <summary>-x.</summary>
    public Tensor Neg([CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Unary(UnaryOp.Neg, this);
    }

    /// <summary>|x|.</summary>
    public Tensor Abs([CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Unary(UnaryOp.Abs, this);
    }

    /// <summary>e^x (Repro's own exp, the same bits everywhere).</summary>
    public Tensor Exp([CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Unary(UnaryOp.Exp, this);
    }

    /// <summary>Natural logarithm.</summary>
    public Tensor Log([CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Unary(UnaryOp.Log, this);
    }

    /// <summary>IEEE square root.</summary>
    public Tensor Sqrt([CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Unary(UnaryOp.Sqrt, this);
    }

    /// <summary>1 / sqrt(x), two correctly rounded operations.</summary>
    public Tensor Rsqrt([CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Unary(UnaryOp.Rsqrt, this);
    }

    /// <summary>Hyperbolic tangent.</summary>
    public Tensor Tanh([CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Unary(UnaryOp.Tanh, this);
    }

    /// <summary>1 / (1 + e^-x).</summary>
    public Tensor Sigmoid([CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Unary(UnaryOp.Sigmoid, this);
    }

    /// <summary>max(x, 0); relu(NaN) = NaN.</summary>
    public Tensor Relu([CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Unary(UnaryOp.Relu, this);
    }

    /// <summary>GELU, erf form.</summary>
    public Tensor Gelu([CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Unary(UnaryOp.Gelu, this);
    }

    /// <summary>log(1 + e^x), computed without overflow.</summary>
    public Tensor Softplus([CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Unary(UnaryOp.Softplus, this);
    }

    /// <summary>Error function.</summary>
    public Tensor Erf([CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Unary(UnaryOp.Erf, this);
    }

    /// <summary>Sine.</summary>
    public Tensor Sin([CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Unary(UnaryOp.Sin, this);
    }

    /// <summary>Cosine.</summary>
    public Tensor Cos([CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Unary(UnaryOp.Cos, this);
    }

    /// <summary>-1, 0 or 1.</summary>
    public Tensor Sign([CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Unary(UnaryOp.Sign, this);
    }

    /// <summary>Elementwise sum, broadcasting.</summary>
    public Tensor Add(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Add, this, other);
    }

    /// <summary>Elementwise sum, broadcasting. The scalar takes this tensor's dtype.</summary>
    public Tensor Add(double other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Add, this, OpCore.Scalar(this, other));
    }

    /// <summary>Elementwise difference, broadcasting.</summary>
    public Tensor Sub(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Sub, this, other);
    }

    /// <summary>Elementwise difference, broadcasting. The scalar takes this tensor's dtype.</summary>
    public Tensor Sub(double other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Sub, this, OpCore.Scalar(this, other));
    }

    /// <summary>Elementwise product, broadcasting.</summary>
    public Tensor Mul(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Mul, this, other);
    }

    /// <summary>Elementwise product, broadcasting. The scalar takes this tensor's dtype.</summary>
    public Tensor Mul(double other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Mul, this, OpCore.Scalar(this, other));
    }

    /// <summary>Elementwise quotient, broadcasting.</summary>
    public Tensor Div(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Div, this, other);
    }

    /// <summary>Elementwise quotient, broadcasting. The scalar takes this tensor's dtype.</summary>
    public Tensor Div(double other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Div, this, OpCore.Scalar(this, other));
    }

    /// <summary>Elementwise power, broadcasting.</summary>
    public Tensor Pow(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Pow, this, other);
    }

    /// <summary>Elementwise power, broadcasting. The scalar takes this tensor's dtype.</summary>
    public Tensor Pow(double other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Pow, this, OpCore.Scalar(this, other));
    }

    /// <summary>Elementwise maximum (NaN-propagating), broadcasting.</summary>
    public Tensor Maximum(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Maximum, this, other);
    }

    /// <summary>Elementwise maximum (NaN-propagating), broadcasting. The scalar takes this tensor's dtype.</summary>
    public Tensor Maximum(double other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Maximum, this, OpCore.Scalar(this, other));
    }

    /// <summary>Elementwise minimum (NaN-propagating), broadcasting.</summary>
    public Tensor Minimum(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Minimum, this, other);
    }

    /// <summary>Elementwise minimum (NaN-propagating), broadcasting. The scalar takes this tensor's dtype.</summary>
    public Tensor Minimum(double other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Minimum, this, OpCore.Scalar(this, other));
    }

    /// <summary>1 where equal, else 0 (in the inputs' dtype).</summary>
    public Tensor Eq(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Eq, this, other);
    }

    /// <summary>1 where equal, else 0 (in the inputs' dtype). The scalar takes this tensor's dtype.</summary>
    public Tensor Eq(double other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Eq, this, OpCore.Scalar(this, other));
    }

    /// <summary>1 where not equal, else 0.</summary>
    public Tensor Ne(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Ne, this, other);
    }

    /// <summary>1 where not equal, else 0. The scalar takes this tensor's dtype.</summary>
    public Tensor Ne(double other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Ne, this, OpCore.Scalar(this, other));
    }

    /// <summary>1 where less, else 0.</summary>
    public Tensor Lt(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Lt, this, other);
    }

    /// <summary>1 where less, else 0. The scalar takes this tensor's dtype.</summary>
    public Tensor Lt(double other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Lt, this, OpCore.Scalar(this, other));
    }

    /// <summary>1 where less or equal, else 0.</summary>
    public Tensor Le(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Le, this, other);
    }

    /// <summary>1 where less or equal, else 0. The scalar takes this tensor's dtype.</summary>
    public Tensor Le(double other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Le, this, OpCore.Scalar(this, other));
    }

    /// <summary>1 where greater, else 0.</summary>
    public Tensor Gt(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Gt, this, other);
    }

    /// <summary>1 where greater, else 0. The scalar takes this tensor's dtype.</summary>
    public Tensor Gt(double other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Gt, this, OpCore.Scalar(this, other));
    }

    /// <summary>1 where greater or equal, else 0.</summary>
    public Tensor Ge(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Ge, this, other);
    }

    /// <summary>1 where greater or equal, else 0. The scalar takes this tensor's dtype.</summary>
    public Tensor Ge(double other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Ge, this, OpCore.Scalar(this, other));
    }

    /// <summary>x * x.</summary>
    public Tensor Square([CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Mul, this, this);
    }

    /// <summary>min(max(x, lo), hi).</summary>
    public Tensor Clamp(double lo, double hi, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Binary(BinaryOp.Minimum, OpCore.Binary(BinaryOp.Maximum, this, OpCore.Scalar(this, lo)), OpCore.Scalar(this, hi));
    }

    /// <summary>cond != 0 ? a : b, broadcasting all three.</summary>
    public static Tensor Where(Tensor cond, Tensor a, Tensor b, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Where(cond, a, b);
    }

    /// <summary>Copies <paramref name="source"/> (broadcast to this shape) into this tensor in place; for optimizer updates.</summary>
    public Tensor Assign(Tensor source, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Assign(this, source);
    }

    /// <summary>Sum over <paramref name="axes"/> (all when null) in the canonical order.</summary>
    public Tensor Sum(int[]? axes = null, bool keepdim = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Reduce(ReduceOp.Sum, this, axes, keepdim);
    }

    /// <summary>Sum over one axis.</summary>
    public Tensor Sum(int axis, bool keepdim = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Reduce(ReduceOp.Sum, this, [axis], keepdim);
    }

    /// <summary>Mean over <paramref name="axes"/>: the canonical sum divided by the count.</summary>
    public Tensor Mean(int[]? axes = null, bool keepdim = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return MeanCore(axes, keepdim);
    }

    /// <summary>Mean over one axis.</summary>
    public Tensor Mean(int axis, bool keepdim = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return MeanCore([axis], keepdim);
    }

    /// <summary>Maximum over <paramref name="axes"/> (NaN-propagating).</summary>
    public Tensor Max(int[]? axes = null, bool keepdim = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Reduce(ReduceOp.Max, this, axes, keepdim);
    }

    /// <summary>Maximum over one axis.</summary>
    public Tensor Max(int axis, bool keepdim = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Reduce(ReduceOp.Max, this, [axis], keepdim);
    }

    /// <summary>Minimum over <paramref name="axes"/> (NaN-propagating).</summary>
    public Tensor Min(int[]? axes = null, bool keepdim = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Reduce(ReduceOp.Min, this, axes, keepdim);
    }

    /// <summary>Minimum over one axis.</summary>
    public Tensor Min(int axis, bool keepdim = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Reduce(ReduceOp.Min, this, [axis], keepdim);
    }

    /// <summary>Index of the first maximum along <paramref name="axis"/> (int32).</summary>
    public Tensor ArgMax(int axis, bool keepdim = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Reduce(ReduceOp.ArgMax, this, [axis], keepdim);
    }

    /// <summary>Index of the first minimum along <paramref name="axis"/> (int32).</summary>
    public Tensor ArgMin(int axis, bool keepdim = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Reduce(ReduceOp.ArgMin, this, [axis], keepdim);
    }

    /// <summary>Variance over <paramref name="axes"/>: sum((x - mean)^2) / (n - correction).</summary>
    public Tensor Var(int[]? axes = null, bool keepdim = false, int correction = 1, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return VarCore(axes, keepdim, correction);
    }

    /// <summary>log(sum(exp(x))) along <paramref name="axis"/>, shifted by the maximum for stability.</summary>
    public Tensor LogSumExp(int axis, bool keepdim = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return LogSumExpCore(axis, keepdim);
    }

    /// <summary>exp(x - max) / sum(exp(x - max)) along <paramref name="axis"/>.</summary>
    public Tensor Softmax(int axis = -1, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return SoftmaxCore(axis);
    }

    /// <summary>x - logsumexp(x) along <paramref name="axis"/>.</summary>
    public Tensor LogSoftmax(int axis = -1, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return RowFastPath.Applies(this, axis) ? RowFastPath.LogSumExp(this, logSoftmax: true) : Sub(LogSumExpCore(axis, true));
    }

    /// <summary>Matrix product with numpy semantics (batch axes broadcast), in the canonical sequential-k FMA order.</summary>
    public Tensor MatMul(Tensor other, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.MatMul(this, other);
    }

    /// <summary>Matrix product a @ b.</summary>
    public static Tensor MatMul(Tensor a, Tensor b, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.MatMul(a, b);
    }

    /// <summary>
    /// 2-D convolution of x [N, C, H, W] with w [O, C / groups, KH, KW], plus bias [O] when given (added as its own
    /// op after the convolution, rounding once more, as the im2col formulation did). <paramref name="padding"/> holds 1
    /// (all sides), 2 (rows, columns) or 4 (top, left, bottom, right: ONNX's order) values; stride and dilation 1 or 2.
    /// Each output is one fused multiply-add chain over (c, ki, kj) from +0 (see the op table).
    /// </summary>
    public static Tensor Conv2d(Tensor x, Tensor w, Tensor? bias = null, int[]? stride = null, int[]? padding = null, int[]? dilation = null, int groups = 1, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(w);
        using var site = Dispatcher.Site(file, line, member);
        var y = OpCore.Conv2d(x, w, Pair("conv2d", "stride", stride, 1), Pads(padding), Pair("conv2d", "dilation", dilation, 1), groups);
        return bias is null ? y : y.Add(bias.Reshape([1, bias.Numel, 1, 1]));
    }

    private static int[] Pair(string op, string name, int[]? values, int fallback) => values switch
    {
        null => [fallback, fallback],
        [int v] => [v, v],
        [int a, int b] => [a, b],
        _ => throw new ArgumentException($"{op}: expected 1 or 2 {name} values, got {values.Length}", name),
    };

    private static int[] Pads(int[]? padding) => padding switch
    {
        null => [0, 0, 0, 0],
        [int p] => [p, p, p, p],
        [int r, int c] => [r, c, r, c],
        [_, _, _, _] => [.. padding],
        _ => throw new ArgumentException($"conv2d: expected 1, 2 or 4 padding values, got {padding.Length}", nameof(padding)),
    };

    /// <summary>Picks the slices index[i] along <paramref name="axis"/>.</summary>
    public Tensor IndexSelect(int axis, Tensor index, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.IndexSelect(this, axis, index);
    }

    /// <summary>A copy with source slices added at index[i] along <paramref name="axis"/>, in increasing i.</summary>
    public Tensor IndexAdd(int axis, Tensor index, Tensor source, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.IndexAdd(this, axis, index, source);
    }

    /// <summary>A copy with source[.., l, ..] added at index[.., l, ..] along <paramref name="axis"/>, in increasing l.</summary>
    public Tensor ScatterAdd(int axis, Tensor index, Tensor source, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.ScatterAdd(this, axis, index, source);
    }

    /// <summary>Joins tensors along an existing axis.</summary>
    public static Tensor Concat(Tensor[] tensors, int axis = 0, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Concat(tensors, axis);
    }

    /// <summary>Joins tensors along a new axis.</summary>
    public static Tensor Stack(Tensor[] tensors, int axis = 0, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Concat([.. tensors.Select(t => OpCore.Unsqueeze(t, axis))], axis);
    }

    /// <summary>Pads with a constant: pads holds (before, after) for each axis, first axis first.</summary>
    public Tensor Pad(int[] pads, double value = 0.0, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Pad(this, pads, value);
    }

    /// <summary>One-hot rows: result[.., c] = 1 where labels == c, for int32 labels.</summary>
    public static Tensor OneHot(Tensor labels, int classes, DType dtype = DType.Float32, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var site = Dispatcher.Site(file, line, member);
        return OpCore.Cast(OpCore.Binary(BinaryOp.Eq, OpCore.Unsqueeze(labels, -1), OpCore.Arange(classes, DType.Int32, labels.Backend)), dtype);
    }
}
