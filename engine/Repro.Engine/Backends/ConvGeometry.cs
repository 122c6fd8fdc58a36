namespace Repro.Engine.Backends;

/// <summary>
/// The shape of one 2-D convolution: input x [N, C, H, W], weight w [O, C / Groups, KH, KW], output y [N, O, OH, OW],
/// with per-axis stride and dilation and padding that may differ on each side (ONNX's pads: top, left, bottom, right).
/// Output position (oh, ow) with tap (ki, kj) reads input row oh * StrideH + ki * DilationH - PadTop and column
/// ow * StrideW + kj * DilationW - PadLeft; positions outside the input read as zero.
/// </summary>
public readonly record struct ConvGeometry(
    int N,
    int C,
    int H,
    int W,
    int O,
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
    int Groups)
{
    /// <summary>Output rows.</summary>
    public int OH => ConvGeometry.Extent(H, PadTop + PadBottom, KH, StrideH, DilationH);

    /// <summary>Output columns.</summary>
    public int OW => ConvGeometry.Extent(W, PadLeft + PadRight, KW, StrideW, DilationW);

    /// <summary>Window positions along one axis of <paramref name="size"/> cells with <paramref name="pads"/> cells of padding in all (convolution and pooling alike).</summary>
    internal static int Extent(int size, int pads, int kernel, int stride, int dilation) => ((size + pads - (dilation * (kernel - 1)) - 1) / stride) + 1;

    /// <summary>Input channels per group.</summary>
    public int Cg => C / Groups;

    /// <summary>Output channels per group.</summary>
    public int Og => O / Groups;

    /// <summary>Elements of x.</summary>
    public int XLength => checked(N * C * H * W);

    /// <summary>Elements of w.</summary>
    public int WLength => checked(O * Cg * KH * KW);

    /// <summary>Elements of y.</summary>
    public int YLength => checked(N * O * OH * OW);

    /// <summary>
    /// The geometry of a convolution of x [N, C, H, W] with w [O, C / groups, KH, KW]; the error names the op and the
    /// bad value.
    /// </summary>
    public static ConvGeometry Create(string op, int[] x, int[] w, int[] stride, int[] pads, int[] dilation, int groups)
    {
        if (x.Length != 4 || w.Length != 4)
        {
            throw new ShapeException($"{op}: expected input [N, C, H, W] and weight [O, C/groups, KH, KW], got [{string.Join(", ", x)}] and [{string.Join(", ", w)}]");
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

        if (groups < 1 || x[1] % groups != 0 || w[0] % groups != 0 || x[1] / groups != w[1])
        {
            throw new ShapeException($"{op}: groups {groups} must divide input channels {x[1]} and output channels {w[0]}, and the weight must have {(groups >= 1 ? x[1] / Math.Max(groups, 1) : 0)} input channels per group, got weight [{string.Join(", ", w)}]");
        }

        var g = new ConvGeometry(x[0], x[1], x[2], x[3], w[0], w[2], w[3], stride[0], stride[1], pads[0], pads[1], pads[2], pads[3], dilation[0], dilation[1], groups);
        if (w[2] < 1 || w[3] < 1 || g.H + g.PadTop + g.PadBottom < (g.DilationH * (g.KH - 1)) + 1 || g.W + g.PadLeft + g.PadRight < (g.DilationW * (g.KW - 1)) + 1)
        {
            throw new ShapeException($"{op}: the {w[2]}x{w[3]} kernel (dilation {g.DilationH}x{g.DilationW}) does not fit the padded input [{string.Join(", ", x)}] with pads [{string.Join(", ", pads)}]");
        }

        return g;
    }
}
