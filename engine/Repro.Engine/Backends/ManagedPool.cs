using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
            case PoolPass.Max when a is float[] xf && VectorColumns(g):
                Parallelism.For(g.Planes, cost, (p0, p1) => MaxPlanesVector(xf, p0 * g.H * g.W, (float[])(object)y, g, p0, p1));
                break;
            case PoolPass.Max:
                Parallelism.For(g.Planes, cost, (p0, p1) => MaxPlanes(a, y, g, p0, p1));
                break;
            case PoolPass.Avg when a is float[] xf && VectorColumns(g) && g.KH * g.KW <= Canonical.ReductionLanes:
                Parallelism.For(g.Planes, cost, (p0, p1) => AvgPlanesVector(xf, (float[])(object)y, g, p0, p1));
                break;
            case PoolPass.Avg:
                Parallelism.For(g.Planes, cost, (p0, p1) => AvgPlanes(a, y, g, p0, p1));
                break;
            case PoolPass.MaxGrad when b is float[] xf && VectorColumns(g):
                Parallelism.For(g.Planes, cost, (p0, p1) => MaxGradPlanesVector((float[])(object)a, xf, (float[])(object)y, g, p0, p1));
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
        // The output extents are properties that divide: read them once, not per row or column.
        int outH = g.OH;
        int outW = g.OW;
        int plane = g.H * g.W;
        for (int p = p0; p < p1; p++)
        {
            int xBase = p * plane;
            int yAt = p * outH * outW;
            for (int oh = 0; oh < outH; oh++)
            {
                int ih0 = (oh * g.StrideH) - g.PadTop;
                var (kiLo, kiHi) = Range(ih0, g.KH, g.DilationH, g.H);
                for (int ow = 0; ow < outW; ow++, yAt++)
                {
                    int iw0 = (ow * g.StrideW) - g.PadLeft;
                    var (kjLo, kjHi) = Range(iw0, g.KW, g.DilationW, g.W);
                    y[yAt] = MaxAt(x, xBase, ih0, kiLo, kiHi, iw0, kjLo, kjHi, g);
                }
            }
        }
    }

    /// <summary>
    /// The maximum of one window's taps inside the input. T.Max is IEEE 754:2019 maximum (NaN if either is NaN, +0
    /// above -0): the engine's total order up to NaN payloads, which the end makes the canonical NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T MaxAt<T>(T[] x, int xBase, int ih0, int kiLo, int kiHi, int iw0, int kjLo, int kjHi, PoolGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T m = x[xBase + ((ih0 + (kiLo * g.DilationH)) * g.W) + iw0 + (kjLo * g.DilationW)];
        for (int ki = kiLo; ki < kiHi; ki++)
        {
            int at = xBase + ((ih0 + (ki * g.DilationH)) * g.W) + iw0;
            for (int kj = kjLo; kj < kjHi; kj++)
            {
                m = T.Max(m, x[at + (kj * g.DilationW)]);
            }
        }

        return T.IsNaN(m) ? T.NaN : m;
    }

    /// <summary>True when float32 windows can be read 8 output columns at a time (stride 1 or 2 along the columns).</summary>
    private static bool VectorColumns(PoolGeometry g) => Vector256.IsHardwareAccelerated && g.StrideW is 1 or 2 && g.OW >= Vector256<float>.Count;

    /// <summary>
    /// The output columns [first, last] at which a block of 8 starts with every tap of its 8 windows, and every
    /// element its loads touch, inside the row (stride 2 loads 16 elements and keeps the even ones).
    /// </summary>
    private static (int First, int LastStart) VectorRange(PoolGeometry g)
    {
        int v = Vector256<float>.Count;
        int s = g.StrideW;
        int first = (g.PadLeft + s - 1) / s;
        int lastTap = ((g.KW - 1) * g.DilationW) - g.PadLeft;
        int room = g.W - lastTap - (s * v);
        int lastStart = room < 0 ? -1 : Math.Min(room / s, g.OW - v);
        return (first, lastStart);
    }

    /// <summary>
    /// The next block start after <paramref name="ow"/>: 8 columns on, except that the last block starts at
    /// <paramref name="lastStart"/> (overlapping the one before: its columns are computed twice, to the same bits), and
    /// past it the loop ends.
    /// </summary>
    private static int NextBlock(int ow, int lastStart, int v) => ow < lastStart && ow + v > lastStart ? lastStart : ow + v;

    /// <summary>The 8 elements at <paramref name="at"/>, at + s, ..., at + 7s (s = 1 or 2).</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reproducibility", "RPR3002", Justification = "Both branches move the same elements: no arithmetic.")]
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load(ref float x, int at, int stride)
    {
        if (stride == 1)
        {
            return Vector256.LoadUnsafe(ref x, (nuint)at);
        }

        var evens = Vector256.Create(0, 2, 4, 6, 0, 2, 4, 6);
        var a = Vector256.LoadUnsafe(ref x, (nuint)at);
        var b = Vector256.LoadUnsafe(ref x, (nuint)(at + 8));
        if (Avx2.IsSupported)
        {
            return Avx2.Permute2x128(Avx2.PermuteVar8x32(a, evens), Avx2.PermuteVar8x32(b, evens), 0x20);
        }

        return Vector256.Create(Vector256.Shuffle(a, evens).GetLower(), Vector256.Shuffle(b, evens).GetLower());
    }

    /// <summary>
    /// max_pool2d in float32, 8 output columns at a time where their windows lie inside the row, scalar at the edges
    /// (straight from x: the few edge columns cost less than copying each plane between padding columns would).
    /// Vector256.Max is IEEE 754:2019 maximum like the scalar T.Max, and the maximum is a total order, so the vector
    /// and scalar columns give the same bits at any width.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reproducibility", "RPR3002", Justification = "The maximum has no rounding and is a total order: vector and scalar columns agree bit for bit; the suite compares widths in child processes.")]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxPlanesVector(float[] x, int xStart, float[] y, PoolGeometry g, int p0, int p1)
    {
        // The output extents are properties that divide: read them once, not per row or column.
        int outH = g.OH;
        int outW = g.OW;
        int v = Vector256<float>.Count;
        var (first, lastStart) = VectorRange(g);
        ref float xr = ref MemoryMarshal.GetArrayDataReference(x);
        var nan = Vector256.Create(float.NaN);
        int plane = g.H * g.W;
        for (int p = p0; p < p1; p++)
        {
            int xBase = xStart + ((p - p0) * plane);
            int yRow = p * outH * outW;
            for (int oh = 0; oh < outH; oh++, yRow += outW)
            {
                int ih0 = (oh * g.StrideH) - g.PadTop;
                var (kiLo, kiHi) = Range(ih0, g.KH, g.DilationH, g.H);
                int ow = 0;
                for (; ow < outW; ow++)
                {
                    if (ow >= first && ow <= lastStart)
                    {
                        break;
                    }

                    int iw0 = (ow * g.StrideW) - g.PadLeft;
                    var (kjLo, kjHi) = Range(iw0, g.KW, g.DilationW, g.W);
                    y[yRow + ow] = MaxAt(x, xBase, ih0, kiLo, kiHi, iw0, kjLo, kjHi, g);
                }

                for (; ow <= lastStart + v - 1 && lastStart >= first; ow = NextBlock(ow, lastStart, v))
                {
                    int col = (ow * g.StrideW) - g.PadLeft;
                    var m = Load(ref xr, xBase + ((ih0 + (kiLo * g.DilationH)) * g.W) + col, g.StrideW);
                    for (int ki = kiLo; ki < kiHi; ki++)
                    {
                        int at = xBase + ((ih0 + (ki * g.DilationH)) * g.W) + col;
                        for (int kj = 0; kj < g.KW; kj++)
                        {
                            m = Vector256.Max(m, Load(ref xr, at + (kj * g.DilationW), g.StrideW));
                        }
                    }

                    Vector256.ConditionalSelect(Vector256.Equals(m, m), m, nan).StoreUnsafe(ref y[yRow + ow]);
                }

                for (; ow < outW; ow++)
                {
                    int iw0 = (ow * g.StrideW) - g.PadLeft;
                    var (kjLo, kjHi) = Range(iw0, g.KW, g.DilationW, g.W);
                    y[yRow + ow] = MaxAt(x, xBase, ih0, kiLo, kiHi, iw0, kjLo, kjHi, g);
                }
            }
        }
    }

    /// <summary>
    /// avg_pool2d in float32 for windows of at most 32 taps, 8 output columns at a time where their windows lie inside
    /// the row (rows outside the input are +0 taps), scalar at the edges: the taps' pairwise tree is taken lane by lane
    /// with the scalar path's association, so every width gives the same bits.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reproducibility", "RPR3002", Justification = "Each lane takes the same adds in the same association as the scalar tree; the suite compares widths in child processes.")]
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AvgPlanesVector(float[] x, float[] y, PoolGeometry g, int p0, int p1)
    {
        // The output extents are properties that divide: read them once, not per row or column.
        int outH = g.OH;
        int outW = g.OW;
        // The divisors of one plane's outputs, the same for every plane: made once per range of planes.
        var table = ArrayPool<float>.Shared.Rent(outH * outW);
        float[]? scratch = null;
        try
        {
            for (int i = 0; i < outH; i++)
            {
                int rows = g.CountRows(i);
                for (int j = 0; j < outW; j++)
                {
                    table[(i * outW) + j] = rows * g.CountColumns(j);
                }
            }

            if (VectorRange(g) == (0, outW - Vector256<float>.Count))
            {
                AvgPlanesVector(x, p0 * g.H * g.W, y, g, table, p0, p1);
                return;
            }

            // Padding columns as +0 taps, which is what they are in the sum: every output column in the vector loop.
            (var gs, scratch) = PaddedColumns(g, 0f);
            for (int p = p0; p < p1; p++)
            {
                CopyPlane(x, p, g, scratch, gs);
                AvgPlanesVector(scratch, 0, y, gs, table, p, p + 1);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(table);
            if (scratch is not null)
            {
                ArrayPool<float>.Shared.Return(scratch);
            }
        }
    }

    /// <summary>
    /// A plane's columns with the left and right padding (and 8 more columns' room for the vector loads) materialized
    /// as <paramref name="fill"/>: the geometry of that buffer (the same output extents, no column padding) and the
    /// buffer, filled; <see cref="CopyPlane"/> writes each plane's input columns into it.
    /// </summary>
    private static (PoolGeometry Geometry, float[] Scratch) PaddedColumns(PoolGeometry g, float fill)
    {
        int slack = g.StrideW * Vector256<float>.Count;
        var gs = g with { W = g.PadLeft + g.W + g.PadRight + slack, PadLeft = 0, PadRight = -slack };
        var scratch = ArrayPool<float>.Shared.Rent((g.H * gs.W) + (2 * slack));
        Array.Fill(scratch, fill);
        return (gs, scratch);
    }

    private static void CopyPlane(float[] x, int p, PoolGeometry g, float[] scratch, PoolGeometry gs)
    {
        int src = p * g.H * g.W;
        for (int r = 0; r < g.H; r++)
        {
            Array.Copy(x, src + (r * g.W), scratch, (r * gs.W) + g.PadLeft, g.W);
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reproducibility", "RPR3002", Justification = "Each lane takes the same adds in the same association as the scalar tree; the suite compares widths in child processes.")]
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AvgPlanesVector(float[] x, int xStart, float[] y, PoolGeometry g, float[] table, int p0, int p1)
    {
        // The output extents are properties that divide: read them once, not per row or column.
        int outH = g.OH;
        int outW = g.OW;
        int v = Vector256<float>.Count;
        int n = g.KH * g.KW;
        var (first, lastStart) = VectorRange(g);
        ref float xr = ref MemoryMarshal.GetArrayDataReference(x);
        Span<Vector256<float>> taps = stackalloc Vector256<float>[Canonical.ReductionLanes];
        Span<float> window = stackalloc float[Canonical.ReductionLanes];
        {
            // One (n, c) plane after another.
            int plane = g.H * g.W;
            for (int p = p0; p < p1; p++)
            {
                int xBase = xStart + ((p - p0) * plane);
                int yRow = p * outH * outW;
                for (int oh = 0; oh < outH; oh++, yRow += outW)
                {
                    int ih0 = (oh * g.StrideH) - g.PadTop;
                    var (kiLo, kiHi) = Range(ih0, g.KH, g.DilationH, g.H);
                    var counts = table.AsSpan(oh * outW, outW);
                    int ow = 0;
                    for (; ow < outW; ow++)
                    {
                        if (ow >= first && ow <= lastStart)
                        {
                            break;
                        }

                        y[yRow + ow] = AvgAt(x, xBase, ih0, kiLo, kiHi, ow, g, window[..n]) / counts[ow];
                    }

                    for (; ow <= lastStart + v - 1 && lastStart >= first; ow = NextBlock(ow, lastStart, v))
                    {
                        int col = (ow * g.StrideW) - g.PadLeft;
                        if (n == 9 && g.KW == 3 && kiLo == 0 && kiHi == 3)
                        {
                            // 3x3 windows whose rows are all inside: the 9-tap tree in registers.
                            int r0 = xBase + (ih0 * g.W) + col;
                            int r1 = r0 + (g.DilationH * g.W);
                            int r2 = r1 + (g.DilationH * g.W);
                            int d = g.DilationW;
                            int s = g.StrideW;
                            var s0 = Load(ref xr, r0, s) + Load(ref xr, r0 + d, s);
                            var s1 = Load(ref xr, r0 + (2 * d), s) + Load(ref xr, r1, s);
                            var s2 = Load(ref xr, r1 + d, s) + Load(ref xr, r1 + (2 * d), s);
                            var s3 = Load(ref xr, r2, s) + Load(ref xr, r2 + d, s);
                            var t0 = s0 + s1;
                            var t1 = s2 + s3;
                            var u = t0 + t1;
                            var sum9 = u + Load(ref xr, r2 + (2 * d), s) + Vector256<float>.Zero;
                            (sum9 / Vector256.LoadUnsafe(ref counts[ow])).StoreUnsafe(ref y[yRow + ow]);
                            continue;
                        }

                        for (int ki = 0; ki < g.KH; ki++)
                        {
                            int at = xBase + ((ih0 + (ki * g.DilationH)) * g.W) + col;
                            bool inside = ki >= kiLo && ki < kiHi;
                            for (int kj = 0; kj < g.KW; kj++)
                            {
                                taps[(ki * g.KW) + kj] = inside ? Load(ref xr, at + (kj * g.DilationW), g.StrideW) : Vector256<float>.Zero;
                            }
                        }

                        var sum = VectorTree(taps[..n]) + Vector256<float>.Zero;
                        (sum / Vector256.LoadUnsafe(ref counts[ow])).StoreUnsafe(ref y[yRow + ow]);
                    }

                    for (; ow < outW; ow++)
                    {
                        y[yRow + ow] = AvgAt(x, xBase, ih0, kiLo, kiHi, ow, g, window[..n]) / counts[ow];
                    }
                }
            }
        }
    }

    /// <summary>One window's canonical sum (at most 32 taps), outside taps as +0.</summary>
    private static float AvgAt(float[] x, int xBase, int ih0, int kiLo, int kiHi, int ow, PoolGeometry g, Span<float> window)
    {
        int iw0 = (ow * g.StrideW) - g.PadLeft;
        var (kjLo, kjHi) = Range(iw0, g.KW, g.DilationW, g.W);
        window.Clear();
        for (int ki = kiLo; ki < kiHi; ki++)
        {
            int at = xBase + ((ih0 + (ki * g.DilationH)) * g.W) + iw0;
            for (int kj = kjLo; kj < kjHi; kj++)
            {
                window[(ki * g.KW) + kj] = x[at + (kj * g.DilationW)];
            }
        }

        return Tree(window) + 0f;
    }

    /// <summary><see cref="Canonical.PairwiseTree{T}"/> lane by lane, in place.</summary>
    private static Vector256<float> VectorTree(Span<Vector256<float>> v)
    {
        int n = v.Length;
        while (n > 1)
        {
            int half = n / 2;
            for (int i = 0; i < half; i++)
            {
                v[i] = v[2 * i] + v[(2 * i) + 1];
            }

            if ((n & 1) != 0)
            {
                v[half] = v[n - 1];
                n = half + 1;
            }
            else
            {
                n = half;
            }
        }

        return v[0];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AvgPlanes<T>(T[] x, T[] y, PoolGeometry g, int p0, int p1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // The output extents are properties that divide: read them once, not per row or column.
        int outH = g.OH;
        int outW = g.OW;
        int n = g.KH * g.KW;
        int chunks = Canonical.ChunkCount(n);
        var taps = ArrayPool<T>.Shared.Rent(n + chunks);
        var rows = ArrayPool<int>.Shared.Rent(outH + outW);
        try
        {
            for (int i = 0; i < outH; i++)
            {
                rows[i] = g.CountRows(i);
            }

            for (int j = 0; j < outW; j++)
            {
                rows[outH + j] = g.CountColumns(j);
            }

            var window = taps.AsSpan(0, n);
            var partials = taps.AsSpan(n, chunks);
            int plane = g.H * g.W;
            for (int p = p0; p < p1; p++)
            {
                int xBase = p * plane;
                int yAt = p * outH * outW;
                for (int oh = 0; oh < outH; oh++)
                {
                    int ih0 = (oh * g.StrideH) - g.PadTop;
                    var (kiLo, kiHi) = Range(ih0, g.KH, g.DilationH, g.H);
                    for (int ow = 0; ow < outW; ow++, yAt++)
                    {
                        int iw0 = (ow * g.StrideW) - g.PadLeft;
                        var (kjLo, kjHi) = Range(iw0, g.KW, g.DilationW, g.W);
                        bool whole = kiLo == 0 && kiHi == g.KH && kjLo == 0 && kjHi == g.KW;
                        if (whole && g.KW == g.W && g.DilationH == 1)
                        {
                            // Whole input rows (a global pool): the taps in row-major order are consecutive in x.
                            y[yAt] = WindowSum(x.AsSpan(xBase + (ih0 * g.W), n), partials) / T.CreateTruncating(rows[oh] * rows[outH + ow]);
                            continue;
                        }

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

                        y[yAt] = WindowSum(window, partials) / T.CreateTruncating(rows[oh] * rows[outH + ow]);
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
    /// +0 and leaves every other value as it is; a NaN stays a NaN, its payload being no part of a result).
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

    /// <summary>The index in x of the window's first maximum in row-major (ki, kj) order: the first NaN if any; +0 beats -0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ArgMaxAt<T>(T[] x, int xBase, int ih0, int kiLo, int kiHi, int iw0, int kjLo, int kjHi, PoolGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
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

        return best;
    }

    /// <summary>
    /// max_pool2d's gradient in float32: the arg-max of 8 windows at a time where they lie inside the row (a tap replaces
    /// the running best lane by lane under the scalar rule), then dy scattered lane by lane in increasing output
    /// column, each output exactly once (the overlapping last block scatters only its new columns).
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reproducibility", "RPR3002", Justification = "Selections only, no arithmetic: the same arg-max per window at any width; the adds keep the output order.")]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxGradPlanesVector(float[] dy, float[] x, float[] dx, PoolGeometry g, int p0, int p1)
    {
        // The output extents are properties that divide: read them once, not per row or column.
        int outH = g.OH;
        int outW = g.OW;
        int v = Vector256<float>.Count;
        var (first, lastStart) = VectorRange(g);
        ref float xr = ref MemoryMarshal.GetArrayDataReference(x);
        var lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * g.StrideW;
        Span<int> best = stackalloc int[Vector256<int>.Count];
        int plane = g.H * g.W;
        for (int p = p0; p < p1; p++)
        {
            int xBase = p * plane;
            int yRow = p * outH * outW;
            Array.Clear(dx, xBase, plane);
            for (int oh = 0; oh < outH; oh++, yRow += outW)
            {
                int ih0 = (oh * g.StrideH) - g.PadTop;
                var (kiLo, kiHi) = Range(ih0, g.KH, g.DilationH, g.H);
                int ow = 0;
                for (; ow < outW; ow++)
                {
                    if (ow >= first && ow <= lastStart)
                    {
                        break;
                    }

                    int iw0 = (ow * g.StrideW) - g.PadLeft;
                    var (kjLo, kjHi) = Range(iw0, g.KW, g.DilationW, g.W);
                    dx[ArgMaxAt(x, xBase, ih0, kiLo, kiHi, iw0, kjLo, kjHi, g)] += dy[yRow + ow];
                }

                int done = ow;
                for (; ow <= lastStart + v - 1 && lastStart >= first; ow = NextBlock(ow, lastStart, v))
                {
                    int col = (ow * g.StrideW) - g.PadLeft;
                    int at0 = xBase + ((ih0 + (kiLo * g.DilationH)) * g.W) + col;
                    var m = Load(ref xr, at0, g.StrideW);
                    var idx = Vector256.Create(at0) + lanes;
                    for (int ki = kiLo; ki < kiHi; ki++)
                    {
                        int at = xBase + ((ih0 + (ki * g.DilationH)) * g.W) + col;
                        for (int kj = 0; kj < g.KW; kj++)
                        {
                            int i = at + (kj * g.DilationW);
                            var t = Load(ref xr, i, g.StrideW);
                            var mNaN = ~Vector256.Equals(m, m);
                            var tie = Vector256.Equals(t, m) & Vector256.LessThan(m.AsInt32(), Vector256<int>.Zero).AsSingle() & Vector256.GreaterThanOrEqual(t.AsInt32(), Vector256<int>.Zero).AsSingle();
                            var replace = Vector256.GreaterThan(t, m) | tie | (~Vector256.Equals(t, t) & ~mNaN);
                            m = Vector256.ConditionalSelect(replace, t, m);
                            idx = Vector256.ConditionalSelect(replace.AsInt32(), Vector256.Create(i) + lanes, idx);
                        }
                    }

                    idx.CopyTo(best);
                    for (int l = Math.Max(0, done - ow); l < v; l++)
                    {
                        dx[best[l]] += dy[yRow + ow + l];
                    }

                    done = ow + v;
                }

                for (ow = done; ow < outW; ow++)
                {
                    int iw0 = (ow * g.StrideW) - g.PadLeft;
                    var (kjLo, kjHi) = Range(iw0, g.KW, g.DilationW, g.W);
                    dx[ArgMaxAt(x, xBase, ih0, kiLo, kiHi, iw0, kjLo, kjHi, g)] += dy[yRow + ow];
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxGradPlanes<T>(T[] dy, T[] x, T[] dx, PoolGeometry g, int p0, int p1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // The output extents are properties that divide: read them once, not per row or column.
        int outH = g.OH;
        int outW = g.OW;
        int plane = g.H * g.W;
        for (int p = p0; p < p1; p++)
        {
            int xBase = p * plane;
            int yAt = p * outH * outW;
            Array.Clear(dx, xBase, plane);
            for (int oh = 0; oh < outH; oh++)
            {
                int ih0 = (oh * g.StrideH) - g.PadTop;
                var (kiLo, kiHi) = Range(ih0, g.KH, g.DilationH, g.H);
                for (int ow = 0; ow < outW; ow++, yAt++)
                {
                    int iw0 = (ow * g.StrideW) - g.PadLeft;
                    var (kjLo, kjHi) = Range(iw0, g.KW, g.DilationW, g.W);
                    int best = ArgMaxAt(x, xBase, ih0, kiLo, kiHi, iw0, kjLo, kjHi, g);
                    dx[best] += dy[yAt];
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AvgGradPlanes<T>(T[] dy, T[] dx, PoolGeometry g, int p0, int p1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // The output extents are properties that divide: read them once, not per row or column.
        int outH = g.OH;
        int outW = g.OW;
        int plane = g.H * g.W;
        for (int p = p0; p < p1; p++)
        {
            int xBase = p * plane;
            int yAt = p * outH * outW;
            Array.Clear(dx, xBase, plane);
            for (int oh = 0; oh < outH; oh++)
            {
                int ih0 = (oh * g.StrideH) - g.PadTop;
                var (kiLo, kiHi) = Range(ih0, g.KH, g.DilationH, g.H);
                int countRows = g.CountRows(oh);
                for (int ow = 0; ow < outW; ow++, yAt++)
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
