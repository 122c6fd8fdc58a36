namespace Repro.Engine;

internal static partial class OpCore
{
    /// <summary>Matmul with numpy semantics: 1-D operands are promoted and the added axis removed; batch axes broadcast.</summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        string name = OpTable.MatMul.Name;
        (a, b) = Autocast.Inputs(OpTable.MatMul, a, b);
        Same(name, a, b);
        if (a.Rank == 0 || b.Rank == 0)
        {
            throw Throw.Shape(name, "operands of rank >= 1", $"{a.ShapeString} and {b.ShapeString}");
        }

        var ashape = a.Rank == 1 ? new[] { 1, a.ShapeArray[0] } : a.ShapeArray;
        var bshape = b.Rank == 1 ? new[] { b.ShapeArray[0], 1 } : b.ShapeArray;
        int m = ashape[^2];
        int k = ashape[^1];
        int n = bshape[^1];
        if (bshape[^2] != k)
        {
            throw Throw.Shape(name, "a[.., K] and b[K, ..] with equal K", $"{a.ShapeString} and {b.ShapeString}");
        }

        var batch = ShapeUtil.Broadcast(name + " (batch axes)", ashape.AsSpan(0, ashape.Length - 2), bshape.AsSpan(0, bshape.Length - 2));
        int batchCount = ShapeUtil.Numel(batch);
        var sa = BatchedContiguous(a, ashape, batch, m, k);
        var sb = BatchedContiguous(b, bshape, batch, k, n);
        var dst = a.Backend.AllocateOutput(a.DType.ComputeType(), checked(batchCount * m * n));
        a.Backend.MatMul(sa, sb, dst, batchCount, m, k, n);
        var outShape = batch.ToList();
        if (a.Rank > 1)
        {
            outShape.Add(m);
        }

        if (b.Rank > 1)
        {
            outShape.Add(n);
        }

        return Emit1(OpTable.MatMul, OpAttributes.Empty, [a, b], Finish(a.Backend, dst, a.DType, [.. outShape]));
    }

    /// <summary>The operand expanded to [batch..., rows, cols] and laid out contiguously in its compute dtype.</summary>
    private static Storage BatchedContiguous(Tensor t, int[] shape, int[] batch, int rows, int cols)
    {
        var v = ComputeView(t);
        var viewShape = shape;
        var viewStrides = v.Strides;
        if (t.Rank == 1)
        {
            viewStrides = shape[0] == 1 ? [0, v.Strides[0]] : [v.Strides[0], 0];
        }

        int[] full = [.. batch, rows, cols];
        var strides = ShapeUtil.BroadcastStrides(OpTable.MatMul.Name, viewShape, viewStrides, full);
        if (ShapeUtil.IsContiguous(full, strides) && v.Offset == 0 && v.Storage.Length == ShapeUtil.Numel(full))
        {
            return v.Storage;
        }

        var dst = t.Backend.AllocateOutput(v.Storage.DType, ShapeUtil.Numel(full));
        t.Backend.Copy(new Backends.View(v.Storage, full, strides, v.Offset), Backends.View.Contiguous(dst, full));
        return dst;
    }
}
