using System.Buffers;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Repro.Engine;

namespace Repro.Recorder;

/// <summary>Raw bytes of a tensor and what is computed from them: the canonical hash, the blob address, the health summary.</summary>
public static class TensorBytes
{
    /// <summary>Copies a tensor's elements (row-major, storage layout, little-endian) into a rented buffer of at least the returned length.</summary>
    internal static byte[] Rent(Tensor t, out int length)
    {
        length = checked((int)((long)t.Numel * t.DType.SizeOf()));
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        if (t.Storage is HostStorage hs && t.Offset == 0 && t.IsContiguous && hs.Length == t.Numel)
        {
            hs.Bytes.CopyTo(buffer);
            GC.KeepAlive(hs);
        }
        else
        {
            AsBytes(t.ToHostArray()).CopyTo(buffer);
        }

        return buffer;
    }

    internal static void Return(byte[] buffer) => ArrayPool<byte>.Shared.Return(buffer);

    /// <summary>The bytes of a storage-type array (float[], double[], int[], ushort[]).</summary>
    public static ReadOnlySpan<byte> AsBytes(Array data) => data switch
    {
        float[] f => MemoryMarshal.AsBytes(f.AsSpan()),
        double[] d => MemoryMarshal.AsBytes(d.AsSpan()),
        int[] i => MemoryMarshal.AsBytes(i.AsSpan()),
        ushort[] u => MemoryMarshal.AsBytes(u.AsSpan()),
        _ => throw new ArgumentException($"unsupported storage array {data.GetType().Name}", nameof(data)),
    };

    /// <summary>
    /// Copies the elements of a strided view (row-major order) out of a storage's bytes: <paramref name="size"/> bytes
    /// per element, the view's offset, shape and strides in elements.
    /// </summary>
    internal static void Gather(ReadOnlySpan<byte> src, int size, int offset, IReadOnlyList<int> shape, IReadOnlyList<int> strides, Span<byte> dst)
    {
        switch (size)
        {
            case 2:
                Gather(MemoryMarshal.Cast<byte, ushort>(src), offset, shape, strides, MemoryMarshal.Cast<byte, ushort>(dst));
                break;
            case 4:
                Gather(MemoryMarshal.Cast<byte, uint>(src), offset, shape, strides, MemoryMarshal.Cast<byte, uint>(dst));
                break;
            case 8:
                Gather(MemoryMarshal.Cast<byte, ulong>(src), offset, shape, strides, MemoryMarshal.Cast<byte, ulong>(dst));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(size), size, "element size must be 2, 4 or 8 bytes");
        }
    }

    /// <remarks>
    /// The view's reach (its offset plus, per axis, (extent - 1) times a stride that must not be negative) is checked
    /// against the storage once, so the row loops below run without per-element bounds checks: a contiguous row is
    /// one copy, a broadcast row (stride 0) one fill, any other row a strided loop.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Gather<T>(ReadOnlySpan<T> src, int offset, IReadOnlyList<int> shape, IReadOnlyList<int> strides, Span<T> dst)
        where T : unmanaged
    {
        int rank = shape.Count;
        if (dst.IsEmpty)
        {
            return;
        }

        long reach = offset;
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            if (strides[d] < 0 || shape[d] <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(strides), $"view axis {d}: extent {shape[d]}, stride {strides[d]}: gather needs positive extents and non-negative strides");
            }

            reach += (long)(shape[d] - 1) * strides[d];
            count *= shape[d];
        }

        if (offset < 0 || reach >= src.Length || count != dst.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"view (offset {offset}, reach {reach}, {count} elements) does not fit a storage of {src.Length} into {dst.Length} elements");
        }

        ref T from = ref MemoryMarshal.GetReference(src);
        ref T to = ref MemoryMarshal.GetReference(dst);
        if (rank == 0)
        {
            to = Unsafe.Add(ref from, offset);
            return;
        }

        Span<int> index = stackalloc int[rank];
        index.Clear();
        int inner = shape[rank - 1];
        int step = strides[rank - 1];
        int at = offset;
        int k = 0;
        while (true)
        {
            if (step == 1)
            {
                MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref from, at), inner).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref to, k), inner));
            }
            else if (step == 0)
            {
                MemoryMarshal.CreateSpan(ref Unsafe.Add(ref to, k), inner).Fill(Unsafe.Add(ref from, at));
            }
            else
            {
                ref T row = ref Unsafe.Add(ref to, k);
                ref T first = ref Unsafe.Add(ref from, at);
                for (int j = 0, o = 0; j < inner; j++, o += step)
                {
                    Unsafe.Add(ref row, j) = Unsafe.Add(ref first, o);
                }
            }

            k += inner;

            // Next row: odometer over the outer axes.
            int d = rank - 2;
            for (; d >= 0; d--)
            {
                at += strides[d];
                if (++index[d] < shape[d])
                {
                    break;
                }

                at -= strides[d] * shape[d];
                index[d] = 0;
            }

            if (d < 0)
            {
                return;
            }
        }
    }

    /// <summary>A new storage-type array of <paramref name="dtype"/> holding <paramref name="bytes"/>.</summary>
    public static Array ToArray(ReadOnlySpan<byte> bytes, DType dtype)
    {
        int n = bytes.Length / dtype.SizeOf();
        Array a = dtype switch
        {
            DType.Float32 => new float[n],
            DType.Float64 => new double[n],
            DType.Int32 => new int[n],
            _ => new ushort[n],
        };
        bytes.CopyTo(a switch
        {
            float[] f => MemoryMarshal.AsBytes(f.AsSpan()),
            double[] d => MemoryMarshal.AsBytes(d.AsSpan()),
            int[] i => MemoryMarshal.AsBytes(i.AsSpan()),
            ushort[] u => MemoryMarshal.AsBytes(u.AsSpan()),
            _ => [],
        });
        return a;
    }

    /// <summary>The content address of raw bytes: XxHash128, 32 lower-case hex digits.</summary>
    public static string Address(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(XxHash128.Hash(bytes));

    /// <summary>Rewrites every NaN to the engine's canonical pattern, in place (what <see cref="Tensor.ContentHash"/> hashes).</summary>
    public static void CanonicalizeNaNs(Span<byte> bytes, DType dtype)
    {
        switch (dtype)
        {
            case DType.Float32:
                foreach (ref uint v in MemoryMarshal.Cast<byte, uint>(bytes))
                {
                    if ((v & 0x7FFFFFFFu) > 0x7F800000u)
                    {
                        v = 0x7FC00000u;
                    }
                }

                break;
            case DType.Float64:
                foreach (ref ulong v in MemoryMarshal.Cast<byte, ulong>(bytes))
                {
                    if ((v & 0x7FFFFFFFFFFFFFFFul) > 0x7FF0000000000000ul)
                    {
                        v = 0x7FF8000000000000ul;
                    }
                }

                break;
            case DType.Float16:
                foreach (ref ushort v in MemoryMarshal.Cast<byte, ushort>(bytes))
                {
                    if ((v & 0x7FFF) > 0x7C00)
                    {
                        v = 0x7E00;
                    }
                }

                break;
            case DType.BFloat16:
                foreach (ref ushort v in MemoryMarshal.Cast<byte, ushort>(bytes))
                {
                    if ((v & 0x7FFF) > 0x7F80)
                    {
                        v = 0x7FC0;
                    }
                }

                break;
            default:
                break;
        }
    }

    /// <summary>The canonical hash of raw bytes: NaNs canonicalized (on a copy when there are any), then XxHash128.</summary>
    public static string CanonicalHash(ReadOnlySpan<byte> bytes, DType dtype, long nanCount)
    {
        if (nanCount == 0)
        {
            return Address(bytes);
        }

        var copy = bytes.ToArray();
        CanonicalizeNaNs(copy, dtype);
        return Address(copy);
    }

    /// <summary>Min, max and mean of the finite values, and counts of NaN, +Inf, -Inf, subnormal and zero elements.</summary>
    public static HealthSummary Summarize(ReadOnlySpan<byte> bytes, DType dtype) => SummarizeValues(bytes, dtype).ToHealthSummary();

    /// <summary>The health summary as a value (no allocation).</summary>
    internal static SummaryValues SummarizeValues(ReadOnlySpan<byte> bytes, DType dtype)
    {
        var acc = new Accumulator();
        switch (dtype)
        {
            case DType.Float32:
                var f = new Float32Summary();
                f.Add(MemoryMarshal.Cast<byte, float>(bytes));
                return f.Result();
            case DType.Float64:
                foreach (double v in MemoryMarshal.Cast<byte, double>(bytes))
                {
                    acc.Add(v, double.IsSubnormal(v));
                }

                break;
            case DType.Int32:
                foreach (int v in MemoryMarshal.Cast<byte, int>(bytes))
                {
                    acc.Add(v, false);
                }

                break;
            case DType.Float16:
                foreach (ushort v in MemoryMarshal.Cast<byte, ushort>(bytes))
                {
                    var h = BitConverter.UInt16BitsToHalf(v);
                    acc.Add((double)h, Half.IsSubnormal(h));
                }

                break;
            case DType.BFloat16:
                foreach (ushort v in MemoryMarshal.Cast<byte, ushort>(bytes))
                {
                    float bf = BitConverter.Int32BitsToSingle(v << 16);
                    acc.Add(bf, float.IsSubnormal(bf));
                }

                break;
            default:
                break;
        }

        return acc.Result();
    }

    private struct Accumulator
    {
        private double min;
        private double max;
        private double sum;
        private long finite;
        private long nan;
        private long pinf;
        private long ninf;
        private long sub;
        private long zero;

        public void Add(double v, bool subnormal)
        {
            if (double.IsNaN(v))
            {
                nan++;
                return;
            }

            if (double.IsInfinity(v))
            {
                if (v > 0)
                {
                    pinf++;
                }
                else
                {
                    ninf++;
                }

                return;
            }

            if (finite == 0)
            {
                min = v;
                max = v;
            }
            else
            {
                min = v < min ? v : min;
                max = v > max ? v : max;
            }

            finite++;
            sum += v;
            if (v == 0)
            {
                zero++;
            }
            else if (subnormal)
            {
                sub++;
            }
        }

        public readonly SummaryValues Result() => finite == 0
            ? new SummaryValues(null, null, null, nan, pinf, ninf, sub, zero)
            : new SummaryValues(min, max, sum / finite, nan, pinf, ninf, sub, zero);
    }
}
