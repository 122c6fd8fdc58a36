using System.Numerics;
using System.Runtime.CompilerServices;
using Repro.Engine.Numerics;

namespace Repro.Engine.Backends;

/// <summary>
/// The scalar semantics of every elementwise primitive, written once. All backends evaluate exactly these
/// functions (the ILGPU kernels call them too); fast paths must give the same bits.
/// </summary>
/// <remarks>
/// No arm throws: ILGPU cannot compile a throw into a kernel. <see cref="Backend"/> validates the op and dtype
/// before any kernel runs, so the default arms (NaN, or 0 for int32) are never reached with a real op.
/// </remarks>
public static class ScalarOps
{
    /// <summary>Canonical float32 NaN (quiet, positive); results are canonicalized to it before hashing.</summary>
    public const uint CanonicalNaNBits32 = 0x7FC00000u;

    /// <summary>Canonical float64 NaN.</summary>
    public const ulong CanonicalNaNBits64 = 0x7FF8000000000000ul;

    /// <summary>Applies a unary op to a float32 (host FMA).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(UnaryOp op, float x) => Apply<float, Float32Kind, HostFma>(op, x);

    /// <summary>Applies a unary op to a float64 (host FMA).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Apply(UnaryOp op, double x) => Apply<double, Float64Kind, HostFma>(op, x);

    /// <summary>
    /// Applies a unary op to a float32 or float64, with the FMA <typeparamref name="TFma"/> (kernels pass their device's).
    /// Float32 transcendentals are the float64 ones rounded once (<see cref="IFloatKind{T}"/>), as DetMath defines them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Apply<T, TKind, TFma>(UnaryOp op, T x)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKind : struct, IFloatKind<T>
        where TFma : struct, IFma
    {
        var k = default(TKind);
        return op switch
        {
            UnaryOp.Neg => -x,
            UnaryOp.Abs => T.Abs(x),
            UnaryOp.Exp => k.Narrow(DetMath<TFma>.Exp(k.Widen(x))),
            UnaryOp.Log => k.Narrow(DetMath<TFma>.Log(k.Widen(x))),
            UnaryOp.Sqrt => T.Sqrt(x),
            UnaryOp.Rsqrt => T.One / T.Sqrt(x),
            UnaryOp.Tanh => k.Narrow(DetMath<TFma>.Tanh(k.Widen(x))),
            UnaryOp.Sigmoid => k.Narrow(DetMath<TFma>.Sigmoid(k.Widen(x))),
            UnaryOp.Relu => x > T.Zero ? x : (T.IsNaN(x) ? x : T.Zero),
            UnaryOp.Gelu => k.Narrow(Gelu<TFma>(k.Widen(x))),
            UnaryOp.Erf => k.Narrow(DetMath<TFma>.Erf(k.Widen(x))),
            UnaryOp.Sin => k.Sin<TFma>(x),
            UnaryOp.Cos => k.Cos<TFma>(x),
            UnaryOp.Sign => x > T.Zero ? T.One : (x < T.Zero ? -T.One : x),
            UnaryOp.Softplus => k.Narrow(Softplus<TFma>(k.Widen(x))),
            _ => T.NaN,
        };
    }

    /// <summary>Applies a unary op to an int32 (only the ops <see cref="IsDefinedForInt"/> accepts).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Apply(UnaryOp op, int x) => op switch
    {
        UnaryOp.Neg => unchecked(-x),
        UnaryOp.Abs => x < 0 ? unchecked(-x) : x,
        UnaryOp.Relu => x > 0 ? x : 0,
        UnaryOp.Sign => x > 0 ? 1 : (x < 0 ? -1 : 0),
        _ => 0,
    };

    /// <summary>True where the unary op has integer semantics (its row in <see cref="OpTable"/> accepts int32).</summary>
    public static bool IsDefinedForInt(UnaryOp op) => OpTable.Of(op).Accepts(0, DType.Int32);

    /// <summary>Applies a binary op to float32s (host FMA).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(BinaryOp op, float a, float b) => Apply<float, Float32Kind, HostFma>(op, a, b);

    /// <summary>Applies a binary op to float64s (host FMA).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Apply(BinaryOp op, double a, double b) => Apply<double, Float64Kind, HostFma>(op, a, b);

    /// <summary>Applies a binary op to float32s or float64s with the FMA <typeparamref name="TFma"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Apply<T, TKind, TFma>(BinaryOp op, T a, T b)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKind : struct, IFloatKind<T>
        where TFma : struct, IFma
    {
        var k = default(TKind);
        return op switch
        {
            BinaryOp.Add => a + b,
            BinaryOp.Sub => a - b,
            BinaryOp.Mul => a * b,
            BinaryOp.Div => a / b,
            BinaryOp.Pow => k.Narrow(DetMath<TFma>.Pow(k.Widen(a), k.Widen(b))),
            BinaryOp.Maximum => Max(a, b),
            BinaryOp.Minimum => Min(a, b),
            BinaryOp.Eq => a == b ? T.One : T.Zero,
            BinaryOp.Ne => a != b ? T.One : T.Zero,
            BinaryOp.Lt => a < b ? T.One : T.Zero,
            BinaryOp.Le => a <= b ? T.One : T.Zero,
            BinaryOp.Gt => a > b ? T.One : T.Zero,
            BinaryOp.Ge => a >= b ? T.One : T.Zero,
            _ => T.NaN,
        };
    }

    /// <summary>Applies a binary op to int32s (wrapping arithmetic; the caller rejects division by zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Apply(BinaryOp op, int a, int b) => op switch
    {
        BinaryOp.Add => unchecked(a + b),
        BinaryOp.Sub => unchecked(a - b),
        BinaryOp.Mul => unchecked(a * b),
        BinaryOp.Div => b == -1 ? unchecked(-a) : a / b,
        BinaryOp.Pow => IntPow(a, b),
        BinaryOp.Maximum => Math.Max(a, b),
        BinaryOp.Minimum => Math.Min(a, b),
        BinaryOp.Eq => a == b ? 1 : 0,
        BinaryOp.Ne => a != b ? 1 : 0,
        BinaryOp.Lt => a < b ? 1 : 0,
        BinaryOp.Le => a <= b ? 1 : 0,
        BinaryOp.Gt => a > b ? 1 : 0,
        BinaryOp.Ge => a >= b ? 1 : 0,
        _ => 0,
    };

    /// <summary>NaN-propagating maximum with +0 above -0, so that it is a total order and any evaluation order agrees.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Max<T>(T a, T b)
        where T : IFloatingPointIeee754<T> => Extreme(a, b, max: true);

    /// <summary>NaN-propagating minimum with -0 below +0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Min<T>(T a, T b)
        where T : IFloatingPointIeee754<T> => Extreme(a, b, max: false);

    /// <summary>
    /// True when <paramref name="v"/> replaces <paramref name="best"/> as the running arg-max (or arg-min): strictly
    /// larger (smaller) in the order where +0 is above -0. Ties keep the earlier index; NaNs are handled by the caller
    /// (the first NaN wins).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Beats<T>(T v, T best, bool max)
        where T : INumber<T> => max
        ? v > best || (v == best && T.IsNegative(best) && !T.IsNegative(v))
        : v < best || (v == best && !T.IsNegative(best) && T.IsNegative(v));

    // Max and min in one body: NaN wins; equal values can only be zeros of either sign (or equal), where max keeps the
    // positive one and min the negative one; otherwise the larger or smaller.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Extreme<T>(T a, T b, bool max)
        where T : IFloatingPointIeee754<T>
    {
        if (T.IsNaN(a) || T.IsNaN(b))
        {
            return T.NaN;
        }

        if (a == b)
        {
            return T.IsNegative(a) ? (max ? b : a) : (max ? a : b);
        }

        return (max ? a > b : a < b) ? a : b;
    }

    /// <summary>GELU in the erf form, evaluated in double: 0.5 x (1 + erf(x / sqrt 2)).</summary>
    public static double Gelu(double x) => Gelu<HostFma>(x);

    /// <summary>GELU with the FMA <typeparamref name="TFma"/>.</summary>
    public static double Gelu<TFma>(double x)
        where TFma : struct, IFma
    {
        double half = 0.5 * x;
        double e = DetMath<TFma>.Erf(default(TFma).Mul(x, 0.70710678118654752440));
        return half * (1.0 + e);
    }

    /// <summary>
    /// softplus(x) = log(1 + e^x), written max(x, 0) + log1p(e^-|x|) so that e^x never overflows and small results keep
    /// their digits; NaN stays NaN (the log1p term carries it), softplus(-inf) = 0, softplus(+inf) = +inf.
    /// </summary>
    public static double Softplus<TFma>(double x)
        where TFma : struct, IFma
    {
        double positive = x > 0 ? x : 0.0;
        return positive + DetMath<TFma>.Log1p(DetMath<TFma>.Exp(-Math.Abs(x)));
    }

    /// <summary>Integer power by squaring (wrapping); negative exponents give 0 except for bases 1 and -1.</summary>
    public static int IntPow(int a, int b)
    {
        if (b < 0)
        {
            return a == 1 ? 1 : (a == -1 ? ((b & 1) == 0 ? 1 : -1) : 0);
        }

        int result = 1;
        int x = a;
        while (b > 0)
        {
            if ((b & 1) != 0)
            {
                result = unchecked(result * x);
            }

            x = unchecked(x * x);
            b >>= 1;
        }

        return result;
    }

    /// <summary>Float32 to int32: truncation toward zero, saturating, NaN to 0 (the same on every platform).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ToInt(double x)
    {
        if (double.IsNaN(x))
        {
            return 0;
        }

        if (x >= 2147483647.0)
        {
            return int.MaxValue;
        }

        return x <= -2147483648.0 ? int.MinValue : (int)x;
    }
}
