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

    /// <summary>Applies a unary op to a float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(UnaryOp op, float x) => Apply<HostFma>(op, x);

    /// <summary>Applies a unary op to a float32 with the FMA <typeparamref name="TFma"/> (kernels pass their device's).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply<TFma>(UnaryOp op, float x)
        where TFma : struct, IFma => op switch
    {
        UnaryOp.Neg => -x,
        UnaryOp.Abs => MathF.Abs(x),
        UnaryOp.Exp => DetMath<TFma>.Exp(x),
        UnaryOp.Log => DetMath<TFma>.Log(x),
        UnaryOp.Sqrt => MathF.Sqrt(x),
        UnaryOp.Rsqrt => 1f / MathF.Sqrt(x),
        UnaryOp.Tanh => DetMath<TFma>.Tanh(x),
        UnaryOp.Sigmoid => DetMath<TFma>.Sigmoid(x),
        UnaryOp.Relu => x > 0f ? x : (float.IsNaN(x) ? x : 0f),
        UnaryOp.Gelu => (float)Gelu<TFma>(x),
        UnaryOp.Erf => DetMath<TFma>.Erf(x),
        UnaryOp.Sin => DetMath<TFma>.Sin(x),
        UnaryOp.Cos => DetMath<TFma>.Cos(x),
        UnaryOp.Sign => x > 0f ? 1f : (x < 0f ? -1f : x),
        _ => float.NaN,
    };

    /// <summary>Applies a unary op to a float64.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Apply(UnaryOp op, double x) => Apply<HostFma>(op, x);

    /// <summary>Applies a unary op to a float64 with the FMA <typeparamref name="TFma"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Apply<TFma>(UnaryOp op, double x)
        where TFma : struct, IFma => op switch
    {
        UnaryOp.Neg => -x,
        UnaryOp.Abs => Math.Abs(x),
        UnaryOp.Exp => DetMath<TFma>.Exp(x),
        UnaryOp.Log => DetMath<TFma>.Log(x),
        UnaryOp.Sqrt => Math.Sqrt(x),
        UnaryOp.Rsqrt => 1.0 / Math.Sqrt(x),
        UnaryOp.Tanh => DetMath<TFma>.Tanh(x),
        UnaryOp.Sigmoid => DetMath<TFma>.Sigmoid(x),
        UnaryOp.Relu => x > 0.0 ? x : (double.IsNaN(x) ? x : 0.0),
        UnaryOp.Gelu => Gelu<TFma>(x),
        UnaryOp.Erf => DetMath<TFma>.Erf(x),
        UnaryOp.Sin => DetMath<TFma>.Sin(x),
        UnaryOp.Cos => DetMath<TFma>.Cos(x),
        UnaryOp.Sign => x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : x),
        _ => double.NaN,
    };

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

    /// <summary>Applies a binary op to float32s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(BinaryOp op, float a, float b) => Apply<HostFma>(op, a, b);

    /// <summary>Applies a binary op to float32s with the FMA <typeparamref name="TFma"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply<TFma>(BinaryOp op, float a, float b)
        where TFma : struct, IFma => op switch
    {
        BinaryOp.Add => a + b,
        BinaryOp.Sub => a - b,
        BinaryOp.Mul => a * b,
        BinaryOp.Div => a / b,
        BinaryOp.Pow => DetMath<TFma>.Pow(a, b),
        BinaryOp.Maximum => Max(a, b),
        BinaryOp.Minimum => Min(a, b),
        BinaryOp.Eq => a == b ? 1f : 0f,
        BinaryOp.Ne => a != b ? 1f : 0f,
        BinaryOp.Lt => a < b ? 1f : 0f,
        BinaryOp.Le => a <= b ? 1f : 0f,
        BinaryOp.Gt => a > b ? 1f : 0f,
        BinaryOp.Ge => a >= b ? 1f : 0f,
        _ => float.NaN,
    };

    /// <summary>Applies a binary op to float64s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Apply(BinaryOp op, double a, double b) => Apply<HostFma>(op, a, b);

    /// <summary>Applies a binary op to float64s with the FMA <typeparamref name="TFma"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Apply<TFma>(BinaryOp op, double a, double b)
        where TFma : struct, IFma => op switch
    {
        BinaryOp.Add => a + b,
        BinaryOp.Sub => a - b,
        BinaryOp.Mul => a * b,
        BinaryOp.Div => a / b,
        BinaryOp.Pow => DetMath<TFma>.Pow(a, b),
        BinaryOp.Maximum => Max(a, b),
        BinaryOp.Minimum => Min(a, b),
        BinaryOp.Eq => a == b ? 1.0 : 0.0,
        BinaryOp.Ne => a != b ? 1.0 : 0.0,
        BinaryOp.Lt => a < b ? 1.0 : 0.0,
        BinaryOp.Le => a <= b ? 1.0 : 0.0,
        BinaryOp.Gt => a > b ? 1.0 : 0.0,
        BinaryOp.Ge => a >= b ? 1.0 : 0.0,
        _ => double.NaN,
    };

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
    public static float Max(float a, float b)
    {
        if (float.IsNaN(a) || float.IsNaN(b))
        {
            return float.NaN;
        }

        if (a == b)
        {
            return float.IsNegative(a) ? b : a;
        }

        return a > b ? a : b;
    }

    /// <summary>NaN-propagating minimum with -0 below +0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Min(float a, float b)
    {
        if (float.IsNaN(a) || float.IsNaN(b))
        {
            return float.NaN;
        }

        if (a == b)
        {
            return float.IsNegative(a) ? a : b;
        }

        return a < b ? a : b;
    }

    /// <summary>NaN-propagating maximum with +0 above -0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Max(double a, double b)
    {
        if (double.IsNaN(a) || double.IsNaN(b))
        {
            return double.NaN;
        }

        if (a == b)
        {
            return double.IsNegative(a) ? b : a;
        }

        return a > b ? a : b;
    }

    /// <summary>NaN-propagating minimum with -0 below +0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Min(double a, double b)
    {
        if (double.IsNaN(a) || double.IsNaN(b))
        {
            return double.NaN;
        }

        if (a == b)
        {
            return double.IsNegative(a) ? a : b;
        }

        return a < b ? a : b;
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
