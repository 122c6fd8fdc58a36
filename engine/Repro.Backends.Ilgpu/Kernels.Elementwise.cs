using System.Numerics;
using ILGPU;
using Repro.Engine.Backends;

namespace Repro.Backends.Ilgpu;

/// <summary>
/// The kernels. Every kernel takes a work-item index w and a fixed number of elements (or rows, chunks, ...) per
/// item, <c>per</c>; item w handles [w * per, min((w + 1) * per, count)). The CPU accelerator runs large items (a
/// thread per element is far too slow there), GPUs run one element per item; each element's result never depends
/// on <c>per</c>, so the same compiled code gives the same bits with either.
/// </summary>
/// <remarks>
/// Strided kernels read a layout from <c>meta</c>: [rank, shape..., then per view: offset, strides...]. They walk
/// rows of the last axis, so the position arithmetic is one division per row, not per element.
/// </remarks>
internal static partial class Kernels
{
    public static int RowOffset(ArrayView<int> meta, int rank, int view, int row)
    {
        int b = 1 + rank + (view * (rank + 1));
        int off = meta[b];
        for (int d = rank - 2; d >= 0; d--)
        {
            int extent = meta[1 + d];
            off += row % extent * meta[b + 1 + d];
            row /= extent;
        }

        return off;
    }

    public static int LastStride(ArrayView<int> meta, int rank, int view) => meta[1 + rank + (view * (rank + 1)) + rank];

    public static void Copy<T>(Index1D w, ArrayView<T> src, ArrayView<T> dst, ArrayView<int> meta, int n, int per)
        where T : unmanaged
    {
        int start = w * per;
        int end = Math.Min(start + per, n);
        int rank = meta[0];
        int inner = meta[rank];
        int ss = LastStride(meta, rank, 0);
        int ds = LastStride(meta, rank, 1);
        int i = start;
        while (i < end)
        {
            int row = i / inner;
            int col = i - (row * inner);
            int so = RowOffset(meta, rank, 0, row) + (col * ss);
            int dof = RowOffset(meta, rank, 1, row) + (col * ds);
            int stop = Math.Min(end, i + inner - col);
            for (; i < stop; i++)
            {
                dst[dof] = src[so];
                so += ss;
                dof += ds;
            }
        }
    }

    public static void Cast<TS, ES, TD, ED>(Index1D w, ArrayView<TS> src, ArrayView<TD> dst, int n, int per)
        where TS : unmanaged
        where ES : struct, IElement<TS>
        where TD : unmanaged
        where ED : struct, IElement<TD>
    {
        int start = w * per;
        int end = Math.Min(start + per, n);
        for (int i = start; i < end; i++)
        {
            dst[i] = default(ED).FromDouble(default(ES).ToDouble(src[i]));
        }
    }

    public static void Fill<TD, ED>(Index1D w, ArrayView<TD> dst, double value, int n, int per)
        where TD : unmanaged
        where ED : struct, IElement<TD>
    {
        int start = w * per;
        int end = Math.Min(start + per, n);
        var v = default(ED).FromDouble(value);
        for (int i = start; i < end; i++)
        {
            dst[i] = v;
        }
    }

    public static void Unary<T, TOps>(Index1D w, ArrayView<T> x, ArrayView<T> y, int op, int n, int per)
        where T : unmanaged, INumber<T>
        where TOps : struct, INumberOps<T>
    {
        int start = w * per;
        int end = Math.Min(start + per, n);
        for (int i = start; i < end; i++)
        {
            y[i] = default(TOps).Unary((UnaryOp)op, x[i]);
        }
    }

    public static void Binary<T, TOps>(Index1D w, ArrayView<T> a, ArrayView<T> b, ArrayView<T> y, ArrayView<int> meta, int op, int n, int per)
        where T : unmanaged, INumber<T>
        where TOps : struct, INumberOps<T>
    {
        int start = w * per;
        int end = Math.Min(start + per, n);
        int rank = meta[0];
        int inner = meta[rank];
        int sa = LastStride(meta, rank, 0);
        int sb = LastStride(meta, rank, 1);
        int i = start;
        while (i < end)
        {
            int row = i / inner;
            int col = i - (row * inner);
            int oa = RowOffset(meta, rank, 0, row) + (col * sa);
            int ob = RowOffset(meta, rank, 1, row) + (col * sb);
            int stop = Math.Min(end, i + inner - col);
            for (; i < stop; i++)
            {
                y[i] = default(TOps).Binary((BinaryOp)op, a[oa], b[ob]);
                oa += sa;
                ob += sb;
            }
        }
    }

    public static void Where<TC, EC, T>(Index1D w, ArrayView<TC> cond, ArrayView<T> a, ArrayView<T> b, ArrayView<T> y, ArrayView<int> meta, int n, int per)
        where TC : unmanaged
        where EC : struct, IElement<TC>
        where T : unmanaged
    {
        int start = w * per;
        int end = Math.Min(start + per, n);
        int rank = meta[0];
        int inner = meta[rank];
        int sc = LastStride(meta, rank, 0);
        int sa = LastStride(meta, rank, 1);
        int sb = LastStride(meta, rank, 2);
        int i = start;
        while (i < end)
        {
            int row = i / inner;
            int col = i - (row * inner);
            int oc = RowOffset(meta, rank, 0, row) + (col * sc);
            int oa = RowOffset(meta, rank, 1, row) + (col * sa);
            int ob = RowOffset(meta, rank, 2, row) + (col * sb);
            int stop = Math.Min(end, i + inner - col);
            for (; i < stop; i++)
            {
                y[i] = default(EC).ToDouble(cond[oc]) != 0.0 ? a[oa] : b[ob];
                oc += sc;
                oa += sa;
                ob += sb;
            }
        }
    }
}
