namespace Repro.Onnx;

/// <summary>Shape arithmetic with checked sizes.</summary>
internal static class ShapeOps
{
    /// <summary>The most elements one value may hold (an engine buffer is indexed by int).</summary>
    public const long MaxElements = int.MaxValue;

    public static long Numel(IReadOnlyList<int> shape) => shape.Aggregate(1L, (a, d) => a * d);

    public static string Fmt(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";

    public static string Fmt(IEnumerable<int> shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>The shape as ints; throws naming <paramref name="what"/> for a negative extent or more than <see cref="MaxElements"/> elements.</summary>
    public static int[] Checked(IReadOnlyList<long> dims, string what)
    {
        long n = 1;
        var shape = new int[dims.Count];
        for (int i = 0; i < dims.Count; i++)
        {
            long d = dims[i];
            if (d < 0)
            {
                throw new OnnxException($"{what}: shape {Fmt(dims)} has a negative extent");
            }

            if (d > MaxElements || (d > 0 && n > MaxElements / d))
            {
                throw new OnnxException($"{what}: shape {Fmt(dims)} has more than {MaxElements} elements");
            }

            n *= d;
            shape[i] = (int)d;
        }

        return shape;
    }

    public static int Axis(long axis, int rank, string what)
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank)
        {
            throw new OnnxException($"{what}: axis {axis} is out of range for rank {rank}");
        }

        return (int)a;
    }

    /// <summary>Numpy broadcast of two shapes.</summary>
    public static int[] Broadcast(int[] a, int[] b, string what)
    {
        int r = Math.Max(a.Length, b.Length);
        var y = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i - (r - a.Length) >= 0 ? a[i - (r - a.Length)] : 1;
            int db = i - (r - b.Length) >= 0 ? b[i - (r - b.Length)] : 1;
            y[i] = da == db || db == 1 ? da : da == 1 ? db : throw new OnnxException($"{what}: shapes {Fmt(a)} and {Fmt(b)} do not broadcast");
        }

        return y;
    }
}
