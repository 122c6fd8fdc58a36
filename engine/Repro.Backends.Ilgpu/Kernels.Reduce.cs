using System.Numerics;
using ILGPU;
using Repro.Engine;
using Repro.Engine.Backends;

namespace Repro.Backends.Ilgpu;

/// <summary>
/// Reductions in the canonical order of <see cref="Canonical"/>: a row of n is cut into chunks of 1024; inside a
/// chunk, lane l (0..31) sums the elements l, l + 32, ... from +0 in increasing index; the 32 lanes meet in the
/// pairwise tree ((l0 + l1) + (l2 + l3)) + ...; the chunk partials of a row meet in the pairwise tree with the odd
/// last element carried up. Three kernels, one per level, each writing fixed slots: no atomics, and no result
/// depends on how many threads or blocks run. Written once for every element type (int32 sums wrap, so any order
/// gives the same int32 result, and they take the same path).
/// </summary>
internal static partial class Kernels
{
    private const int Chunk = Canonical.ReductionChunk;
    private const int Lanes = Canonical.ReductionLanes;

    /// <summary>Level 1: item p = (global chunk, lane) writes that lane's sum to lanes[p].</summary>
    public static void SumLanes<T>(Index1D w, ArrayView<T> x, ArrayView<T> lanes, int n, int chunks, int count, int per)
        where T : unmanaged, INumber<T>
    {
        int start = w * per;
        int end = Math.Min(start + per, count);
        for (int p = start; p < end; p++)
        {
            int gc = p / Lanes;
            int lane = p - (gc * Lanes);
            int row = gc / chunks;
            int c0 = (gc - (row * chunks)) * Chunk;
            int len = Math.Min(Chunk, n - c0);
            int baseIndex = (row * n) + c0;
            T acc = T.Zero;
            for (int i = lane; i < len; i += Lanes)
            {
                acc += x[baseIndex + i];
            }

            lanes[p] = acc;
        }
    }

    /// <summary>Level 2: item = global chunk; the pairwise tree over its 32 lanes (in place), result to partials.</summary>
    public static void LaneTree<T>(Index1D w, ArrayView<T> lanes, ArrayView<T> partials, int count, int per)
        where T : unmanaged, INumber<T>
    {
        int start = w * per;
        int end = Math.Min(start + per, count);
        for (int gc = start; gc < end; gc++)
        {
            int b = gc * Lanes;
            for (int width = Lanes; width > 1; width >>= 1)
            {
                int half = width >> 1;
                for (int t = 0; t < half; t++)
                {
                    lanes[b + t] = lanes[b + (2 * t)] + lanes[b + (2 * t) + 1];
                }
            }

            partials[gc] = lanes[b];
        }
    }

    /// <summary>
    /// Level 3 on GPUs, one level of the row tree per launch: item p = (row, t) writes dst[row * dstStride + t] =
    /// src[2t] + src[2t + 1] of that row (m values at srcStride), or carries src[2t] up unchanged when it is the odd last
    /// one. Element t of level l is then the tree over the aligned block [t 2^l, (t + 1) 2^l) of the row's partials,
    /// exactly as in <see cref="RowTree{T}"/>, which runs one row per thread and so leaves a GPU nearly idle on one long row.
    /// </summary>
    public static void TreeLevel<T>(Index1D w, ArrayView<T> src, ArrayView<T> dst, int m, int srcStride, int dstStride, int count, int per)
        where T : unmanaged, INumber<T>
    {
        int outCount = (m + 1) / 2;
        int start = w * per;
        int end = Math.Min(start + per, count);
        for (int p = start; p < end; p++)
        {
            int r = p / outCount;
            int t = p - (r * outCount);
            int s = (r * srcStride) + (2 * t);
            dst[(r * dstStride) + t] = (2 * t) + 1 < m ? src[s] + src[s + 1] : src[s];
        }
    }

    /// <summary>Level 3: item = row; <see cref="Canonical.PairwiseTree{T}"/> over the row's chunk partials, in place.</summary>
    public static void RowTree<T>(Index1D w, ArrayView<T> partials, ArrayView<T> y, int chunks, int rows, int per)
        where T : unmanaged, INumber<T>
    {
        int start = w * per;
        int end = Math.Min(start + per, rows);
        for (int r = start; r < end; r++)
        {
            int b = r * chunks;
            int m = chunks;
            while (m > 1)
            {
                int half = m / 2;
                for (int t = 0; t < half; t++)
                {
                    partials[b + t] = partials[b + (2 * t)] + partials[b + (2 * t) + 1];
                }

                if ((m & 1) != 0)
                {
                    partials[b + half] = partials[b + m - 1];
                    m = half + 1;
                }
                else
                {
                    m = half;
                }
            }

            y[r] = partials[b];
        }
    }

    /// <summary>Max or min of each row, sequentially (a total order, so any order agrees).</summary>
    public static void MaxMin<T, TOps>(Index1D w, ArrayView<T> x, ArrayView<T> y, int max, int n, int rows, int per)
        where T : unmanaged, INumber<T>
        where TOps : struct, INumberOps<T>
    {
        int start = w * per;
        int end = Math.Min(start + per, rows);
        for (int r = start; r < end; r++)
        {
            int b = r * n;
            T m = x[b];
            for (int i = 1; i < n; i++)
            {
                m = max != 0 ? default(TOps).Max(m, x[b + i]) : default(TOps).Min(m, x[b + i]);
            }

            y[r] = m;
        }
    }

    /// <summary>First index of the max (or min) of each row; the first NaN wins; +0 counts above -0.</summary>
    public static void Arg<T>(Index1D w, ArrayView<T> x, ArrayView<int> y, int max, int n, int rows, int per)
        where T : unmanaged, INumber<T>
    {
        int start = w * per;
        int end = Math.Min(start + per, rows);
        for (int r = start; r < end; r++)
        {
            int b = r * n;
            int best = 0;
            for (int i = 0; i < n; i++)
            {
                T v = x[b + i];
                if (T.IsNaN(v))
                {
                    best = i;
                    break;
                }

                if (ScalarOps.Beats(v, x[b + best], max != 0))
                {
                    best = i;
                }
            }

            y[r] = best;
        }
    }
}
