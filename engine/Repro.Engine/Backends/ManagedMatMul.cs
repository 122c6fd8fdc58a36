using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Repro.Engine.Backends;

/// <summary>
/// Blocked matmul in the canonical order: each output element is acc = +0, then acc = fma(a[i,q], b[q,j], acc) for
/// q = 0..K-1 (int32: wrapping acc + a*b). Blocking is over i (6 rows) and j (a panel of 2 vectors); K is walked in
/// order, unsplit. Written once over the element type and the vector type (Vector512, 256, 128 or one element): the
/// width only changes how many j are done at once, never the per-element order, so any width gives the same bits.
/// </summary>
internal static class ManagedMatMul
{
    private const int Rows = 6;
    private const int RowGroup = 48;

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reproducibility", "RPR3002", Justification = "Every width runs the same sequential-k fused multiply-add per output element; HardwareInvarianceTests compare the widths bit for bit in child processes.")]
    public static void Run<T>(T[] a, T[] b, T[] y, int batch, int m, int k, int n)
        where T : unmanaged, INumber<T>
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Run<Vector512<T>, T>(a, b, y, batch, m, k, n);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Run<Vector256<T>, T>(a, b, y, batch, m, k, n);
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            Run<Vector128<T>, T>(a, b, y, batch, m, k, n);
        }
        else
        {
            Run<T, T>(a, b, y, batch, m, k, n);
        }
    }

    private static void Run<TVec, T>(T[] a, T[] b, T[] y, int batch, int m, int k, int n)
        where TVec : unmanaged
        where T : unmanaged, INumber<T>
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0)
        {
            Array.Clear(y, 0, batch * m * n);
            return;
        }

        int width = 2 * Simd.Count<TVec, T>();
        int panels = (n + width - 1) / width;
        int groups = (m + RowGroup - 1) / RowGroup;
        int items = batch * panels * groups;
        Parallelism.For(items, (long)RowGroup * width * k, (w0, w1) =>
        {
            var pack = ArrayPool<T>.Shared.Rent(k * width);
            try
            {
                int packed = -1;
                for (int w = w0; w < w1; w++)
                {
                    int p = w / (panels * groups);
                    int rem = w % (panels * groups);
                    int panel = rem / groups;
                    int group = rem % groups;
                    int j0 = panel * width;
                    int cols = Math.Min(width, n - j0);
                    int key = (p * panels) + panel;
                    if (key != packed)
                    {
                        Pack(b, p * k * n, k, n, j0, cols, width, pack);
                        packed = key;
                    }

                    int i0 = group * RowGroup;
                    int i1 = Math.Min(m, i0 + RowGroup);
                    int aBase = p * m * k;
                    int yBase = (p * m * n) + j0;
                    for (int i = i0; i < i1; i += Rows)
                    {
                        Block<TVec, T>(a, aBase + (i * k), k, pack, y, yBase + (i * n), n, Math.Min(Rows, i1 - i), cols);
                    }
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(pack);
            }
        });
    }

    /// <summary>Copies b[:, j0..j0+cols) into pack[q * width + c], zero-padding the columns past cols.</summary>
    private static void Pack<T>(T[] b, int bBase, int k, int n, int j0, int cols, int width, T[] pack)
    {
        for (int q = 0; q < k; q++)
        {
            Array.Copy(b, bBase + (q * n) + j0, pack, q * width, cols);
            if (cols < width)
            {
                Array.Clear(pack, (q * width) + cols, width - cols);
            }
        }
    }

    /// <summary>
    /// Up to 6 rows of a times one packed panel of 2 vectors: the 12 accumulators stay in registers for a full block,
    /// each taking its k fused multiply-adds in increasing k.
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block<TVec, T>(T[] a, int aOff, int k, T[] pack, T[] y, int yOff, int n, int rows, int cols)
        where TVec : unmanaged
        where T : unmanaged, INumber<T>
    {
        int w = Simd.Count<TVec, T>();
        Span<TVec> acc = stackalloc TVec[2 * Rows];
        ref T pb = ref pack[0];
        ref T pa = ref a[0];
        if (rows == Rows)
        {
            TVec c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
            TVec c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
            for (int q = 0; q < k; q++)
            {
                var b0 = Simd.Load<TVec, T>(ref pb, 2 * w * q);
                var b1 = Simd.Load<TVec, T>(ref pb, (2 * w * q) + w);
                (c00, c01) = Step<TVec, T>(Simd.BroadcastAt<TVec, T>(ref pa, aOff + q), b0, b1, c00, c01);
                (c10, c11) = Step<TVec, T>(Simd.BroadcastAt<TVec, T>(ref pa, aOff + k + q), b0, b1, c10, c11);
                (c20, c21) = Step<TVec, T>(Simd.BroadcastAt<TVec, T>(ref pa, aOff + (2 * k) + q), b0, b1, c20, c21);
                (c30, c31) = Step<TVec, T>(Simd.BroadcastAt<TVec, T>(ref pa, aOff + (3 * k) + q), b0, b1, c30, c31);
                (c40, c41) = Step<TVec, T>(Simd.BroadcastAt<TVec, T>(ref pa, aOff + (4 * k) + q), b0, b1, c40, c41);
                (c50, c51) = Step<TVec, T>(Simd.BroadcastAt<TVec, T>(ref pa, aOff + (5 * k) + q), b0, b1, c50, c51);
            }

            Keep(acc, 0, c00, c01);
            Keep(acc, 1, c10, c11);
            Keep(acc, 2, c20, c21);
            Keep(acc, 3, c30, c31);
            Keep(acc, 4, c40, c41);
            Keep(acc, 5, c50, c51);
        }
        else
        {
            for (int r = 0; r < rows; r++)
            {
                TVec c0 = default, c1 = default;
                int ar = aOff + (r * k);
                for (int q = 0; q < k; q++)
                {
                    (c0, c1) = Step<TVec, T>(Simd.BroadcastAt<TVec, T>(ref pa, ar + q), Simd.Load<TVec, T>(ref pb, 2 * w * q), Simd.Load<TVec, T>(ref pb, (2 * w * q) + w), c0, c1);
                }

                Keep(acc, r, c0, c1);
            }
        }

        Span<T> tmp = stackalloc T[2 * w];
        for (int r = 0; r < rows; r++)
        {
            Simd.Store(acc[2 * r], ref tmp[0], 0);
            Simd.Store(acc[(2 * r) + 1], ref tmp[0], w);
            tmp[..cols].CopyTo(y.AsSpan(yOff + (r * n), cols));
        }
    }

    /// <summary>One k step of one row (x, a broadcast element of a) against the panel's two vectors: (c0 + x * b0, c1 + x * b1), each fused.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (TVec C0, TVec C1) Step<TVec, T>(TVec x, TVec b0, TVec b1, TVec c0, TVec c1)
        where TVec : unmanaged
        where T : unmanaged, INumber<T> => (Simd.MulAdd<TVec, T>(x, b0, c0), Simd.MulAdd<TVec, T>(x, b1, c1));

    // Row r's two accumulators, to the block's staging area.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Keep<TVec>(Span<TVec> acc, int r, TVec c0, TVec c1)
    {
        acc[2 * r] = c0;
        acc[(2 * r) + 1] = c1;
    }
}
