using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Repro.Engine.Backends;

/// <summary>
/// 2-D max and average pooling and their gradients, parallel over (n, c) planes: a plane is always computed whole by
/// one thread, so the split never shows in the result. Each output takes the canonical order of its op (see
/// <see cref="OpTable.MaxPool2d"/>, <see cref="OpTable.AvgPool2d"/>): the maximum is a total order (NaN wins, +0 above
/// -0), so the window may be read in any order; the average's sum keeps the canonical sum's association over the
/// window's kh*kw taps; the gradients scatter the outputs of one plane in increasing (oh, ow), which gives each input
/// cell its terms in that order, as the reference's gather does. The taps' row and column ranges inside the input are
/// computed once per window, so no tap is bounds-tested.
/// </summary>
internal static class ManagedPool
{
    public static void Run(PoolPass pass, Array a, Array? b, Array y, PoolGeometry g)
    {
        switch (y)
        {
            case float[] fy:
                Run(pass, (float[])a, b as float[], fy, g);
                break;
            case double[] dy:
                Run(pass, (double[])a, b as double[], dy, g);
                break;
            default:
                throw new ArgumentException($"pool2d: expected float32 or float64 data, got {y.GetType().Name}", nameof(y));
        }
    }

    private static void Run<T>(PoolPass pass, T[] a, T[]? b, T[] y, PoolGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var row = pass is PoolPass.Max or PoolPass.MaxGrad ? OpTable.MaxPool2d : OpTable.AvgPool2d;
        long cost = Math.Max(1L, (long)g.OH * g.OW * g.KH * g.KW * row.Cost);
        switch (pass)
        {
            case PoolPass.Max:
                Parallelism.For(g.Planes, cost, (p0, p1) => MaxPlanes(a, y, g, p0, p1));
                break;
            case PoolPass.Avg:
                Parallelism.For(g.Planes, cost, (p0, p1) => AvgPlanes(a, y, g, p0, p1));
                break;
            case PoolPass.MaxGrad:
                Parallelism.For(g.Planes, cost, (p0, p1) => MaxGradPlanes(a, b!, y, g, p0, p1));
                break;
            default:
                Parallelism.For(g.Planes, cost, (p0, p1) => AvgGradPlanes(a, y, g, p0, p1));
                break;
        }
    }

    /// <summary>The taps [lo, hi) of a window starting at <paramref name="start"/> that fall inside [0, size).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (int Lo, int Hi) Range(int start, int k, int dilation, int size)
    {
        int lo = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
        int hi = start >= size ? 0 : Math.Min(k, ((size - start - 1) / dilation) + 1);
        return (lo, Math.Max(lo, hi));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxPlanes<T>(T[] x, T[] y, PoolGeometry g, int p0, int p1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int plane = g.H * g.W;
        for (int p = p0; p < p1; p++)
        {
            int xBase = p * plane;
            int yAt = p * g.OH * g.OW;
            for (int oh = 0; oh < g.OH; oh++)
            {
                int ih0 = (oh * g.StrideH) - g.PadTop;
                var (kiLo, kiHi) = Range(ih0, g.KH, g.DilationH, g.H);
                for (int ow = 0; ow < g.OW; ow++, yAt++)
                {
                    int iw0 = (ow * g.StrideW) - g.PadLeft;
                    var (kjLo, kjHi) = Range(iw0, g.KW, g.DilationW, g.W);
                    T m = x[xBase + ((ih0 + (kiLo * g.DilationH)) * g.W) + iw0 + (kjLo * g.DilationW)];
                    bool nan = T.IsNaN(m);
                    for (int ki = kiLo; ki < kiHi; ki++)
                    {
                        int at = xBase + ((ih0 + (ki * g.DilationH)) * g.W) + iw0;
                        for (int kj = kjLo; kj < kjHi; kj++)
                        {
                            T v = x[at + (kj * g.DilationW)];
                            if (v > m)
                            {
                                m = v;
                            }
                            else if (v == m)
                            {
                                // Only zeros compare equal with different bits: +0 replaces -0.
                                m = T.IsNegative(m) ? v : m;
                            }
                            else if (T.IsNaN(v))
                            {
                                nan = true;
                            }
                        }
                    }

                    y[yAt] = nan ? T.NaN : m;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AvgPlanes<T>(T[] x, T[] y, PoolGeometry g, int p0, int p1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = g.KH * g.KW;
        int chunks = Canonical.ChunkCount(n);
        var taps = ArrayPool<T>.Shared.Rent(n + chunks);
        var rows = ArrayPool<int>.Shared.Rent(g.OH + g.OW);
        try
        {
            for (int i = 0; i < g.OH; i++)
            {
                rows[i] = g.CountRows(i);
            }

            for (int j = 0; j < g.OW; j++)
            {
                rows[g.OH + j] = g.CountColumns(j);
            }

            var window = taps.AsSpan(0, n);
            var partials = taps.AsSpan(n, chunks);
            int plane = g.H * g.W;
            for (int p = p0; p < p1; p++)
            {
                int xBase = p * plane;
                int yAt = p * g.OH * g.OW;
                for (int oh = 0; oh < g.OH; oh++)
                {
                    int ih0 = (oh * g.StrideH) - g.PadTop;
                    var (kiLo, kiHi) = Range(ih0, g.KH, g.DilationH, g.H);
                    for (int ow = 0; ow < g.OW; ow++, yAt++)
                    {
                        int iw0 = (ow * g.StrideW) - g.PadLeft;
                        var (kjLo, kjHi) = Range(iw0, g.KW, g.DilationW, g.W);
                        bool whole = kiLo == 0 && kiHi == g.KH && kjLo == 0 && kjHi == g.KW;
                        if (!whole)
                        {
                            window.Clear();
                        }

                        for (int ki = kiLo; ki < kiHi; ki++)
                        {
                            int at = xBase + ((ih0 + (ki * g.DilationH)) * g.W) + iw0;
                            int to = ki * g.KW;
                            for (int kj = kjLo; kj < kjHi; kj++)
                            {
                                window[to + kj] = x[at + (kj * g.DilationW)];
                            }
                        }

                        y[yAt] = WindowSum(window, partials) / T.CreateTruncating(rows[oh] * rows[g.OH + ow]);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(taps);
            ArrayPool<int>.Shared.Return(rows);
        }
    }

    /// <summary>
    /// The canonical sum of the window's taps (32 lanes from +0, their pairwise tree, chunks of 1024 combined by the same
    /// tree). Up to 32 taps each lane holds one tap, and the tree over the 32 lanes adds +0 to the carried odd values,
    /// which changes only a -0: so it is the pairwise tree of the taps themselves plus +0 (which turns a -0 result into
    /// +0 and leaves every other value, NaN payloads included, as it is).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T WindowSum<T>(Span<T> window, Span<T> partials)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (window.Length <= Canonical.ReductionLanes)
        {
            return Tree(window) + T.Zero;
        }

        for (int c = 0; c < partials.Length; c++)
        {
            int start = c * Canonical.ReductionChunk;
            partials[c] = ManagedBackend.ChunkSum<T>(window.Slice(start, Math.Min(Canonical.ReductionChunk, window.Length - start)));
        }

        return Canonical.PairwiseTree(partials);
    }

    /// <summary>The pairwise tree of <paramref name="v"/> without changing it: common window sizes unrolled, the rest on a copy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Tree<T>(Span<T> v)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (v.Length)
        {
            case 1:
                return v[0];
            case 4:
            {
                T s0 = v[0] + v[1], s1 = v[2] + v[3];
                return s0 + s1;
            }

            case 9:
            {
                T s0 = v[0] + v[1], s1 = v[2] + v[3], s2 = v[4] + v[5], s3 = v[6] + v[7];
                T t0 = s0 + s1, t1 = s2 + s3;
                T u0 = t0 + t1;
                return u0 + v[8];
            }

            default:
            {
                Span<T> copy = stackalloc T[Canonical.ReductionLanes];
                v.CopyTo(copy);
                return Canonical.PairwiseTree(copy[..v.Length]);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxGradPlanes<T>(T[] dy, T[] x, T[] dx, PoolGeometry g, int p0, int p1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int plane = g.H * g.W;
        for (int p = p0; p < p1; p++)
        {
            int xBase = p * plane;
            int yAt = p * g.OH * g.OW;
            Array.Clear(dx, xBase, plane);
            for (int oh = 0; oh < g.OH; oh++)
            {
                int ih0 = (oh * g.StrideH) - g.PadTop;
                var (kiLo, kiHi) = Range(ih0, g.KH, g.DilationH, g.H);
                for (int ow = 0; ow < g.OW; ow++, yAt++)
                {
                    int iw0 = (ow * g.StrideW) - g.PadLeft;
                    var (kjLo, kjHi) = Range(iw0, g.KW, g.DilationW, g.W);
                    int best = xBase + ((ih0 + (kiLo * g.DilationH)) * g.W) + iw0 + (kjLo * g.DilationW);
                    T m = x[best];
                    for (int ki = kiLo; ki < kiHi && !T.IsNaN(m); ki++)
                    {
                        int at = xBase + ((ih0 + (ki * g.DilationH)) * g.W) + iw0;
                        for (int kj = kjLo; kj < kjHi; kj++)
                        {
                            int i = at + (kj * g.DilationW);
                            T v = x[i];
                            if (v > m || (v == m && T.IsNegative(m) && !T.IsNegative(v)) || T.IsNaN(v))
                            {
                                best = i;
                                m = v;
                                if (T.IsNaN(v))
                                {
                                    break;
                                }
                            }
                        }
                    }

                    dx[best] += dy[yAt];
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AvgGradPlanes<T>(T[] dy, T[] dx, PoolGeometry g, int p0, int p1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int plane = g.H * g.W;
        for (int p = p0; p < p1; p++)
        {
            int xBase = p * plane;
            int yAt = p * g.OH * g.OW;
            Array.Clear(dx, xBase, plane);
            for (int oh = 0; oh < g.OH; oh++)
            {
                int ih0 = (oh * g.StrideH) - g.PadTop;
                var (kiLo, kiHi) = Range(ih0, g.KH, g.DilationH, g.H);
                int countRows = g.CountRows(oh);
                for (int ow = 0; ow < g.OW; ow++, yAt++)
                {
                    int iw0 = (ow * g.StrideW) - g.PadLeft;
                    var (kjLo, kjHi) = Range(iw0, g.KW, g.DilationW, g.W);
                    T q = dy[yAt] / T.CreateTruncating(countRows * g.CountColumns(ow));
                    for (int ki = kiLo; ki < kiHi; ki++)
                    {
                        int at = xBase + ((ih0 + (ki * g.DilationH)) * g.W) + iw0;
                        for (int kj = kjLo; kj < kjHi; kj++)
                        {
                            dx[at + (kj * g.DilationW)] += q;
                        }
                    }
                }
            }
        }
    }
}
