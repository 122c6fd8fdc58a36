using Repro.Engine.Backends;

namespace Repro.Engine;

internal static partial class OpCore
{
    /// <summary>conv2d: x [N, C, H, W] with w [O, C / groups, KH, KW] (no bias: the caller adds it as its own op).</summary>
    public static Tensor Conv2d(Tensor x, Tensor w, int[] stride, int[] pads, int[] dilation, int groups)
    {
        var row = OpTable.Conv2d;
        (x, w) = Autocast.Inputs(row, x, w);
        Same(row.Name, x, w);
        var g = ConvGeometry.Create(row.Name, x.ShapeArray, w.ShapeArray, stride, pads, dilation, groups);
        var y = RunConv(ConvPass.Forward, x, w, g, [g.N, g.O, g.OH, g.OW]);
        return Emit1(row, ConvAttributes(stride, pads, dilation, groups), [x, w], y);
    }

    /// <summary>The gradient of conv2d with respect to its input, from dy [N, O, OH, OW] and w.</summary>
    public static Tensor Conv2dInputGrad(Tensor dy, Tensor w, int[] inputShape, int[] stride, int[] pads, int[] dilation, int groups)
    {
        var row = OpTable.Conv2dInputGrad;
        (dy, w) = Autocast.Inputs(row, dy, w);
        Same(row.Name, dy, w);
        var g = ConvGeometry.Create(row.Name, inputShape, w.ShapeArray, stride, pads, dilation, groups);
        CheckGradShape(row.Name, dy, [g.N, g.O, g.OH, g.OW]);
        var dx = RunConv(ConvPass.InputGrad, dy, w, g, [.. inputShape]);
        return Emit1(row, ConvAttributes(stride, pads, dilation, groups, ("input_shape", inputShape)), [dy, w], dx);
    }

    /// <summary>The gradient of conv2d with respect to its weight, from dy [N, O, OH, OW] and x.</summary>
    public static Tensor Conv2dWeightGrad(Tensor dy, Tensor x, int[] weightShape, int[] stride, int[] pads, int[] dilation, int groups)
    {
        var row = OpTable.Conv2dWeightGrad;
        (dy, x) = Autocast.Inputs(row, dy, x);
        Same(row.Name, dy, x);
        var g = ConvGeometry.Create(row.Name, x.ShapeArray, weightShape, stride, pads, dilation, groups);
        CheckGradShape(row.Name, dy, [g.N, g.O, g.OH, g.OW]);
        var dw = RunConv(ConvPass.WeightGrad, dy, x, g, [.. weightShape]);
        return Emit1(row, ConvAttributes(stride, pads, dilation, groups, ("weight_shape", weightShape)), [dy, x], dw);
    }

    /// <summary>conv2d's gradient rule: dx and dw each by their own op.</summary>
    internal static Tensor?[] Conv2dBackward(GradContext c)
    {
        var a = c.Attr;
        var (stride, pads, dilation, groups) = (a.Ints("stride"), a.Ints("pads"), a.Ints("dilation"), a.Int("groups"));
        return
        [
            c.Needs(0) ? Conv2dInputGrad(c.G, c.B, c.A.ShapeArray, stride, pads, dilation, groups) : null,
            c.Needs(1) ? Conv2dWeightGrad(c.G, c.A, c.B.ShapeArray, stride, pads, dilation, groups) : null,
        ];
    }

    private static Tensor RunConv(ConvPass pass, Tensor a, Tensor b, ConvGeometry g, int[] shape)
    {
        var sa = ComputeStorage(a);
        var sb = ComputeStorage(b);
        var dst = a.Backend.AllocateOutput(a.DType.ComputeType(), ShapeUtil.Numel(shape));
        a.Backend.Conv2d(pass, sa, sb, dst, g);
        return Finish(a.Backend, dst, a.DType, shape);
    }

    private static void CheckGradShape(string op, Tensor dy, int[] expected)
    {
        if (!dy.ShapeArray.AsSpan().SequenceEqual(expected))
        {
            throw Throw.Shape(op, $"dy [{string.Join(", ", expected)}]", dy.ShapeString);
        }
    }

    private static OpAttributes ConvAttributes(int[] stride, int[] pads, int[] dilation, int groups, params (string Name, object Value)[] more) =>
        OpAttributes.Of([("stride", stride), ("pads", pads), ("dilation", dilation), ("groups", groups), .. more]);
}
