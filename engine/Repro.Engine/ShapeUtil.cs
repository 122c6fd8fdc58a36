namespace Repro.Engine;

/// <summary>Shape arithmetic shared by the front end and the backends.</summary>
public static class ShapeUtil
{
    /// <summary>Largest element count a tensor may have (managed arrays are int-indexed).</summary>
    public const long MaxElements = int.MaxValue;

    /// <summary>Product of the extents; throws when it exceeds <see cref="MaxElements"/> or an extent is negative.</summary>
    public static int Numel(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0)
            {
                throw Throw.Shape("shape", "non-negative extents", Throw.Fmt(shape));
            }

            n *= d;
            if (n > MaxElements)
            {
                throw Throw.Shape("shape", $"at most {MaxElements} elements", $"{Throw.Fmt(shape)}");
            }
        }

        return (int)n;
    }

    /// <summary>Row-major strides for a contiguous tensor.</summary>
    public static int[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var strides = new int[shape.Length];
        int s = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= Math.Max(shape[i], 1);
        }

        return strides;
    }

    /// <summary>True when a view with these strides is laid out row-major without gaps (size-1 axes may have any stride).</summary>
    public static bool IsContiguous(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides)
    {
        int expected = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            if (shape[i] == 0)
            {
                return true;
            }

            if (shape[i] != 1 && strides[i] != expected)
            {
                return false;
            }

            expected *= shape[i];
        }

        return true;
    }

    /// <summary>Maps a possibly negative axis into 0..rank-1 or throws an error naming the op and the axis.</summary>
    public static int NormalizeAxis(string op, int axis, int rank)
    {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank)
        {
            throw Throw.Axis(op, axis, rank);
        }

        return a;
    }

    /// <summary>The broadcast shape of two shapes (numpy rules), or an error naming both.</summary>
    public static int[] Broadcast(string op, ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
            {
                throw new ShapeException(
                    $"{op}: shapes {Throw.Fmt(a)} and {Throw.Fmt(b)} cannot be broadcast (axis {i}: {da} vs {db})");
            }

            result[i] = da == 1 ? db : da;
        }

        return result;
    }

    /// <summary>Strides that read a tensor of shape/strides as if expanded to <paramref name="target"/> (0 on broadcast axes).</summary>
    public static int[] BroadcastStrides(string op, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, ReadOnlySpan<int> target)
    {
        if (shape.Length > target.Length)
        {
            throw Throw.Shape(op, $"a shape broadcastable to {Throw.Fmt(target)}", Throw.Fmt(shape));
        }

        var result = new int[target.Length];
        int lead = target.Length - shape.Length;
        for (int i = 0; i < shape.Length; i++)
        {
            int t = target[lead + i];
            if (shape[i] == t)
            {
                result[lead + i] = t == 1 ? 0 : strides[i];
            }
            else if (shape[i] == 1)
            {
                result[lead + i] = 0;
            }
            else
            {
                throw Throw.Shape(op, $"a shape broadcastable to {Throw.Fmt(target)}", Throw.Fmt(shape));
            }
        }

        return result;
    }

    /// <summary>Offset of the element with flat row-major index <paramref name="flat"/> in a strided view.</summary>
    public static int OffsetOf(int flat, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, int offset)
    {
        int off = offset;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            int extent = shape[d];
            if (extent == 0)
            {
                return offset;
            }

            int idx = flat % extent;
            flat /= extent;
            off += idx * strides[d];
        }

        return off;
    }
}
