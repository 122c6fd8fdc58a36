using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Repro.Engine.Backends;

/// <summary>
/// An elementwise operator at every width, in the TensorPrimitives pattern: one struct per operator, its scalar and
/// vector forms side by side, so a kernel written once over the vector type applies it at whatever width it runs.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
internal interface IVectorOp<T>
    where T : unmanaged
{
    /// <summary>The operator on one element.</summary>
    static abstract T Invoke(T a, T b);

    /// <summary>The operator on 128-bit vectors.</summary>
    static abstract Vector128<T> Invoke(Vector128<T> a, Vector128<T> b);

    /// <summary>The operator on 256-bit vectors.</summary>
    static abstract Vector256<T> Invoke(Vector256<T> a, Vector256<T> b);

    /// <summary>The operator on 512-bit vectors.</summary>
    static abstract Vector512<T> Invoke(Vector512<T> a, Vector512<T> b);
}

/// <summary>a + b: one IEEE addition per lane (wrapping for integers).</summary>
internal readonly struct AddOp<T> : IVectorOp<T>
    where T : unmanaged, INumber<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Invoke(T a, T b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Invoke(Vector128<T> a, Vector128<T> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => a + b;
}

/// <summary>a - b.</summary>
internal readonly struct SubOp<T> : IVectorOp<T>
    where T : unmanaged, INumber<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Invoke(T a, T b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Invoke(Vector128<T> a, Vector128<T> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => a - b;
}

/// <summary>a * b.</summary>
internal readonly struct MulOp<T> : IVectorOp<T>
    where T : unmanaged, INumber<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Invoke(T a, T b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Invoke(Vector128<T> a, Vector128<T> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => a * b;
}

/// <summary>a / b (floats only: integer division has its own checks and rounding).</summary>
internal readonly struct DivOp<T> : IVectorOp<T>
    where T : unmanaged, INumber<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Invoke(T a, T b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> Invoke(Vector128<T> a, Vector128<T> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Invoke(Vector256<T> a, Vector256<T> b) => a / b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Invoke(Vector512<T> a, Vector512<T> b) => a / b;
}

/// <summary>
/// Width-generic SIMD for CPU kernels written once over a vector type TVec of elements T: Vector128, Vector256 or
/// Vector512 of T, or T itself (a one-lane "vector": the scalar path). Each operation picks the width with type tests
/// that the JIT folds away per instantiation, so an instantiation compiles to the plain code for its width.
/// </summary>
/// <remarks>
/// The width only decides how many independent elements are computed at once, never the order in which any one
/// element's result is formed: that is what keeps every width bit-identical.
/// </remarks>
internal static class Simd
{
    /// <summary>Elements of T in one TVec (a JIT-time constant).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Count<TVec, T>()
        where TVec : unmanaged
        where T : unmanaged => Unsafe.SizeOf<TVec>() / Unsafe.SizeOf<T>();

    /// <summary>Loads Count elements starting at src[index] (no alignment needed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Load<TVec, T>(ref T src, int index)
        where TVec : unmanaged
        where T : unmanaged => Unsafe.ReadUnaligned<TVec>(ref Unsafe.As<T, byte>(ref Unsafe.Add(ref src, index)));

    /// <summary>Stores Count elements starting at dst[index].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store<TVec, T>(TVec value, ref T dst, int index)
        where TVec : unmanaged
        where T : unmanaged => Unsafe.WriteUnaligned(ref Unsafe.As<T, byte>(ref Unsafe.Add(ref dst, index)), value);

    /// <summary>A vector with every lane set to src[index], read straight from memory (one broadcast load).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec BroadcastAt<TVec, T>(ref T src, int index)
        where TVec : unmanaged
        where T : unmanaged =>
        typeof(TVec) == typeof(Vector512<T>) ? As<Vector512<T>, TVec>(Vector512.Create(Unsafe.Add(ref src, index)))
        : typeof(TVec) == typeof(Vector256<T>) ? As<Vector256<T>, TVec>(Vector256.Create(Unsafe.Add(ref src, index)))
        : typeof(TVec) == typeof(Vector128<T>) ? As<Vector128<T>, TVec>(Vector128.Create(Unsafe.Add(ref src, index)))
        : As<T, TVec>(Unsafe.Add(ref src, index));

    /// <summary>The operator <typeparamref name="TOp"/> on whole vectors of the width TVec.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Invoke<TOp, TVec, T>(TVec a, TVec b)
        where TOp : IVectorOp<T>
        where TVec : unmanaged
        where T : unmanaged =>
        typeof(TVec) == typeof(Vector512<T>) ? As<Vector512<T>, TVec>(TOp.Invoke(As<TVec, Vector512<T>>(a), As<TVec, Vector512<T>>(b)))
        : typeof(TVec) == typeof(Vector256<T>) ? As<Vector256<T>, TVec>(TOp.Invoke(As<TVec, Vector256<T>>(a), As<TVec, Vector256<T>>(b)))
        : typeof(TVec) == typeof(Vector128<T>) ? As<Vector128<T>, TVec>(TOp.Invoke(As<TVec, Vector128<T>>(a), As<TVec, Vector128<T>>(b)))
        : As<T, TVec>(TOp.Invoke(As<TVec, T>(a), As<TVec, T>(b)));

    /// <summary>
    /// c + a * b per lane: for float32 and float64 one fused multiply-add (rounded once, as the canonical matmul step
    /// requires, at every width); for int32 a wrapping multiply and add, whose result does not depend on any order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec MulAdd<TVec, T>(TVec a, TVec b, TVec c)
        where TVec : unmanaged
        where T : unmanaged, INumber<T> =>
        typeof(T) == typeof(int) ? Invoke<AddOp<T>, TVec, T>(Invoke<MulOp<T>, TVec, T>(a, b), c) : Fused(a, b, c);

    // The fused multiply-add of TVec, a vector of float or double or one of them: one type test per width and type.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec Fused<TVec>(TVec a, TVec b, TVec c)
        where TVec : unmanaged =>
        typeof(TVec) == typeof(Vector512<float>) ? As<Vector512<float>, TVec>(Vector512.FusedMultiplyAdd(As<TVec, Vector512<float>>(a), As<TVec, Vector512<float>>(b), As<TVec, Vector512<float>>(c)))
        : typeof(TVec) == typeof(Vector512<double>) ? As<Vector512<double>, TVec>(Vector512.FusedMultiplyAdd(As<TVec, Vector512<double>>(a), As<TVec, Vector512<double>>(b), As<TVec, Vector512<double>>(c)))
        : typeof(TVec) == typeof(Vector256<float>) ? As<Vector256<float>, TVec>(Vector256.FusedMultiplyAdd(As<TVec, Vector256<float>>(a), As<TVec, Vector256<float>>(b), As<TVec, Vector256<float>>(c)))
        : typeof(TVec) == typeof(Vector256<double>) ? As<Vector256<double>, TVec>(Vector256.FusedMultiplyAdd(As<TVec, Vector256<double>>(a), As<TVec, Vector256<double>>(b), As<TVec, Vector256<double>>(c)))
        : typeof(TVec) == typeof(Vector128<float>) ? As<Vector128<float>, TVec>(Vector128.FusedMultiplyAdd(As<TVec, Vector128<float>>(a), As<TVec, Vector128<float>>(b), As<TVec, Vector128<float>>(c)))
        : typeof(TVec) == typeof(Vector128<double>) ? As<Vector128<double>, TVec>(Vector128.FusedMultiplyAdd(As<TVec, Vector128<double>>(a), As<TVec, Vector128<double>>(b), As<TVec, Vector128<double>>(c)))
        : typeof(TVec) == typeof(float) ? As<float, TVec>(MathF.FusedMultiplyAdd(As<TVec, float>(a), As<TVec, float>(b), As<TVec, float>(c)))
        : As<double, TVec>(Math.FusedMultiplyAdd(As<TVec, double>(a), As<TVec, double>(b), As<TVec, double>(c)));

    // The same bits seen as another type of the same size; only reached where a type test has proved the types equal.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TTo As<TFrom, TTo>(TFrom value)
        where TFrom : unmanaged
        where TTo : unmanaged => Unsafe.BitCast<TFrom, TTo>(value);
}
