using Repro.Engine.Numerics;

namespace Repro.Engine.Tests.Numerics;

public sealed class HalfBitsTests
{
    // Hand-derived binary16 cases (1 sign, 5 exponent bits with bias 15, 10 fraction bits).
    [Theory]
    [InlineData(0x3F800000u, 0x3C00)] // 1.0
    [InlineData(0xC0000000u, 0xC000)] // -2.0
    [InlineData(0x477FE000u, 0x7BFF)] // 65504, the largest finite half
    [InlineData(0x477FEFFFu, 0x7BFF)] // just below 65520: down
    [InlineData(0x477FF000u, 0x7C00)] // 65520, tie with 65504 (odd): up to +Inf
    [InlineData(0x7F7FFFFFu, 0x7C00)] // float.MaxValue: +Inf
    [InlineData(0x3F801000u, 0x3C00)] // 1 + 2^-11: tie, 0x3C00 even: down
    [InlineData(0x3F803000u, 0x3C02)] // 1 + 3 * 2^-11: tie, 0x3C01 odd: up
    [InlineData(0x38800000u, 0x0400)] // 2^-14, the smallest normal half
    [InlineData(0x387FE000u, 0x0400)] // 2^-14 - 2^-25: tie between 0x03FF (odd) and 0x0400: up to the normal
    [InlineData(0x33800000u, 0x0001)] // 2^-24, the smallest subnormal half
    [InlineData(0x33000000u, 0x0000)] // 2^-25, tie with zero (even): 0
    [InlineData(0x33000001u, 0x0001)] // just above 2^-25: smallest subnormal
    [InlineData(0x33C00000u, 0x0002)] // 3 * 2^-25 = 1.5 units: tie, 1 is odd: up to 2
    [InlineData(0x33A00000u, 0x0001)] // 1.25 units: down
    [InlineData(0x80000000u, 0x8000)] // -0
    [InlineData(0x00000001u, 0x0000)] // float subnormal: 0
    [InlineData(0xFF800000u, 0xFC00)] // -Inf
    [InlineData(0x7FC00000u, 0x7E00)] // quiet NaN
    [InlineData(0xFF802000u, 0xFE01)] // NaN: sign kept, quiet bit set, top payload bits kept
    [InlineData(0x7F800001u, 0x7E00)] // NaN with payload only in the dropped bits
    public void FromFloat_HandCases(uint floatBits, int expected)
    {
        Assert.Equal((ushort)expected, HalfBits.FromFloat(BitConverter.UInt32BitsToSingle(floatBits)));
    }

    [Fact]
    public void ToFloat_MatchesSystemHalf_AllEncodings()
    {
        for (int bits = 0; bits < 65536; bits++)
        {
            float expected = (float)BitConverter.UInt16BitsToHalf((ushort)bits);
            float actual = HalfBits.ToFloat((ushort)bits);
            Assert.Equal(BitConverter.SingleToUInt32Bits(expected), BitConverter.SingleToUInt32Bits(actual));
        }
    }

    [Fact]
    public void FromFloat_MatchesSystemHalf_LargeSample()
    {
        // Every float exponent (both signs) with the rounding-boundary significands (around the 13 dropped bits and
        // the subnormal shift points) plus random significands: about 4.2 million inputs.
        var random = new Random(1234);
        int checkedCount = 0;
        for (uint exponent = 0; exponent < 256; exponent++)
        {
            for (int i = 0; i < 8192; i++)
            {
                uint significand = i switch
                {
                    < 64 => (uint)(((i >> 1) % 24 is var s ? 1u << s : 0u) + (i % 2 == 0 ? 0u : 0xFFFFFFFFu)) & 0x7FFFFFu,
                    < 128 => (uint)((0x1000 * (i - 64)) + ((i & 1) == 0 ? 0 : 1)) & 0x7FFFFFu,
                    _ => (uint)random.Next(0, 1 << 23),
                };
                for (uint sign = 0; sign < 2; sign++)
                {
                    uint bits = (sign << 31) | (exponent << 23) | significand;
                    float f = BitConverter.UInt32BitsToSingle(bits);
                    ushort expected = BitConverter.HalfToUInt16Bits((Half)f);
                    ushort actual = HalfBits.FromFloat(f);
                    if (expected != actual)
                    {
                        Assert.Fail($"float bits 0x{bits:X8}: expected 0x{expected:X4}, got 0x{actual:X4}");
                    }

                    checkedCount++;
                }
            }
        }

        Assert.Equal(256 * 8192 * 2, checkedCount);
    }
}
