using Onnx;
using Repro.Engine;

namespace Repro.Onnx.Ops;

/// <summary>Window geometry of a 2-D convolution or pooling node: kernel, strides, dilations and (top, left, bottom, right) pads.</summary>
internal readonly record struct Window2d(int Kh, int Kw, int Sh, int Sw, int Dh, int Dw, int Top, int Left, int Bottom, int Right)
{
    public static Window2d From(OnnxNode n, int h, int w, int kh, int kw)
    {
        var strides = n.Ints("strides") ?? [1, 1];
        var dil = n.Ints("dilations") ?? [1, 1];
        var pads = n.Ints("pads") ?? [0, 0, 0, 0];
        if (strides.Length != 2 || dil.Length != 2 || pads.Length != 4 || strides.Any(s => s <= 0) || dil.Any(d => d <= 0) || pads.Any(p => p < 0))
        {
            throw n.Error($"expected 2 positive strides and dilations and 4 non-negative pads, got strides {ShapeOps.Fmt(strides)}, dilations {ShapeOps.Fmt(dil)}, pads {ShapeOps.Fmt(pads)}");
        }

        var win = new Window2d(kh, kw, (int)strides[0], (int)strides[1], (int)dil[0], (int)dil[1], (int)pads[0], (int)pads[1], (int)pads[2], (int)pads[3]);
        string autoPad = n.String("auto_pad", "NOTSET");
        if (autoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            var (t, b) = Same(h, win.Sh, win.Dh * (kh - 1) + 1, autoPad == "SAME_UPPER");
            var (l, r) = Same(w, win.Sw, win.Dw * (kw - 1) + 1, autoPad == "SAME_UPPER");
            return win with { Top = t, Bottom = b, Left = l, Right = r };
        }

        return autoPad == "VALID" ? win with { Top = 0, Bottom = 0, Left = 0, Right = 0 } : win;
    }

    private static (int Begin, int End) Same(int size, int stride, int span, bool upper)
    {
        int outSize = (size + stride - 1) / stride;
        int total = Math.Max(0, ((outSize - 1) * stride) + span - size);
        int small = total / 2;
        return upper ? (small, total - small) : (total - small, small);
    }

    public int OutH(int h) => ((h + Top + Bottom - (Dh * (Kh - 1)) - 1) / Sh) + 1;

    public int OutW(int w) => ((w + Left + Right - (Dw * (Kw - 1)) - 1) / Sw) + 1;

    /// <summary>The kh*kw shifted, strided views of x [N, C, H, W] padded with <paramref name="padValue"/>, stacked as [N, C, kh*kw, Ho, Wo] in window order ki*kw + kj.</summary>
    public Tensor Stack(Tensor x, double padValue, int ho, int wo)
    {
        var p = Top + Bottom + Left + Right > 0 ? x.Pad([0, 0, 0, 0, Top, Bottom, Left, Right], padValue) : x;
        var views = new Tensor[Kh * Kw];
        for (int ki = 0; ki < Kh; ki++)
        {
            var rows = p.Slice(2, ki * Dh, (ki * Dh) + (Sh * (ho - 1)) + 1, Sh);
            for (int kj = 0; kj < Kw; kj++)
            {
                views[(ki * Kw) + kj] = rows.Slice(3, kj * Dw, (kj * Dw) + (Sw * (wo - 1)) + 1, Sw);
            }
        }

        return views.Length == 1 ? views[0].Unsqueeze(2) : Tensor.Stack(views, 2);
    }
}

/// <summary>
/// 2-D convolution through the engine's conv2d op, and transposed convolution as a composition around it (inserted
/// zeros, padding, a flipped kernel). <see cref="Forward"/> is the one place a convolution is computed.
/// </summary>
public static class OnnxConv
{
    internal static string? ValidateAutoPad(NodeProto p, long _)
    {
        var a = p.Attribute.FirstOrDefault(x => x.Name == "auto_pad")?.S.ToStringUtf8();
        return a is null or "NOTSET" or "SAME_UPPER" or "SAME_LOWER" or "VALID" ? null : $"attribute 'auto_pad' value '{a}' is not supported";
    }

    internal static OnnxValue[] Run(OnnxNode n)
    {
        var x = n.Float(0);
        var w = n.Float(1);
        Check(n, x, w);
        var win = Window2d.From(n, x.Shape[2], x.Shape[3], w.Shape[2], w.Shape[3]);
        var b = n.Optional(2)?.AsTensor(n.DType);
        return [OnnxValue.Of(Forward(x, w, b, win, (int)n.Int("group", 1), n))];
    }

    private static void Check(OnnxNode n, Tensor x, Tensor w)
    {
        if (x.Rank != 4 || w.Rank != 4)
        {
            throw n.Error($"only 2-D convolution is supported (input [N, C, H, W], weight [M, C/group, kH, kW]); got input {x.ShapeString}, weight {w.ShapeString}");
        }
    }

    /// <summary>
    /// y = conv2d(x, w) + b for x [N, C, H, W] and w [M, C/group, kh, kw], any group count (depthwise included), through
    /// the engine's conv2d op.
    /// </summary>
    internal static Tensor Forward(Tensor x, Tensor w, Tensor? b, Window2d win, int group, OnnxNode n)
    {
        int batch = x.Shape[0];
        int c = x.Shape[1];
        int m = w.Shape[0];
        int cg = w.Shape[1];
        if (group <= 0 || c % group != 0 || m % group != 0 || cg != c / group)
        {
            throw n.Error($"group {group} does not fit input channels {c} and weight {w.ShapeString}");
        }

        int ho = win.OutH(x.Shape[2]);
        int wo = win.OutW(x.Shape[3]);
        if (ho <= 0 || wo <= 0)
        {
            throw n.Error($"the kernel {win.Kh}x{win.Kw} does not fit input {x.ShapeString} with its padding");
        }

        // The engine's conv2d primitive: each output one fused multiply-add chain over (c, ki, kj) from +0, computed as
        // an implicit GEMM (for one group the same bits as im2col and one matmul); the bias is its own add.
        return Tensor.Conv2d(x, w, b, [win.Sh, win.Sw], [win.Top, win.Left, win.Bottom, win.Right], [win.Dh, win.Dw], group);
    }

    internal static OnnxValue[] RunTranspose(OnnxNode n)
    {
        var x = n.Float(0);
        var w = n.Float(1);
        Check(n, x, w);
        int group = (int)n.Int("group", 1);
        int c = x.Shape[1];
        if (group <= 0 || w.Shape[0] != c || c % group != 0)
        {
            throw n.Error($"group {group} does not fit input channels {c} and weight {w.ShapeString}");
        }

        int kh = w.Shape[2];
        int kw = w.Shape[3];
        var win = Window2d.From(n, x.Shape[2], x.Shape[3], kh, kw);
        if (n.String("auto_pad", "NOTSET") != "NOTSET")
        {
            throw n.Error("attribute 'auto_pad' is not supported for ConvTranspose");
        }

        var outPad = n.Ints("output_padding") ?? [0, 0];
        // Transposed convolution = zeros inserted between input elements (stride - 1 of them), padding of
        // dilation*(k-1) - pad on each side (plus output_padding at the end), and a stride-1 convolution with the
        // kernel flipped and its in/out axes swapped.
        var z = Dilate(Dilate(x, 2, win.Sh), 3, win.Sw);
        int spanH = win.Dh * (kh - 1);
        int spanW = win.Dw * (kw - 1);
        z = PadOrCrop(z, spanH - win.Top, spanH - win.Bottom + (int)outPad[0], spanW - win.Left, spanW - win.Right + (int)outPad[1]);
        int mg = w.Shape[1];
        var flipH = Tensor.FromArray([.. Enumerable.Range(0, kh).Reverse()], [kh]);
        var flipW = Tensor.FromArray([.. Enumerable.Range(0, kw).Reverse()], [kw]);
        var wt = w.Reshape([group, c / group, mg, kh, kw]).Permute([0, 2, 1, 3, 4]).Reshape([group * mg, c / group, kh, kw])
            .IndexSelect(2, flipH).IndexSelect(3, flipW);
        var inner = new Window2d(kh, kw, 1, 1, win.Dh, win.Dw, 0, 0, 0, 0);
        var b = n.Optional(2)?.AsTensor(n.DType);
        return [OnnxValue.Of(Forward(z, wt, b, inner, group, n))];
    }

    /// <summary>Inserts stride-1 zeros between elements along <paramref name="axis"/>.</summary>
    private static Tensor Dilate(Tensor x, int axis, int stride)
    {
        if (stride == 1)
        {
            return x;
        }

        int len = x.Shape[axis];
        var zeros = Tensor.Zeros([.. x.Shape], x.DType, x.Backend);
        var parts = new Tensor[stride];
        parts[0] = x;
        for (int i = 1; i < stride; i++)
        {
            parts[i] = zeros;
        }

        var shape = x.Shape.ToArray();
        shape[axis] = len * stride;
        return Tensor.Stack(parts, axis + 1).Reshape(shape).Slice(axis, 0, ((len - 1) * stride) + 1);
    }

    private static Tensor PadOrCrop(Tensor x, int top, int bottom, int left, int right)
    {
        int h = x.Shape[2];
        int w = x.Shape[3];
        x = x.Slice(2, Math.Max(0, -top), h - Math.Max(0, -bottom)).Slice(3, Math.Max(0, -left), w - Math.Max(0, -right));
        int t = Math.Max(0, top);
        int bo = Math.Max(0, bottom);
        int l = Math.Max(0, left);
        int r = Math.Max(0, right);
        return t + bo + l + r > 0 ? x.Pad([0, 0, 0, 0, t, bo, l, r]) : x;
    }
}

/// <summary>
/// MaxPool and AveragePool through the engine's max_pool2d and avg_pool2d ops: ceil_mode becomes extra bottom and
/// right padding, and the average divides by the window's cells inside the input, or inside the input and the
/// declared padding (count_include_pad), never by those ceil_mode adds. The average keeps the bits of the
/// composition it replaces (pad, stacked views, sum, one division).
/// </summary>
internal static class OnnxPool
{
    public static OnnxValue[] Run(OnnxNode n, bool max)
    {
        var x = n.Float(0);
        if (x.Rank != 4)
        {
            throw n.Error($"only 2-D pooling is supported (input [N, C, H, W]), got {x.ShapeString}");
        }

        var k = n.Ints("kernel_shape") ?? throw n.Error("attribute 'kernel_shape' is missing");
        if (k.Length != 2 || k.Any(v => v <= 0))
        {
            throw n.Error($"attribute 'kernel_shape' {ShapeOps.Fmt(k)}: expected two positive extents");
        }

        var win = Window2d.From(n, x.Shape[2], x.Shape[3], (int)k[0], (int)k[1]);
        if (win.OutH(x.Shape[2]) <= 0 || win.OutW(x.Shape[3]) <= 0)
        {
            throw n.Error($"the window {win.Kh}x{win.Kw} does not fit input {x.ShapeString}");
        }

        int[] kernel = [win.Kh, win.Kw];
        int[] stride = [win.Sh, win.Sw];
        int[] pads = [win.Top, win.Left, win.Bottom, win.Right];
        int[] dilation = [win.Dh, win.Dw];
        bool ceil = n.Int("ceil_mode", 0) != 0;
        var y = max
            ? Tensor.MaxPool2d(x, kernel, stride, pads, dilation, ceil)
            : Tensor.AvgPool2d(x, kernel, stride, pads, ceil, countIncludePad: n.Int("count_include_pad", 0) != 0, dilation);
        return [OnnxValue.Of(y)];
    }
}
