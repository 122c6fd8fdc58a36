namespace Repro.Engine;

/// <summary>
/// The constants and trees that define Repro's canonical evaluation orders. Every backend implements these
/// orders exactly; none may derive an order from the vector width, the core count, the batch size or the device.
/// </summary>
/// <remarks>
/// Sum-like reductions (sum, mean, variance, softmax denominators): the reduced axes are moved last and made
/// contiguous, so each output element reduces one row of n elements. The row is cut into chunks of
/// <see cref="ReductionChunk"/> elements (the last chunk may be shorter). Inside a chunk,
/// <see cref="ReductionLanes"/> accumulators start at +0.0 and lane l adds the elements whose index inside the
/// chunk is congruent to l modulo <see cref="ReductionLanes"/>, in increasing index order. The lanes are then
/// combined by <see cref="PairwiseTree{T}"/>, giving one partial per chunk, and the chunk partials are combined
/// by the same tree. An empty row sums to +0.0.
/// <para>Matmul: every output element is acc = +0.0, then acc = fma(a[i,k], b[k,j], acc) for k = 0..K-1 in
/// order, with one fused multiply-add per step. K is never split into separately summed parts.</para>
/// </remarks>
public static class Canonical
{
    /// <summary>Elements per reduction chunk. Threads and GPU blocks take whole chunks.</summary>
    public const int ReductionChunk = 1024;

    /// <summary>Lane accumulators inside a chunk (a multiple of every vector width we use: 4, 8, 16 floats).</summary>
    public const int ReductionLanes = 32;

    /// <summary>
    /// Combines values by the canonical pairwise tree, in place: each level adds neighbours (v[0]+v[1], v[2]+v[3], ...)
    /// and carries an odd last element up unchanged, until one value is left. For 8 values this is
    /// ((v0+v1)+(v2+v3))+((v4+v5)+(v6+v7)). Returns +0.0 for no values.
    /// </summary>
    public static T PairwiseTree<T>(Span<T> values)
        where T : struct, System.Numerics.IAdditionOperators<T, T, T>
    {
        int n = values.Length;
        if (n == 0)
        {
            return default;
        }

        while (n > 1)
        {
            int half = n / 2;
            for (int i = 0; i < half; i++)
            {
                values[i] = values[2 * i] + values[(2 * i) + 1];
            }

            if ((n & 1) != 0)
            {
                values[half] = values[n - 1];
                n = half + 1;
            }
            else
            {
                n = half;
            }
        }

        return values[0];
    }

    /// <summary>
    /// <see cref="PairwiseTree{T}"/> for exactly 32 lanes, unrolled so the adds stay in registers: the same operands
    /// and the same association, level by level, as the generic tree.
    /// </summary>
    public static T Tree32<T>(ReadOnlySpan<T> l)
        where T : struct, System.Numerics.IAdditionOperators<T, T, T>
    {
        if (l.Length != ReductionLanes)
        {
            throw new ArgumentException($"Tree32: expected {ReductionLanes} lanes, got {l.Length}", nameof(l));
        }

        T s0 = l[0] + l[1], s1 = l[2] + l[3], s2 = l[4] + l[5], s3 = l[6] + l[7];
        T s4 = l[8] + l[9], s5 = l[10] + l[11], s6 = l[12] + l[13], s7 = l[14] + l[15];
        T s8 = l[16] + l[17], s9 = l[18] + l[19], s10 = l[20] + l[21], s11 = l[22] + l[23];
        T s12 = l[24] + l[25], s13 = l[26] + l[27], s14 = l[28] + l[29], s15 = l[30] + l[31];
        T t0 = s0 + s1, t1 = s2 + s3, t2 = s4 + s5, t3 = s6 + s7;
        T t4 = s8 + s9, t5 = s10 + s11, t6 = s12 + s13, t7 = s14 + s15;
        T u0 = t0 + t1, u1 = t2 + t3, u2 = t4 + t5, u3 = t6 + t7;
        T v0 = u0 + u1, v1 = u2 + u3;
        return v0 + v1;
    }

    /// <summary>Number of chunks a row of <paramref name="n"/> elements is cut into (0 for an empty row).</summary>
    public static int ChunkCount(int n) => (n + ReductionChunk - 1) / ReductionChunk;
}
