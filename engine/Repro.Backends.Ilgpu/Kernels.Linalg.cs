using System.Numerics;
using ILGPU;
using Repro.Engine.Backends;

namespace Repro.Backends.Ilgpu;

/// <summary>
/// Matmul in the canonical order: for every output element acc = +0, then acc = fma(a[i, q], b[q, j], acc) for
/// q = 0..k-1, one rounding per step (int32: wrapping acc + a * b). An item covers one row segment of <c>cols</c>
/// outputs: with one column it keeps acc in a register (GPUs); with more it runs q outermost and keeps each acc in y
/// (the CPU accelerator, for cache-friendly rows of b). Each y element still sees exactly the same sequence of steps.
/// </summary>
internal static partial class Kernels
{
    public static void MatMul<T, TOps>(Index1D w, ArrayView<T> a, ArrayView<T> b, ArrayView<T> y, int m, int k, int n, int cols)
        where T : unmanaged, INumber<T>
        where TOps : struct, INumberOps<T>
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
            T acc = T.Zero;
            for (int q = 0; q < k; q++)
            {
                acc = default(TOps).MulAdd(a[ao + q], b[bo + (q * n) + j0], acc);
            }

            y[yo + j0] = acc;
            return;
        }

        for (int j = j0; j < j1; j++)
        {
            y[yo + j] = T.Zero;
        }

        for (int q = 0; q < k; q++)
        {
            T av = a[ao + q];
            int bq = bo + (q * n);
            for (int j = j0; j < j1; j++)
            {
                y[yo + j] = default(TOps).MulAdd(av, b[bq + j], y[yo + j]);
            }
        }
    }
}
