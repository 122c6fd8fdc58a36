using System.Runtime.InteropServices;
using Repro.Engine;

namespace Repro.Recorder.Tests;

/// <summary>The vectorized summary and the fused summary-and-hash pass give exactly what the definitions give.</summary>
public sealed class DigestTests
{
    private static readonly uint[] Specials =
    [
        0x00000000, 0x80000000, // +0, -0
        0x00000001, 0x807FFFFF, 0x00400000, // subnormals
        0x00800000, 0x80800000, // smallest normals
        0x7F7FFFFF, 0xFF7FFFFF, // largest finite
        0x7F800000, 0xFF800000, // infinities
        0x7FC00000, 0xFFC00000, 0x7F800001, 0x7FC00123, 0xFFFFFFFF, // NaNs with payloads and signs
    ];

    [Fact]
    public void Vectorized_float32_summary_equals_the_scalar_definition()
    {
        var rng = new Random(7);
        foreach (int length in Enumerable.Range(0, 80).Concat([127, 128, 129, 1000, 4099, 70001]))
        {
            for (int trial = 0; trial < 12; trial++)
            {
                var values = RandomFloats(rng, length, trial);
                var bytes = MemoryMarshal.AsBytes(values.AsSpan());
                Same(ScalarSummary(values), TensorBytes.Summarize(bytes, DType.Float32), $"length {length}, trial {trial}");
            }
        }
    }

    [Fact]
    public void The_sign_of_a_zero_min_or_max_is_that_of_the_first_zero()
    {
        foreach (var values in new[]
        {
            new[] { 1f, 2f, -0f, 3f, 0f, 4f, 5f, 6f, 7f, 0f },
            new[] { 0f, 1f, 2f, 3f, 4f, 5f, 6f, 7f, -0f, 8f },
            new[] { -1f, -2f, -3f, -4f, -5f, -6f, -7f, -8f, -9f, -0f, 0f },
            new[] { -0f, -0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f },
            new[] { 0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f, -0f },
            new[] { float.NaN, float.PositiveInfinity, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f, -0f, 1f },
        })
        {
            Same(ScalarSummary(values), TensorBytes.Summarize(MemoryMarshal.AsBytes(values.AsSpan()), DType.Float32), string.Join(", ", values));
        }
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Int32)]
    [InlineData(DType.Float16)]
    [InlineData(DType.BFloat16)]
    public void Fused_digest_equals_separate_summary_and_canonical_hash(DType dtype)
    {
        var rng = new Random(11);
        var digester = new Digester();
        Span<byte> hash = stackalloc byte[16];
        foreach (int bytes in new[] { 0, 4, 64, 1000, Digester.PieceBytes - 4, Digester.PieceBytes, Digester.PieceBytes + 8, (3 * Digester.PieceBytes) + 24 })
        {
            for (int trial = 0; trial < 4; trial++)
            {
                var data = new byte[bytes / dtype.SizeOf() * dtype.SizeOf()];
                rng.NextBytes(data);
                if (dtype == DType.Float32 && trial > 0)
                {
                    // Few NaNs, in one piece only, or none.
                    var f = MemoryMarshal.Cast<byte, float>(data.AsSpan());
                    for (int i = 0; i < f.Length; i++)
                    {
                        f[i] = trial == 3 && i == f.Length - 1 ? BitConverter.Int32BitsToSingle(0x7FC00042) : (float)(rng.NextDouble() - 0.5);
                    }
                }

                var stats = digester.Digest(data, dtype, hash);
                var expected = TensorBytes.Summarize(data, dtype);
                Same(expected, stats.ToHealthSummary(), $"{dtype}, {data.Length} bytes, trial {trial}");
                Assert.Equal(TensorBytes.CanonicalHash(data, dtype, expected.NaN), Convert.ToHexStringLower(hash));
            }
        }
    }

    [Fact]
    public void Gather_copies_strided_views_in_row_major_order()
    {
        var t = Tensor.FromArray([.. Enumerable.Range(0, 60).Select(i => (float)i)], [3, 4, 5]);
        foreach (var view in new[] { t.Permute([2, 0, 1]), t.Transpose(), t.Slice(1, 1, 4, 2), t.Slice(0, 1, 3).Permute([1, 0, 2]), t.Slice(2, 4, 5).Expand([3, 4, 3]) })
        {
            var storage = (HostStorage)view.Storage;
            var dst = new byte[view.Numel * 4];
            TensorBytes.Gather(TensorBytes.AsBytes(storage.Data), 4, view.Offset, view.Shape, view.Strides, dst);
            Assert.Equal(view.ToBytes(), dst);
        }
    }

    [Theory]
    [InlineData(DType.Float64)]
    [InlineData(DType.BFloat16)]
    [InlineData(DType.Int32)]
    public void Gather_handles_every_element_size_and_scalars(DType dtype)
    {
        var t = Tensor.FromArray([.. Enumerable.Range(0, 24).Select(i => (float)i)], [2, 3, 4]).To(dtype);
        foreach (var view in new[] { t.Permute([2, 1, 0]), t.Slice(2, 1, 3).Expand([2, 3, 2]).Transpose(), t.Slice(0, 1, 2).Slice(1, 2, 3).Slice(2, 3, 4).Reshape([]) })
        {
            var dst = new byte[view.Numel * dtype.SizeOf()];
            TensorBytes.Gather(TensorBytes.AsBytes(((HostStorage)view.Storage).Data), dtype.SizeOf(), view.Offset, view.Shape, view.Strides, dst);
            Assert.Equal(view.ToBytes(), dst);
        }
    }

    [Fact]
    public void Gather_refuses_a_view_that_reaches_past_its_storage()
    {
        var storage = new float[12];
        var dst = new byte[4 * 12];

        // Offset 1 with shape [3, 4] and strides [4, 1] reaches element 12 of 12.
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => TensorBytes.Gather(TensorBytes.AsBytes(storage), 4, 1, [3, 4], [4, 1], dst));
        Assert.Contains("reach 12", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => TensorBytes.Gather(TensorBytes.AsBytes(storage), 4, 11, [3, 4], [-4, 1], dst));
        TensorBytes.Gather(TensorBytes.AsBytes(storage), 4, 0, [3, 4], [4, 1], dst);
    }

    private static float[] RandomFloats(Random rng, int length, int trial)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (trial % 4) switch
            {
                0 => (float)(rng.NextDouble() - 0.5) * 1000f,
                1 => rng.Next(8) == 0 ? BitConverter.UInt32BitsToSingle(Specials[rng.Next(Specials.Length)]) : (float)(rng.NextDouble() * 3) - 1f,
                2 => BitConverter.UInt32BitsToSingle(Specials[rng.Next(Specials.Length)]),
                _ => BitConverter.UInt32BitsToSingle((uint)rng.NextInt64(0, 1L << 32)),
            };
        }

        return values;
    }

    private static void Same(HealthSummary want, HealthSummary got, string what)
    {
        Assert.True(
            Bits(want.Min) == Bits(got.Min) && Bits(want.Max) == Bits(got.Max) && Bits(want.Mean) == Bits(got.Mean)
            && (want.NaN, want.PosInf, want.NegInf, want.Subnormal, want.Zero) == (got.NaN, got.PosInf, got.NegInf, got.Subnormal, got.Zero),
            $"{what}: expected {want}, got {got}");
    }

    private static long? Bits(double? v) => v is { } d ? BitConverter.DoubleToInt64Bits(d) : null;

    /// <summary>
    /// The float32 summary by its definition, one element at a time: NaNs and infinities counted apart; the min and
    /// max of the finite values (the first of equal values wins, so the sign of a zero is the first zero's); the mean
    /// summed in double in eight lanes, element i in lane i mod 8, the lanes added in order.
    /// </summary>
    private static HealthSummary ScalarSummary(ReadOnlySpan<float> values)
    {
        Span<double> lanes = stackalloc double[8];
        lanes.Clear();
        long nan = 0, pinf = 0, ninf = 0, sub = 0, zero = 0;
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (float.IsNaN(v))
            {
                nan++;
                continue;
            }

            if (float.IsInfinity(v))
            {
                pinf += v > 0 ? 1 : 0;
                ninf += v < 0 ? 1 : 0;
                continue;
            }

            zero += v == 0 ? 1 : 0;
            sub += float.IsSubnormal(v) ? 1 : 0;
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
        foreach (double lane in lanes)
        {
            sum += lane;
        }

        return new HealthSummary(min, max, sum / finite, nan, pinf, ninf, sub, zero);
    }
}
