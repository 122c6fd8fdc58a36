using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Repro.Engine.Backends;

/// <summary>
/// 2-D convolution and its two gradients as implicit GEMMs on <see cref="ManagedMatMul.Tile"/>: the b operand is
/// never materialized; each K panel of it is gathered straight from x (or dy) into the packing buffer, padding as
/// zeros, so every output element takes exactly the fused multiply-adds of its canonical order (see
/// <see cref="OpTable.Conv2d"/>): forward over (c, ki, kj), input gradient over (o, ki, kj), weight gradient over
/// (n, oh, ow). Work items are output tiles, each computed whole by one thread, so no split shows in the result.
/// </summary>
internal static class ManagedConv
{
    // Rows of one work item of the gradient passes (the forward pass sizes its row blocks by the thread count).
    private const int RowBlock = 96;

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reproducibility", "RPR3002", Justification = "Every width runs the same sequential fused multiply-add per output element; the suite compares widths bit for bit in child processes.")]
    public static void Run<T>(int pass, T[] a, T[] b, T[] y, ConvGeometry g)
        where T : unmanaged, INumber<T>
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Run<Vector512<T>, T>(pass, a, b, y, g);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Run<Vector256<T>, T>(pass, a, b, y, g);
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            Run<Vector128<T>, T>(pass, a, b, y, g);
        }
        else
        {
            Run<T, T>(pass, a, b, y, g);
        }
    }

    /// <summary>pass 0: y = conv(x = a, w = b); 1: dx = a from dy = a, w = b; 2: dw from dy = a, x = b.</summary>
    private static void Run<TVec, T>(int pass, T[] a, T[] b, T[] y, ConvGeometry g)
        where TVec : unmanaged
        where T : unmanaged, INumber<T>
    {
        int kk = g.KH * g.KW;
        int p = g.OH * g.OW;
        int colTile = ManagedMatMul.TileCols<TVec, T>();
        long terms = pass switch { 0 => (long)g.Cg * kk, 1 => (long)g.Og * kk, _ => (long)g.N * p };
        if (terms == 0)
        {
            // Every element is an empty sum (+0); the output buffer may not be zero-filled (Backend.AllocateOutput).
            Array.Clear(y);
            return;
        }

        switch (pass)
        {
            case 0:
            {
                // y[n, g, o, p] = w[g, o, :] x im2col(x[n, g])[:, p]
                // Each work item packs its column tile of im2col(x) and runs every row of its row block over it; the
                // packing costs about as much as the multiply-adds of 100 rows, so row blocks are as tall as the
                // threads allow: all output channels in one block when the column tiles alone give every thread two
                // items (one item on one thread), else split evenly into that many. Tiles never change a result.
                int colTiles = Tiles(p, colTile);
                long columnItems = (long)g.N * g.Groups * colTiles;
                int wanted = Settings.Threads == 1 ? 1 : 2 * Settings.Threads;
                int rowSplits = (int)Math.Clamp((wanted + columnItems - 1) / Math.Max(columnItems, 1), 1, Math.Max(g.Og, 1));
                int rowBlock = Math.Max(1, (g.Og + rowSplits - 1) / rowSplits);
                int rowTiles = Tiles(g.Og, rowBlock);
                long cost = (long)Math.Min(g.Og, rowBlock) * Math.Min(p, colTile) * g.Cg * kk / 16;
                Parallelism.For(g.N * g.Groups * rowTiles * colTiles, cost, (w0, w1) => Forward<TVec, T>(a, b, y, g, rowBlock, rowTiles, colTiles, colTile, w0, w1));
                break;
            }

            case 1:
            {
                // dx[n, g, c, (h, w)] = w'[g, c, (o, ki, kj)] x gather(dy[n, g])[(o, ki, kj), (h, w)]
                var wt = Rearranged(b, g);
                int rowTiles = Tiles(g.Cg, RowBlock);
                int colTiles = Tiles(g.H * g.W, colTile);
                long cost = (long)Math.Min(g.Cg, RowBlock) * Math.Min(g.H * g.W, colTile) * g.Og * kk / 16;
                Parallelism.For(g.N * g.Groups * rowTiles * colTiles, cost, (w0, w1) => InputGrad<TVec, T>(a, wt, y, g, rowTiles, colTiles, colTile, w0, w1));
                break;
            }

            default:
            {
                // dw[g, o, (c, ki, kj)] = sum over n of dy[n, g, o, :] x im2col(x[n, g])^T
                int rowTiles = Tiles(g.Og, RowBlock);
                int colTiles = Tiles(g.Cg * kk, colTile);
                long cost = (long)Math.Min(g.Og, RowBlock) * Math.Min(g.Cg * kk, colTile) * g.N * p / 16;
                Parallelism.For(g.Groups * rowTiles * colTiles, cost, (w0, w1) => WeightGrad<TVec, T>(a, b, y, g, rowTiles, colTiles, colTile, w0, w1));
                break;
            }
        }
    }

    private static int Tiles(int n, int block) => (n + block - 1) / block;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Forward<TVec, T>(T[] x, T[] w, T[] y, ConvGeometry g, int rowBlock, int rowTiles, int colTiles, int colTile, int w0, int w1)
        where TVec : unmanaged
        where T : unmanaged, INumber<T>
    {
        int kk = g.KH * g.KW;
        int k = g.Cg * kk;
        int p = g.OH * g.OW;
        bool pointwise = kk == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadTop == 0 && g.PadLeft == 0 && g.PadBottom == 0 && g.PadRight == 0;
        var pack = ManagedMatMul.RentPack<TVec, T>(k, colTile);
        try
        {
            for (int item = w0; item < w1; item++)
            {
                int col = item % colTiles;
                int rest = item / colTiles;
                int row = rest % rowTiles;
                rest /= rowTiles;
                int grp = rest % g.Groups;
                int n = rest / g.Groups;
                int o0 = row * rowBlock;
                int p0 = col * colTile;
                int xOff = ((n * g.C) + (grp * g.Cg)) * g.H * g.W;
                int yOff = (((n * g.O) + (grp * g.Og) + o0) * p) + p0;
                int rows = Math.Min(rowBlock, g.Og - o0);
                int cols = Math.Min(colTile, p - p0);
                if (pointwise)
                {
                    // A 1x1 window with stride 1 and no padding: im2col(x) is x itself, [C, H * W]; the same values, packed by rows.
                    var rowsOfX = new MatrixPanels<T>(x, xOff + p0, p);
                    ManagedMatMul.Tile<TVec, T, MatrixPanels<T>>(w, ((grp * g.Og) + o0) * k, k, ref rowsOfX, k, y, yOff, p, rows, cols, true, pack);
                }
                else
                {
                    var src = new Im2ColPanels<T>(x, xOff, g, p0);
                    ManagedMatMul.Tile<TVec, T, Im2ColPanels<T>>(w, ((grp * g.Og) + o0) * k, k, ref src, k, y, yOff, p, rows, cols, true, pack);
                }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(pack);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputGrad<TVec, T>(T[] dy, T[] wt, T[] dx, ConvGeometry g, int rowTiles, int colTiles, int colTile, int w0, int w1)
        where TVec : unmanaged
        where T : unmanaged, INumber<T>
    {
        int kk = g.KH * g.KW;
        int k = g.Og * kk;
        int hw = g.H * g.W;
        var pack = ManagedMatMul.RentPack<TVec, T>(k, colTile);
        try
        {
            for (int item = w0; item < w1; item++)
            {
                int col = item % colTiles;
                int rest = item / colTiles;
                int row = rest % rowTiles;
                rest /= rowTiles;
                int grp = rest % g.Groups;
                int n = rest / g.Groups;
                int c0 = row * RowBlock;
                int p0 = col * colTile;
                var src = new TransposedPanels<T>(dy, ((n * g.O) + (grp * g.Og)) * g.OH * g.OW, g, p0);
                ManagedMatMul.Tile<TVec, T, TransposedPanels<T>>(wt, ((grp * g.Cg) + c0) * k, k, ref src, k, dx, (((n * g.C) + (grp * g.Cg) + c0) * hw) + p0, hw, Math.Min(RowBlock, g.Cg - c0), Math.Min(colTile, hw - p0), true, pack);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(pack);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGrad<TVec, T>(T[] dy, T[] x, T[] dw, ConvGeometry g, int rowTiles, int colTiles, int colTile, int w0, int w1)
        where TVec : unmanaged
        where T : unmanaged, INumber<T>
    {
        int kk = g.KH * g.KW;
        int ncols = g.Cg * kk;
        int p = g.OH * g.OW;
        var pack = ManagedMatMul.RentPack<TVec, T>(p, colTile);
        try
        {
            for (int item = w0; item < w1; item++)
            {
                int col = item % colTiles;
                int rest = item / colTiles;
                int row = rest % rowTiles;
                int grp = rest / rowTiles;
                int o0 = row * RowBlock;
                int j0 = col * colTile;
                for (int n = 0; n < g.N; n++)
                {
                    // K runs over (n, oh, ow): each image continues the partial sums the previous one stored.
                    var src = new PatchRowPanels<T>(x, ((n * g.C) + (grp * g.Cg)) * g.H * g.W, g, j0);
                    ManagedMatMul.Tile<TVec, T, PatchRowPanels<T>>(dy, ((n * g.O) + (grp * g.Og) + o0) * p, p, ref src, p, dw, (((grp * g.Og) + o0) * ncols) + j0, ncols, Math.Min(RowBlock, g.Og - o0), Math.Min(colTile, ncols - j0), n == 0, pack);
                }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(pack);
        }
    }

    /// <summary>w [G * Og, Cg, KH, KW] rearranged as w'[G * Cg, Og, KH, KW] (the input gradient's a operand).</summary>
    private static T[] Rearranged<T>(T[] w, ConvGeometry g)
    {
        int kk = g.KH * g.KW;
        var wt = new T[g.WLength];
        for (int grp = 0; grp < g.Groups; grp++)
        {
            for (int o = 0; o < g.Og; o++)
            {
                for (int c = 0; c < g.Cg; c++)
                {
                    Array.Copy(w, ((((grp * g.Og) + o) * g.Cg) + c) * kk, wt, ((((grp * g.Cg) + c) * g.Og) + o) * kk, kk);
                }
            }
        }

        return wt;
    }
}

/// <summary>
/// The forward pass's b operand: im2col of one image's group of channels, never stored: row q = (c, ki, kj),
/// column p = (oh, ow) holds x[c, oh * sh + ki * dh - top, ow * sw + kj * dw - left], or 0 in the padding.
/// </summary>
internal readonly struct Im2ColPanels<T>(T[] x, int xOff, ConvGeometry g, int p0) : IPanelSource<T>
    where T : unmanaged
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Pack(int q0, int kq, int j0, int cols, int nr, T[] pack, int off)
    {
        // The geometry's derived sizes are properties that divide: read each once.
        int kk = g.KH * g.KW;
        int outW = g.OW;
        int start = p0 + j0;
        int oh0 = start / outW;
        int ow0 = start % outW;
        // Row q = (c, ki, kj) in the canonical order, stepped rather than divided out for every row.
        int c = q0 / kk;
        int ki = q0 % kk / g.KW;
        int kj = (q0 % g.KW) - 1;
        for (int q = 0; q < kq; q++)
        {
            if (++kj == g.KW)
            {
                kj = 0;
                if (++ki == g.KH)
                {
                    ki = 0;
                    c++;
                }
            }

            var dst = pack.AsSpan(off + (q * nr), nr);
            int oh = oh0;
            int ow = ow0;
            int i = 0;
            while (i < cols)
            {
                int run = Math.Min(cols - i, outW - ow);
                int ih = (oh * g.StrideH) + (ki * g.DilationH) - g.PadTop;
                var seg = dst.Slice(i, run);
                if ((uint)ih >= (uint)g.H)
                {
                    seg.Clear();
                }
                else
                {
                    int rowBase = xOff + (((c * g.H) + ih) * g.W);
                    int iw0 = (ow * g.StrideW) + (kj * g.DilationW) - g.PadLeft;
                    if (g.StrideW == 1)
                    {
                        int lo = Math.Clamp(-iw0, 0, run);
                        int hi = Math.Clamp(g.W - iw0, lo, run);
                        seg[..lo].Clear();
                        if (hi > lo)
                        {
                            x.AsSpan(rowBase + iw0 + lo, hi - lo).CopyTo(seg[lo..hi]);
                        }
                        seg[hi..].Clear();
                    }
                    else
                    {
                        for (int t = 0; t < run; t++)
                        {
                            int iw = iw0 + (t * g.StrideW);
                            seg[t] = (uint)iw < (uint)g.W ? x[rowBase + iw] : default;
                        }
                    }
                }

                i += run;
                ow = 0;
                oh++;
            }

            dst[cols..].Clear();
        }
    }
}

/// <summary>
/// The input gradient's b operand, never stored: row q = (o, ki, kj), column p = (h, w) holds dy[o, oh, ow] where
/// oh * sh = h + top - ki * dh and ow * sw = w + left - kj * dw exactly and in range, or 0.
/// </summary>
internal readonly struct TransposedPanels<T>(T[] dy, int dyOff, ConvGeometry g, int p0) : IPanelSource<T>
    where T : unmanaged
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Pack(int q0, int kq, int j0, int cols, int nr, T[] pack, int off)
    {
        // The geometry's output sizes are properties that divide: read each once.
        int kk = g.KH * g.KW;
        int outH = g.OH;
        int outW = g.OW;
        for (int q = 0; q < kq; q++)
        {
            int qq = q0 + q;
            int o = qq / kk;
            int ki = qq % kk / g.KW;
            int kj = qq % g.KW;
            var dst = pack.AsSpan(off + (q * nr), nr);
            int start = p0 + j0;
            int h = start / g.W;
            int w = start % g.W;
            int i = 0;
            while (i < cols)
            {
                int run = Math.Min(cols - i, g.W - w);
                int th = h + g.PadTop - (ki * g.DilationH);
                var seg = dst.Slice(i, run);
                int oh = th / g.StrideH;
                if (th < 0 || th % g.StrideH != 0 || oh >= outH)
                {
                    seg.Clear();
                }
                else
                {
                    int rowBase = dyOff + (((o * outH) + oh) * outW);
                    int tw0 = w + g.PadLeft - (kj * g.DilationW);
                    if (g.StrideW == 1)
                    {
                        int lo = Math.Clamp(-tw0, 0, run);
                        int hi = Math.Clamp(outW - tw0, lo, run);
                        seg[..lo].Clear();
                        if (hi > lo)
                        {
                            dy.AsSpan(rowBase + tw0 + lo, hi - lo).CopyTo(seg[lo..hi]);
                        }
                        seg[hi..].Clear();
                    }
                    else
                    {
                        for (int t = 0; t < run; t++)
                        {
                            int tw = tw0 + t;
                            int ow = tw / g.StrideW;
                            seg[t] = tw >= 0 && tw % g.StrideW == 0 && ow < outW ? dy[rowBase + ow] : default;
                        }
                    }
                }

                i += run;
                w = 0;
                h++;
            }

            dst[cols..].Clear();
        }
    }
}

/// <summary>
/// The weight gradient's b operand for one image, never stored: row q = output position (oh, ow), column
/// j = (c, ki, kj) holds x[c, oh * sh + ki * dh - top, ow * sw + kj * dw - left], or 0 in the padding.
/// </summary>
internal readonly struct PatchRowPanels<T>(T[] x, int xOff, ConvGeometry g, int col0) : IPanelSource<T>
    where T : unmanaged
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Pack(int q0, int kq, int j0, int cols, int nr, T[] pack, int off)
    {
        // The geometry's output sizes are properties that divide: read each once.
        int kk = g.KH * g.KW;
        int outW = g.OW;
        int start = col0 + j0;
        for (int q = 0; q < kq; q++)
        {
            int pos = q0 + q;
            int oh = pos / outW;
            int ow = pos % outW;
            int baseH = (oh * g.StrideH) - g.PadTop;
            int baseW = (ow * g.StrideW) - g.PadLeft;
            var dst = pack.AsSpan(off + (q * nr), nr);
            int c = start / kk;
            int ki = start % kk / g.KW;
            int kj = start % g.KW;
            if (baseH >= 0 && baseH + ((g.KH - 1) * g.DilationH) < g.H && baseW >= 0 && baseW + ((g.KW - 1) * g.DilationW) < g.W)
            {
                // The whole window lies inside the image: the same elements, stepped through without bounds tests.
                Interior(ref MemoryMarshal.GetArrayDataReference(x), xOff + (c * g.H * g.W) + ((baseH + (ki * g.DilationH)) * g.W) + baseW, ki, kj, cols, dst);
                dst[cols..].Clear();
                continue;
            }

            for (int t = 0; t < cols; t++)
            {
                int ih = baseH + (ki * g.DilationH);
                int iw = baseW + (kj * g.DilationW);
                dst[t] = (uint)ih < (uint)g.H && (uint)iw < (uint)g.W ? x[xOff + (((c * g.H) + ih) * g.W) + iw] : default;
                if (++kj == g.KW)
                {
                    kj = 0;
                    if (++ki == g.KH)
                    {
                        ki = 0;
                        c++;
                    }
                }
            }

            dst[cols..].Clear();
        }
    }

    /// <summary>
    /// Columns (c, ki, kj) from <paramref name="ki"/>, <paramref name="kj"/> on of one window that lies inside the
    /// image, whose tap (c, ki, 0) is at x[<paramref name="tap"/> - kj * dw].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Interior(ref T x0, int tap, int ki, int kj, int cols, Span<T> dst)
    {
        int rowTap = tap + (kj * g.DilationW);
        int plane = g.H * g.W;
        int rowStep = g.DilationH * g.W;
        for (int t = 0; t < cols; t++)
        {
            dst[t] = Unsafe.Add(ref x0, rowTap);
            if (++kj == g.KW)
            {
                kj = 0;
                tap += rowStep;
                if (++ki == g.KH)
                {
                    ki = 0;
                    tap += plane - (g.KH * rowStep);
                }

                rowTap = tap;
            }
            else
            {
                rowTap += g.DilationW;
            }
        }
    }
}
