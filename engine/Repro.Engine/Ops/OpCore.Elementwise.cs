using Repro.Engine.Backends;

namespace Repro.Engine;

internal static partial class OpCore
{
    public static Tensor Unary(UnaryOp op, Tensor x)
    {
        var row = OpTable.Of(op);
        x = Autocast.Input(row, x);
        if (!row.Accepts(0, x.DType))
        {
            throw Throw.DType(row.Name, "a float dtype (convert int32 with .To(DType.Float32))", x.DType);
        }

        var src = ComputeStorage(x);
        var dst = x.Backend.AllocateOutput(src.DType, src.Length);
        x.Backend.Unary(op, src, dst);
        return Emit1(row, OpAttributes.Empty, [x], Finish(x.Backend, dst, x.DType, (int[])x.ShapeArray.Clone()));
    }

    public static Tensor Binary(BinaryOp op, Tensor a, Tensor b)
    {
        var row = OpTable.Of(op);
        string name = row.Name;
        (a, b) = Autocast.Inputs(row, a, b);
        Same(name, a, b);
        var shape = ShapeUtil.Broadcast(name, a.ShapeArray, b.ShapeArray);
        var va = Expanded(name, ComputeView(a), shape);
        var vb = Expanded(name, ComputeView(b), shape);
        var dst = a.Backend.AllocateOutput(a.DType.ComputeType(), ShapeUtil.Numel(shape));
        a.Backend.Binary(op, va, vb, dst, shape);
        return Emit1(row, OpAttributes.Empty, [a, b], Finish(a.Backend, dst, a.DType, shape));
    }

    public static Tensor Where(Tensor cond, Tensor a, Tensor b)
    {
        var row = OpTable.Where;
        string name = row.Name;
        (a, b) = Autocast.Inputs(row, a, b);
        Same(name, a, b);
        if (!ReferenceEquals(cond.Backend, a.Backend))
        {
            throw new InvalidOperationException($"{name}: the condition is on backend '{cond.Backend.Name}', the values on '{a.Backend.Name}'");
        }

        var shape = ShapeUtil.Broadcast(name, ShapeUtil.Broadcast(name, cond.ShapeArray, a.ShapeArray), b.ShapeArray);
        var vc = Expanded(name, ComputeView(cond), shape);
        var va = Expanded(name, ComputeView(a), shape);
        var vb = Expanded(name, ComputeView(b), shape);
        var dst = a.Backend.AllocateOutput(a.DType.ComputeType(), ShapeUtil.Numel(shape));
        a.Backend.Where(vc, va, vb, dst, shape);
        return Emit1(row, OpAttributes.Empty, [cond, a, b], Finish(a.Backend, dst, a.DType, shape));
    }

    public static Tensor Cast(Tensor x, DType dtype)
    {
        var src = x.ContiguousStorage();
        var dst = x.Backend.AllocateOutput(dtype, src.Length);
        x.Backend.Cast(src, dst);
        return Emit1(OpTable.Cast, OpAttributes.Of(("dtype", dtype)), [x], new Tensor(dst, (int[])x.ShapeArray.Clone()));
    }

    /// <summary>Copies <paramref name="source"/> (broadcast to the target's shape) into <paramref name="target"/> in place.</summary>
    public static Tensor Assign(Tensor target, Tensor source)
    {
        var row = OpTable.Assign;
        source = Autocast.Converts(target.DType) ? Autocast.Convert(source, target.DType) : source;
        Same(row.Name, target, source);
        var v = Expanded(row.Name, source.View, target.ShapeArray);

        // The only write into existing storage: observers that read outputs lazily keep what they still need first.
        Dispatcher.BeforeWrite(target);
        target.Backend.Copy(v, target.View);
        Dispatcher.Emit(row, OpAttributes.Empty, [target, source], [target]);
        return target;
    }

    public static Tensor Scalar(Tensor like, double value) => Full([], value, like.DType, like.Backend);

    private static View Expanded(string op, View v, int[] shape) =>
        new(v.Storage, shape, ShapeUtil.BroadcastStrides(op, v.Shape, v.Strides, shape), v.Offset);
}
