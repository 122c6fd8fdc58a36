namespace Repro.Onnx.Ops;

/// <summary>Integer tensors computed on the host (shapes, axes, indices).</summary>
internal static class HostInts
{
    public static OnnxValue Binary(OnnxValue a, OnnxValue b, Func<long, long, long> f, string what)
    {
        var shape = ShapeOps.Broadcast(a.Shape, b.Shape, what);
        long n = ShapeOps.Numel(shape);
        var y = new long[n];
        for (long i = 0; i < n; i++)
        {
            y[i] = f(a.Ints![Index(i, shape, a.Shape)], b.Ints![Index(i, shape, b.Shape)]);
        }

        return OnnxValue.OfInts(y, shape);
    }

    /// <summary>The flat index in a broadcast operand of flat output index <paramref name="i"/>.</summary>
    private static long Index(long i, int[] outShape, int[] shape)
    {
        long idx = 0;
        long stride = 1;
        for (int d = outShape.Length - 1; d >= 0; d--)
        {
            long coord = i % outShape[d];
            i /= outShape[d];
            int sd = d - (outShape.Length - shape.Length);
            if (sd >= 0)
            {
                if (shape[sd] != 1)
                {
                    idx += coord * stride;
                }

                stride *= shape[sd];
            }
        }

        return idx;
    }

    /// <summary>Picks along <paramref name="axis"/> (indices already normalized).</summary>
    public static OnnxValue Gather(OnnxValue data, int axis, long[] idx, int[] idxShape)
    {
        int outer = 1;
        int inner = 1;
        for (int d = 0; d < axis; d++)
        {
            outer *= data.Shape[d];
        }

        for (int d = axis + 1; d < data.Shape.Length; d++)
        {
            inner *= data.Shape[d];
        }

        int len = data.Shape[axis];
        var y = new long[outer * idx.Length * inner];
        int k = 0;
        for (int o = 0; o < outer; o++)
        {
            foreach (long j in idx)
            {
                for (int i = 0; i < inner; i++)
                {
                    y[k++] = data.Ints![(((o * len) + j) * inner) + i];
                }
            }
        }

        int[] shape = [.. data.Shape[..axis], .. idxShape, .. data.Shape[(axis + 1)..]];
        return OnnxValue.OfInts(y, shape, data.IsBool);
    }

    public static OnnxValue Concat(IReadOnlyList<OnnxValue> parts, int axis)
    {
        var first = parts[0];
        int outer = 1;
        for (int d = 0; d < axis; d++)
        {
            outer *= first.Shape[d];
        }

        var y = new List<long>();
        for (int o = 0; o < outer; o++)
        {
            foreach (var p in parts)
            {
                int block = (int)(p.Numel / outer);
                y.AddRange(p.Ints!.AsSpan(o * block, block).ToArray());
            }
        }

        var shape = (int[])first.Shape.Clone();
        shape[axis] = parts.Sum(p => p.Shape[axis]);
        return OnnxValue.OfInts([.. y], shape, first.IsBool);
    }

    public static OnnxValue Slice(OnnxValue x, int axis, int start, int step, int count)
    {
        var idx = new long[count];
        for (int i = 0; i < count; i++)
        {
            idx[i] = start + ((long)i * step);
        }

        return Gather(x, axis, idx, [count]);
    }
}
