using ILGPU;
using Repro.Engine;
using Repro.Engine.Backends;

namespace Repro.Backends.Ilgpu;

/// <summary>
/// Reductions in the canonical order of <see cref="Canonical"/>: a row of n is cut into chunks of 1024; inside a
/// chunk, lane l (0..31) sums the elements l, l + 32, ... from +0 in increasing index; the 32 lanes meet in the
/// pairwise tree ((l0 + l1) + (l2 + l3)) + ...; the chunk partials of a row meet in the pairwise tree with the odd
/// last element carried up. Three kernels, one per level, each writing fixed slots: no atomics, and no result
/// depends on how many threads or blocks run.
/// </summary>
internal static partial class Kernels
{
    private const int Chunk = Canonical.ReductionChunk;
    private const int Lanes = Canonical.ReductionLanes;

    /// <summary>Level 1: item p = (global chunk, lane) writes that lane's sum to lanes[p].</summary>
    public static void SumLanesF32(Index1D w, ArrayView<float> x, ArrayView<float> lanes, int n, int chunks, int count, int per)
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
            float acc = 0f;
            for (int i = lane; i < len; i += Lanes)
            {
                acc += x[baseIndex + i];
            }

            lanes[p] = acc;
        }
    }

    /// <summary>Level 1 for float64.</summary>
    public static void SumLanesF64(Index1D w, ArrayView<double> x, ArrayView<double> lanes, int n, int chunks, int count, int per)
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
            double acc = 0.0;
            for (int i = lane; i < len; i += Lanes)
            {
                acc += x[baseIndex + i];
            }

            lanes[p] = acc;
        }
    }

    /// <summary>Level 2: item = global chunk; the pairwise tree over its 32 lanes (in place), result to partials.</summary>
    public static void LaneTreeF32(Index1D w, ArrayView<float> lanes, ArrayView<float> partials, int count, int per)
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

    /// <summary>Level 2 for float64.</summary>
    public static void LaneTreeF64(Index1D w, ArrayView<double> lanes, ArrayView<double> partials, int count, int per)
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
    /// exactly as in <see cref="RowTreeF32"/>, which runs one row per thread and so leaves a GPU nearly idle on one long row.
    /// </summary>
    public static void TreeLevelF32(Index1D w, ArrayView<float> src, ArrayView<float> dst, int m, int srcStride, int dstStride, int count, int per)
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

    /// <summary>One row-tree level for float64; see <see cref="TreeLevelF32"/>.</summary>
    public static void TreeLevelF64(Index1D w, ArrayView<double> src, ArrayView<double> dst, int m, int srcStride, int dstStride, int count, int per)
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
    public static void RowTreeF32(Index1D w, ArrayView<float> partials, ArrayView<float> y, int chunks, int rows, int per)
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

    /// <summary>Level 3 for float64.</summary>
    public static void RowTreeF64(Index1D w, ArrayView<double> partials, ArrayView<double> y, int chunks, int rows, int per)
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

    /// <summary>Max or min of each row, sequentially (a total order, so any order agrees; this is the reference's).</summary>
    public static void MaxMinF32(Index1D w, ArrayView<float> x, ArrayView<float> y, int max, int n, int rows, int per)
    {
        int start = w * per;
        int end = Math.Min(start + per, rows);
        for (int r = start; r < end; r++)
        {
            int b = r * n;
            float m = x[b];
            for (int i = 1; i < n; i++)
            {
                m = max != 0 ? ScalarOps.Max(m, x[b + i]) : ScalarOps.Min(m, x[b + i]);
            }

            y[r] = m;
        }
    }

    /// <summary>Max or min for float64.</summary>
    public static void MaxMinF64(Index1D w, ArrayView<double> x, ArrayView<double> y, int max, int n, int rows, int per)
    {
        int start = w * per;
        int end = Math.Min(start + per, rows);
        for (int r = start; r < end; r++)
        {
            int b = r * n;
            double m = x[b];
            for (int i = 1; i < n; i++)
            {
                m = max != 0 ? ScalarOps.Max(m, x[b + i]) : ScalarOps.Min(m, x[b + i]);
            }

            y[r] = m;
        }
    }

    /// <summary>First index of the max (or min) of each row; the first NaN wins; +0 counts above -0.</summary>
    public static void ArgF32(Index1D w, ArrayView<float> x, ArrayView<int> y, int max, int n, int rows, int per)
    {
        int start = w * per;
        int end = Math.Min(start + per, rows);
        for (int r = start; r < end; r++)
        {
            int b = r * n;
            int best = 0;
            for (int i = 0; i < n; i++)
            {
                float v = x[b + i];
                if (float.IsNaN(v))
                {
                    best = i;
                    break;
                }

                float cur = x[b + best];
                bool better = max != 0
                    ? v > cur || (v == cur && float.IsNegative(cur) && !float.IsNegative(v))
                    : v < cur || (v == cur && !float.IsNegative(cur) && float.IsNegative(v));
                if (better)
                {
                    best = i;
                }
            }

            y[r] = best;
        }
    }

    /// <summary>Arg-reduction for float64.</summary>
    public static void ArgF64(Index1D w, ArrayView<double> x, ArrayView<int> y, int max, int n, int rows, int per)
    {
        int start = w * per;
        int end = Math.Min(start + per, rows);
        for (int r = start; r < end; r++)
        {
            int b = r * n;
            int best = 0;
            for (int i = 0; i < n; i++)
            {
                double v = x[b + i];
                if (double.IsNaN(v))
                {
                    best = i;
                    break;
                }

                double cur = x[b + best];
                bool better = max != 0
                    ? v > cur || (v == cur && double.IsNegative(cur) && !double.IsNegative(v))
                    : v < cur || (v == cur && !double.IsNegative(cur) && double.IsNegative(v));
                if (better)
                {
                    best = i;
                }
            }

            y[r] = best;
        }
    }

    /// <summary>Int32 rows: wrapping sum, max, min, argmax, argmin (integer results do not depend on order).</summary>
    public static void ReduceI32(Index1D w, ArrayView<int> x, ArrayView<int> y, int op, int n, int rows, int per)
    {
        int start = w * per;
        int end = Math.Min(start + per, rows);
        for (int r = start; r < end; r++)
        {
            int b = r * n;
            int result;
            switch ((ReduceOp)op)
            {
                case ReduceOp.Sum:
                    result = 0;
                    for (int i = 0; i < n; i++)
                    {
                        result = unchecked(result + x[b + i]);
                    }

                    break;
                case ReduceOp.Max:
                    result = int.MinValue;
                    for (int i = 0; i < n; i++)
                    {
                        result = Math.Max(result, x[b + i]);
                    }

                    break;
                case ReduceOp.Min:
                    result = int.MaxValue;
                    for (int i = 0; i < n; i++)
                    {
                        result = Math.Min(result, x[b + i]);
                    }

                    break;
                default:
                    bool isMax = (ReduceOp)op == ReduceOp.ArgMax;
                    result = 0;
                    for (int i = 1; i < n; i++)
                    {
                        if (isMax ? x[b + i] > x[b + result] : x[b + i] < x[b + result])
                        {
                            result = i;
                        }
                    }

                    break;
            }

            y[r] = result;
        }
    }
}
