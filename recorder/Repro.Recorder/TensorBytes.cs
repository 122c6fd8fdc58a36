using System.Buffers;
using System.IO.Hashing;
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
            AsBytes(hs.Data).CopyTo(buffer);
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
    public static HealthSummary Summarize(ReadOnlySpan<byte> bytes, DType dtype)
    {
        var acc = new Accumulator();
        switch (dtype)
        {
            case DType.Float32:
                return SummarizeFloat32(MemoryMarshal.Cast<byte, float>(bytes));
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
                    float f = BitConverter.Int32BitsToSingle(v << 16);
                    acc.Add(f, float.IsSubnormal(f));
                }

                break;
            default:
                break;
        }

        return acc.Result();
    }

    /// <summary>
    /// The float32 summary in one branch-light pass (the common case, so it is kept cheap): classes from the bits, min and
    /// max of the finite values, and the sum of the finite values in double over 8 lanes (element i goes to lane i mod 8,
    /// lanes added 0..7 in order), a fixed order that does not depend on the machine.
    /// </summary>
    private static HealthSummary SummarizeFloat32(ReadOnlySpan<float> values)
    {
        Span<double> lanes = stackalloc double[8];
        lanes.Clear();
        long nan = 0, pinf = 0, ninf = 0, sub = 0, zero = 0;
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        var bits = MemoryMarshal.Cast<float, uint>(values);
        for (int i = 0; i < values.Length; i++)
        {
            uint b = bits[i];
            uint mag = b & 0x7FFFFFFFu;
            if (mag >= 0x7F800000u)
            {
                if (mag > 0x7F800000u)
                {
                    nan++;
                }
                else if (b == 0x7F800000u)
                {
                    pinf++;
                }
                else
                {
                    ninf++;
                }

                continue;
            }

            float v = values[i];
            zero += mag == 0 ? 1 : 0;
            sub += mag != 0 && mag < 0x00800000u ? 1 : 0;
            min = v < min ? v : min;
            max = v > max ? v : max;
            lanes[i & 7] += v;
        }

        long finite = values.Length - nan - pinf - ninf;
        if (finite == 0)
        {
            return new HealthSummary(null, null, null, nan, pinf, ninf, sub, zero);
        }

        double sum = 0;
        foreach (double l in lanes)
        {
            sum += l;
        }

        return new HealthSummary(min, max, sum / finite, nan, pinf, ninf, sub, zero);
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

        public readonly HealthSummary Result() => finite == 0
            ? new HealthSummary(null, null, null, nan, pinf, ninf, sub, zero)
            : new HealthSummary(min, max, sum / finite, nan, pinf, ninf, sub, zero);
    }
}
