using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Repro.Engine.Numerics;

namespace Repro.Engine.Backends;

/// <summary>
/// Fused row kernels of the managed backend: softmax, log_softmax, logsumexp and layer norm over the last axis of a
/// contiguous float32 or float64 [rows, n] buffer, each row in two passes over its input plus work on one row-sized
/// buffer that stays in the L1 cache. Each computes exactly the values of the composition the front end records
/// (see <see cref="Tensor.Softmax"/> and the op table's rows for max, sub, exp, sum, div, log, rsqrt), element for
/// element with the same IEEE operations, and every row sum in the canonical chunked-lane order
/// (<see cref="ManagedBackend.ChunkSum{T}"/> per chunk, then the pairwise tree), so the bits are the composition's.
/// </summary>
/// <remarks>
/// Rows are independent work items (the thread split never shows); the elementwise steps are one IEEE operation per
/// element at any vector width; the row maximum is a total order (NaN wins, +0 above -0), so it has no order to keep.
/// </remarks>
internal static class RowKernels
{
    /// <summary>y = exp(x - max) / sum(exp(x - max)) per row (the softmax composition: max, sub, exp, sum, div).</summary>
    public static void Softmax<T>(T[] x, T[] y, int rows, int n)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Parallelism.For(rows, 24L * n, (r0, r1) => SoftmaxRows(x, y, r0, r1, n));

    // Tier-0 code of these generic helpers is many times slower than the optimized code, and a softmax calls them only
    // once per row: every method here is compiled fully optimized at once, as the other managed kernels are.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SoftmaxRows<T>(T[] x, T[] y, int r0, int r1, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = r0; r < r1; r++)
        {
            var src = x.AsSpan(r * n, n);
            var dst = y.AsSpan(r * n, n);
            T m = RowMax<T>(src);
            SubScalar(src, m, dst);
            Exp(dst);
            T s = RowSum<T>(dst);
            DivScalar(dst, s);
        }
    }

    /// <summary>
    /// logsumexp per row (the composition: m = max; shift = m if m - m == 0 else 0; log(sum(exp(x - shift))) + shift),
    /// into <paramref name="lse"/> (one per row); with <paramref name="y"/>, also log_softmax = x - logsumexp.
    /// </summary>
    public static void LogSumExp<T>(T[] x, T[] lse, T[]? y, int rows, int n)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Parallelism.For(rows, 24L * n, (r0, r1) => LogSumExpRows(x, lse, y, r0, r1, n));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LogSumExpRows<T>(T[] x, T[] lse, T[]? y, int r0, int r1, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var scratch = new T[n];
        for (int r = r0; r < r1; r++)
        {
            var src = x.AsSpan(r * n, n);
            T m = RowMax<T>(src);
            T shift = m - m == T.Zero ? m : T.Zero;
            SubScalar(src, shift, scratch);
            Exp<T>(scratch);
            T s = RowSum<T>(scratch);
            T l = Log(s) + shift;
            lse[r] = l;
            if (y is not null)
            {
                SubScalar(src, l, y.AsSpan(r * n, n));
            }
        }
    }

    /// <summary>
    /// Layer norm per row, the composition of Repro.Nn's LayerNorm: mean = sum(x) / n; c = x - mean;
    /// var = sum(c * c) / n; r = 1 / sqrt(var + eps); y = ((c * r) * gamma) + beta; n and eps converted once to T.
    /// </summary>
    public static void LayerNorm<T>(T[] x, T[] gamma, T[] beta, T eps, T[] y, int rows, int n)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Parallelism.For(rows, 16L * n, (r0, r1) => LayerNormRows(x, gamma, beta, eps, y, r0, r1, n));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LayerNormRows<T>(T[] x, T[] gamma, T[] beta, T eps, T[] y, int r0, int r1, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var squares = new T[n];
        T count = T.CreateTruncating(n);
        for (int r = r0; r < r1; r++)
        {
            var src = x.AsSpan(r * n, n);
            var dst = y.AsSpan(r * n, n);
            T mean = RowSum<T>(src) / count;
            SubScalar(src, mean, dst);
            Square(dst, squares);
            T variance = RowSum<T>(squares) / count;
            T rstd = T.One / T.Sqrt(variance + eps);
            ScaleShift(dst, rstd, gamma, beta);
        }
    }

    /// <summary>The canonical sum of one row: the chunk sums of <see cref="ManagedBackend.ChunkSum{T}"/> meet in the pairwise tree.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static T RowSum<T>(ReadOnlySpan<T> row)
        where T : unmanaged, INumber<T>
    {
        int chunks = Canonical.ChunkCount(row.Length);
        if (chunks <= 1)
        {
            return row.Length == 0 ? T.Zero : ManagedBackend.ChunkSum(row);
        }

        Span<T> partials = chunks <= 64 ? stackalloc T[chunks] : new T[chunks];
        for (int c = 0; c < chunks; c++)
        {
            int start = c * Canonical.ReductionChunk;
            partials[c] = ManagedBackend.ChunkSum(row.Slice(start, Math.Min(Canonical.ReductionChunk, row.Length - start)));
        }

        return Canonical.PairwiseTree(partials);
    }

    /// <summary>
    /// The maximum of a non-empty row in <see cref="ScalarOps.Max{T}"/>'s total order: NaN (the canonical one) if any
    /// element is NaN; otherwise the largest value, and between zeros +0 if the row holds one.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reproducibility", "RPR3002", Justification = "A maximum in a total order: any grouping gives the same value; zeros and NaN are settled after the vector loop.")]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static T RowMax<T>(ReadOnlySpan<T> row)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T m = row[0];
        bool nan = T.IsNaN(m);
        int i = 0;
        if (Vector.IsHardwareAccelerated && row.Length >= 2 * Vector<T>.Count) // Width-free: a maximum in a total order (NaN and zeros settled below) is the same for any grouping.
        {
            var values = MemoryMarshal.Cast<T, Vector<T>>(row);
            var acc = values[0];
            var unordered = Vector<T>.Zero;
            foreach (var v in values)
            {
                acc = Vector.Max(acc, v);
                unordered |= ~Vector.Equals(v, v);
            }

            nan |= unordered != Vector<T>.Zero;
            for (int l = 0; l < Vector<T>.Count; l++)
            {
                if (acc[l] > m)
                {
                    m = acc[l];
                }
            }

            i = values.Length * Vector<T>.Count;
        }

        for (; i < row.Length; i++)
        {
            nan |= T.IsNaN(row[i]);
            if (row[i] > m)
            {
                m = row[i];
            }
        }

        if (nan)
        {
            return T.NaN;
        }

        if (m == T.Zero)
        {
            // Zeros of both signs compare equal: the maximum is +0 where the row holds +0.
            foreach (var v in row)
            {
                if (v == T.Zero && !T.IsNegative(v))
                {
                    return T.Zero;
                }
            }

            return -T.Zero;
        }

        return m;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Log<T>(T s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            return (T)(object)ScalarOps.Apply(UnaryOp.Log, (float)(object)s);
        }

        return (T)(object)ScalarOps.Apply(UnaryOp.Log, (double)(object)s);
    }

    /// <summary>exp of every element in place: whole vectors by <see cref="VectorMath"/>, the rest by the scalar function.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Exp<T>(Span<T> values)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = VectorMath.Map<T>(UnaryOp.Exp, values, values);
        if (typeof(T) == typeof(float))
        {
            var f = MemoryMarshal.Cast<T, float>(values);
            for (; i < f.Length; i++)
            {
                f[i] = ScalarOps.Apply(UnaryOp.Exp, f[i]);
            }
        }
        else
        {
            var d = MemoryMarshal.Cast<T, double>(values);
            for (; i < d.Length; i++)
            {
                d[i] = ScalarOps.Apply(UnaryOp.Exp, d[i]);
            }
        }
    }

    // dst[i] = src[i] - s: one IEEE subtraction per element.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SubScalar<T>(ReadOnlySpan<T> src, T s, Span<T> dst)
        where T : unmanaged, INumber<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated) // Width-free: one operation per element, no sum across elements, so any vector width gives the same bits.
        {
            var vs = new Vector<T>(s);
            var a = MemoryMarshal.Cast<T, Vector<T>>(src);
            var b = MemoryMarshal.Cast<T, Vector<T>>(dst);
            for (int k = 0; k < a.Length; k++)
            {
                b[k] = a[k] - vs;
            }

            i = a.Length * Vector<T>.Count;
        }

        for (; i < src.Length; i++)
        {
            dst[i] = src[i] - s;
        }
    }

    // v[i] = v[i] / s.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DivScalar<T>(Span<T> v, T s)
        where T : unmanaged, INumber<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated) // Width-free: one operation per element, no sum across elements, so any vector width gives the same bits.
        {
            var vs = new Vector<T>(s);
            var a = MemoryMarshal.Cast<T, Vector<T>>(v);
            for (int k = 0; k < a.Length; k++)
            {
                a[k] /= vs;
            }

            i = a.Length * Vector<T>.Count;
        }

        for (; i < v.Length; i++)
        {
            v[i] /= s;
        }
    }

    // sq[i] = c[i] * c[i].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Square<T>(ReadOnlySpan<T> c, Span<T> sq)
        where T : unmanaged, INumber<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated) // Width-free: one operation per element, no sum across elements, so any vector width gives the same bits.
        {
            var a = MemoryMarshal.Cast<T, Vector<T>>(c);
            var b = MemoryMarshal.Cast<T, Vector<T>>(sq);
            for (int k = 0; k < a.Length; k++)
            {
                b[k] = a[k] * a[k];
            }

            i = a.Length * Vector<T>.Count;
        }

        for (; i < c.Length; i++)
        {
            sq[i] = c[i] * c[i];
        }
    }

    // v[i] = ((v[i] * r) * g[i]) + b[i]: three IEEE operations per element, never fused.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ScaleShift<T>(Span<T> v, T r, T[] g, T[] b)
        where T : unmanaged, INumber<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated) // Width-free: one operation per element, no sum across elements, so any vector width gives the same bits.
        {
            var vr = new Vector<T>(r);
            var a = MemoryMarshal.Cast<T, Vector<T>>(v);
            var vg = MemoryMarshal.Cast<T, Vector<T>>(g.AsSpan(0, v.Length));
            var vb = MemoryMarshal.Cast<T, Vector<T>>(b.AsSpan(0, v.Length));
            for (int k = 0; k < a.Length; k++)
            {
                a[k] = (a[k] * vr * vg[k]) + vb[k];
            }

            i = a.Length * Vector<T>.Count;
        }

        for (; i < v.Length; i++)
        {
            v[i] = (v[i] * r * g[i]) + b[i];
        }
    }
}
