using System.Runtime.CompilerServices;
using Repro.Engine.Numerics;

namespace Repro.Engine.Backends;

/// <summary>
/// Reads and writes one storage type through double, with the engine's conversion rules (exact widening; to float32
/// by IEEE rounding; to int32 by saturating truncation, NaN to 0; to 16-bit types through float32, nearest even).
/// A struct type argument, so that cast, fill and where are written once for every pair of storage types and each
/// instantiation is specialised at compile time (by the JIT and by ILGPU).
/// </summary>
/// <typeparam name="T">The storage element: float, double, int, or ushort for the 16-bit types.</typeparam>
public interface IElement<T>
    where T : unmanaged
{
    /// <summary>The stored value as a double (exact for every dtype).</summary>
    double ToDouble(T value);

    /// <summary>A double converted to the stored type.</summary>
    T FromDouble(double value);
}

/// <summary>float32 storage.</summary>
public readonly struct Float32Element : IElement<float>
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double ToDouble(float value) => value;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float FromDouble(double value) => (float)value;
}

/// <summary>float64 storage.</summary>
public readonly struct Float64Element : IElement<double>
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double ToDouble(double value) => value;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double FromDouble(double value) => value;
}

/// <summary>int32 storage.</summary>
public readonly struct Int32Element : IElement<int>
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double ToDouble(int value) => value;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int FromDouble(double value) => ScalarOps.ToInt(value);
}

/// <summary>float16 storage (IEEE binary16 bits).</summary>
public readonly struct Float16Element : IElement<ushort>
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double ToDouble(ushort value) => HalfBits.ToFloat(value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ushort FromDouble(double value) => HalfBits.FromFloat((float)value);
}

/// <summary>bfloat16 storage.</summary>
public readonly struct BFloat16Element : IElement<ushort>
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double ToDouble(ushort value) => BFloat16.BitsToFloat(value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ushort FromDouble(double value) => BFloat16.RoundToBits((float)value);
}

/// <summary>A kernel to run with the storage type and <see cref="IElement{T}"/> of a dtype.</summary>
public interface IElementKernel
{
    /// <summary>Runs the kernel for storage type <typeparamref name="T"/>.</summary>
    void Run<T, TElement>()
        where T : unmanaged
        where TElement : struct, IElement<T>;
}

/// <summary>Picks the storage type and <see cref="IElement{T}"/> of any dtype, once per call.</summary>
public static class ElementTypes
{
    /// <summary>Runs <paramref name="kernel"/> for <paramref name="dtype"/>'s storage.</summary>
    public static void Run<TKernel>(DType dtype, TKernel kernel)
        where TKernel : struct, IElementKernel
    {
        // One line per dtype: the table is the point, not the statements.
        switch (dtype)
        {
            case DType.Float32: kernel.Run<float, Float32Element>(); break;
            case DType.Float64: kernel.Run<double, Float64Element>(); break;
            case DType.Int32: kernel.Run<int, Int32Element>(); break;
            case DType.Float16: kernel.Run<ushort, Float16Element>(); break;
            case DType.BFloat16: kernel.Run<ushort, BFloat16Element>(); break;
            default:
                throw Throw.UnknownDType(dtype);
        }
    }
}
