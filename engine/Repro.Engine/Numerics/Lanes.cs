using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Repro.Engine.Numerics;

/// <summary>
/// The float64 lane operations that <see cref="VectorMath"/> is written in, at one vector width. Every arithmetic member
/// is one IEEE operation per lane (rounded once, as its scalar counterpart), every other member is exact (bit operations,
/// comparisons, selection), so a function written once over <typeparamref name="TV"/> forms each lane's result with the
/// same operations as the scalar <see cref="DetMath{TFma}"/> code and gives its bits at every width.
/// </summary>
/// <typeparam name="TV">Vector128, Vector256 or Vector512 of double.</typeparam>
internal interface ILanes<TV>
    where TV : unmanaged
{
    /// <summary>Doubles per vector.</summary>
    static abstract int Count { get; }

    /// <summary>Every lane v.</summary>
    static abstract TV Splat(double v);

    /// <summary>Every lane the double with these bits.</summary>
    static abstract TV SplatBits(long bits);

    /// <summary>a + b.</summary>
    static abstract TV Add(TV a, TV b);

    /// <summary>a - b.</summary>
    static abstract TV Sub(TV a, TV b);

    /// <summary>a * b, rounded on its own.</summary>
    static abstract TV Mul(TV a, TV b);

    /// <summary>a / b.</summary>
    static abstract TV Div(TV a, TV b);

    /// <summary>a * b + c rounded once.</summary>
    static abstract TV Fma(TV a, TV b, TV c);

    /// <summary>The sign bit flipped (C#'s unary minus on a double).</summary>
    static abstract TV Neg(TV a);

    /// <summary>The sign bit cleared.</summary>
    static abstract TV Abs(TV a);

    /// <summary>Bitwise and.</summary>
    static abstract TV And(TV a, TV b);

    /// <summary>Bitwise or.</summary>
    static abstract TV Or(TV a, TV b);

    /// <summary>The 64-bit lanes shifted left by n.</summary>
    static abstract TV ShiftLeft(TV a, int n);

    /// <summary>The 64-bit lanes shifted right by n, zeros in.</summary>
    static abstract TV ShiftRight(TV a, int n);

    /// <summary>All-ones lanes where a &lt; b (false for NaN).</summary>
    static abstract TV Lt(TV a, TV b);

    /// <summary>All-ones lanes where a &lt;= b.</summary>
    static abstract TV Le(TV a, TV b);

    /// <summary>All-ones lanes where a == b.</summary>
    static abstract TV Eq(TV a, TV b);

    /// <summary>Lanes of a where the mask is all ones, else of b.</summary>
    static abstract TV Select(TV mask, TV a, TV b);

    /// <summary>True when every lane of the mask is set.</summary>
    static abstract bool All(TV mask);

    /// <summary>True when some lane of the mask is set.</summary>
    static abstract bool Any(TV mask);

    /// <summary>Count doubles from src[i].</summary>
    static abstract TV Load(ref double src, int i);

    /// <summary>Stores Count doubles at dst[i].</summary>
    static abstract void Store(TV v, ref double dst, int i);

    /// <summary>2 Count floats from src[i], widened exactly.</summary>
    static abstract (TV Lo, TV Hi) LoadWiden(ref float src, int i);

    /// <summary>Two vectors rounded to float (nearest even, as a scalar (float) cast) and stored at dst[i].</summary>
    static abstract void NarrowStore(TV lo, TV hi, ref float dst, int i);
}

/// <summary>128-bit lanes.</summary>
internal readonly struct Lanes128 : ILanes<Vector128<double>>
{
    public static int Count => Vector128<double>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Splat(double v) => Vector128.Create(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> SplatBits(long bits) => Vector128.Create(bits).AsDouble();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Add(Vector128<double> a, Vector128<double> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Sub(Vector128<double> a, Vector128<double> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Mul(Vector128<double> a, Vector128<double> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Div(Vector128<double> a, Vector128<double> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Fma(Vector128<double> a, Vector128<double> b, Vector128<double> c) => Vector128.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Neg(Vector128<double> a) => -a;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Abs(Vector128<double> a) => Vector128.Abs(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> And(Vector128<double> a, Vector128<double> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Or(Vector128<double> a, Vector128<double> b) => a | b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> ShiftLeft(Vector128<double> a, int n) => Vector128.ShiftLeft(a.AsInt64(), n).AsDouble();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> ShiftRight(Vector128<double> a, int n) => Vector128.ShiftRightLogical(a.AsInt64(), n).AsDouble();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Lt(Vector128<double> a, Vector128<double> b) => Vector128.LessThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Le(Vector128<double> a, Vector128<double> b) => Vector128.LessThanOrEqual(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Eq(Vector128<double> a, Vector128<double> b) => Vector128.Equals(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Select(Vector128<double> mask, Vector128<double> a, Vector128<double> b) => Vector128.ConditionalSelect(mask, a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool All(Vector128<double> mask) => Vector128.EqualsAll(mask.AsInt64(), Vector128<long>.AllBitsSet);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Any(Vector128<double> mask) => mask.AsInt64() != Vector128<long>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<double> Load(ref double src, int i) => Vector128.LoadUnsafe(ref src, (nuint)i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<double> v, ref double dst, int i) => v.StoreUnsafe(ref dst, (nuint)i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector128<double> Lo, Vector128<double> Hi) LoadWiden(ref float src, int i) => Vector128.Widen(Vector128.LoadUnsafe(ref src, (nuint)i));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void NarrowStore(Vector128<double> lo, Vector128<double> hi, ref float dst, int i) => Vector128.Narrow(lo, hi).StoreUnsafe(ref dst, (nuint)i);
}

/// <summary>256-bit lanes.</summary>
internal readonly struct Lanes256 : ILanes<Vector256<double>>
{
    public static int Count => Vector256<double>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Splat(double v) => Vector256.Create(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> SplatBits(long bits) => Vector256.Create(bits).AsDouble();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Add(Vector256<double> a, Vector256<double> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Sub(Vector256<double> a, Vector256<double> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Mul(Vector256<double> a, Vector256<double> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Div(Vector256<double> a, Vector256<double> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Fma(Vector256<double> a, Vector256<double> b, Vector256<double> c) => Vector256.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Neg(Vector256<double> a) => -a;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Abs(Vector256<double> a) => Vector256.Abs(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> And(Vector256<double> a, Vector256<double> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Or(Vector256<double> a, Vector256<double> b) => a | b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> ShiftLeft(Vector256<double> a, int n) => Vector256.ShiftLeft(a.AsInt64(), n).AsDouble();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> ShiftRight(Vector256<double> a, int n) => Vector256.ShiftRightLogical(a.AsInt64(), n).AsDouble();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Lt(Vector256<double> a, Vector256<double> b) => Vector256.LessThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Le(Vector256<double> a, Vector256<double> b) => Vector256.LessThanOrEqual(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Eq(Vector256<double> a, Vector256<double> b) => Vector256.Equals(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Select(Vector256<double> mask, Vector256<double> a, Vector256<double> b) => Vector256.ConditionalSelect(mask, a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool All(Vector256<double> mask) => Vector256.EqualsAll(mask.AsInt64(), Vector256<long>.AllBitsSet);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Any(Vector256<double> mask) => mask.AsInt64() != Vector256<long>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Load(ref double src, int i) => Vector256.LoadUnsafe(ref src, (nuint)i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<double> v, ref double dst, int i) => v.StoreUnsafe(ref dst, (nuint)i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<double> Lo, Vector256<double> Hi) LoadWiden(ref float src, int i) => Vector256.Widen(Vector256.LoadUnsafe(ref src, (nuint)i));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void NarrowStore(Vector256<double> lo, Vector256<double> hi, ref float dst, int i) => Vector256.Narrow(lo, hi).StoreUnsafe(ref dst, (nuint)i);
}

/// <summary>512-bit lanes.</summary>
internal readonly struct Lanes512 : ILanes<Vector512<double>>
{
    public static int Count => Vector512<double>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Splat(double v) => Vector512.Create(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> SplatBits(long bits) => Vector512.Create(bits).AsDouble();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Add(Vector512<double> a, Vector512<double> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Sub(Vector512<double> a, Vector512<double> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Mul(Vector512<double> a, Vector512<double> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Div(Vector512<double> a, Vector512<double> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Fma(Vector512<double> a, Vector512<double> b, Vector512<double> c) => Vector512.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Neg(Vector512<double> a) => -a;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Abs(Vector512<double> a) => Vector512.Abs(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> And(Vector512<double> a, Vector512<double> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Or(Vector512<double> a, Vector512<double> b) => a | b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> ShiftLeft(Vector512<double> a, int n) => Vector512.ShiftLeft(a.AsInt64(), n).AsDouble();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> ShiftRight(Vector512<double> a, int n) => Vector512.ShiftRightLogical(a.AsInt64(), n).AsDouble();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Lt(Vector512<double> a, Vector512<double> b) => Vector512.LessThan(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Le(Vector512<double> a, Vector512<double> b) => Vector512.LessThanOrEqual(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Eq(Vector512<double> a, Vector512<double> b) => Vector512.Equals(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Select(Vector512<double> mask, Vector512<double> a, Vector512<double> b) => Vector512.ConditionalSelect(mask, a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool All(Vector512<double> mask) => Vector512.EqualsAll(mask.AsInt64(), Vector512<long>.AllBitsSet);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Any(Vector512<double> mask) => mask.AsInt64() != Vector512<long>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Load(ref double src, int i) => Vector512.LoadUnsafe(ref src, (nuint)i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<double> v, ref double dst, int i) => v.StoreUnsafe(ref dst, (nuint)i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector512<double> Lo, Vector512<double> Hi) LoadWiden(ref float src, int i) => Vector512.Widen(Vector512.LoadUnsafe(ref src, (nuint)i));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void NarrowStore(Vector512<double> lo, Vector512<double> hi, ref float dst, int i) => Vector512.Narrow(lo, hi).StoreUnsafe(ref dst, (nuint)i);
}
