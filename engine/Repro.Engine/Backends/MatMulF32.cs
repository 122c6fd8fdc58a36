using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Repro.Engine.Backends;

/// <summary>
/// Blocked float32 matmul in the canonical order: each output element is acc = +0, then acc = fma(a[i,q], b[q,j], acc)
/// for q = 0..K-1. Blocking is over i (6 rows) and j (a panel of 2 vectors); K is walked in order, unsplit. The vector
/// width only changes how many j are done at once, never the per-element order, so any width gives the same bits.
/// </summary>
internal static class MatMulF32
{
    private const int Rows = 6;
    private const int RowGroup = 48;

    public static void Run(float[] a, float[] b, float[] y, int batch, int m, int k, int n)
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

        int width = Vector512.IsHardwareAccelerated ? 32 : 16;
        bool vector = Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated;
        int panels = (n + width - 1) / width;
        int groups = (m + RowGroup - 1) / RowGroup;
        int items = batch * panels * groups;
        Parallelism.For(items, (long)RowGroup * width * k, (w0, w1) =>
        {
            var pack = ArrayPool<float>.Shared.Rent(k * width);
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
                        int rows = Math.Min(Rows, i1 - i);
                        if (!vector)
                        {
                            Scalar(a, aBase + (i * k), k, pack, width, y, yBase + (i * n), n, rows, cols);
                        }
                        else if (width == 32)
                        {
                            Kernel512(a, aBase + (i * k), k, pack, y, yBase + (i * n), n, rows, cols);
                        }
                        else
                        {
                            Kernel256(a, aBase + (i * k), k, pack, y, yBase + (i * n), n, rows, cols);
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(pack);
            }
        });
    }

    /// <summary>Copies b[:, j0..j0+cols) into pack[q * width + c], zero-padding the columns past cols.</summary>
    private static void Pack(float[] b, int bBase, int k, int n, int j0, int cols, int width, float[] pack)
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

    [SkipLocalsInit]
    private static void Kernel512(float[] a, int aOff, int k, float[] pack, float[] y, int yOff, int n, int rows, int cols)
    {
        Span<Vector512<float>> acc = stackalloc Vector512<float>[2 * Rows];
        ref float pb = ref pack[0];
        if (rows == Rows)
        {
            var c00 = Vector512<float>.Zero;
            var c01 = Vector512<float>.Zero;
            var c10 = Vector512<float>.Zero;
            var c11 = Vector512<float>.Zero;
            var c20 = Vector512<float>.Zero;
            var c21 = Vector512<float>.Zero;
            var c30 = Vector512<float>.Zero;
            var c31 = Vector512<float>.Zero;
            var c40 = Vector512<float>.Zero;
            var c41 = Vector512<float>.Zero;
            var c50 = Vector512<float>.Zero;
            var c51 = Vector512<float>.Zero;
            for (int q = 0; q < k; q++)
            {
                var b0 = Vector512.LoadUnsafe(ref pb, (nuint)(q * 32));
                var b1 = Vector512.LoadUnsafe(ref pb, (nuint)((q * 32) + 16));
                var x = Vector512.Create(a[aOff + q]);
                c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
                c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
                x = Vector512.Create(a[aOff + k + q]);
                c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
                c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
                x = Vector512.Create(a[aOff + (2 * k) + q]);
                c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
                c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
                x = Vector512.Create(a[aOff + (3 * k) + q]);
                c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
                c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
                x = Vector512.Create(a[aOff + (4 * k) + q]);
                c40 = Vector512.FusedMultiplyAdd(x, b0, c40);
                c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
                x = Vector512.Create(a[aOff + (5 * k) + q]);
                c50 = Vector512.FusedMultiplyAdd(x, b0, c50);
                c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            }

            acc[0] = c00;
            acc[1] = c01;
            acc[2] = c10;
            acc[3] = c11;
            acc[4] = c20;
            acc[5] = c21;
            acc[6] = c30;
            acc[7] = c31;
            acc[8] = c40;
            acc[9] = c41;
            acc[10] = c50;
            acc[11] = c51;
        }
        else
        {
            for (int r = 0; r < rows; r++)
            {
                var c0 = Vector512<float>.Zero;
                var c1 = Vector512<float>.Zero;
                int ar = aOff + (r * k);
                for (int q = 0; q < k; q++)
                {
                    var x = Vector512.Create(a[ar + q]);
                    c0 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref pb, (nuint)(q * 32)), c0);
                    c1 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref pb, (nuint)((q * 32) + 16)), c1);
                }

                acc[2 * r] = c0;
                acc[(2 * r) + 1] = c1;
            }
        }

        Span<float> tmp = stackalloc float[32];
        for (int r = 0; r < rows; r++)
        {
            acc[2 * r].StoreUnsafe(ref tmp[0]);
            acc[(2 * r) + 1].StoreUnsafe(ref tmp[16]);
            tmp[..cols].CopyTo(y.AsSpan(yOff + (r * n), cols));
        }
    }

    [SkipLocalsInit]
    private static void Kernel256(float[] a, int aOff, int k, float[] pack, float[] y, int yOff, int n, int rows, int cols)
    {
        Span<Vector256<float>> acc = stackalloc Vector256<float>[2 * Rows];
        ref float pb = ref pack[0];
        if (rows == Rows)
        {
            var c00 = Vector256<float>.Zero;
            var c01 = Vector256<float>.Zero;
            var c10 = Vector256<float>.Zero;
            var c11 = Vector256<float>.Zero;
            var c20 = Vector256<float>.Zero;
            var c21 = Vector256<float>.Zero;
            var c30 = Vector256<float>.Zero;
            var c31 = Vector256<float>.Zero;
            var c40 = Vector256<float>.Zero;
            var c41 = Vector256<float>.Zero;
            var c50 = Vector256<float>.Zero;
            var c51 = Vector256<float>.Zero;
            for (int q = 0; q < k; q++)
            {
                var b0 = Vector256.LoadUnsafe(ref pb, (nuint)(q * 16));
                var b1 = Vector256.LoadUnsafe(ref pb, (nuint)((q * 16) + 8));
                var x = Vector256.Create(a[aOff + q]);
                c00 = Vector256.FusedMultiplyAdd(x, b0, c00);
                c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
                x = Vector256.Create(a[aOff + k + q]);
                c10 = Vector256.FusedMultiplyAdd(x, b0, c10);
                c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
                x = Vector256.Create(a[aOff + (2 * k) + q]);
                c20 = Vector256.FusedMultiplyAdd(x, b0, c20);
                c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
                x = Vector256.Create(a[aOff + (3 * k) + q]);
                c30 = Vector256.FusedMultiplyAdd(x, b0, c30);
                c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
                x = Vector256.Create(a[aOff + (4 * k) + q]);
                c40 = Vector256.FusedMultiplyAdd(x, b0, c40);
                c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
                x = Vector256.Create(a[aOff + (5 * k) + q]);
                c50 = Vector256.FusedMultiplyAdd(x, b0, c50);
                c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
            }

            acc[0] = c00;
            acc[1] = c01;
            acc[2] = c10;
            acc[3] = c11;
            acc[4] = c20;
            acc[5] = c21;
            acc[6] = c30;
            acc[7] = c31;
            acc[8] = c40;
            acc[9] = c41;
            acc[10] = c50;
            acc[11] = c51;
        }
        else
        {
            for (int r = 0; r < rows; r++)
            {
                var c0 = Vector256<float>.Zero;
                var c1 = Vector256<float>.Zero;
                int ar = aOff + (r * k);
                for (int q = 0; q < k; q++)
                {
                    var x = Vector256.Create(a[ar + q]);
                    c0 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref pb, (nuint)(q * 16)), c0);
                    c1 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref pb, (nuint)((q * 16) + 8)), c1);
                }

                acc[2 * r] = c0;
                acc[(2 * r) + 1] = c1;
            }
        }

        Span<float> tmp = stackalloc float[16];
        for (int r = 0; r < rows; r++)
        {
            acc[2 * r].StoreUnsafe(ref tmp[0]);
            acc[(2 * r) + 1].StoreUnsafe(ref tmp[8]);
            tmp[..cols].CopyTo(y.AsSpan(yOff + (r * n), cols));
        }
    }

    private static void Scalar(float[] a, int aOff, int k, float[] pack, int width, float[] y, int yOff, int n, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                float acc = 0f;
                for (int q = 0; q < k; q++)
                {
                    acc = MathF.FusedMultiplyAdd(a[aOff + (r * k) + q], pack[(q * width) + c], acc);
                }

                y[yOff + (r * n) + c] = acc;
            }
        }
    }
}
