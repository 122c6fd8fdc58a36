using System.Runtime.CompilerServices;

namespace Repro.Engine;

/// <summary>2-D pooling: the max_pool2d and avg_pool2d ops (see the op table for their orders).</summary>
public sealed partial class Tensor
{
    /// <summary>
    /// Max pooling of x [N, C, H, W] over <paramref name="kernel"/> windows (1 or 2 extents). <paramref name="stride"/>
    /// defaults to the kernel; <paramref name="padding"/> holds 1 (all sides), 2 (rows, columns) or 4 (top, left,
    /// bottom, right) values, and padding is skipped, not read as -inf. <paramref name="ceilMode"/> keeps a last partial
    /// window when it starts inside the input or the leading padding (PyTorch's and ONNX's rule), as extra bottom and
    /// right padding. Every window must keep a cell of the input.
    /// </summary>
    public static Tensor MaxPool2d(Tensor x, int[] kernel, int[]? stride = null, int[]? padding = null, int[]? dilation = null, bool ceilMode = false, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        ArgumentNullException.ThrowIfNull(x);
        using var site = Dispatcher.Site(file, line, member);
        var (k, s, pads, d) = PoolArguments("max_pool2d", x, kernel, stride, padding, dilation);
        return OpCore.MaxPool2d(x, k, s, CeilPads(x, k, s, pads, d, ceilMode), d);
    }

    /// <summary>
    /// Average pooling of x [N, C, H, W], arguments as for <see cref="MaxPool2d"/>. The divisor of a window is its
    /// cells inside the input plus, when <paramref name="countIncludePad"/>, those in the declared padding (never those
    /// added by <paramref name="ceilMode"/>), as in PyTorch and ONNX. The sum is the engine's canonical sum over the
    /// window's cells in row-major order, padding as +0, divided once: the bits of the mean over the window.
    /// </summary>
    public static Tensor AvgPool2d(Tensor x, int[] kernel, int[]? stride = null, int[]? padding = null, bool ceilMode = false, bool countIncludePad = true, int[]? dilation = null, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        ArgumentNullException.ThrowIfNull(x);
        using var site = Dispatcher.Site(file, line, member);
        var (k, s, pads, d) = PoolArguments("avg_pool2d", x, kernel, stride, padding, dilation);
        return OpCore.AvgPool2d(x, k, s, CeilPads(x, k, s, pads, d, ceilMode), d, countIncludePad ? pads : [0, 0, 0, 0]);
    }

    private static (int[] Kernel, int[] Stride, int[] Pads, int[] Dilation) PoolArguments(string op, Tensor x, int[] kernel, int[]? stride, int[]? padding, int[]? dilation)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        if (x.Rank != 4)
        {
            throw new ShapeException($"{op}: expected input [N, C, H, W], got {x.ShapeString}");
        }

        var k = Pair(op, "kernel", kernel, 1);
        var s = stride is null ? k : Pair(op, "stride", stride, 1);
        int[] pads = padding switch
        {
            null => [0, 0, 0, 0],
            [int p] => [p, p, p, p],
            [int r, int c] => [r, c, r, c],
            [_, _, _, _] => [.. padding],
            _ => throw new ArgumentException($"{op}: expected 1, 2 or 4 padding values, got {padding.Length}", nameof(padding)),
        };
        return (k, s, pads, Pair(op, "dilation", dilation, 1));
    }

    /// <summary>The pads with ceil_mode's extra bottom rows and right columns added (none without it).</summary>
    private static int[] CeilPads(Tensor x, int[] k, int[] s, int[] pads, int[] d, bool ceilMode) => ceilMode && k.Length == 2 && s.Length == 2 && d.Length == 2 && pads.Length == 4 && s[0] >= 1 && s[1] >= 1
        ? [pads[0], pads[1], pads[2] + CeilExtra(x.Shape[2], pads[0], pads[2], s[0], (d[0] * (k[0] - 1)) + 1), pads[3] + CeilExtra(x.Shape[3], pads[1], pads[3], s[1], (d[1] * (k[1] - 1)) + 1)]
        : pads;

    /// <summary>
    /// ceil_mode's extra end padding on one axis: the output extent rounded up, less one when the last window would start
    /// past the input and the leading padding, less the positions the declared padding already gives.
    /// </summary>
    internal static int CeilExtra(int size, int begin, int end, int stride, int span)
    {
        int padded = size + begin + end - span;
        if (padded < 0 || padded % stride == 0)
        {
            return 0;
        }

        int outCeil = (padded / stride) + 2;
        if ((outCeil - 1) * stride >= size + begin)
        {
            outCeil--;
        }

        return Math.Max(0, ((outCeil - 1) * stride) + span - (size + begin + end));
    }
}
