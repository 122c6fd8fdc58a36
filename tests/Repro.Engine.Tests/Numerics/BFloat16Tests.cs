using Repro.Engine.Numerics;

namespace Repro.Engine.Tests.Numerics;

public sealed class BFloat16Tests
{
    // Hand-derived cases: a float's top 16 bits are kept; the low 16 bits decide the rounding (0x8000 is the tie).
    [Theory]
    [InlineData(0x3F800000u, 0x3F80)] // 1.0 exact
    [InlineData(0x3F807FFFu, 0x3F80)] // just below the tie: down
    [InlineData(0x3F808000u, 0x3F80)] // tie, 0x3F80 is even: down
    [InlineData(0x3F808001u, 0x3F81)] // just above the tie: up
    [InlineData(0x3F818000u, 0x3F82)] // tie, 0x3F81 is odd: up to even
    [InlineData(0xBF818000u, 0xBF82)] // same for negatives
    [InlineData(0x7F7F7FFFu, 0x7F7F)] // largest value that stays finite
    [InlineData(0x7F7F8000u, 0x7F80)] // tie at the top, 0x7F7F odd: overflows to +Inf
    [InlineData(0x7F7FFFFFu, 0x7F80)] // float.MaxValue rounds to +Inf
    [InlineData(0xFF7FFFFFu, 0xFF80)] // float.MinValue rounds to -Inf
    [InlineData(0x7F800000u, 0x7F80)] // +Inf
    [InlineData(0xFF800000u, 0xFF80)] // -Inf
    [InlineData(0x00000000u, 0x0000)] // +0
    [InlineData(0x80000000u, 0x8000)] // -0
    [InlineData(0x00008000u, 0x0000)] // subnormal tie with 0 (even): 0
    [InlineData(0x00008001u, 0x0001)] // subnormal above the tie: smallest bfloat16 subnormal
    [InlineData(0x00018000u, 0x0002)] // subnormal tie, 0x0001 odd: up
    [InlineData(0x007FFFFFu, 0x0080)] // largest float subnormal rounds up to the smallest normal
    [InlineData(0x7F800001u, 0x7FC0)] // signalling NaN: quiet bit set, sign kept
    [InlineData(0xFF812345u, 0xFFC1)] // negative NaN with payload
    [InlineData(0x7FC00000u, 0x7FC0)] // quiet NaN
    [InlineData(0x7F80FFFFu, 0x7FC0)] // NaN whose payload is only in the dropped bits stays NaN
    public void FromFloat_RoundsToNearestEven(uint floatBits, int expected)
    {
        var value = (BFloat16)BitConverter.UInt32BitsToSingle(floatBits);
        Assert.Equal((ushort)expected, value.Bits);
    }

    [Fact]
    public void ToFloat_IsExact()
    {
        Assert.Equal(3.140625f, (float)BFloat16.FromBits(0x4049));
        Assert.Equal(-2f, (float)BFloat16.FromBits(0xC000));
        Assert.Equal(MathF.Pow(2, -133), (float)BFloat16.Epsilon);
        Assert.Equal(3.3895314e38f, (float)BFloat16.MaxValue);
        Assert.True(float.IsNaN(BFloat16.NaN));
        for (int bits = 0; bits < 65536; bits++)
        {
            var b = BFloat16.FromBits((ushort)bits);
            // Round trip through float is the identity for every non-NaN encoding.
            if (!b.IsNaN)
            {
                Assert.Equal((ushort)bits, ((BFloat16)(float)b).Bits);
            }
        }
    }

    [Fact]
    public void EqualityAndOrderingFollowFloat()
    {
        Assert.True(BFloat16.FromBits(0x0000) == BFloat16.FromBits(0x8000));
        Assert.True(BFloat16.FromBits(0x0000).Equals(BFloat16.FromBits(0x8000)));
        Assert.False(BFloat16.NaN == BFloat16.NaN);
        Assert.True(BFloat16.NaN.Equals(BFloat16.NaN));
        Assert.True(BFloat16.One > BFloat16.Zero);
        Assert.True(BFloat16.MinValue < BFloat16.MaxValue);
        Assert.Equal(-1, BFloat16.NaN.CompareTo(BFloat16.NegativeInfinity));
        Assert.Equal(1, BFloat16.One.CompareTo(BFloat16.Zero));
        Assert.Equal(BFloat16.FromBits(0x0000).GetHashCode(), BFloat16.FromBits(0x8000).GetHashCode());
        Assert.Equal("1.5", ((BFloat16)1.5f).ToString());
        Assert.True(BFloat16.PositiveInfinity.IsInfinity);
        Assert.Equal((ushort)0x3C00, BFloat16.MachineEpsilon.Bits);
        Assert.Equal(1f + (float)BFloat16.MachineEpsilon, (float)BFloat16.FromBits(0x3F81));
    }
}
