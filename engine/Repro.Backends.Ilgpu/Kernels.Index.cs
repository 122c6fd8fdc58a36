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

    /// <summary>index_add: item = column (o, j); for i = 0..count-1 in order, y[o, index[i], j] += src[o, i, j].</summary>
    public static void IndexAdd<T>(Index1D w, ArrayView<T> y, ArrayView<int> index, ArrayView<T> src, int axisLen, int inner, int count, int columns, int per)
        where T : unmanaged, INumber<T>
    {
        int start = w * per;
        int end = Math.Min(start + per, columns);
        for (int c = start; c < end; c++)
        {
            int o = c / inner;
            int j = c - (o * inner);
            for (int i = 0; i < count; i++)
            {
                int yi = (((o * axisLen) + index[i]) * inner) + j;
                y[yi] += src[(((o * count) + i) * inner) + j];
            }
        }
    }

    /// <summary>scatter_add: item = column (o, j); for l = 0..len-1 in order, y[o, index[o, l, j], j] += src[o, l, j].</summary>
    public static void ScatterAdd<T>(Index1D w, ArrayView<T> y, ArrayView<int> index, ArrayView<T> src, int axisLen, int inner, int len, int columns, int per)
        where T : unmanaged, INumber<T>
    {
        int start = w * per;
        int end = Math.Min(start + per, columns);
        for (int c = start; c < end; c++)
        {
            int o = c / inner;
            int j = c - (o * inner);
            for (int l = 0; l < len; l++)
            {
                int si = (((o * len) + l) * inner) + j;
                int yi = (((o * axisLen) + index[si]) * inner) + j;
                y[yi] += src[si];
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
