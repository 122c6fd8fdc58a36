using Repro.Engine.Backends;

namespace Repro.Engine;

internal static partial class OpCore
{
    private static (int Outer, int Len, int Inner) Split(int[] shape, int axis)
    {
        int outer = 1;
        int inner = 1;
        for (int d = 0; d < axis; d++)
        {
            outer *= shape[d];
        }

        for (int d = axis + 1; d < shape.Length; d++)
        {
            inner *= shape[d];
        }

        return (outer, shape[axis], inner);
    }

    private static void CheckIndexTensor(string op, Tensor x, Tensor index)
    {
        if (index.DType != DType.Int32)
        {
            throw Throw.DType(op, "int32 indices", index.DType);
        }

        if (!ReferenceEquals(index.Backend, x.Backend))
        {
            throw new InvalidOperationException($"{op}: indices are on backend '{index.Backend.Name}', values on '{x.Backend.Name}'");
        }
    }

    public static Tensor IndexSelect(Tensor x, int axis, Tensor index)
    {
        string name = OpTable.IndexSelect.Name;
        x = Autocast.Input(OpTable.IndexSelect, x);
        int a = ShapeUtil.NormalizeAxis(name, axis, x.Rank);
        CheckIndexTensor(name, x, index);
        if (index.Rank != 1)
        {
            throw Throw.Shape(name, "a 1-D index", index.ShapeString);
        }

        var (outer, len, inner) = Split(x.ShapeArray, a);
        var outShape = (int[])x.ShapeArray.Clone();
        outShape[a] = index.Numel;
        var dst = x.Backend.AllocateOutput(x.DType, ShapeUtil.Numel(outShape));
        x.Backend.Gather(x.ContiguousStorage(), outer, len, inner, index.ContiguousStorage(), dst);
        return Emit1(OpTable.IndexSelect, OpAttributes.Of(("axis", a)), [x, index], new Tensor(dst, outShape));
    }

    public static Tensor IndexAdd(Tensor x, int axis, Tensor index, Tensor source)
    {
        string name = OpTable.IndexAdd.Name;
        (x, source) = Autocast.Inputs(OpTable.IndexAdd, x, source);
        int a = ShapeUtil.NormalizeAxis(name, axis, x.Rank);
        CheckIndexTensor(name, x, index);
        Same(name, x, source);
        var expected = (int[])x.ShapeArray.Clone();
        expected[a] = index.Numel;
        if (index.Rank != 1 || !source.ShapeArray.AsSpan().SequenceEqual(expected))
        {
            throw Throw.Shape(name, $"a 1-D index and a source of shape {Throw.Fmt(expected)}", $"index {index.ShapeString}, source {source.ShapeString}");
        }

        var (outer, len, inner) = Split(x.ShapeArray, a);
        var y = CopyOf(ComputeStorage(x));
        x.Backend.IndexAdd(y, outer, len, inner, index.ContiguousStorage(), ComputeStorage(source));
        return Emit1(OpTable.IndexAdd, OpAttributes.Of(("axis", a)), [x, index, source], Finish(x.Backend, y, x.DType, (int[])x.ShapeArray.Clone()));
    }

    public static Tensor ScatterAdd(Tensor x, int axis, Tensor index, Tensor source)
    {
        string name = OpTable.ScatterAdd.Name;
        (x, source) = Autocast.Inputs(OpTable.ScatterAdd, x, source);
        int a = ShapeUtil.NormalizeAxis(name, axis, x.Rank);
        CheckIndexTensor(name, x, index);
        Same(name, x, source);
        bool ok = index.ShapeArray.AsSpan().SequenceEqual(source.ShapeArray) && index.Rank == x.Rank;
        for (int d = 0; ok && d < x.Rank; d++)
        {
            ok = d == a || index.ShapeArray[d] == x.ShapeArray[d];
        }

        if (!ok)
        {
            throw Throw.Shape(name, $"index and source of one shape, equal to {x.ShapeString} except on axis {a}", $"index {index.ShapeString}, source {source.ShapeString}");
        }

        var (outer, len, inner) = Split(x.ShapeArray, a);
        var y = CopyOf(ComputeStorage(x));
        x.Backend.ScatterAdd(y, outer, len, inner, index.ContiguousStorage(), ComputeStorage(source), index.ShapeArray[a]);
        return Emit1(OpTable.ScatterAdd, OpAttributes.Of(("axis", a)), [x, index, source], Finish(x.Backend, y, x.DType, (int[])x.ShapeArray.Clone()));
    }

    public static Tensor Concat(Tensor[] xs, int axis)
    {
        string name = OpTable.Concat.Name;
        if (xs.Length == 0)
        {
            throw Throw.Arg(name, "expected at least one tensor, got none");
        }

        if (Autocast.IsActive)
        {
            var dt = Autocast.Decide(OpTable.Concat);
            xs = [.. xs.Select(t => Autocast.Convert(t, dt))];
        }

        var first = xs[0];
        int a = ShapeUtil.NormalizeAxis(name, axis, first.Rank);
        int total = 0;
        foreach (var t in xs)
        {
            Same(name, first, t);
            bool ok = t.Rank == first.Rank;
            for (int d = 0; ok && d < t.Rank; d++)
            {
                ok = d == a || t.ShapeArray[d] == first.ShapeArray[d];
            }

            if (!ok)
            {
                throw Throw.Shape(name, $"shapes equal to {first.ShapeString} except on axis {a}", t.ShapeString);
            }

            total += t.ShapeArray[a];
        }

        var outShape = (int[])first.ShapeArray.Clone();
        outShape[a] = total;
        var y = Alloc(first.Backend, first.DType, outShape);
        var ystrides = ShapeUtil.ContiguousStrides(outShape);
        int at = 0;
        foreach (var t in xs)
        {
            first.Backend.Copy(t.View, new View(y.Storage, t.ShapeArray, ystrides, at * ystrides[a]));
            at += t.ShapeArray[a];
        }

        return Emit1(OpTable.Concat, OpAttributes.Of(("axis", a)), [.. xs], y); // A copy: autograd and observers keep the list after the caller may have reused its array.
    }

    public static Tensor Pad(Tensor x, int[] pads, double value)
    {
        if (pads.Length != 2 * x.Rank || pads.Any(p => p < 0))
        {
            throw Throw.Shape(OpTable.Pad.Name, $"{2 * x.Rank} non-negative values (before, after for each axis)", Throw.Fmt(pads));
        }

        x = Autocast.Input(OpTable.Pad, x);

        var outShape = x.ShapeArray.Select((d, i) => d + pads[2 * i] + pads[(2 * i) + 1]).ToArray();
        var y = Alloc(x.Backend, x.DType, outShape);
        x.Backend.Fill(y.Storage, value);
        var ystrides = ShapeUtil.ContiguousStrides(outShape);
        int offset = 0;
        for (int d = 0; d < x.Rank; d++)
        {
            offset += pads[2 * d] * ystrides[d];
        }

        x.Backend.Copy(x.View, new View(y.Storage, x.ShapeArray, ystrides, offset));
        return Emit1(OpTable.Pad, OpAttributes.Of(("pads", pads), ("value", value)), [x], y);
    }

    private static Storage CopyOf(Storage s)
    {
        var d = s.Backend.AllocateOutput(s.DType, s.Length);
        s.Backend.Copy(View.Contiguous(s, [s.Length]), View.Contiguous(d, [s.Length]));
        return d;
    }
}
