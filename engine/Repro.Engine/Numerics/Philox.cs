using System.Runtime.CompilerServices;

namespace Repro.Engine.Numerics;

/// <summary>
/// Philox4x32-10 counter-based random number generator (J. K. Salmon, M. A. Moraes, R. O. Dror,
/// D. E. Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC'11), plus the stream helpers that
/// define Repro's random-op contract: a random op's value depends only on (seed, stream, element index).
/// </summary>
/// <remarks>
/// <para>Key and counter layout used by every helper:</para>
/// <list type="bullet">
/// <item><description>key = (k0, k1) = (low 32 bits of <c>seed</c>, high 32 bits of <c>seed</c>);</description></item>
/// <item><description>counter for block number <c>b</c> = (low32(b), high32(b), low32(stream), high32(stream)).</description></item>
/// </list>
/// <para>Element indices are reinterpreted as unsigned 64-bit integers (a negative index maps to a very large
/// block number); no helper throws. All helpers are pure functions with no state, so the same code can run in
/// GPU kernels.</para>
/// </remarks>
public static class Philox
{
    private const uint M0 = 0xD2511F53u;
    private const uint M1 = 0xCD9E8D57u;
    private const uint W0 = 0x9E3779B9u;
    private const uint W1 = 0xBB67AE85u;

    /// <summary>2^-24 as a float (exact).</summary>
    private const float TwoPowMinus24F = 5.9604644775390625E-08f;

    /// <summary>2^-32 (exact).</summary>
    private const double TwoPowMinus32 = 2.3283064365386962890625E-10;

    /// <summary>2^-53 (exact).</summary>
    private const double TwoPowMinus53 = 1.1102230246251565404236316680908203125E-16;

    /// <summary>2 * pi rounded to double.</summary>
    private const double TwoPi = 6.283185307179586;

    /// <summary>
    /// One Philox4x32-10 block: ten rounds of the Philox S-box on the counter (c0..c3) under the key (k0, k1),
    /// with the Weyl key schedule (k0 += 0x9E3779B9, k1 += 0xBB67AE85) between rounds.
    /// </summary>
    /// <returns>The four 32-bit output words.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (uint X0, uint X1, uint X2, uint X3) Block(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (int round = 0; round < 10; round++)
        {
            if (round != 0)
            {
                k0 += W0;
                k1 += W1;
            }

            ulong p0 = (ulong)M0 * c0;
            ulong p1 = (ulong)M1 * c2;
            uint hi0 = (uint)(p0 >> 32);
            uint lo0 = (uint)p0;
            uint hi1 = (uint)(p1 >> 32);
            uint lo1 = (uint)p1;
            c0 = hi1 ^ c1 ^ k0;
            c1 = lo1;
            c2 = hi0 ^ c3 ^ k1;
            c3 = lo0;
        }

        return (c0, c1, c2, c3);
    }

    /// <summary>
    /// The Philox block number <paramref name="block"/> of the (seed, stream) pair: counter =
    /// (low32(block), high32(block), low32(stream), high32(stream)), key = (low32(seed), high32(seed)).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (uint X0, uint X1, uint X2, uint X3) StreamBlock(ulong seed, ulong stream, ulong block)
    {
        return Block((uint)block, (uint)(block >> 32), (uint)stream, (uint)(stream >> 32), (uint)seed, (uint)(seed >> 32));
    }

    /// <summary>
    /// The 32-bit random word for element <paramref name="index"/>: word number (index % 4) of
    /// <see cref="StreamBlock"/>(seed, stream, index / 4).
    /// </summary>
    public static uint UInt32(ulong seed, ulong stream, long index)
    {
        ulong e = (ulong)index;
        var (x0, x1, x2, x3) = StreamBlock(seed, stream, e >> 2);
        return Select(x0, x1, x2, x3, (int)(e & 3));
    }

    /// <summary>
    /// Uniform float in [0, 1) for element <paramref name="index"/>: <c>(UInt32(seed, stream, index) &gt;&gt; 8) * 2^-24</c>
    /// (exact; 2^24 equally spaced values).
    /// </summary>
    public static float UniformFloat(ulong seed, ulong stream, long index)
    {
        return (UInt32(seed, stream, index) >> 8) * TwoPowMinus24F;
    }

    /// <summary>
    /// Uniform double in [0, 1) for element <paramref name="index"/> = e: block e / 2 of the stream; with
    /// a = word 2 * (e % 2) and b = word 2 * (e % 2) + 1, the value is <c>((((ulong)a &lt;&lt; 32) | b) &gt;&gt; 11) * 2^-53</c>
    /// (exact; 2^53 equally spaced values).
    /// </summary>
    public static double UniformDouble(ulong seed, ulong stream, long index)
    {
        ulong e = (ulong)index;
        var (x0, x1, x2, x3) = StreamBlock(seed, stream, e >> 1);
        ulong bits = (e & 1) == 0 ? ((ulong)x0 << 32) | x1 : ((ulong)x2 << 32) | x3;
        return (bits >> 11) * TwoPowMinus53;
    }

    /// <summary>
    /// Standard normal float for element <paramref name="index"/> = e, by Box-Muller on one block.
    /// Block e / 4 of the stream; p = (e % 4) / 2 selects the word pair (a, b) = (word 2p, word 2p + 1);
    /// u1 = (a + 1) * 2^-32 in (0, 1], u2 = b * 2^-32 in [0, 1); r = sqrt(-2 * DetMath.Log(u1)),
    /// t = 2 * pi * u2 (pi rounded to double, product rounded to double); the value is r * DetMath.Cos(t) when e is even and
    /// r * DetMath.Sin(t) when e is odd, evaluated in double with <see cref="DetMath"/> and rounded once to float.
    /// Elements 4k..4k+3 thus share one block: (4k, 4k+1) use words (0, 1) and (4k+2, 4k+3) use words (2, 3).
    /// </summary>
    public static float NormalFloat(ulong seed, ulong stream, long index) => NormalFloat<HostFma>(seed, stream, index);

    /// <summary><see cref="NormalFloat(ulong, ulong, long)"/> with the FMA <typeparamref name="TFma"/> (kernels pass their device's).</summary>
    public static float NormalFloat<TFma>(ulong seed, ulong stream, long index)
        where TFma : struct, IFma
    {
        ulong e = (ulong)index;
        var (x0, x1, x2, x3) = StreamBlock(seed, stream, e >> 2);
        bool second = (e & 2) != 0;
        uint a = second ? x2 : x0;
        uint b = second ? x3 : x1;
        double u1 = (a + 1.0) * TwoPowMinus32;
        double u2 = b * TwoPowMinus32;
        return (float)BoxMuller<TFma>(u1, u2, (e & 1) != 0);
    }

    /// <summary>
    /// Standard normal double for element <paramref name="index"/> = e, by Box-Muller on one block.
    /// Block e / 2 of the stream with words (x0, x1, x2, x3); u1 = ((((ulong)x0 &lt;&lt; 32) | x1) &gt;&gt; 11) * 2^-53 + 2^-53
    /// in (0, 1] and u2 = ((((ulong)x2 &lt;&lt; 32) | x3) &gt;&gt; 11) * 2^-53 in [0, 1);
    /// r = sqrt(-2 * DetMath.Log(u1)), t = 2 * pi * u2 (pi rounded to double, product rounded to double);
    /// the value is r * DetMath.Cos(t) when e is even and r * DetMath.Sin(t) when e is odd.
    /// </summary>
    public static double NormalDouble(ulong seed, ulong stream, long index) => NormalDouble<HostFma>(seed, stream, index);

    /// <summary><see cref="NormalDouble(ulong, ulong, long)"/> with the FMA <typeparamref name="TFma"/>.</summary>
    public static double NormalDouble<TFma>(ulong seed, ulong stream, long index)
        where TFma : struct, IFma
    {
        ulong e = (ulong)index;
        var (x0, x1, x2, x3) = StreamBlock(seed, stream, e >> 1);
        double u1 = ((((((ulong)x0 << 32) | x1) >> 11) + 1UL) * TwoPowMinus53);
        double u2 = ((((ulong)x2 << 32) | x3) >> 11) * TwoPowMinus53;
        return BoxMuller<TFma>(u1, u2, (e & 1) != 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double BoxMuller<TFma>(double u1, double u2, bool useSin)
        where TFma : struct, IFma
    {
        double r = Math.Sqrt(-2.0 * DetMath<TFma>.Log(u1));
        double t = TwoPi * u2;
        return r * (useSin ? DetMath<TFma>.Sin(t) : DetMath<TFma>.Cos(t));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Select(uint x0, uint x1, uint x2, uint x3, int word)
    {
        return word switch
        {
            0 => x0,
            1 => x1,
            2 => x2,
            _ => x3,
        };
    }
}
