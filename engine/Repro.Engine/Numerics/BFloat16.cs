using System.Globalization;
using System.Runtime.CompilerServices;

namespace Repro.Engine.Numerics;

/// <summary>
/// bfloat16: the top 16 bits of an IEEE-754 binary32 (1 sign bit, 8 exponent bits, 7 fraction bits).
/// Conversion from float rounds to nearest, ties to even (overflow goes to infinity, subnormals are kept);
/// a NaN stays a NaN of the same sign with the quiet bit (0x0040) set. Conversion to float is exact.
/// </summary>
/// <remarks>
/// <see cref="Equals(BFloat16)"/> and <see cref="CompareTo(BFloat16)"/> follow <see cref="float"/>'s conventions
/// (NaN equals NaN and sorts first, +0 equals -0); the <c>==</c>, <c>&lt;</c>, ... operators follow IEEE-754 comparison.
/// </remarks>
public readonly struct BFloat16 : IEquatable<BFloat16>, IComparable<BFloat16>, IComparable
{
    private BFloat16(ushort bits)
    {
        Bits = bits;
    }

    /// <summary>The raw 16-bit encoding.</summary>
    public ushort Bits { get; }

    /// <summary>Positive zero.</summary>
    public static BFloat16 Zero => new(0x0000);

    /// <summary>One.</summary>
    public static BFloat16 One => new(0x3F80);

    /// <summary>Smallest positive value (a subnormal, 2^-133).</summary>
    public static BFloat16 Epsilon => new(0x0001);

    /// <summary>Smallest positive normal value (2^-126).</summary>
    public static BFloat16 MinNormal => new(0x0080);

    /// <summary>Difference between 1 and the next larger value (2^-7).</summary>
    public static BFloat16 MachineEpsilon => new(0x3C00);

    /// <summary>Largest finite value ((2 - 2^-7) * 2^127, about 3.39e38).</summary>
    public static BFloat16 MaxValue => new(0x7F7F);

    /// <summary>Most negative finite value.</summary>
    public static BFloat16 MinValue => new(0xFF7F);

    /// <summary>Positive infinity.</summary>
    public static BFloat16 PositiveInfinity => new(0x7F80);

    /// <summary>Negative infinity.</summary>
    public static BFloat16 NegativeInfinity => new(0xFF80);

    /// <summary>The canonical quiet NaN (0x7FC0).</summary>
    public static BFloat16 NaN => new(0x7FC0);

    /// <summary>Whether the value is a NaN.</summary>
    public bool IsNaN => (Bits & 0x7FFF) > 0x7F80;

    /// <summary>Whether the value is +infinity or -infinity.</summary>
    public bool IsInfinity => (Bits & 0x7FFF) == 0x7F80;

    /// <summary>Wraps raw bits without any conversion.</summary>
    public static BFloat16 FromBits(ushort bits) => new(bits);

    /// <summary>Rounds a float to bfloat16 bits (round to nearest even; NaN keeps its sign and gets the quiet bit).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort RoundToBits(float value)
    {
        uint bits = FloatBits.ToBits(value);
        if ((bits & 0x7FFFFFFFu) > 0x7F800000u)
        {
            return (ushort)((bits >> 16) | 0x0040u);
        }

        // Adding 0x7FFF plus the lowest kept bit rounds to nearest with ties to even; a carry into the exponent
        // field is the correct result (including overflow to infinity).
        return (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
    }

    /// <summary>Exact widening of bfloat16 bits to float.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float BitsToFloat(ushort bits) => FloatBits.FromBits((uint)bits << 16);

    /// <summary>Rounds a float to bfloat16 (round to nearest even).</summary>
    public static explicit operator BFloat16(float value) => new(RoundToBits(value));

    /// <summary>Exact conversion to float.</summary>
    public static implicit operator float(BFloat16 value) => BitsToFloat(value.Bits);

    /// <summary>IEEE equality (NaN is unequal to everything, +0 == -0).</summary>
    public static bool operator ==(BFloat16 left, BFloat16 right) => BitsToFloat(left.Bits) == BitsToFloat(right.Bits);

    /// <summary>IEEE inequality.</summary>
    public static bool operator !=(BFloat16 left, BFloat16 right) => BitsToFloat(left.Bits) != BitsToFloat(right.Bits);

    /// <summary>IEEE less-than.</summary>
    public static bool operator <(BFloat16 left, BFloat16 right) => BitsToFloat(left.Bits) < BitsToFloat(right.Bits);

    /// <summary>IEEE greater-than.</summary>
    public static bool operator >(BFloat16 left, BFloat16 right) => BitsToFloat(left.Bits) > BitsToFloat(right.Bits);

    /// <summary>IEEE less-or-equal.</summary>
    public static bool operator <=(BFloat16 left, BFloat16 right) => BitsToFloat(left.Bits) <= BitsToFloat(right.Bits);

    /// <summary>IEEE greater-or-equal.</summary>
    public static bool operator >=(BFloat16 left, BFloat16 right) => BitsToFloat(left.Bits) >= BitsToFloat(right.Bits);

    /// <summary>Exact conversion to float.</summary>
    public float ToSingle() => BitsToFloat(Bits);

    /// <inheritdoc />
    public bool Equals(BFloat16 other) => BitsToFloat(Bits).Equals(BitsToFloat(other.Bits));

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is BFloat16 other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => BitsToFloat(Bits).GetHashCode(); // In-memory equality only; float hashes are not randomized.

    /// <inheritdoc />
    public int CompareTo(BFloat16 other) => BitsToFloat(Bits).CompareTo(BitsToFloat(other.Bits));

    /// <inheritdoc />
    public int CompareTo(object? obj)
    {
        if (obj is null)
        {
            return 1;
        }

        return obj is BFloat16 other ? CompareTo(other) : throw new ArgumentException("Object must be a BFloat16.", nameof(obj));
    }

    /// <summary>The value formatted as the float it converts to (invariant culture, shortest round-trip form).</summary>
    public override string ToString() => BitsToFloat(Bits).ToString(CultureInfo.InvariantCulture);
}
