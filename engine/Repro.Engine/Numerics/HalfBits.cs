using System.Runtime.CompilerServices;

namespace Repro.Engine.Numerics;

/// <summary>
/// IEEE-754 binary16 (float16) conversions done with integer bit manipulation only, so that GPU kernels
/// (which cannot use <see cref="Half"/>) produce the same bits as the CPU. Results agree bit for bit with
/// <c>(Half)float</c> and <c>(float)Half</c> of .NET for every input (checked exhaustively over all 2^32 floats
/// by the numerics benchmark).
/// </summary>
public static class HalfBits
{
    /// <summary>
    /// Converts a float to binary16 bits with round-to-nearest-even. Values at or above 65520 in magnitude become
    /// infinity; tiny values round to binary16 subnormals or to a signed zero; infinities keep their sign; a NaN
    /// becomes a quiet NaN with the same sign whose payload is the top 9 bits of the float payload below the quiet bit
    /// (bits = sign | 0x7E00 | (float mantissa &gt;&gt; 13)).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FromFloat(float value)
    {
        uint bits = FloatBits.ToBits(value);
        uint sign = (bits >> 16) & 0x8000u;
        uint abs = bits & 0x7FFFFFFFu;
        if (abs >= 0x7F800000u)
        {
            // Infinity keeps its sign; NaN is quieted and keeps the top of its payload.
            return (ushort)(abs == 0x7F800000u ? sign | 0x7C00u : sign | 0x7E00u | ((abs & 0x007FFFFFu) >> 13));
        }

        if (abs >= 0x477FF000u)
        {
            // 65520 = 65504 + half an ulp: ties go to the even neighbour, which is 2^16, i.e. infinity.
            return (ushort)(sign | 0x7C00u);
        }

        if (abs >= 0x38800000u)
        {
            // Normal binary16 range (>= 2^-14): rebias the exponent (127 - 15 = 112) and round 13 bits away.
            uint rebased = abs - 0x38000000u;
            rebased += 0x0FFFu + ((rebased >> 13) & 1u);
            return (ushort)(sign | (rebased >> 13));
        }

        if (abs <= 0x33000000u)
        {
            // At most 2^-25 (half of the smallest subnormal; the tie goes to the even value zero).
            return (ushort)sign;
        }

        // Subnormal binary16 result: value = m * 2^(e - 150) = (m >> (126 - e)) units of 2^-24.
        int exponent = (int)(abs >> 23);
        uint mantissa = (abs & 0x007FFFFFu) | 0x00800000u;
        int shift = 126 - exponent;
        uint quotient = mantissa >> shift;
        uint remainder = mantissa & ((1u << shift) - 1u);
        uint halfway = 1u << (shift - 1);
        if (remainder > halfway || (remainder == halfway && (quotient & 1u) != 0))
        {
            quotient++;
        }

        return (ushort)(sign | quotient);
    }

    /// <summary>
    /// Converts binary16 bits to float exactly. A NaN becomes a quiet float NaN with the same sign and its payload
    /// shifted into the top of the float payload (bits = sign | 0x7FC00000 | (mantissa &lt;&lt; 13)).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToFloat(ushort bits)
    {
        uint sign = (uint)(bits & 0x8000) << 16;
        uint exponent = (uint)(bits >> 10) & 0x1Fu;
        uint mantissa = bits & 0x03FFu;
        if (exponent == 0x1Fu)
        {
            return FloatBits.FromBits(mantissa == 0 ? sign | 0x7F800000u : sign | 0x7FC00000u | (mantissa << 13));
        }

        if (exponent == 0)
        {
            // Zero or subnormal: mantissa * 2^-24 is exact in float.
            float magnitude = mantissa * 5.9604644775390625E-08f;
            return FloatBits.FromBits(sign | FloatBits.ToBits(magnitude));
        }

        return FloatBits.FromBits(sign | ((exponent + 112u) << 23) | (mantissa << 13));
    }
}
