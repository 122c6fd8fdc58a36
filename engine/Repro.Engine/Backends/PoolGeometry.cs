namespace Repro.Engine.Backends;

/// <summary>
/// The shape of one 2-D pooling: input x [N, C, H, W], output y [N, C, OH, OW], a KH x KW window with per-axis stride
/// and dilation, and padding that may differ on each side (ONNX's pads: top, left, bottom, right; ceil_mode is
/// expressed by the caller as extra bottom and right padding). Output position (oh, ow) with tap (ki, kj) looks at
/// input row oh * StrideH + ki * DilationH - PadTop and column ow * StrideW + kj * DilationW - PadLeft. Average pooling
/// divides by the taps that fall inside the input grown by the Count* margins (0 each: count_include_pad off; the
/// declared pads: on), each margin at most its pad.
/// </summary>
public readonly record struct PoolGeometry(
    int N,
    int C,
    int H,
    int W,
    int KH,
    int KW,
    int StrideH,
    int StrideW,
    int PadTop,
    int PadLeft,
    int PadBottom,
    int PadRight,
    int DilationH,
    int DilationW,
    int CountTop,
    int CountLeft,
    int CountBottom,
    int CountRight)
{
    /// <summary>Output rows.</summary>
    public int OH => ConvGeometry.Extent(H, PadTop + PadBottom, KH, StrideH, DilationH);

    /// <summary>Output columns.</summary>
    public int OW => ConvGeometry.Extent(W, PadLeft + PadRight, KW, StrideW, DilationW);

    /// <summary>Independent (n, c) planes.</summary>
    public int Planes => N * C;

    /// <summary>Elements of x (and of dx).</summary>
    public int XLength => checked(N * C * H * W);

    /// <summary>Elements of y (and of dy).</summary>
    public int YLength => checked(N * C * OH * OW);

    /// <summary>The divisor of average pooling at (oh, ow): the window's taps inside the input grown by the Count* margins.</summary>
    public int Count(int oh, int ow) => CountRows(oh) * CountColumns(ow);

    /// <summary>The window rows of output row <paramref name="oh"/> that <see cref="Count"/> counts.</summary>
    public int CountRows(int oh) => Taps((oh * StrideH) - PadTop, KH, DilationH, -CountTop, H + CountBottom);

    /// <summary>The window columns of output column <paramref name="ow"/> that <see cref="Count"/> counts.</summary>
    public int CountColumns(int ow) => Taps((ow * StrideW) - PadLeft, KW, DilationW, -CountLeft, W + CountRight);

    /// <summary>
    /// The geometry of a pooling of x [N, C, H, W]; the error names the op and the bad value. Every window must keep at
    /// least one tap inside the input (padding larger than that has no maximum and no mean to give).
    /// </summary>
    public static PoolGeometry Create(string op, int[] x, int[] kernel, int[] stride, int[] pads, int[] dilation, int[] countPads)
    {
        if (x.Length != 4)
        {
            throw new ShapeException($"{op}: expected input [N, C, H, W], got [{string.Join(", ", x)}]");
        }

        if (kernel.Length != 2 || kernel[0] < 1 || kernel[1] < 1)
        {
            throw new ArgumentException($"{op}: expected 2 kernel extents >= 1, got [{string.Join(", ", kernel)}]", nameof(kernel));
        }

        if (stride.Length != 2 || stride[0] < 1 || stride[1] < 1)
        {
            throw new ArgumentException($"{op}: expected 2 strides >= 1, got [{string.Join(", ", stride)}]", nameof(stride));
        }

        if (dilation.Length != 2 || dilation[0] < 1 || dilation[1] < 1)
        {
            throw new ArgumentException($"{op}: expected 2 dilations >= 1, got [{string.Join(", ", dilation)}]", nameof(dilation));
        }

        if (pads.Length != 4 || pads.Any(p => p < 0))
        {
            throw new ArgumentException($"{op}: expected 4 paddings >= 0 (top, left, bottom, right), got [{string.Join(", ", pads)}]", nameof(pads));
        }

        if (countPads.Length != 4 || Enumerable.Range(0, 4).Any(i => countPads[i] < 0 || countPads[i] > pads[i]))
        {
            throw new ArgumentException($"{op}: expected 4 counted paddings between 0 and the pads [{string.Join(", ", pads)}], got [{string.Join(", ", countPads)}]", nameof(countPads));
        }

        var g = new PoolGeometry(x[0], x[1], x[2], x[3], kernel[0], kernel[1], stride[0], stride[1], pads[0], pads[1], pads[2], pads[3], dilation[0], dilation[1], countPads[0], countPads[1], countPads[2], countPads[3]);
        if (g.H + g.PadTop + g.PadBottom < (g.DilationH * (g.KH - 1)) + 1 || g.W + g.PadLeft + g.PadRight < (g.DilationW * (g.KW - 1)) + 1)
        {
            throw new ShapeException($"{op}: the {g.KH}x{g.KW} window (dilation {g.DilationH}x{g.DilationW}) does not fit the padded input [{string.Join(", ", x)}] with pads [{string.Join(", ", pads)}]");
        }

        if (g.N > 0 && g.C > 0)
        {
            CheckCovered(op, "row", g.OH, g.StrideH, g.PadTop, g.KH, g.DilationH, g.H, pads);
            CheckCovered(op, "column", g.OW, g.StrideW, g.PadLeft, g.KW, g.DilationW, g.W, pads);
        }

        return g;
    }

    /// <summary>The taps start, start + step, ... (k of them) that fall in [lo, hi).</summary>
    private static int Taps(int start, int k, int step, int lo, int hi)
    {
        int count = 0;
        for (int i = 0; i < k; i++)
        {
            int p = start + (i * step);
            if (p >= lo && p < hi)
            {
                count++;
            }
        }

        return count;
    }

    private static void CheckCovered(string op, string axis, int outputs, int stride, int pad, int k, int dilation, int size, int[] pads)
    {
        for (int o = 0; o < outputs; o++)
        {
            if (Taps((o * stride) - pad, k, dilation, 0, size) == 0)
            {
                throw new ArgumentException($"{op}: the window of output {axis} {o} lies wholly in the padding (pads [{string.Join(", ", pads)}], kernel {k}, stride {stride}, dilation {dilation}, input extent {size}); the padding must leave every window a cell of the input", nameof(pads));
            }
        }
    }
}

/// <summary>Which pooling a <see cref="Backend.Pool2d"/> call computes.</summary>
public enum PoolPass
{
    /// <summary>y = max_pool2d(x).</summary>
    Max,

    /// <summary>y = avg_pool2d(x).</summary>
    Avg,

    /// <summary>dx from dy and x (the maximum's cell takes dy).</summary>
    MaxGrad,

    /// <summary>dx from dy (each counted cell takes dy / count).</summary>
    AvgGrad,
}
