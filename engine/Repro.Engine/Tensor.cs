using System.Globalization;
using System.Text;
using Repro.Engine.Backends;
using Repro.Engine.Numerics;

namespace Repro.Engine;

/// <summary>
/// An n-dimensional array: shape, strides, offset and dtype over a backend buffer. Views (reshape, permute,
/// slice, expand) share the buffer and only change strides. Every op runs through the <see cref="Dispatcher"/>.
/// </summary>
public sealed partial class Tensor
{
    private static long nextId;

    internal Tensor(Storage storage, int[] shape, int[] strides, int offset)
    {
        Storage = storage;
        ShapeArray = shape;
        StridesArray = strides;
        Offset = offset;
        Numel = ShapeUtil.Numel(shape);
        Id = Interlocked.Increment(ref nextId);
    }

    internal Tensor(Storage storage, int[] shape)
        : this(storage, shape, ShapeUtil.ContiguousStrides(shape), 0)
    {
    }

    /// <summary>Process-unique id, increasing in creation order.</summary>
    public long Id { get; }

    /// <summary>Extent of each axis.</summary>
    public IReadOnlyList<int> Shape => ShapeArray;

    /// <summary>Elements to step per axis.</summary>
    public IReadOnlyList<int> Strides => StridesArray;

    /// <summary>Index of element (0, ..., 0) in the buffer.</summary>
    public int Offset { get; }

    /// <summary>The buffer.</summary>
    public Storage Storage { get; }

    /// <summary>Element type.</summary>
    public DType DType => Storage.DType;

    /// <summary>The backend that owns the buffer.</summary>
    public Backend Backend => Storage.Backend;

    /// <summary>Number of axes.</summary>
    public int Rank => ShapeArray.Length;

    /// <summary>Number of elements.</summary>
    public int Numel { get; }

    /// <summary>True when the elements are laid out row-major without gaps.</summary>
    public bool IsContiguous => ShapeUtil.IsContiguous(ShapeArray, StridesArray);

    /// <summary>Sequence number of the op that produced this tensor (-1 for tensors made inside a kernel, never seen by the dispatcher).</summary>
    public long CreatedBy { get; internal set; } = -1;

    internal int[] ShapeArray { get; }

    internal int[] StridesArray { get; }

    internal View View => new(Storage, ShapeArray, StridesArray, Offset);

    /// <summary>The shape as text, e.g. "[2, 3]".</summary>
    public string ShapeString => Throw.Fmt(ShapeArray);

    /// <summary>Copies the elements, row-major, as float (converting from the dtype exactly where possible).</summary>
    public float[] ToFloatArray() => (float[])HostCopy(DType.Float32);

    /// <summary>Copies the elements, row-major, as double (exact for every dtype).</summary>
    public double[] ToDoubleArray() => (double[])HostCopy(DType.Float64);

    /// <summary>Copies the elements, row-major, as int (truncating and saturating floats).</summary>
    public int[] ToIntArray() => (int[])HostCopy(DType.Int32);

    /// <summary>The single element of a one-element tensor, as double.</summary>
    public double Item()
    {
        if (Numel != 1)
        {
            throw Throw.Shape("item", "a tensor with one element", ShapeString);
        }

        return ToDoubleArray()[0];
    }

    /// <summary>The raw storage-type elements, row-major (float[], double[], int[], or ushort[] bits for 16-bit types).</summary>
    public Array ToHostArray() => Backend.ToHost(ContiguousStorage());

    /// <summary>
    /// The elements as little-endian bytes in storage layout, row-major. With <paramref name="canonicalNaN"/>, every
    /// NaN is written as the one canonical pattern, so equal values give equal bytes whatever NaN payloads arose.
    /// </summary>
    public byte[] ToBytes(bool canonicalNaN = false)
    {
        var data = ToHostArray();
        var bytes = new byte[data.Length * DType.SizeOf()];
        Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
        if (canonicalNaN)
        {
            CanonicalizeNaNs(bytes, DType);
        }

        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Repro's byte layout is little-endian; big-endian hosts are not supported");
        }

        return bytes;
    }

    /// <summary>Hash of the canonical bytes (XxHash128, NaNs canonicalized) as 32 hex digits.</summary>
    public string ContentHash()
    {
        var hash = System.IO.Hashing.XxHash128.Hash(ToBytes(canonicalNaN: true));
        return Convert.ToHexStringLower(hash);
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var sb = new StringBuilder()
            .Append("Tensor(").Append(ShapeString).Append(", ").Append(DType.Name()).Append(", ").Append(Backend.Name);
        if (Numel <= 16)
        {
            sb.Append(", [")
                .AppendJoin(", ", ToDoubleArray().Select(v => v.ToString("G9", CultureInfo.InvariantCulture)))
                .Append(']');
        }

        return sb.Append(')').ToString();
    }

    /// <summary>The elements as a new contiguous buffer (the buffer itself when already contiguous and whole).</summary>
    internal Storage ContiguousStorage()
    {
        if (Offset == 0 && IsContiguous && Storage.Length == Numel)
        {
            return Storage;
        }

        var dst = Backend.AllocateOutput(DType, Numel);
        Backend.Copy(View, Backends.View.Contiguous(dst, ShapeArray));
        return dst;
    }

    private Array HostCopy(DType target)
    {
        var src = ContiguousStorage();
        if (target == DType)
        {
            return Backend.ToHost(src);
        }

        var dst = Backend.AllocateOutput(target, Numel);
        Backend.Cast(src, dst);
        return Backend.ToHost(dst);
    }

    private static void CanonicalizeNaNs(byte[] bytes, DType dtype)
    {
        switch (dtype)
        {
            case DType.Float32:
                var f = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(bytes.AsSpan());
                for (int i = 0; i < f.Length; i++)
                {
                    if ((f[i] & 0x7FFFFFFFu) > 0x7F800000u)
                    {
                        f[i] = ScalarOps.CanonicalNaNBits32;
                    }
                }

                break;
            case DType.Float64:
                var d = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(bytes.AsSpan());
                for (int i = 0; i < d.Length; i++)
                {
                    if ((d[i] & 0x7FFFFFFFFFFFFFFFul) > 0x7FF0000000000000ul)
                    {
                        d[i] = ScalarOps.CanonicalNaNBits64;
                    }
                }

                break;
            case DType.Float16:
                var h = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(bytes.AsSpan());
                for (int i = 0; i < h.Length; i++)
                {
                    if ((h[i] & 0x7FFF) > 0x7C00)
                    {
                        h[i] = 0x7E00;
                    }
                }

                break;
            case DType.BFloat16:
                var b = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(bytes.AsSpan());
                for (int i = 0; i < b.Length; i++)
                {
                    if ((b[i] & 0x7FFF) > 0x7F80)
                    {
                        b[i] = 0x7FC0;
                    }
                }

                break;
            default:
                break;
        }
    }

    /// <summary>Converts a float to the bits of a storage dtype (for building 16-bit tensors from floats).</summary>
    internal static ushort ToBits16(float v, DType dtype) => dtype == DType.Float16 ? HalfBits.FromFloat(v) : ((BFloat16)v).Bits;
}
