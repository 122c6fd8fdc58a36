using Repro.Engine;

namespace Repro.TensorFiles;

/// <summary>
/// A tensor as these files hold it: a dtype, a shape and the elements as little-endian bytes in storage layout,
/// row-major (16-bit dtypes as their bit patterns).
/// </summary>
/// <param name="DType">Element type.</param>
/// <param name="Shape">Extent of each axis (empty for a scalar).</param>
/// <param name="Data">The elements' bytes: the product of <paramref name="Shape"/> times the dtype's size.</param>
public sealed record RawTensor(DType DType, int[] Shape, byte[] Data)
{
    /// <summary>Throws unless the shape has no negative extent and the data holds exactly its elements.</summary>
    /// <param name="name">Names the tensor in the message.</param>
    public void Check(string name)
    {
        ArgumentNullException.ThrowIfNull(Shape);
        ArgumentNullException.ThrowIfNull(Data);
        long expected = TensorFileLimits.ByteLength(Shape, DType) ?? throw new ArgumentException($"tensor '{name}': shape {Fmt(Shape)} has a negative or overflowing extent");
        if (expected != Data.Length)
        {
            throw new ArgumentException($"tensor '{name}': shape {Fmt(Shape)} {DType.Name()} needs {expected} bytes, got {Data.Length}");
        }
    }

    internal static string Fmt(IReadOnlyList<int> shape) => "[" + string.Join(", ", shape) + "]";
}

/// <summary>Arithmetic on claimed sizes that cannot overflow.</summary>
internal static class TensorFileLimits
{
    /// <summary>Bytes a tensor of <paramref name="shape"/> takes; null when an extent is negative or the size overflows a long.</summary>
    public static long? ByteLength(IReadOnlyList<long> shape, DType dtype)
    {
        long n = dtype.SizeOf();
        foreach (long d in shape)
        {
            if (d < 0)
            {
                return null;
            }

            // An axis of 0 makes the tensor empty whatever the other extents claim.
            if (d == 0)
            {
                return shape.All(x => x >= 0) ? 0 : null;
            }

            if (n > long.MaxValue / d)
            {
                return null;
            }

            n *= d;
        }

        return n;
    }

    public static long? ByteLength(int[] shape, DType dtype) => ByteLength([.. shape.Select(d => (long)d)], dtype);
}
