using ILGPU;
using Repro.Engine.Numerics;

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

    public static void IndexAddF32(Index1D w, ArrayView<float> y, ArrayView<int> index, ArrayView<float> src, int axisLen, int inner, int count, int columns, int per)
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

    public static void IndexAddF64(Index1D w, ArrayView<double> y, ArrayView<int> index, ArrayView<double> src, int axisLen, int inner, int count, int columns, int per)
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

    public static void IndexAddI32(Index1D w, ArrayView<int> y, ArrayView<int> index, ArrayView<int> src, int axisLen, int inner, int count, int columns, int per)
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
                y[yi] = unchecked(y[yi] + src[(((o * count) + i) * inner) + j]);
            }
        }
    }

    public static void ScatterAddF32(Index1D w, ArrayView<float> y, ArrayView<int> index, ArrayView<float> src, int axisLen, int inner, int len, int columns, int per)
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

    public static void ScatterAddF64(Index1D w, ArrayView<double> y, ArrayView<int> index, ArrayView<double> src, int axisLen, int inner, int len, int columns, int per)
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

    public static void ScatterAddI32(Index1D w, ArrayView<int> y, ArrayView<int> index, ArrayView<int> src, int axisLen, int inner, int len, int columns, int per)
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
                y[yi] = unchecked(y[yi] + src[si]);
            }
        }
    }

    public static void RandomBits(Index1D w, ArrayView<int> y, ulong seed, ulong stream, int n, int per)
    {
        int start = w * per;
        int end = Math.Min(start + per, n);
        for (int i = start; i < end; i++)
        {
            y[i] = unchecked((int)Philox.UInt32(seed, stream, i));
        }
    }

    public static void RandomF32<TFma>(Index1D w, ArrayView<float> y, ulong seed, ulong stream, int normal, int n, int per)
        where TFma : struct, IFma
    {
        int start = w * per;
        int end = Math.Min(start + per, n);
        for (int i = start; i < end; i++)
        {
            y[i] = normal != 0 ? Philox.NormalFloat<TFma>(seed, stream, i) : Philox.UniformFloat(seed, stream, i);
        }
    }

    public static void RandomF64<TFma>(Index1D w, ArrayView<double> y, ulong seed, ulong stream, int normal, int n, int per)
        where TFma : struct, IFma
    {
        int start = w * per;
        int end = Math.Min(start + per, n);
        for (int i = start; i < end; i++)
        {
            y[i] = normal != 0 ? Philox.NormalDouble<TFma>(seed, stream, i) : Philox.UniformDouble(seed, stream, i);
        }
    }
}
