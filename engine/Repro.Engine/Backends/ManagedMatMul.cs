using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Repro.Engine.Backends;

/// <summary>
/// Blocked, packed matmul in the canonical order: each output element is acc = +0, then acc = fma(a[i,q], b[q,j], acc)
/// for q = 0..K-1 (int32: wrapping acc + a*b). The loops follow the BLIS layout: the output is cut into tiles of
/// <see cref="RowBlock"/> rows by <see cref="TileColumns"/> columns (the work items that threads share); within a tile
/// K is walked in panels of <see cref="KPanel"/> (<see cref="KPanelWide"/> at 512 bits), reading a's 6 rows in place
/// and packing b's columns into micro-panels ([q][col]) of 2 vectors, or 4 at 512 bits; a register-blocked
/// micro-kernel of 6 rows by 2 vectors (12 accumulators, for 16 registers) or 6 by 4 (24, for AVX-512's 32) runs one
/// K panel. The first panel starts the accumulators at +0; every later panel
/// reloads each element's partial sum from the output and continues it, so each element still sees exactly the
/// sequence fma(.., q=0), fma(.., q=1), ... with nothing reordered or split: any width (Vector512, 256, 128 or one
/// element), any tile size, any K panel and any thread count give the same bits.
/// </summary>
internal static class ManagedMatMul
{
    /// <summary>Rows of one micro-tile.</summary>
    private const int Rows = 6;

    /// <summary>Rows of one work item (a multiple of <see cref="Rows"/>).</summary>
    private const int RowBlock = 144;

    /// <summary>K steps per packed panel (the b micro-panel, KPanel x 2 vectors, stays in L1).</summary>
    private const int KPanel = 256;

    /// <summary>K steps per packed panel with 4-vector micro-panels (128 x 4 x 64 bytes = 32 KB, within L1).</summary>
    private const int KPanelWide = 128;

    /// <summary>Columns of one work item: 256 at every width (8 micro-panels of 2 vectors at 512 bits, 4 of 4).</summary>
    private const int TileColumns = 256;

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

    /// <summary>The work split and the cost model that <see cref="Parallelism"/> uses: one item per output tile.</summary>
    internal static (int RowTiles, int ColTiles) Tiles(int m, int n, int cols) =>
        ((m + RowBlock - 1) / RowBlock, (n + cols - 1) / cols);

    /// <summary>Columns of one work item at the width TVec: a whole number of micro-panels, at least 256 columns' worth where the panels allow.</summary>
    internal static int TileCols<TVec, T>()
        where TVec : unmanaged
        where T : unmanaged => Math.Max(1, TileColumns / PanelWidth<TVec, T>()) * PanelWidth<TVec, T>();

    private static void Run<TVec, T>(T[] a, T[] b, T[] y, int batch, int m, int k, int n)
        where TVec : unmanaged
        where T : unmanaged, INumber<T>
    {
        if (m == 0 || n == 0 || batch == 0)
        {
            return;
        }

        if (k == 0)
        {
            Array.Clear(y, 0, batch * m * n);
            return;
        }

        int tileCols = TileCols<TVec, T>();
        var (rowTiles, colTiles) = Tiles(m, n, tileCols);
        int items = batch * rowTiles * colTiles;
        // Cost units per item: one per multiply-add, scaled by the op table's matmul cost (units per 16 multiply-adds).
        long cost = (long)Math.Min(m, RowBlock) * Math.Min(n, tileCols) * k * OpTable.MatMul.Cost / 16;
        Parallelism.For(items, cost, (w0, w1) => Items<TVec, T>(a, b, y, m, k, n, rowTiles, colTiles, w0, w1));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Items<TVec, T>(T[] a, T[] b, T[] y, int m, int k, int n, int rowTiles, int colTiles, int w0, int w1)
        where TVec : unmanaged
        where T : unmanaged, INumber<T>
    {
        int tileCols = TileCols<TVec, T>();
        var bPack = RentPack<TVec, T>(k, tileCols);
        try
        {
            for (int w = w0; w < w1; w++)
            {
                int p = w / (rowTiles * colTiles);
                int rem = w % (rowTiles * colTiles);
                int i0 = (rem / colTiles) * RowBlock;
                int j0 = (rem % colTiles) * tileCols;
                int rows = Math.Min(RowBlock, m - i0);
                int cols = Math.Min(tileCols, n - j0);
                var src = new MatrixPanels<T>(b, (p * k * n) + j0, n);
                Tile<TVec, T, MatrixPanels<T>>(a, (p * m * k) + (i0 * k), k, ref src, k, y, (p * m * n) + (i0 * n) + j0, n, rows, cols, true, bPack);
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(bPack);
        }
    }

    /// <summary>A packing buffer for K panels of up to <paramref name="cols"/> columns (return it to the shared pool).</summary>
    internal static T[] RentPack<TVec, T>(int k, int cols)
        where TVec : unmanaged
        where T : unmanaged
    {
        int nr = PanelWidth<TVec, T>();
        int panels = (cols + nr - 1) / nr;
        return ArrayPool<T>.Shared.Rent(Math.Max(1, panels * nr * Math.Min(Math.Max(k, 1), KPanelOf<TVec, T>())));
    }

    /// <summary>
    /// Vectors per micro-panel: 4 at 512 bits, where the register file (32 registers) holds the 6 x 4 = 24
    /// accumulators that keep both FMA pipes busy (12 chains reach about half of the peak on the dev VM's Zen 5); 2
    /// at the narrower widths (16 registers).
    /// </summary>
    internal static int PanelVectors<TVec, T>()
        where TVec : unmanaged
        where T : unmanaged => Unsafe.SizeOf<TVec>() == 64 ? 4 : 2;

    /// <summary>Columns per micro-panel at the width TVec.</summary>
    internal static int PanelWidth<TVec, T>()
        where TVec : unmanaged
        where T : unmanaged => PanelVectors<TVec, T>() * Simd.Count<TVec, T>();

    /// <summary>K steps per packed panel at the width TVec.</summary>
    private static int KPanelOf<TVec, T>()
        where TVec : unmanaged
        where T : unmanaged => PanelVectors<TVec, T>() == 4 ? KPanelWide : KPanel;

    /// <summary>
    /// One output tile: y[i, j] (rows x cols, row stride ldy, from yOff) continued over K steps q = 0..k-1 with
    /// a[i, q] read in place (row stride lda, from aOff) and b[q, j] packed by <paramref name="src"/>. With
    /// <paramref name="first"/> each element starts at +0; otherwise it continues the partial sum already in y. K is
    /// walked in panels of <see cref="KPanel"/> steps, so each element sees fma(a[i,0], b[0,j], ..), then q = 1, ...
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Tile<TVec, T, TSrc>(T[] a, int aOff, int lda, ref TSrc src, int k, T[] y, int yOff, int ldy, int rows, int cols, bool first, T[] bPack)
        where TVec : unmanaged
        where T : unmanaged, INumber<T>
        where TSrc : struct, IPanelSource<T>
    {
        int nr = PanelWidth<TVec, T>();
        int kPanel = KPanelOf<TVec, T>();
        for (int q0 = 0; q0 < k; q0 += kPanel)
        {
            int kq = Math.Min(kPanel, k - q0);
            for (int jp = 0; jp * nr < cols; jp++)
            {
                int c = Math.Min(nr, cols - (jp * nr));
                src.Pack(q0, kq, jp * nr, c, nr, bPack, jp * nr * kq);
            }

            for (int jp = 0; jp * nr < cols; jp++)
            {
                int c = Math.Min(nr, cols - (jp * nr));
                for (int ip = 0; ip * Rows < rows; ip++)
                {
                    int r = Math.Min(Rows, rows - (ip * Rows));
                    if (PanelVectors<TVec, T>() == 4)
                    {
                        Kernel4<TVec, T>(a, aOff + (ip * Rows * lda) + q0, lda, bPack, jp * nr * kq, kq, y, yOff + (ip * Rows * ldy) + (jp * nr), ldy, r, c, first && q0 == 0);
                    }
                    else
                    {
                        Kernel<TVec, T>(a, aOff + (ip * Rows * lda) + q0, lda, bPack, jp * nr * kq, kq, y, yOff + (ip * Rows * ldy) + (jp * nr), ldy, r, c, first && q0 == 0);
                    }
                }
            }
        }
    }

    /// <summary>
    /// One 6-row by 2-vector micro-tile over one K panel: the 12 accumulators start at +0 (first panel) or at the
    /// partial sums stored by the previous panel, take kq fused multiply-adds in increasing q, and are stored back.
    /// Only the tile's first <paramref name="rows"/> rows and <paramref name="cols"/> columns are read or written.
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<TVec, T>(T[] a, int aOff, int lda, T[] bPack, int bOff, int kq, T[] y, int yOff, int n, int rows, int cols, bool first)
        where TVec : unmanaged
        where T : unmanaged, INumber<T>
    {
        int w = Simd.Count<TVec, T>();
        bool full = rows == Rows && cols == 2 * w;
        Span<T> tile = stackalloc T[Rows * 2 * w];
        scoped ref T c = ref y[0];
        int ld = n;
        int cOff = yOff;
        if (!full)
        {
            // An edge tile works on a staging copy, so it can load and store whole vectors.
            c = ref tile[0];
            ld = 2 * w;
            cOff = 0;
            if (!first)
            {
                StageIn(y, yOff, n, rows, cols, tile, 2 * w);
            }
        }

        TVec c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (first)
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = default;
        }
        else
        {
            c00 = Simd.Load<TVec, T>(ref c, cOff);
            c01 = Simd.Load<TVec, T>(ref c, cOff + w);
            c10 = Simd.Load<TVec, T>(ref c, cOff + ld);
            c11 = Simd.Load<TVec, T>(ref c, cOff + ld + w);
            c20 = Simd.Load<TVec, T>(ref c, cOff + (2 * ld));
            c21 = Simd.Load<TVec, T>(ref c, cOff + (2 * ld) + w);
            c30 = Simd.Load<TVec, T>(ref c, cOff + (3 * ld));
            c31 = Simd.Load<TVec, T>(ref c, cOff + (3 * ld) + w);
            c40 = Simd.Load<TVec, T>(ref c, cOff + (4 * ld));
            c41 = Simd.Load<TVec, T>(ref c, cOff + (4 * ld) + w);
            c50 = Simd.Load<TVec, T>(ref c, cOff + (5 * ld));
            c51 = Simd.Load<TVec, T>(ref c, cOff + (5 * ld) + w);
        }

        // The six rows of a, read in place (row stride lda); rows past the end repeat the last row, whose results
        // are computed but never stored.
        _ = a[aOff + ((rows - 1) * lda) + kq - 1];
        ref T a0 = ref a[aOff];
        ref T a1 = ref Unsafe.Add(ref a0, Math.Min(1, rows - 1) * lda);
        ref T a2 = ref Unsafe.Add(ref a0, Math.Min(2, rows - 1) * lda);
        ref T a3 = ref Unsafe.Add(ref a0, Math.Min(3, rows - 1) * lda);
        ref T a4 = ref Unsafe.Add(ref a0, Math.Min(4, rows - 1) * lda);
        ref T a5 = ref Unsafe.Add(ref a0, Math.Min(5, rows - 1) * lda);
        ref T pb = ref bPack[bOff];
        for (int q = 0; q < kq; q++)
        {
            var b0 = Simd.Load<TVec, T>(ref pb, 0);
            var b1 = Simd.Load<TVec, T>(ref pb, w);
            var x = Simd.BroadcastAt<TVec, T>(ref a0, q);
            c00 = Simd.MulAdd<TVec, T>(x, b0, c00);
            c01 = Simd.MulAdd<TVec, T>(x, b1, c01);
            x = Simd.BroadcastAt<TVec, T>(ref a1, q);
            c10 = Simd.MulAdd<TVec, T>(x, b0, c10);
            c11 = Simd.MulAdd<TVec, T>(x, b1, c11);
            x = Simd.BroadcastAt<TVec, T>(ref a2, q);
            c20 = Simd.MulAdd<TVec, T>(x, b0, c20);
            c21 = Simd.MulAdd<TVec, T>(x, b1, c21);
            x = Simd.BroadcastAt<TVec, T>(ref a3, q);
            c30 = Simd.MulAdd<TVec, T>(x, b0, c30);
            c31 = Simd.MulAdd<TVec, T>(x, b1, c31);
            x = Simd.BroadcastAt<TVec, T>(ref a4, q);
            c40 = Simd.MulAdd<TVec, T>(x, b0, c40);
            c41 = Simd.MulAdd<TVec, T>(x, b1, c41);
            x = Simd.BroadcastAt<TVec, T>(ref a5, q);
            c50 = Simd.MulAdd<TVec, T>(x, b0, c50);
            c51 = Simd.MulAdd<TVec, T>(x, b1, c51);
            pb = ref Unsafe.Add(ref pb, 2 * w);
        }

        Simd.Store(c00, ref c, cOff);
        Simd.Store(c01, ref c, cOff + w);
        if (full || rows > 1)
        {
            Simd.Store(c10, ref c, cOff + ld);
            Simd.Store(c11, ref c, cOff + ld + w);
        }

        if (full || rows > 2)
        {
            Simd.Store(c20, ref c, cOff + (2 * ld));
            Simd.Store(c21, ref c, cOff + (2 * ld) + w);
        }

        if (full || rows > 3)
        {
            Simd.Store(c30, ref c, cOff + (3 * ld));
            Simd.Store(c31, ref c, cOff + (3 * ld) + w);
        }

        if (full || rows > 4)
        {
            Simd.Store(c40, ref c, cOff + (4 * ld));
            Simd.Store(c41, ref c, cOff + (4 * ld) + w);
        }

        if (full || rows > 5)
        {
            Simd.Store(c50, ref c, cOff + (5 * ld));
            Simd.Store(c51, ref c, cOff + (5 * ld) + w);
        }

        if (!full)
        {
            StageOut(tile, 2 * w, y, yOff, n, rows, cols);
        }
    }

    /// <summary>
    /// <see cref="Kernel"/> with 4-vector micro-panels (6 rows by 4 vectors, 24 accumulators): the same per-element
    /// sequence of fused multiply-adds in increasing q, for the 512-bit width's 32 registers. A second body rather
    /// than a parameter of the first: the accumulators must be named locals for the JIT to keep them in registers.
    /// </summary>
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4<TVec, T>(T[] a, int aOff, int lda, T[] bPack, int bOff, int kq, T[] y, int yOff, int n, int rows, int cols, bool first)
        where TVec : unmanaged
        where T : unmanaged, INumber<T>
    {
        int w = Simd.Count<TVec, T>();
        bool full = rows == Rows && cols == 4 * w;
        Span<T> tile = stackalloc T[Rows * 4 * w];
        scoped ref T c = ref y[0];
        int ld = n;
        int cOff = yOff;
        if (!full)
        {
            c = ref tile[0];
            ld = 4 * w;
            cOff = 0;
            if (!first)
            {
                StageIn(y, yOff, n, rows, cols, tile, 4 * w);
            }
        }

        TVec c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33, c40, c41, c42, c43, c50, c51, c52, c53;
        if (first)
        {
            c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = c20 = c21 = c22 = c23 = c30 = c31 = c32 = c33 = c40 = c41 = c42 = c43 = c50 = c51 = c52 = c53 = default;
        }
        else
        {
            c00 = Simd.Load<TVec, T>(ref c, cOff);
            c01 = Simd.Load<TVec, T>(ref c, cOff + w);
            c02 = Simd.Load<TVec, T>(ref c, cOff + (2 * w));
            c03 = Simd.Load<TVec, T>(ref c, cOff + (3 * w));
            c10 = Simd.Load<TVec, T>(ref c, cOff + ld);
            c11 = Simd.Load<TVec, T>(ref c, cOff + ld + w);
            c12 = Simd.Load<TVec, T>(ref c, cOff + ld + (2 * w));
            c13 = Simd.Load<TVec, T>(ref c, cOff + ld + (3 * w));
            c20 = Simd.Load<TVec, T>(ref c, cOff + (2 * ld));
            c21 = Simd.Load<TVec, T>(ref c, cOff + (2 * ld) + w);
            c22 = Simd.Load<TVec, T>(ref c, cOff + (2 * ld) + (2 * w));
            c23 = Simd.Load<TVec, T>(ref c, cOff + (2 * ld) + (3 * w));
            c30 = Simd.Load<TVec, T>(ref c, cOff + (3 * ld));
            c31 = Simd.Load<TVec, T>(ref c, cOff + (3 * ld) + w);
            c32 = Simd.Load<TVec, T>(ref c, cOff + (3 * ld) + (2 * w));
            c33 = Simd.Load<TVec, T>(ref c, cOff + (3 * ld) + (3 * w));
            c40 = Simd.Load<TVec, T>(ref c, cOff + (4 * ld));
            c41 = Simd.Load<TVec, T>(ref c, cOff + (4 * ld) + w);
            c42 = Simd.Load<TVec, T>(ref c, cOff + (4 * ld) + (2 * w));
            c43 = Simd.Load<TVec, T>(ref c, cOff + (4 * ld) + (3 * w));
            c50 = Simd.Load<TVec, T>(ref c, cOff + (5 * ld));
            c51 = Simd.Load<TVec, T>(ref c, cOff + (5 * ld) + w);
            c52 = Simd.Load<TVec, T>(ref c, cOff + (5 * ld) + (2 * w));
            c53 = Simd.Load<TVec, T>(ref c, cOff + (5 * ld) + (3 * w));
        }

        _ = a[aOff + ((rows - 1) * lda) + kq - 1];
        ref T a0 = ref a[aOff];
        ref T a1 = ref Unsafe.Add(ref a0, Math.Min(1, rows - 1) * lda);
        ref T a2 = ref Unsafe.Add(ref a0, Math.Min(2, rows - 1) * lda);
        ref T a3 = ref Unsafe.Add(ref a0, Math.Min(3, rows - 1) * lda);
        ref T a4 = ref Unsafe.Add(ref a0, Math.Min(4, rows - 1) * lda);
        ref T a5 = ref Unsafe.Add(ref a0, Math.Min(5, rows - 1) * lda);
        ref T pb = ref bPack[bOff];
        for (int q = 0; q < kq; q++)
        {
            var b0 = Simd.Load<TVec, T>(ref pb, 0);
            var b1 = Simd.Load<TVec, T>(ref pb, w);
            var b2 = Simd.Load<TVec, T>(ref pb, 2 * w);
            var b3 = Simd.Load<TVec, T>(ref pb, 3 * w);
            var x = Simd.BroadcastAt<TVec, T>(ref a0, q);
            c00 = Simd.MulAdd<TVec, T>(x, b0, c00);
            c01 = Simd.MulAdd<TVec, T>(x, b1, c01);
            c02 = Simd.MulAdd<TVec, T>(x, b2, c02);
            c03 = Simd.MulAdd<TVec, T>(x, b3, c03);
            x = Simd.BroadcastAt<TVec, T>(ref a1, q);
            c10 = Simd.MulAdd<TVec, T>(x, b0, c10);
            c11 = Simd.MulAdd<TVec, T>(x, b1, c11);
            c12 = Simd.MulAdd<TVec, T>(x, b2, c12);
            c13 = Simd.MulAdd<TVec, T>(x, b3, c13);
            x = Simd.BroadcastAt<TVec, T>(ref a2, q);
            c20 = Simd.MulAdd<TVec, T>(x, b0, c20);
            c21 = Simd.MulAdd<TVec, T>(x, b1, c21);
            c22 = Simd.MulAdd<TVec, T>(x, b2, c22);
            c23 = Simd.MulAdd<TVec, T>(x, b3, c23);
            x = Simd.BroadcastAt<TVec, T>(ref a3, q);
            c30 = Simd.MulAdd<TVec, T>(x, b0, c30);
            c31 = Simd.MulAdd<TVec, T>(x, b1, c31);
            c32 = Simd.MulAdd<TVec, T>(x, b2, c32);
            c33 = Simd.MulAdd<TVec, T>(x, b3, c33);
            x = Simd.BroadcastAt<TVec, T>(ref a4, q);
            c40 = Simd.MulAdd<TVec, T>(x, b0, c40);
            c41 = Simd.MulAdd<TVec, T>(x, b1, c41);
            c42 = Simd.MulAdd<TVec, T>(x, b2, c42);
            c43 = Simd.MulAdd<TVec, T>(x, b3, c43);
            x = Simd.BroadcastAt<TVec, T>(ref a5, q);
            c50 = Simd.MulAdd<TVec, T>(x, b0, c50);
            c51 = Simd.MulAdd<TVec, T>(x, b1, c51);
            c52 = Simd.MulAdd<TVec, T>(x, b2, c52);
            c53 = Simd.MulAdd<TVec, T>(x, b3, c53);
            pb = ref Unsafe.Add(ref pb, 4 * w);
        }

        Simd.Store(c00, ref c, cOff);
        Simd.Store(c01, ref c, cOff + w);
        Simd.Store(c02, ref c, cOff + (2 * w));
        Simd.Store(c03, ref c, cOff + (3 * w));
        if (full || rows > 1)
        {
            Simd.Store(c10, ref c, cOff + ld);
            Simd.Store(c11, ref c, cOff + ld + w);
            Simd.Store(c12, ref c, cOff + ld + (2 * w));
            Simd.Store(c13, ref c, cOff + ld + (3 * w));
        }
        if (full || rows > 2)
        {
            Simd.Store(c20, ref c, cOff + (2 * ld));
            Simd.Store(c21, ref c, cOff + (2 * ld) + w);
            Simd.Store(c22, ref c, cOff + (2 * ld) + (2 * w));
            Simd.Store(c23, ref c, cOff + (2 * ld) + (3 * w));
        }
        if (full || rows > 3)
        {
            Simd.Store(c30, ref c, cOff + (3 * ld));
            Simd.Store(c31, ref c, cOff + (3 * ld) + w);
            Simd.Store(c32, ref c, cOff + (3 * ld) + (2 * w));
            Simd.Store(c33, ref c, cOff + (3 * ld) + (3 * w));
        }
        if (full || rows > 4)
        {
            Simd.Store(c40, ref c, cOff + (4 * ld));
            Simd.Store(c41, ref c, cOff + (4 * ld) + w);
            Simd.Store(c42, ref c, cOff + (4 * ld) + (2 * w));
            Simd.Store(c43, ref c, cOff + (4 * ld) + (3 * w));
        }
        if (full || rows > 5)
        {
            Simd.Store(c50, ref c, cOff + (5 * ld));
            Simd.Store(c51, ref c, cOff + (5 * ld) + w);
            Simd.Store(c52, ref c, cOff + (5 * ld) + (2 * w));
            Simd.Store(c53, ref c, cOff + (5 * ld) + (3 * w));
        }

        if (!full)
        {
            StageOut(tile, 4 * w, y, yOff, n, rows, cols);
        }
    }

    /// <summary>An edge tile's partial sums (rows x cols of y) into the zeroed staging tile of row stride ld.</summary>
    private static void StageIn<T>(T[] y, int yOff, int n, int rows, int cols, Span<T> tile, int ld)
        where T : unmanaged
    {
        tile.Clear();
        for (int r = 0; r < rows; r++)
        {
            y.AsSpan(yOff + (r * n), cols).CopyTo(tile.Slice(r * ld, cols));
        }
    }

    /// <summary>An edge tile's rows x cols back from the staging tile (row stride ld) into y.</summary>
    private static void StageOut<T>(ReadOnlySpan<T> tile, int ld, T[] y, int yOff, int n, int rows, int cols)
        where T : unmanaged
    {
        for (int r = 0; r < rows; r++)
        {
            tile.Slice(r * ld, cols).CopyTo(y.AsSpan(yOff + (r * n), cols));
        }
    }
}

/// <summary>
/// The b operand of <see cref="ManagedMatMul.Tile"/>: writes rows q0..q0+kq of a (possibly virtual) K x N matrix,
/// columns j0..j0+cols of the tile, as one micro-panel pack[off + q * nr + c], zero in the columns past cols.
/// </summary>
internal interface IPanelSource<T>
    where T : unmanaged
{
    /// <summary>Packs one micro-panel.</summary>
    void Pack(int q0, int kq, int j0, int cols, int nr, T[] pack, int off);
}

/// <summary>A stored row-major matrix b (row stride ldb, the tile's column 0 at bOff).</summary>
internal readonly struct MatrixPanels<T>(T[] b, int bOff, int ldb) : IPanelSource<T>
    where T : unmanaged
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Pack(int q0, int kq, int j0, int cols, int nr, T[] pack, int off)
    {
        for (int q = 0; q < kq; q++)
        {
            Array.Copy(b, bOff + ((q0 + q) * ldb) + j0, pack, off + (q * nr), cols);
            if (cols < nr)
            {
                Array.Clear(pack, off + (q * nr) + cols, nr - cols);
            }
        }
    }
}
