using Repro.Engine.Backends;

namespace Repro.Engine;

internal static partial class OpCore
{
    /// <summary>Normalized, sorted, distinct axes; all axes when <paramref name="axes"/> is null or empty.</summary>
    public static int[] Axes(string op, int[]? axes, int rank)
    {
        if (axes is null || axes.Length == 0)
        {
            return [.. Enumerable.Range(0, rank)];
        }

        var norm = axes.Select(a => ShapeUtil.NormalizeAxis(op, a, rank)).ToArray();
        if (norm.Distinct().Count() != norm.Length)
        {
            throw Throw.Arg(op, $"axes {Throw.Fmt(axes)} name an axis twice");
        }

        Array.Sort(norm);
        return norm;
    }

    /// <summary>
    /// Moves the reduced axes last (kept axes first, both in order) and makes the data contiguous, so that each
    /// output element reduces one contiguous row. Returns the rows buffer (compute dtype) and the output shape.
    /// </summary>
    private static (Storage Rows, int RowCount, int N, int[] OutShape) ToRows(Tensor x, int[] axes, bool keepdim)
    {
        var reduced = new bool[x.Rank];
        foreach (int a in axes)
        {
            reduced[a] = true;
        }

        var order = Enumerable.Range(0, x.Rank).Where(d => !reduced[d]).Concat(axes).ToArray();
        int rows = 1;
        int n = 1;
        var outShape = new List<int>();
        for (int d = 0; d < x.Rank; d++)
        {
            if (reduced[d])
            {
                n *= x.ShapeArray[d];
                if (keepdim)
                {
                    outShape.Add(1);
                }
            }
            else
            {
                rows *= x.ShapeArray[d];
                outShape.Add(x.ShapeArray[d]);
            }
        }

        var pshape = order.Select(d => x.ShapeArray[d]).ToArray();
        var pstrides = order.Select(d => x.StridesArray[d]).ToArray();
        Storage buf;
        if (x.DType.IsLowPrecision() || !ShapeUtil.IsContiguous(pshape, pstrides) || x.Offset != 0 || x.Storage.Length != x.Numel)
        {
            var tmp = x.Backend.AllocateOutput(x.DType, x.Numel);
            x.Backend.Copy(new View(x.Storage, pshape, pstrides, x.Offset), View.Contiguous(tmp, pshape));
            buf = tmp;
            if (x.DType.IsLowPrecision())
            {
                buf = x.Backend.AllocateOutput(DType.Float32, tmp.Length);
                x.Backend.Cast(tmp, buf);
            }
        }
        else
        {
            buf = x.Storage;
        }

        return (buf, rows, n, [.. outShape]);
    }

    public static Tensor Reduce(ReduceOp op, Tensor x, int[]? axes, bool keepdim)
    {
        var row = OpTable.Of(op);
        string name = row.Name;
        x = Autocast.Input(row, x);
        var ax = Axes(name, axes, x.Rank);
        var (rows, rowCount, n, outShape) = ToRows(x, ax, keepdim);
        if (n == 0 && op != ReduceOp.Sum && rowCount > 0)
        {
            throw Throw.Arg(name, $"cannot reduce over an empty axis of shape {x.ShapeString}");
        }

        bool arg = op is ReduceOp.ArgMax or ReduceOp.ArgMin;
        var dst = x.Backend.AllocateOutput(arg ? DType.Int32 : rows.DType, rowCount);
        x.Backend.Reduce(op, rows, rowCount, n, dst);
        var result = arg ? new Tensor(dst, outShape) : Finish(x.Backend, dst, x.DType, outShape);
        return Emit1(row, OpAttributes.Of(("axes", ax), ("keepdim", keepdim)), [x], result);
    }
}
