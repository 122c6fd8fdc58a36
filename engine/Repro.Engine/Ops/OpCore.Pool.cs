using Repro.Engine.Backends;

namespace Repro.Engine;

internal static partial class OpCore
{
    private static readonly int[] NoCountPads = [0, 0, 0, 0];

    /// <summary>max_pool2d: x [N, C, H, W] to [N, C, OH, OW], the maximum of each window's taps inside the input.</summary>
    public static Tensor MaxPool2d(Tensor x, int[] kernel, int[] stride, int[] pads, int[] dilation)
    {
        var row = OpTable.MaxPool2d;
        x = Autocast.Input(row, x);
        CheckPoolFloat(row.Name, x);
        var g = PoolGeometry.Create(row.Name, x.ShapeArray, kernel, stride, pads, dilation, NoCountPads);
        var y = RunPool(PoolPass.Max, x, null, g, [g.N, g.C, g.OH, g.OW]);
        return Emit1(row, PoolAttributes(kernel, stride, pads, dilation), [x], y);
    }

    /// <summary>avg_pool2d: x [N, C, H, W] to [N, C, OH, OW], each window's sum over its count (see the op table).</summary>
    public static Tensor AvgPool2d(Tensor x, int[] kernel, int[] stride, int[] pads, int[] dilation, int[] countPads)
    {
        var row = OpTable.AvgPool2d;
        x = Autocast.Input(row, x);
        CheckPoolFloat(row.Name, x);
        var g = PoolGeometry.Create(row.Name, x.ShapeArray, kernel, stride, pads, dilation, countPads);
        var y = RunPool(PoolPass.Avg, x, null, g, [g.N, g.C, g.OH, g.OW]);
        return Emit1(row, PoolAttributes(kernel, stride, pads, dilation, ("count_pads", countPads)), [x], y);
    }

    /// <summary>The gradient of max_pool2d with respect to its input, from dy [N, C, OH, OW] and x.</summary>
    public static Tensor MaxPool2dGrad(Tensor dy, Tensor x, int[] kernel, int[] stride, int[] pads, int[] dilation)
    {
        var row = OpTable.MaxPool2dGrad;
        (dy, x) = Autocast.Inputs(row, dy, x);
        Same(row.Name, dy, x);
        CheckPoolFloat(row.Name, x);
        var g = PoolGeometry.Create(row.Name, x.ShapeArray, kernel, stride, pads, dilation, NoCountPads);
        CheckGradShape(row.Name, dy, [g.N, g.C, g.OH, g.OW]);
        var dx = RunPool(PoolPass.MaxGrad, dy, x, g, x.ShapeArray);
        return Emit1(row, PoolAttributes(kernel, stride, pads, dilation), [dy, x], dx);
    }

    /// <summary>The gradient of avg_pool2d with respect to its input, from dy [N, C, OH, OW].</summary>
    public static Tensor AvgPool2dGrad(Tensor dy, int[] inputShape, int[] kernel, int[] stride, int[] pads, int[] dilation, int[] countPads)
    {
        var row = OpTable.AvgPool2dGrad;
        dy = Autocast.Input(row, dy);
        CheckPoolFloat(row.Name, dy);
        var g = PoolGeometry.Create(row.Name, inputShape, kernel, stride, pads, dilation, countPads);
        CheckGradShape(row.Name, dy, [g.N, g.C, g.OH, g.OW]);
        var dx = RunPool(PoolPass.AvgGrad, dy, null, g, [.. inputShape]);
        return Emit1(row, PoolAttributes(kernel, stride, pads, dilation, ("count_pads", countPads), ("input_shape", inputShape)), [dy], dx);
    }

    /// <summary>max_pool2d's gradient rule.</summary>
    internal static Tensor?[] MaxPool2dBackward(GradContext c)
    {
        var a = c.Attr;
        return [MaxPool2dGrad(c.G, c.X, a.Ints("kernel"), a.Ints("stride"), a.Ints("pads"), a.Ints("dilation"))];
    }

    /// <summary>avg_pool2d's gradient rule.</summary>
    internal static Tensor?[] AvgPool2dBackward(GradContext c)
    {
        var a = c.Attr;
        return [AvgPool2dGrad(c.G, c.X.ShapeArray, a.Ints("kernel"), a.Ints("stride"), a.Ints("pads"), a.Ints("dilation"), a.Ints("count_pads"))];
    }

    /// <summary>The most windows one input cell can be a tap of (the gradients' terms per element), from the attributes.</summary>
    internal static long PoolWindowsPerCell(OpAttributes a)
    {
        if (!a.Has("kernel") || !a.Has("stride") || !a.Has("dilation"))
        {
            return 1;
        }

        var (k, s, d) = (a.Ints("kernel"), a.Ints("stride"), a.Ints("dilation"));
        if (k.Length != 2 || s.Length != 2 || d.Length != 2 || s[0] < 1 || s[1] < 1)
        {
            return 1;
        }

        long rows = Math.Min(k[0], (((long)d[0] * (k[0] - 1)) + s[0]) / s[0]);
        long cols = Math.Min(k[1], (((long)d[1] * (k[1] - 1)) + s[1]) / s[1]);
        return Math.Max(1, rows * cols);
    }

    private static void CheckPoolFloat(string op, Tensor x)
    {
        if (!x.DType.IsFloat())
        {
            throw Throw.DType(op, "a float dtype", x.DType);
        }
    }

    private static Tensor RunPool(PoolPass pass, Tensor a, Tensor? b, PoolGeometry g, int[] shape)
    {
        var sa = ComputeStorage(a);
        var sb = b is null ? null : ComputeStorage(b);
        // The forward kernels write every output; the gradients add into theirs, which must start at zero.
        bool forward = pass is PoolPass.Max or PoolPass.Avg;
        var dst = forward ? a.Backend.AllocateOutput(a.DType.ComputeType(), ShapeUtil.Numel(shape)) : a.Backend.Allocate(a.DType.ComputeType(), ShapeUtil.Numel(shape));
        a.Backend.Pool2d(pass, sa, sb, dst, g);
        return Finish(a.Backend, dst, a.DType, shape);
    }

    private static OpAttributes PoolAttributes(int[] kernel, int[] stride, int[] pads, int[] dilation, params (string Name, object Value)[] more) =>
        OpAttributes.Of([("kernel", kernel), ("stride", stride), ("pads", pads), ("dilation", dilation), .. more]);
}
