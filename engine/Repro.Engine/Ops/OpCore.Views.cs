namespace Repro.Engine;

internal static partial class OpCore
{
    public static int[] ResolveShape(string op, int[] shape, int numel)
    {
        var result = (int[])shape.Clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < result.Length; i++)
        {
            if (result[i] == -1)
            {
                if (infer >= 0)
                {
                    throw Throw.Shape(op, "at most one -1 in the shape", Throw.Fmt(shape));
                }

                infer = i;
            }
            else if (result[i] < 0)
            {
                throw Throw.Shape(op, "extents >= 0 or a single -1", Throw.Fmt(shape));
            }
            else
            {
                known *= result[i];
            }
        }

        if (infer >= 0)
        {
            if (known == 0 || numel % known != 0)
            {
                throw Throw.Shape(op, $"a shape whose size divides {numel}", Throw.Fmt(shape));
            }

            result[infer] = (int)(numel / known);
        }
        else if (known != numel)
        {
            throw Throw.Shape(op, $"a shape with {numel} elements", $"{Throw.Fmt(shape)} ({known} elements)");
        }

        return result;
    }

    public static Tensor Reshape(Tensor x, int[] shape)
    {
        var target = ResolveShape(OpTable.Reshape.Name, shape, x.Numel);
        Tensor y = x.IsContiguous
            ? new Tensor(x.Storage, target, ShapeUtil.ContiguousStrides(target), x.Offset)
            : new Tensor(x.ContiguousStorage(), target);
        return Emit1(OpTable.Reshape, OpAttributes.Of(("shape", target)), [x], y);
    }

    public static Tensor Permute(Tensor x, int[] dims)
    {
        string name = OpTable.Permute.Name;
        if (dims.Length != x.Rank)
        {
            throw Throw.Shape(name, $"{x.Rank} axes for a tensor of shape {x.ShapeString}", Throw.Fmt(dims));
        }

        var seen = new bool[x.Rank];
        var shape = new int[x.Rank];
        var strides = new int[x.Rank];
        var norm = new int[x.Rank];
        for (int i = 0; i < dims.Length; i++)
        {
            int d = ShapeUtil.NormalizeAxis(name, dims[i], x.Rank);
            if (seen[d])
            {
                throw Throw.Shape(name, "each axis once", Throw.Fmt(dims));
            }

            seen[d] = true;
            norm[i] = d;
            shape[i] = x.ShapeArray[d];
            strides[i] = x.StridesArray[d];
        }

        var y = new Tensor(x.Storage, shape, strides, x.Offset);
        return Emit1(OpTable.Permute, OpAttributes.Of(("dims", norm)), [x], y);
    }

    public static Tensor Slice(Tensor x, int axis, int start, int end, int step)
    {
        int a = ShapeUtil.NormalizeAxis(OpTable.Slice.Name, axis, x.Rank);
        if (step <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "slice: step must be positive");
        }

        int len = x.ShapeArray[a];
        int s = Math.Clamp(start < 0 ? start + len : start, 0, len);
        int e = Math.Clamp(end < 0 ? end + len : end, 0, len);
        int count = e > s ? ((e - s + step - 1) / step) : 0;
        var shape = (int[])x.ShapeArray.Clone();
        var strides = (int[])x.StridesArray.Clone();
        shape[a] = count;
        strides[a] *= step;
        var y = new Tensor(x.Storage, shape, strides, x.Offset + (count > 0 ? s * x.StridesArray[a] : 0));
        return Emit1(OpTable.Slice, OpAttributes.Of(("axis", a), ("start", s), ("end", e), ("step", step)), [x], y);
    }

    public static Tensor Expand(Tensor x, int[] shape)
    {
        string name = OpTable.Expand.Name;
        var target = (int[])shape.Clone();
        int lead = target.Length - x.Rank;
        if (lead < 0)
        {
            throw Throw.Shape(name, $"a shape of rank >= {x.Rank}", Throw.Fmt(shape));
        }

        for (int i = 0; i < target.Length; i++)
        {
            if (target[i] == -1)
            {
                target[i] = i >= lead ? x.ShapeArray[i - lead] : throw Throw.Shape(name, "-1 only on existing axes", Throw.Fmt(shape));
            }
        }

        var strides = ShapeUtil.BroadcastStrides(name, x.ShapeArray, x.StridesArray, target);
        var y = new Tensor(x.Storage, target, strides, x.Offset);
        return Emit1(OpTable.Expand, OpAttributes.Of(("shape", target)), [x], y);
    }

    /// <summary>A reshape that never copies: inserts or removes size-1 axes.</summary>
    public static Tensor ReshapeView(Tensor x, int[] shape, int[] strides)
    {
        var y = new Tensor(x.Storage, shape, strides, x.Offset);
        return Emit1(OpTable.Reshape, OpAttributes.Of(("shape", shape)), [x], y);
    }

    public static Tensor Unsqueeze(Tensor x, int axis)
    {
        int a = ShapeUtil.NormalizeAxis("unsqueeze", axis, x.Rank + 1);
        var shape = x.ShapeArray.ToList();
        var strides = x.StridesArray.ToList();
        shape.Insert(a, 1);
        strides.Insert(a, a < x.Rank ? x.StridesArray[a] * x.ShapeArray[a] : 1);
        return ReshapeView(x, [.. shape], [.. strides]);
    }

    public static Tensor Squeeze(Tensor x, int axis)
    {
        int a = ShapeUtil.NormalizeAxis("squeeze", axis, x.Rank);
        if (x.ShapeArray[a] != 1)
        {
            throw Throw.Shape("squeeze", $"axis {axis} of extent 1", $"extent {x.ShapeArray[a]} in shape {x.ShapeString}");
        }

        var shape = x.ShapeArray.ToList();
        var strides = x.StridesArray.ToList();
        shape.RemoveAt(a);
        strides.RemoveAt(a);
        return ReshapeView(x, [.. shape], [.. strides]);
    }

    public static Tensor Contiguous(Tensor x)
    {
        if (x.IsContiguous)
        {
            return x;
        }

        var y = new Tensor(x.ContiguousStorage(), (int[])x.ShapeArray.Clone());
        return Emit1(OpTable.Contiguous, OpAttributes.Empty, [x], y);
    }
}
