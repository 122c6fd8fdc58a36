using System.Numerics;
using System.Runtime.CompilerServices;
using Repro.Engine.Numerics;

namespace Repro.Engine.Backends;

// Kernels are written once, generic over the element type T and a struct "operator" type argument that carries what
// differs between dtypes (and, for the FMA, between devices). Struct type arguments are specialised at compile time by
// the JIT and by ILGPU alike, so a generic kernel compiles to the code a hand-written float or double kernel would.

/// <summary>
/// The only places where float32 and float64 semantics differ in form: float32 transcendentals are evaluated in float64
/// and rounded once (so one float64 implementation serves both), except sin and cos of huge float32 arguments, which
/// have a reduction of their own; and which fused multiply-add instruction a type uses.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public interface IFloatKind<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The value as a float64 (exact).</summary>
    double Widen(T x);

    /// <summary>A float64 result rounded once to T (nearest even).</summary>
    T Narrow(double x);

    /// <summary>a * b + c rounded once, by the FMA <typeparamref name="TFma"/>.</summary>
    T Fma<TFma>(T a, T b, T c)
        where TFma : struct, IFma;

    /// <summary>sin x by <see cref="DetMath{TFma}"/>.</summary>
    T Sin<TFma>(T x)
        where TFma : struct, IFma;

    /// <summary>cos x by <see cref="DetMath{TFma}"/>.</summary>
    T Cos<TFma>(T x)
        where TFma : struct, IFma;
}

/// <summary>float32's <see cref="IFloatKind{T}"/>.</summary>
public readonly struct Float32Kind : IFloatKind<float>
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Widen(float x) => x;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Fma<TFma>(float a, float b, float c)
        where TFma : struct, IFma => default(TFma).Fma(a, b, c);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Narrow(double x) => (float)x;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Sin<TFma>(float x)
        where TFma : struct, IFma => DetMath<TFma>.Sin(x);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Cos<TFma>(float x)
        where TFma : struct, IFma => DetMath<TFma>.Cos(x);
}

/// <summary>float64's <see cref="IFloatKind{T}"/>.</summary>
public readonly struct Float64Kind : IFloatKind<double>
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Sin<TFma>(double x)
        where TFma : struct, IFma => DetMath<TFma>.Sin(x);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Narrow(double x) => x;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Cos<TFma>(double x)
        where TFma : struct, IFma => DetMath<TFma>.Cos(x);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Widen(double x) => x;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Fma<TFma>(double a, double b, double c)
        where TFma : struct, IFma => default(TFma).Fma(a, b, c);
}

/// <summary>
/// The per-element semantics of one compute dtype (float32, float64 or int32) as a struct type argument: what a kernel
/// written once calls per element. Every implementation forwards to <see cref="ScalarOps"/>, the single definition.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public interface INumberOps<T>
    where T : unmanaged, INumber<T>
{
    /// <summary>A unary primitive (<see cref="ScalarOps"/>).</summary>
    T Unary(UnaryOp op, T x);

    /// <summary>A binary primitive (<see cref="ScalarOps"/>).</summary>
    T Binary(BinaryOp op, T a, T b);

    /// <summary>The max of reductions and of <see cref="BinaryOp.Maximum"/>.</summary>
    T Max(T a, T b);

    /// <summary>The min of reductions and of <see cref="BinaryOp.Minimum"/>.</summary>
    T Min(T a, T b);

    /// <summary>One matmul step, acc + a * b: for floats one fused multiply-add, for int32 wrapping.</summary>
    T MulAdd(T a, T b, T acc);
}

/// <summary>
/// <see cref="INumberOps{T}"/> for float32 and float64, with the FMA <typeparamref name="TFma"/> of the device the kernel
/// runs on (the host's, PTX's or OpenCL's: all IEEE fusedMultiplyAdd, so the same bits).
/// </summary>
public readonly struct FloatOps<T, TKind, TFma> : INumberOps<T>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TKind : struct, IFloatKind<T>
    where TFma : struct, IFma
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Unary(UnaryOp op, T x) => ScalarOps.Apply<T, TKind, TFma>(op, x);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Binary(BinaryOp op, T a, T b) => ScalarOps.Apply<T, TKind, TFma>(op, a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Max(T a, T b) => ScalarOps.Max(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Min(T a, T b) => ScalarOps.Min(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T MulAdd(T a, T b, T acc) => default(TKind).Fma<TFma>(a, b, acc);
}

/// <summary><see cref="INumberOps{T}"/> for int32: wrapping arithmetic.</summary>
public readonly struct Int32Ops : INumberOps<int>
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Unary(UnaryOp op, int x) => ScalarOps.Apply(op, x);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Binary(BinaryOp op, int a, int b) => ScalarOps.Apply(op, a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Max(int a, int b) => Math.Max(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Min(int a, int b) => Math.Min(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int MulAdd(int a, int b, int acc) => unchecked(acc + (a * b));
}

/// <summary>A kernel to run with the element type and <see cref="INumberOps{T}"/> of a compute dtype.</summary>
public interface IComputeKernel
{
    /// <summary>Runs the kernel for element type <typeparamref name="T"/>.</summary>
    void Run<T, TOps>()
        where T : unmanaged, INumber<T>
        where TOps : struct, INumberOps<T>;
}

/// <summary>Picks the element type and operator struct of a compute dtype, once per call, for kernels written once.</summary>
public static class ComputeTypes
{
    /// <summary>Runs <paramref name="kernel"/> for float32, float64 or int32, floats with the FMA <typeparamref name="TFma"/>.</summary>
    public static void Run<TKernel, TFma>(DType dtype, TKernel kernel)
        where TKernel : struct, IComputeKernel
        where TFma : struct, IFma
    {
        switch (dtype)
        {
            case DType.Float32:
                kernel.Run<float, FloatOps<float, Float32Kind, TFma>>();
                break;
            case DType.Float64:
                kernel.Run<double, FloatOps<double, Float64Kind, TFma>>();
                break;
            case DType.Int32:
                kernel.Run<int, Int32Ops>();
                break;
            default:
                throw Throw.DType("kernel", "a compute dtype (float32, float64 or int32)", dtype);
        }
    }
}

/// <summary>Element i of a random draw of one dtype, from Philox (seed, stream, i).</summary>
/// <typeparam name="T">The element type.</typeparam>
public interface IDraw<T>
{
    /// <summary>A standard normal draw when <paramref name="normal"/>, else uniform in [0, 1) (raw bits for int32).</summary>
    T Draw(bool normal, ulong seed, ulong stream, long index);
}

/// <summary>float32 draws; the normal draw's Box-Muller uses <typeparamref name="TFma"/>.</summary>
public readonly struct Float32Draw<TFma> : IDraw<float>
    where TFma : struct, IFma
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Draw(bool normal, ulong seed, ulong stream, long index) => normal ? Philox.NormalFloat<TFma>(seed, stream, index) : Philox.UniformFloat(seed, stream, index);
}

/// <summary>float64 draws.</summary>
public readonly struct Float64Draw<TFma> : IDraw<double>
    where TFma : struct, IFma
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Draw(bool normal, ulong seed, ulong stream, long index) => normal ? Philox.NormalDouble<TFma>(seed, stream, index) : Philox.UniformDouble(seed, stream, index);
}

/// <summary>Raw 32-bit words.</summary>
public readonly struct Int32Draw : IDraw<int>
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Draw(bool normal, ulong seed, ulong stream, long index) => unchecked((int)Philox.UInt32(seed, stream, index));
}
