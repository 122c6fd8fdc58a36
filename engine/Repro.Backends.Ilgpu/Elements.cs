using System.Runtime.CompilerServices;
using Repro.Engine.Backends;
using Repro.Engine.Numerics;

namespace Repro.Backends.Ilgpu;

/// <summary>
/// Reads and writes one storage type through double, with the engine's conversion rules (exact widening; to float32
/// by IEEE rounding; to int32 by saturating truncation, NaN to 0; to 16-bit types through float32, nearest even).
/// A struct type argument, so each kernel instantiation is specialised at compile time.
/// </summary>
internal interface IElement<T>
    where T : unmanaged
{
    double ToDouble(T value);

    T FromDouble(double value);
}

internal readonly struct F32Element : IElement<float>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double ToDouble(float value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float FromDouble(double value) => (float)value;
}

internal readonly struct F64Element : IElement<double>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double ToDouble(double value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double FromDouble(double value) => value;
}

internal readonly struct I32Element : IElement<int>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double ToDouble(int value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int FromDouble(double value) => ScalarOps.ToInt(value);
}

internal readonly struct F16Element : IElement<ushort>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double ToDouble(ushort value) => HalfBits.ToFloat(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ushort FromDouble(double value) => HalfBits.FromFloat((float)value);
}

internal readonly struct BF16Element : IElement<ushort>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double ToDouble(ushort value) => BFloat16.BitsToFloat(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ushort FromDouble(double value) => BFloat16.RoundToBits((float)value);
}
