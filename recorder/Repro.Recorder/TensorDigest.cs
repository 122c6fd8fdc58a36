using System.Buffers;
using System.IO.Hashing;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Repro.Engine;

namespace Repro.Recorder;

/// <summary>A health summary as a value (what <see cref="HealthSummary"/> holds), so the writer allocates nothing per tensor.</summary>
internal readonly record struct SummaryValues(double? Min, double? Max, double? Mean, long NaN, long PosInf, long NegInf, long Subnormal, long Zero)
{
    public HealthSummary ToHealthSummary() => new(Min, Max, Mean, NaN, PosInf, NegInf, Subnormal, Zero);
}

/// <summary>Eight double lane sums.</summary>
[InlineArray(8)]
internal struct Lanes8
{
    private double element;
}

/// <summary>
/// The float32 health summary, fed in pieces (every piece but the last a multiple of 8 elements long, so element i
/// always goes to lane i mod 8). Defined element by element by <see cref="AddScalar"/>: classes from the bits; min and
/// max of the finite values, where among equal values the first in element order wins (so the sign of a zero min or
/// max is that of the first zero); the finite values summed in double, element i into lane i mod 8, lanes added 0..7
/// in order at the end, each starting from +0.0. <see cref="Add"/> computes exactly that eight elements at a time
/// (two 4-wide double accumulators hold lanes 0-3 and 4-7 and receive the same additions in the same order; a
/// non-finite element adds +0.0, which changes no lane since no lane is ever -0.0).
/// </summary>
internal struct Float32Summary
{
    private Lanes8 lanes;
    private float min;
    private float max;
    private long nan;
    private long pinf;
    private long ninf;
    private long sub;
    private long zero;
    private long count;
    private bool zeroSeen;
    private bool firstZeroNegative;

    public Float32Summary()
    {
        min = float.PositiveInfinity;
        max = float.NegativeInfinity;
    }

    /// <summary>NaNs seen so far.</summary>
    public readonly long NaNs => nan;

    /// <summary>Adds the next piece; every piece but the last must be a multiple of 8 elements.</summary>
    public void Add(ReadOnlySpan<float> values)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && values.Length >= 8)
        {
            i = AddVector256(values);
        }

        AddScalar(values[i..], i);
    }

    /// <summary>The definition: one element at a time. <paramref name="first"/> is the index of values[0] within the piece.</summary>
    internal void AddScalar(ReadOnlySpan<float> values, int first)
    {
        var bits = MemoryMarshal.Cast<float, uint>(values);
        for (int k = 0; k < values.Length; k++)
        {
            uint b = bits[k];
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

            float v = values[k];
            if (mag == 0)
            {
                zero++;
                if (!zeroSeen)
                {
                    zeroSeen = true;
                    firstZeroNegative = b != 0;
                }
            }

            sub += mag != 0 && mag < 0x00800000u ? 1 : 0;
            min = v < min ? v : min;
            max = v > max ? v : max;
            lanes[(first + k) & 7] += v;
        }

        count += values.Length;
    }

    /// <summary>The summary of everything added.</summary>
    public readonly SummaryValues Result()
    {
        long finite = count - nan - pinf - ninf;
        if (finite == 0)
        {
            return new SummaryValues(null, null, null, nan, pinf, ninf, sub, zero);
        }

        double sum = 0;
        foreach (double l in lanes)
        {
            sum += l;
        }

        // Vector min/max do not order -0 and +0; element order does: a zero min (or max) is the first zero.
        float lo = min == 0 ? (firstZeroNegative ? -0f : 0f) : min;
        float hi = max == 0 ? (firstZeroNegative ? -0f : 0f) : max;
        return new SummaryValues(lo, hi, sum / finite, nan, pinf, ninf, sub, zero);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int AddVector256(ReadOnlySpan<float> values)
    {
        ref float start = ref MemoryMarshal.GetReference(values);
        ref double lane0 = ref lanes[0];
        var sum0 = Vector256.LoadUnsafe(ref lane0);
        var sum1 = Vector256.LoadUnsafe(ref lane0, 4);
        var vmin = Vector256.Create(min);
        var vmax = Vector256.Create(max);
        var cZero = Vector256<int>.Zero;
        var cTiny = Vector256<int>.Zero;
        var absMask = Vector256.Create(0x7FFFFFFF);
        var infBits = Vector256.Create(0x7F800000);
        var minNormal = Vector256.Create(0x00800000);
        bool seen = zeroSeen;
        int i = 0;
        int end = values.Length & ~7;
        for (; i < end; i += 8)
        {
            var x = Vector256.LoadUnsafe(ref start, (nuint)i);
            var bits = x.AsInt32();

            // Magnitudes are below 2^31, so signed compares order them correctly.
            var mag = bits & absMask;
            var nonFinite = Vector256.GreaterThanOrEqual(mag, infBits);
            var isZero = Vector256.Equals(mag, Vector256<int>.Zero);
            cZero -= isZero;

            // Zeros and subnormals (both finite); subnormals = tiny - zero.
            cTiny -= Vector256.LessThan(mag, minNormal);
            if (!seen && isZero != Vector256<int>.Zero)
            {
                int k = BitOperations.TrailingZeroCount(isZero.ExtractMostSignificantBits());
                seen = true;
                firstZeroNegative = bits.GetElement(k) < 0;
            }

            if (nonFinite == Vector256<int>.Zero)
            {
                vmin = Vector256.MinNative(vmin, x);
                vmax = Vector256.MaxNative(vmax, x);
                sum0 += Vector256.WidenLower(x);
                sum1 += Vector256.WidenUpper(x);
            }
            else
            {
                // Rare: count the classes, leave non-finite values out of min, max and the sums (+0.0 changes no lane).
                nan -= Vector256.Sum(Vector256.GreaterThan(mag, infBits));
                pinf -= Vector256.Sum(Vector256.Equals(bits, infBits));
                ninf -= Vector256.Sum(Vector256.Equals(bits, Vector256.Create(unchecked((int)0xFF800000))));
                var nf = nonFinite.AsSingle();
                vmin = Vector256.MinNative(vmin, Vector256.ConditionalSelect(nf, Vector256.Create(float.PositiveInfinity), x));
                vmax = Vector256.MaxNative(vmax, Vector256.ConditionalSelect(nf, Vector256.Create(float.NegativeInfinity), x));
                var finite = Vector256.AndNot(x, nf);
                sum0 += Vector256.WidenLower(finite);
                sum1 += Vector256.WidenUpper(finite);
            }
        }

        zeroSeen = seen;
        sum0.StoreUnsafe(ref lane0);
        sum1.StoreUnsafe(ref lane0, 4);
        for (int k = 0; k < 8; k++)
        {
            float a = vmin.GetElement(k);
            float b = vmax.GetElement(k);
            min = a < min ? a : min;
            max = b > max ? b : max;
        }

        long zeros = Vector256.Sum(cZero);
        zero += zeros;
        sub += Vector256.Sum(cTiny) - zeros;
        count += i;
        return i;
    }
}

/// <summary>
/// The writer thread's tools for hashing and summarizing tensors without allocating: a reusable scratch buffer
/// (NaN canonicalization, gathering strided views), a streaming hasher, and the fused pass.
/// </summary>
internal sealed class Digester
{
    /// <summary>
    /// Float32 tensors larger than this are summarized and hashed piece by piece, each piece while it is still in the
    /// core's cache; smaller ones are summarized, then hashed in one call (faster than the streaming hasher).
    /// </summary>
    internal const int PieceBytes = 256 << 10;

    private readonly XxHash128 hasher = new();
    private byte[] scratch = [];

    /// <summary>
    /// Summarizes <paramref name="bytes"/> and writes the canonical hash (XxHash128 of the bytes with every NaN
    /// rewritten to the canonical pattern) to <paramref name="hash"/>. Float32 goes through one fused pass.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public SummaryValues Digest(ReadOnlySpan<byte> bytes, DType dtype, Span<byte> hash)
    {
        if (dtype != DType.Float32)
        {
            var s = TensorBytes.SummarizeValues(bytes, dtype);
            CanonicalHash(bytes, dtype, s.NaN, hash);
            return s;
        }

        var acc = new Float32Summary();
        if (bytes.Length <= PieceBytes)
        {
            acc.Add(MemoryMarshal.Cast<byte, float>(bytes));
            CanonicalHash(bytes, dtype, acc.NaNs, hash);
            return acc.Result();
        }

        hasher.Reset();
        for (int at = 0; at < bytes.Length; at += PieceBytes)
        {
            var piece = bytes.Slice(at, Math.Min(PieceBytes, bytes.Length - at));
            long before = acc.NaNs;
            acc.Add(MemoryMarshal.Cast<byte, float>(piece));
            if (acc.NaNs == before)
            {
                hasher.Append(piece);
            }
            else
            {
                var copy = Scratch(piece.Length);
                piece.CopyTo(copy);
                TensorBytes.CanonicalizeNaNs(copy, dtype);
                hasher.Append(copy);
            }
        }

        hasher.GetHashAndReset(hash);
        return acc.Result();
    }

    /// <summary>The canonical hash alone (verify without a log): NaNs are looked for, not counted.</summary>
    public void Hash(ReadOnlySpan<byte> bytes, DType dtype, Span<byte> hash) => CanonicalHash(bytes, dtype, HasNaN(bytes, dtype) ? 1 : 0, hash);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool HasNaN(ReadOnlySpan<byte> bytes, DType dtype)
    {
        switch (dtype)
        {
            case DType.Float32:
                var f = MemoryMarshal.Cast<byte, uint>(bytes);
                int i = 0;
                if (Vector256.IsHardwareAccelerated)
                {
                    var abs = Vector256.Create(0x7FFFFFFFu);
                    var inf = Vector256.Create(0x7F800000u);
                    var any = Vector256<uint>.Zero;
                    for (; i + 8 <= f.Length; i += 8)
                    {
                        any |= Vector256.GreaterThan(Vector256.Create(f.Slice(i, 8)) & abs, inf);
                    }

                    if (any != Vector256<uint>.Zero)
                    {
                        return true;
                    }
                }

                for (; i < f.Length; i++)
                {
                    if ((f[i] & 0x7FFFFFFFu) > 0x7F800000u)
                    {
                        return true;
                    }
                }

                return false;
            case DType.Float64:
                foreach (ulong v in MemoryMarshal.Cast<byte, ulong>(bytes))
                {
                    if ((v & 0x7FFFFFFFFFFFFFFFul) > 0x7FF0000000000000ul)
                    {
                        return true;
                    }
                }

                return false;
            case DType.Float16:
            case DType.BFloat16:
                ushort inf16 = dtype == DType.Float16 ? (ushort)0x7C00 : (ushort)0x7F80;
                foreach (ushort v in MemoryMarshal.Cast<byte, ushort>(bytes))
                {
                    if ((v & 0x7FFF) > inf16)
                    {
                        return true;
                    }
                }

                return false;
            default:
                return false;
        }
    }

    /// <summary>A scratch span of at least <paramref name="length"/> bytes, valid until the next call.</summary>
    public Span<byte> Scratch(int length)
    {
        if (scratch.Length < length)
        {
            if (scratch.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }

            scratch = ArrayPool<byte>.Shared.Rent(length);
        }

        return scratch.AsSpan(0, length);
    }

    private void CanonicalHash(ReadOnlySpan<byte> bytes, DType dtype, long nanCount, Span<byte> hash)
    {
        if (nanCount == 0)
        {
            XxHash128.Hash(bytes, hash);
            return;
        }

        var copy = Scratch(bytes.Length);
        bytes.CopyTo(copy);
        TensorBytes.CanonicalizeNaNs(copy, dtype);
        XxHash128.Hash(copy, hash);
    }
}
