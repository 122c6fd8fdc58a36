using System.Runtime.CompilerServices;

namespace Repro.Engine.Numerics;

/// <summary>
/// Float32 to and from its bit pattern as <see cref="uint"/>, through the signed <see cref="BitConverter"/> methods:
/// GPU compilers (ILGPU 1.5.3) translate <see cref="BitConverter.SingleToInt32Bits(float)"/> and
/// <see cref="BitConverter.Int32BitsToSingle(int)"/>, but reject the unsigned pair, which .NET implements with
/// <c>Unsafe.BitCast</c>. Code that kernels call (the 16-bit conversions, DetMath) uses these.
/// </summary>
internal static class FloatBits
{
    /// <summary>The bits of <paramref name="value"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint ToBits(float value) => unchecked((uint)BitConverter.SingleToInt32Bits(value));

    /// <summary>The float with bit pattern <paramref name="bits"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float FromBits(uint bits) => BitConverter.Int32BitsToSingle(unchecked((int)bits));
}
