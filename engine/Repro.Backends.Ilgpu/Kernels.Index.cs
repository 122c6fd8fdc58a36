using System.Numerics;
using ILGPU;
using Repro.Engine.Backends;

namespace Repro.Backends.Ilgpu;

/// <summary>
/// Gather, index_add, scatter_add and random draws. The accumulating kernels give each item one column (o, j) of
/// the output and walk the index positions in increasing order, so every output element receives its
/// contributions in the canonical order and no two items write the same element (no atomics).
/// </summary>
internal static partial class Kernels
{
    public static void Gather<T>(Index1D w, ArrayView<T> x, ArrayView<int> index, ArrayView<T> y, int axisLen, int inner, int count, int n, int per)
        where T : unmanaged
    {
        int start = w * per;
        int end = Math.Min(start + per, n);
        for (int e = start; e < end; e++)
        {
            int t = e / inner;
            int j = e - (t * inner);
            int o = t / count;
            int i = t - (o * count);
            y[e] = x[(((o * axisLen) + index[i]) * inner) + j];
        }
    }

    /// <summary>
    /// index_add (<paramref name="scatter"/> 0: y[o, index[i], j] += src[o, i, j]) and scatter_add (1: y[o, index[o, i, j],
    /// j] += src[o, i, j]) for i = 0..steps-1 in order; item = column (o, j).
    /// </summary>
    public static void Accumulate<T>(Index1D w, ArrayView<T> y, ArrayView<int> index, ArrayView<T> src, int axisLen, int inner, int steps, int scatter, int columns, int per)
        where T : unmanaged, INumber<T>
    {
        int start = w * per;
        int end = Math.Min(start + per, columns);
        for (int c = start; c < end; c++)
        {
            int o = c / inner;
            int j = c - (o * inner);
            for (int i = 0; i < steps; i++)
            {
                int si = (((o * steps) + i) * inner) + j;
                y[(((o * axisLen) + index[scatter != 0 ? si : i]) * inner) + j] += src[si];
            }
        }
    }

    /// <summary>Element i of a draw from (seed, stream, i): normal or uniform for floats, raw bits for int32.</summary>
    public static void Random<T, TDraw>(Index1D w, ArrayView<T> y, ulong seed, ulong stream, int normal, int n, int per)
        where T : unmanaged
        where TDraw : struct, IDraw<T>
    {
        int start = w * per;
        int end = Math.Min(start + per, n);
        for (int i = start; i < end; i++)
        {
            y[i] = default(TDraw).Draw(normal != 0, seed, stream, i);
        }
    }
}
