using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Repro.Engine.Backends;

namespace Repro.Engine.Numerics;

/// <summary>
/// Vectorized <see cref="DetMath"/>: exp, log, tanh, sigmoid, erf and gelu over whole arrays, bit-identical to the scalar
/// functions for every input at every vector width.
/// </summary>
/// <remarks>
/// <para>Why the bits are the same: the scalar functions evaluate a float64 algorithm (float32 inputs widened exactly,
/// the result rounded once). Each function here is that algorithm written once over float64 lanes
/// (<see cref="ILanes{TV}"/>): the same IEEE operations (every product, sum, quotient and fused multiply-add of the scalar
/// code, in the same order, with the same constants) applied per lane. Scalar branches become selections between
/// branches that are each computed exactly as in the scalar code; the integer steps (round to nearest, 2^k, the exponent
/// and significand of log's argument) are formed with exact bit operations instead of conversions. No approximation is
/// involved, so there is no "close to a rounding boundary" case to detect.</para>
/// <para>What is not vectorized: a vector whose lanes include an input outside the range the vector code covers (NaN,
/// results in exp's subnormal or overflow scaling steps, double subnormals for log) is computed lane by lane by the
/// scalar function. Float32 and float16/bfloat16 (which go through float32) rarely meet those inputs.</para>
/// <para>The polynomial coefficients are DetMath.Polynomials.cs's, copied digit for digit; the unit tests and the exhaustive
/// benchmark (<c>transcendentals vector</c>) compare every function with the scalar one bit for bit.</para>
/// </remarks>
internal static class VectorMath
{
    /// <summary>True for the unary ops this class evaluates.</summary>
    public static bool Covers(UnaryOp op) => op is UnaryOp.Exp or UnaryOp.Log or UnaryOp.Tanh or UnaryOp.Sigmoid or UnaryOp.Erf or UnaryOp.Gelu or UnaryOp.Sin or UnaryOp.Cos;

    /// <summary>
    /// y[i] = op(x[i]) at the widest width this CPU accelerates (a last partial vector through a zero-padded buffer);
    /// returns how many elements it wrote: all of them, or 0 for ops it does not cover or without vector hardware.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reproducibility", "RPR3002", Justification = "Elementwise: each lane is the scalar function's own operation sequence at any width; the width tests in child processes compare the bits.")]
    public static int Map<T>(UnaryOp op, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged
    {
        if (Vector512.IsHardwareAccelerated)
        {
            return Map<T, Vector512<double>, Lanes512>(op, x, y);
        }

        if (Vector256.IsHardwareAccelerated)
        {
            return Map<T, Vector256<double>, Lanes256>(op, x, y);
        }

        return Vector128.IsHardwareAccelerated ? Map<T, Vector128<double>, Lanes128>(op, x, y) : 0;
    }

    /// <summary><see cref="Map{T}(UnaryOp, ReadOnlySpan{T}, Span{T})"/> at the width TV (any width runs, accelerated or not).</summary>
    public static int Map<T, TV, TL>(UnaryOp op, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged
        where TV : unmanaged
        where TL : ILanes<TV> => op switch
        {
            UnaryOp.Exp => Run<T, TV, TL, ExpFunction>(x, y),
            UnaryOp.Log => Run<T, TV, TL, LogFunction>(x, y),
            UnaryOp.Tanh => Run<T, TV, TL, TanhFunction>(x, y),
            UnaryOp.Sigmoid => Run<T, TV, TL, SigmoidFunction>(x, y),
            UnaryOp.Erf => Run<T, TV, TL, ErfFunction>(x, y),
            UnaryOp.Gelu => Run<T, TV, TL, GeluFunction>(x, y),
            UnaryOp.Sin => Run<T, TV, TL, SinFunction>(x, y),
            UnaryOp.Cos => Run<T, TV, TL, CosFunction>(x, y),
            _ => 0,
        };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Run<T, TV, TL, TF>(ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged
        where TV : unmanaged
        where TL : ILanes<TV>
        where TF : IVectorFunction
    {
        if (typeof(T) == typeof(float))
        {
            return RunFloat<TV, TL, TF>(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(y));
        }

        return typeof(T) == typeof(double) ? RunDouble<TV, TL, TF>(MemoryMarshal.Cast<T, double>(x), MemoryMarshal.Cast<T, double>(y)) : 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int RunFloat<TV, TL, TF>(ReadOnlySpan<float> x, Span<float> y)
        where TV : unmanaged
        where TL : ILanes<TV>
        where TF : IVectorFunction
    {
        int step = 2 * TL.Count;
        int n = Math.Min(x.Length, y.Length);
        ref float src = ref MemoryMarshal.GetReference(x);
        ref float dst = ref MemoryMarshal.GetReference(y);
        int i = 0;
        for (; i + step <= n; i += step)
        {
            var (lo, hi) = TL.LoadWiden(ref src, i);
            var rlo = TF.Eval<TV, TL>(lo, out var okLo);
            var rhi = TF.Eval<TV, TL>(hi, out var okHi);
            if (TL.All(TL.And(okLo, okHi)))
            {
                TL.NarrowStore(rlo, rhi, ref dst, i);
            }
            else
            {
                for (int j = i; j < i + step; j++)
                {
                    Unsafe.Add(ref dst, j) = TF.Scalar(Unsafe.Add(ref src, j));
                }
            }
        }

        if (i < n)
        {
            // The last partial vector: padded with zeros in a buffer (lanes are independent, so the bits are the same).
            Span<float> tail = stackalloc float[64];
            tail.Clear();
            x[i..n].CopyTo(tail);
            RunFloat<TV, TL, TF>(tail[..step], tail[..step]);
            tail[..(n - i)].CopyTo(y[i..]);
            i = n;
        }

        return i;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int RunDouble<TV, TL, TF>(ReadOnlySpan<double> x, Span<double> y)
        where TV : unmanaged
        where TL : ILanes<TV>
        where TF : IVectorFunction
    {
        int step = TL.Count;
        int n = Math.Min(x.Length, y.Length);
        ref double src = ref MemoryMarshal.GetReference(x);
        ref double dst = ref MemoryMarshal.GetReference(y);
        int i = 0;
        for (; i + step <= n; i += step)
        {
            var r = TF.Eval<TV, TL>(TL.Load(ref src, i), out var ok);
            if (TL.All(ok))
            {
                TL.Store(r, ref dst, i);
            }
            else
            {
                for (int j = i; j < i + step; j++)
                {
                    Unsafe.Add(ref dst, j) = TF.Scalar(Unsafe.Add(ref src, j));
                }
            }
        }

        if (i < n)
        {
            Span<double> tail = stackalloc double[16];
            tail.Clear();
            x[i..n].CopyTo(tail);
            RunDouble<TV, TL, TF>(tail[..step], tail[..step]);
            tail[..(n - i)].CopyTo(y[i..]);
            i = n;
        }

        return i;
    }

    /// <summary>One function: its lane form (with the lanes it covers) and its scalar form for the other lanes.</summary>
    private interface IVectorFunction
    {
        /// <summary>The function on every lane; <paramref name="ok"/> is all ones in the lanes whose result is the scalar function's.</summary>
        static abstract TV Eval<TV, TL>(TV x, out TV ok)
            where TV : unmanaged
            where TL : ILanes<TV>;

        static abstract float Scalar(float x);

        static abstract double Scalar(double x);
    }

    private readonly struct ExpFunction : IVectorFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Eval<TV, TL>(TV x, out TV ok)
            where TV : unmanaged
            where TL : ILanes<TV> => Exp<TV, TL>(x, out ok);

        public static float Scalar(float x) => DetMath.Exp(x);

        public static double Scalar(double x) => DetMath.Exp(x);
    }

    private readonly struct LogFunction : IVectorFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Eval<TV, TL>(TV x, out TV ok)
            where TV : unmanaged
            where TL : ILanes<TV> => Log<TV, TL>(x, out ok);

        public static float Scalar(float x) => DetMath.Log(x);

        public static double Scalar(double x) => DetMath.Log(x);
    }

    private readonly struct TanhFunction : IVectorFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Eval<TV, TL>(TV x, out TV ok)
            where TV : unmanaged
            where TL : ILanes<TV> => Tanh<TV, TL>(x, out ok);

        public static float Scalar(float x) => DetMath.Tanh(x);

        public static double Scalar(double x) => DetMath.Tanh(x);
    }

    private readonly struct SigmoidFunction : IVectorFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Eval<TV, TL>(TV x, out TV ok)
            where TV : unmanaged
            where TL : ILanes<TV> => Sigmoid<TV, TL>(x, out ok);

        public static float Scalar(float x) => DetMath.Sigmoid(x);

        public static double Scalar(double x) => DetMath.Sigmoid(x);
    }

    private readonly struct ErfFunction : IVectorFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Eval<TV, TL>(TV x, out TV ok)
            where TV : unmanaged
            where TL : ILanes<TV>
        {
            ok = TL.Eq(x, x);
            return Erf<TV, TL>(x);
        }

        public static float Scalar(float x) => DetMath.Erf(x);

        public static double Scalar(double x) => DetMath.Erf(x);
    }

    private readonly struct GeluFunction : IVectorFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Eval<TV, TL>(TV x, out TV ok)
            where TV : unmanaged
            where TL : ILanes<TV>
        {
            ok = TL.Eq(x, x);

            // ScalarOps.Gelu: half = 0.5 x; e = erf(x * 0.70710678118654752440); half * (1 + e).
            var half = TL.Mul(TL.Splat(0.5), x);
            var e = Erf<TV, TL>(TL.Mul(x, TL.Splat(0.70710678118654752440)));
            return TL.Mul(half, TL.Add(TL.Splat(1.0), e));
        }

        public static float Scalar(float x) => (float)ScalarOps.Gelu(x);

        public static double Scalar(double x) => ScalarOps.Gelu(x);
    }

    private readonly struct SinFunction : IVectorFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Eval<TV, TL>(TV x, out TV ok)
            where TV : unmanaged
            where TL : ILanes<TV> => TL.Select(TL.Eq(x, TL.Splat(0.0)), x, SinCos<TV, TL>(x, 0.0, out ok));

        public static float Scalar(float x) => DetMath.Sin(x);

        public static double Scalar(double x) => DetMath.Sin(x);
    }

    private readonly struct CosFunction : IVectorFunction
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TV Eval<TV, TL>(TV x, out TV ok)
            where TV : unmanaged
            where TL : ILanes<TV> => SinCos<TV, TL>(x, 1.0, out ok);

        public static float Scalar(float x) => DetMath.Cos(x);

        public static double Scalar(double x) => DetMath.Cos(x);
    }

    // ------------------------------------------------------------------ constants (DetMath.cs's)
    private const double Ln2Hi = 6.93147180369123816490e-01;
    private const double Ln2Lo = 1.90821492927058770002e-10;
    private const double InvLn2 = 1.4426950408889634;
    private const double TwoPow52 = 4503599627370496.0;
    private const long SignMask = long.MinValue;
    private const long SignificandMask = 0x000FFFFFFFFFFFFF;
    private const long Sqrt2Significand = 0x6A09E667F3BCD;
    private const double MinNormal = 2.2250738585072014E-308;

    // ------------------------------------------------------------------ exp

    /// <summary>
    /// DetMath.Exp(double) per lane. Covered: |x| &lt;= 700 (ExpCore with the one-step scaling), x &lt; -746 (+0) and
    /// x &gt; 710 (+Inf); not covered: NaN and the scaling ranges in between.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Exp<TV, TL>(TV x, out TV ok)
        where TV : unmanaged
        where TL : ILanes<TV>
    {
        var under = TL.Lt(x, TL.Splat(-746.0));
        var over = TL.Lt(TL.Splat(710.0), x);
        ok = TL.Or(TL.Le(TL.Abs(x), TL.Splat(700.0)), TL.Or(under, over));
        var core = ExpCore<TV, TL>(x);
        return TL.Select(under, TL.Splat(0.0), TL.Select(over, TL.Splat(double.PositiveInfinity), core));
    }

    /// <summary>ExpCore(x, 0) for |x| &lt;= 700: n = k stays in [-1010, 1010], so Scale is the single product y * 2^k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ExpCore<TV, TL>(TV x)
        where TV : unmanaged
        where TL : ILanes<TV>
    {
        // k = RoundHalfEven(x * InvLn2): CopySign((|t| + 2^52) - 2^52, t), exactly as the scalar helper for |t| < 2^52.
        var t = TL.Mul(x, TL.Splat(InvLn2));
        var two52 = TL.Splat(TwoPow52);
        var k = TL.Or(TL.Sub(TL.Add(TL.Abs(t), two52), two52), TL.And(t, TL.SplatBits(SignMask)));
        var negK = TL.Neg(k);
        var r = TL.Fma(negK, TL.Splat(Ln2Hi), x);
        r = TL.Fma(negK, TL.Splat(Ln2Lo), r);

        // The scalar core adds its lo (+0.0) here; that only turns r = -0 into +0, and both give p = +0 below
        // (-0 + +0 and +0 + +0 are +0 in nearest-even), so the addition is left out.
        var p = TL.Fma(TL.Mul(r, r), ExpPoly<TV, TL>(r), r);
        var y = TL.Add(TL.Splat(1.0), p);

        // 2^k from its bits: k + (2^52 + 1023) is exact and holds k + 1023 in its low significand bits.
        var pow2 = TL.ShiftLeft(TL.Add(k, TL.Splat(TwoPow52 + 1023.0)), 52);
        return TL.Mul(y, pow2);
    }

    // ------------------------------------------------------------------ log

    /// <summary>DetMath.Log(double) per lane. Covered: every input but NaN and positive subnormals.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Log<TV, TL>(TV x, out TV ok)
        where TV : unmanaged
        where TL : ILanes<TV>
    {
        var zero = TL.Splat(0.0);
        ok = TL.Or(TL.Le(TL.Splat(MinNormal), x), TL.Le(x, zero));

        // Decompose: m in [sqrt2/2, sqrt2), k from the exponent field (x is normal and positive in the lanes used).
        var sig = TL.And(x, TL.SplatBits(SignificandMask));
        var m1 = TL.Or(sig, TL.SplatBits(0x3FF0000000000000L));
        var big = TL.Le(TL.SplatBits(0x3FF0000000000000L | Sqrt2Significand), m1);
        var m = TL.Select(big, TL.Or(sig, TL.SplatBits(0x3FE0000000000000L)), m1);
        var exponent = TL.Or(TL.ShiftRight(x, 52), TL.SplatBits(0x4330000000000000L));
        var dk = TL.Sub(exponent, TL.Splat(TwoPow52 + 1023.0));
        dk = TL.Add(dk, TL.And(big, TL.Splat(1.0)));
        var f = TL.Sub(m, TL.Splat(1.0));

        // LogKernel(k, f, 0).
        var s = TL.Div(f, TL.Add(TL.Splat(2.0), f));
        var z = TL.Mul(s, s);
        var halfF = TL.Mul(TL.Splat(0.5), f);
        var t = TL.Fma(halfF, f, TL.Mul(z, LogPoly<TV, TL>(z)));
        var u = TL.Fma(s, t, TL.Fma(dk, TL.Splat(Ln2Lo), zero));
        var v = TL.Fma(TL.Neg(halfF), f, u);
        var core = TL.Fma(dk, TL.Splat(Ln2Hi), TL.Add(v, f));

        var result = TL.Select(TL.Eq(x, TL.Splat(double.PositiveInfinity)), x, core);
        result = TL.Select(TL.Lt(x, zero), TL.Splat(double.NaN), result);
        return TL.Select(TL.Eq(x, zero), TL.Splat(double.NegativeInfinity), result);
    }

    // ------------------------------------------------------------------ tanh / sigmoid

    /// <summary>DetMath.Tanh(double) per lane. Covered: every input but NaN and 350 &lt; |x| &lt;= 355.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Tanh<TV, TL>(TV x, out TV ok)
        where TV : unmanaged
        where TL : ILanes<TV>
    {
        var ax = TL.Abs(x);
        var small = TL.Lt(ax, TL.Splat(0.55));
        var result = x;
        if (TL.Any(small))
        {
            var z = TL.Mul(x, x);
            result = TL.Fma(TL.Mul(x, z), TanhPoly<TV, TL>(z), x);
        }

        ok = TL.Eq(x, x);
        if (!TL.All(small))
        {
            var e = Exp<TV, TL>(TL.Add(ax, ax), out var expOk);
            ok = TL.And(ok, TL.Or(small, expOk));
            var one = TL.Splat(1.0);
            var magnitude = TL.Sub(one, TL.Div(TL.Splat(2.0), TL.Add(e, one)));
            var large = TL.Or(TL.And(magnitude, TL.SplatBits(long.MaxValue)), TL.And(x, TL.SplatBits(SignMask)));
            result = TL.Select(small, result, large);
        }

        return TL.Select(TL.Eq(x, TL.Splat(0.0)), x, result);
    }

    /// <summary>DetMath.Sigmoid(double) per lane. Covered: every input but NaN and 700 &lt; |x| &lt;= 746.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Sigmoid<TV, TL>(TV x, out TV ok)
        where TV : unmanaged
        where TL : ILanes<TV>
    {
        var one = TL.Splat(1.0);
        var positive = TL.Le(TL.Splat(0.0), x);
        var e = Exp<TV, TL>(TL.Select(positive, TL.Neg(x), x), out ok);
        ok = TL.And(ok, TL.Eq(x, x));
        var n = TL.Select(positive, one, e);

        // DivideByOnePlus(n, e).
        var dHi = TL.Add(one, e);
        var dLo = TL.Sub(e, TL.Sub(dHi, one));
        var q = TL.Div(n, dHi);
        var negQ = TL.Neg(q);
        var rem = TL.Fma(negQ, dHi, n);
        rem = TL.Fma(negQ, dLo, rem);
        return TL.Add(q, TL.Div(rem, dHi));
    }

    // ------------------------------------------------------------------ erf

    /// <summary>DetMath.Erf(double) per lane for every non-NaN input (the caller marks NaN lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Erf<TV, TL>(TV x)
        where TV : unmanaged
        where TL : ILanes<TV>
    {
        var one = TL.Splat(1.0);
        var ax = TL.Abs(x);
        var small = TL.Lt(ax, one);
        var result = TL.Or(one, TL.And(x, TL.SplatBits(SignMask)));
        if (TL.Any(small))
        {
            result = TL.Select(small, TL.Fma(x, ErfPoly<TV, TL>(TL.Mul(x, x)), x), result);
        }

        var middle = TL.And(TL.Le(one, ax), TL.Lt(ax, TL.Splat(6.0)));
        if (!TL.Any(middle))
        {
            return result;
        }

        var below2 = TL.Lt(ax, TL.Splat(2.0));
        var below35 = TL.Lt(ax, TL.Splat(3.5));
        var g = TL.Splat(0.0);
        if (TL.Any(TL.And(middle, below2)))
        {
            g = ErfcScaledPoly1<TV, TL>(TL.Sub(ax, TL.Splat(1.5)));
        }

        if (TL.Any(TL.And(middle, TL.And(below35, TL.Le(TL.Splat(2.0), ax)))))
        {
            g = TL.Select(below2, g, ErfcScaledPoly2<TV, TL>(TL.Sub(ax, TL.Splat(2.75))));
        }

        if (TL.Any(TL.And(middle, TL.Le(TL.Splat(3.5), ax))))
        {
            g = TL.Select(below35, g, ErfcScaledPoly3<TV, TL>(TL.Sub(ax, TL.Splat(4.75))));
        }

        var sq = TL.Mul(ax, ax);
        var sqLo = TL.Fma(ax, ax, TL.Neg(sq));
        var e = ExpCore<TV, TL>(TL.Neg(sq));
        e = TL.Fma(TL.Neg(e), sqLo, e);
        var magnitude = TL.Fma(TL.Neg(e), g, one);
        var tail = TL.Or(TL.And(magnitude, TL.SplatBits(long.MaxValue)), TL.And(x, TL.SplatBits(SignMask)));
        return TL.Select(middle, tail, result);
    }

    // ------------------------------------------------------------------ sin / cos

    /// <summary>
    /// SinCosCore(x, offset) per lane with its first reduction pass (Cody-Waite with pi/2 in three parts), which is the
    /// only pass for |x| &lt; 2^50 (the float overloads' range for it). Covered: |x| &lt; 2^50 where the reduced |r| &lt;= 0.79
    /// (always, in that range); the caller handles sin(±0) = ±0; NaN, infinities and |x| &gt;= 2^50 go to the scalar
    /// function (the float overloads reduce those with Payne-Hanek).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV SinCos<TV, TL>(TV x, double quadrantOffset, out TV ok)
        where TV : unmanaged
        where TL : ILanes<TV>
    {
        // k = RoundHalfEven(x * 2/pi), as in ExpCore (|t| < 2^52 in the covered lanes).
        var t = TL.Mul(x, TL.Splat(0.6366197723675814));
        var two52 = TL.Splat(TwoPow52);
        var k = TL.Or(TL.Sub(TL.Add(TL.Abs(t), two52), two52), TL.And(t, TL.SplatBits(SignMask)));
        var negK = TL.Neg(k);
        var r = TL.Fma(negK, TL.Splat(1.5707963267948966), x);
        r = TL.Fma(negK, TL.Splat(6.123233995736766e-17), r);
        r = TL.Fma(negK, TL.Splat(-1.4973849048591698e-33), r);
        ok = TL.And(TL.Lt(TL.Abs(x), TL.Splat(1125899906842624.0)), TL.Le(TL.Abs(r), TL.Splat(0.79)));

        // quadrant = (offset + (k mod 4)) & 3, k mod 4 = fma(-4, floor(k / 4), k) exactly; floor(k / 4) is taken as
        // k / 4 rounded to nearest minus one where that went up (both exact for the integers here).
        var quarter = TL.Mul(k, TL.Splat(0.25));
        var rounded = TL.Sub(TL.Add(TL.Abs(quarter), two52), two52);
        rounded = TL.Or(rounded, TL.And(quarter, TL.SplatBits(SignMask)));
        var floor = TL.Sub(rounded, TL.And(TL.Lt(quarter, rounded), TL.Splat(1.0)));
        var q = TL.Add(TL.Splat(quadrantOffset), TL.Fma(TL.Splat(-4.0), floor, k));
        q = TL.Sub(q, TL.And(TL.Le(TL.Splat(4.0), q), TL.Splat(4.0)));

        // SinCosKernel(r, q).
        var z = TL.Mul(r, r);
        var odd = TL.Or(TL.Eq(q, TL.Splat(1.0)), TL.Eq(q, TL.Splat(3.0)));
        var v = TL.Select(odd, TL.Fma(z, CosPoly<TV, TL>(z), TL.Splat(1.0)), TL.Fma(TL.Mul(r, z), SinPoly<TV, TL>(z), r));
        return TL.Select(TL.Le(TL.Splat(2.0), q), TL.Neg(v), v);
    }

    // ------------------------------------------------------------------ polynomials (DetMath.Polynomials.cs's coefficients)
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV H<TV, TL>(TV p, TV x, double c)
        where TV : unmanaged
        where TL : ILanes<TV> => TL.Fma(p, x, TL.Splat(c));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ExpPoly<TV, TL>(TV r)
        where TV : unmanaged
        where TL : ILanes<TV>
    {
        var p = TL.Splat(2.0915442297780116e-09);
        p = H<TV, TL>(p, r, 2.5106274733573296e-08);
        p = H<TV, TL>(p, r, 2.75572718102198e-07);
        p = H<TV, TL>(p, r, 2.755725283351691e-06);
        p = H<TV, TL>(p, r, 2.4801587327007187e-05);
        p = H<TV, TL>(p, r, 0.00019841269876864356);
        p = H<TV, TL>(p, r, 0.0013888888888883327);
        p = H<TV, TL>(p, r, 0.008333333333325544);
        p = H<TV, TL>(p, r, 0.04166666666666667);
        p = H<TV, TL>(p, r, 0.1666666666666667);
        p = H<TV, TL>(p, r, 0.5);
        return p;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV LogPoly<TV, TL>(TV z)
        where TV : unmanaged
        where TL : ILanes<TV>
    {
        var p = TL.Splat(0.13086767009948175);
        p = H<TV, TL>(p, z, 0.13268759668560612);
        p = H<TV, TL>(p, z, 0.15386240205813478);
        p = H<TV, TL>(p, z, 0.18181795630884753);
        p = H<TV, TL>(p, z, 0.2222222239180047);
        p = H<TV, TL>(p, z, 0.2857142857080323);
        p = H<TV, TL>(p, z, 0.4000000000000088);
        p = H<TV, TL>(p, z, 0.6666666666666666);
        return p;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV TanhPoly<TV, TL>(TV z)
        where TV : unmanaged
        where TL : ILanes<TV>
    {
        var p = TL.Splat(-2.060276537636634e-05);
        p = H<TV, TL>(p, z, 8.511313685577672e-05);
        p = H<TV, TL>(p, z, -0.0002346347410887237);
        p = H<TV, TL>(p, z, 0.0005889360520074057);
        p = H<TV, TL>(p, z, -0.001455661830100716);
        p = H<TV, TL>(p, z, 0.003592110378689024);
        p = H<TV, TL>(p, z, -0.008863234397814355);
        p = H<TV, TL>(p, z, 0.021869488493666944);
        p = H<TV, TL>(p, z, -0.053968253967434016);
        p = H<TV, TL>(p, z, 0.13333333333332714);
        p = H<TV, TL>(p, z, -0.3333333333333333);
        return p;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ErfPoly<TV, TL>(TV z)
        where TV : unmanaged
        where TL : ILanes<TV>
    {
        var p = TL.Splat(5.957176147748911e-11);
        p = H<TV, TL>(p, z, -1.1372848856791674e-09);
        p = H<TV, TL>(p, z, 1.4659775274047436e-08);
        p = H<TV, TL>(p, z, -1.6350312701054695e-07);
        p = H<TV, TL>(p, z, 1.6461000484121368e-06);
        p = H<TV, TL>(p, z, -1.4925595266831182e-05);
        p = H<TV, TL>(p, z, 0.0001205533111164271);
        p = H<TV, TL>(p, z, -0.000854832698083379);
        p = H<TV, TL>(p, z, 0.0052239776248180145);
        p = H<TV, TL>(p, z, -0.026866170645076792);
        p = H<TV, TL>(p, z, 0.11283791670954879);
        p = H<TV, TL>(p, z, -0.3761263890318375);
        p = H<TV, TL>(p, z, 0.12837916709551256);
        return p;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ErfcScaledPoly1<TV, TL>(TV t)
        where TV : unmanaged
        where TL : ILanes<TV>
    {
        var p = TL.Splat(-4.932844202000261e-08);
        p = H<TV, TL>(p, t, 1.8038197652346406e-07);
        p = H<TV, TL>(p, t, -5.946998373950516e-07);
        p = H<TV, TL>(p, t, 2.061689065129881e-06);
        p = H<TV, TL>(p, t, -6.975285854904505e-06);
        p = H<TV, TL>(p, t, 2.286543658874603e-05);
        p = H<TV, TL>(p, t, -7.265888759557882e-05);
        p = H<TV, TL>(p, t, 0.00022330981211640024);
        p = H<TV, TL>(p, t, -0.0006619300686179933);
        p = H<TV, TL>(p, t, 0.0018861348854630824);
        p = H<TV, TL>(p, t, -0.005145957547915988);
        p = H<TV, TL>(p, t, 0.013377340952802835);
        p = H<TV, TL>(p, t, -0.03293090529956347);
        p = H<TV, TL>(p, t, 0.07615103985548055);
        p = H<TV, TL>(p, t, -0.16362291773256007);
        p = H<TV, TL>(p, t, 0.3215854164543175);
        return p;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ErfcScaledPoly2<TV, TL>(TV t)
        where TV : unmanaged
        where TL : ILanes<TV>
    {
        var p = TL.Splat(1.8069520510416326e-09);
        p = H<TV, TL>(p, t, -8.01181001890603e-09);
        p = H<TV, TL>(p, t, 3.105710607611476e-08);
        p = H<TV, TL>(p, t, -1.3192706697647487e-07);
        p = H<TV, TL>(p, t, 5.520418140550562e-07);
        p = H<TV, TL>(p, t, -2.247676321583971e-06);
        p = H<TV, TL>(p, t, 8.940140785092413e-06);
        p = H<TV, TL>(p, t, -3.469853951374473e-05);
        p = H<TV, TL>(p, t, 0.00013118180233874277);
        p = H<TV, TL>(p, t, -0.0004821950932829294);
        p = H<TV, TL>(p, t, 0.001719581885194874);
        p = H<TV, TL>(p, t, -0.005934337896564839);
        p = H<TV, TL>(p, t, 0.019758592987324287);
        p = H<TV, TL>(p, t, -0.06323763756064137);
        p = H<TV, TL>(p, t, 0.1936620962790687);
        return p;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV SinPoly<TV, TL>(TV z)
        where TV : unmanaged
        where TL : ILanes<TV>
    {
        var p = TL.Splat(-7.585486485235938e-13);
        p = H<TV, TL>(p, z, 1.6058510875319195e-10);
        p = H<TV, TL>(p, z, -2.505210610025599e-08);
        p = H<TV, TL>(p, z, 2.7557319218954762e-06);
        p = H<TV, TL>(p, z, -0.00019841269841264567);
        p = H<TV, TL>(p, z, 0.008333333333333331);
        p = H<TV, TL>(p, z, -0.16666666666666666);
        return p;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV CosPoly<TV, TL>(TV z)
        where TV : unmanaged
        where TL : ILanes<TV>
    {
        var p = TL.Splat(-1.1365942454032322e-11);
        p = H<TV, TL>(p, z, 2.0875851505773207e-09);
        p = H<TV, TL>(p, z, -2.755731534181856e-07);
        p = H<TV, TL>(p, z, 2.4801587293040553e-05);
        p = H<TV, TL>(p, z, -0.0013888888888879927);
        p = H<TV, TL>(p, z, 0.04166666666666663);
        p = H<TV, TL>(p, z, -0.5);
        return p;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV ErfcScaledPoly3<TV, TL>(TV t)
        where TV : unmanaged
        where TL : ILanes<TV>
    {
        var p = TL.Splat(2.136625977914233e-10);
        p = H<TV, TL>(p, t, -1.2539231843294967e-09);
        p = H<TV, TL>(p, t, 6.184507649360792e-09);
        p = H<TV, TL>(p, t, -3.524796365868836e-08);
        p = H<TV, TL>(p, t, 2.0034698237166781e-07);
        p = H<TV, TL>(p, t, -1.1118981029544583e-06);
        p = H<TV, TL>(p, t, 6.08108930382966e-06);
        p = H<TV, TL>(p, t, -3.277562949007631e-05);
        p = H<TV, TL>(p, t, 0.0001739283089901235);
        p = H<TV, TL>(p, t, -0.0009080989267613732);
        p = H<TV, TL>(p, t, 0.004661326368695728);
        p = H<TV, TL>(p, t, -0.023503448596501476);
        p = H<TV, TL>(p, t, 0.11630270721024731);
        return p;
    }
}
