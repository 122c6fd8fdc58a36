using ILGPU;
using Repro.Engine.Numerics;

namespace Repro.Backends.Ilgpu;

/// <summary>
/// Matmul in the canonical order: for every output element acc = +0, then acc = fma(a[i, q], b[q, j], acc) for
/// q = 0..k-1, one rounding per step. An item covers one row segment of <c>cols</c> outputs: with one column it
/// keeps acc in a register (GPUs); with more it runs q outermost and keeps each acc in y (the CPU accelerator, for
/// cache-friendly rows of b). Each y element still sees exactly the same sequence of fused multiply-adds.
/// </summary>
internal static partial class Kernels
{
    public static void MatMulF32<TFma>(Index1D w, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, int m, int k, int n, int cols)
        where TFma : struct, IFma
    {
        int blocks = (n + cols - 1) / cols;
        int p = w / (m * blocks);
        int rem = w - (p * m * blocks);
        int i = rem / blocks;
        int j0 = (rem - (i * blocks)) * cols;
        int j1 = Math.Min(j0 + cols, n);
        int ao = (p * m * k) + (i * k);
        int bo = p * k * n;
        int yo = (p * m * n) + (i * n);
        if (j1 - j0 == 1)
        {
            float acc = 0f;
            for (int q = 0; q < k; q++)
            {
                acc = default(TFma).Fma(a[ao + q], b[bo + (q * n) + j0], acc);
            }

            y[yo + j0] = acc;
            return;
        }

        for (int j = j0; j < j1; j++)
        {
            y[yo + j] = 0f;
        }

        for (int q = 0; q < k; q++)
        {
            float av = a[ao + q];
            int bq = bo + (q * n);
            for (int j = j0; j < j1; j++)
            {
                y[yo + j] = default(TFma).Fma(av, b[bq + j], y[yo + j]);
            }
        }
    }

    public static void MatMulF64<TFma>(Index1D w, ArrayView<double> a, ArrayView<double> b, ArrayView<double> y, int m, int k, int n, int cols)
        where TFma : struct, IFma
    {
        int blocks = (n + cols - 1) / cols;
        int p = w / (m * blocks);
        int rem = w - (p * m * blocks);
        int i = rem / blocks;
        int j0 = (rem - (i * blocks)) * cols;
        int j1 = Math.Min(j0 + cols, n);
        int ao = (p * m * k) + (i * k);
        int bo = p * k * n;
        int yo = (p * m * n) + (i * n);
        if (j1 - j0 == 1)
        {
            double acc = 0.0;
            for (int q = 0; q < k; q++)
            {
                acc = default(TFma).Fma(a[ao + q], b[bo + (q * n) + j0], acc);
            }

            y[yo + j0] = acc;
            return;
        }

        for (int j = j0; j < j1; j++)
        {
            y[yo + j] = 0.0;
        }

        for (int q = 0; q < k; q++)
        {
            double av = a[ao + q];
            int bq = bo + (q * n);
            for (int j = j0; j < j1; j++)
            {
                y[yo + j] = default(TFma).Fma(av, b[bq + j], y[yo + j]);
            }
        }
    }

    /// <summary>Int32 matmul, wrapping (integer sums do not depend on order).</summary>
    public static void MatMulI32(Index1D w, ArrayView<int> a, ArrayView<int> b, ArrayView<int> y, int m, int k, int n, int cols)
    {
        int blocks = (n + cols - 1) / cols;
        int p = w / (m * blocks);
        int rem = w - (p * m * blocks);
        int i = rem / blocks;
        int j0 = (rem - (i * blocks)) * cols;
        int j1 = Math.Min(j0 + cols, n);
        int ao = (p * m * k) + (i * k);
        int bo = p * k * n;
        int yo = (p * m * n) + (i * n);
        for (int j = j0; j < j1; j++)
        {
            int acc = 0;
            for (int q = 0; q < k; q++)
            {
                acc = unchecked(acc + (a[ao + q] * b[bo + (q * n) + j]));
            }

            y[yo + j] = acc;
        }
    }
}
