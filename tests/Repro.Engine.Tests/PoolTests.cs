using Repro.Engine;

namespace Repro.Engine.Tests;

/// <summary>
/// max_pool2d and avg_pool2d: the same bits as the compositions they replace (pad, k*k strided views, stack, then
/// max or sum and divide), the documented tie and NaN rules, gradients, errors, and invariance to threads and batch.
/// </summary>
public class PoolTests
{
    /// <summary>(input, kernel, stride, pads (geometric, ceil extras included), dilation, count pads).</summary>
    public static TheoryData<int[], int[], int[], int[], int[], int[]> Geometries() => new()
    {
        { [2, 3, 11, 10], [3, 3], [2, 2], [1, 1, 1, 1], [1, 1], [1, 1, 1, 1] },
        { [2, 3, 11, 10], [3, 3], [2, 2], [1, 1, 1, 1], [1, 1], [0, 0, 0, 0] },
        { [3, 2, 8, 6], [2, 2], [2, 2], [0, 0, 0, 0], [1, 1], [0, 0, 0, 0] },
        { [1, 4, 9, 8], [2, 3], [1, 2], [0, 1, 1, 2], [2, 1], [0, 1, 1, 1] },
        { [2, 2, 7, 8], [3, 2], [2, 3], [1, 0, 1, 1], [1, 1], [1, 0, 0, 1] },
        { [2, 5, 7, 7], [7, 7], [1, 1], [0, 0, 0, 0], [1, 1], [0, 0, 0, 0] },
        { [1, 2, 12, 13], [6, 6], [1, 1], [3, 3, 2, 2], [1, 1], [3, 3, 2, 2] },
        { [1, 2, 35, 34], [34, 33], [1, 1], [0, 0, 0, 0], [1, 1], [0, 0, 0, 0] },
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Max_is_the_stacked_maximum_bit_for_bit(int[] shape, int[] k, int[] s, int[] pads, int[] d, int[] countPads)
    {
        _ = countPads;
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var x = OpSuite.Input(shape, 11, 3, specials: true, dtype: dtype);
            var expected = Stacked(x, k, s, pads, d, double.NegativeInfinity).Max(2);
            Assert.Equal(TestUtil.Fingerprint(expected), TestUtil.Fingerprint(OpCore.MaxPool2d(x, k, s, pads, d)));
        }
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Avg_is_the_stacked_sum_over_the_count_bit_for_bit(int[] shape, int[] k, int[] s, int[] pads, int[] d, int[] countPads)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var x = OpSuite.Input(shape, 12, 3, specials: true, dtype: dtype);
            var stacked = Stacked(x, k, s, pads, d, 0.0);
            var actual = OpCore.AvgPool2d(x, k, s, pads, d, countPads);
            var g = Backends.PoolGeometry.Create("test", [.. shape], k, s, pads, d, countPads);
            var counts = new double[g.OH * g.OW];
            for (int i = 0; i < counts.Length; i++)
            {
                counts[i] = g.Count(i / g.OW, i % g.OW);
            }

            var expected = stacked.Sum(2).Div(Tensor.FromArray(counts, [g.OH, g.OW]).To(dtype));
            Assert.Equal(TestUtil.Fingerprint(expected), TestUtil.Fingerprint(actual));
        }
    }

    [Fact]
    public void Avg_with_padding_counted_is_the_mean_of_the_windows_as_Repro_Nn_composed_it()
    {
        var x = OpSuite.Input([2, 3, 8, 8], 13, 2);

        // Non-overlapping windows: the reshape and mean over axes 3 and 5.
        var reshaped = x.Reshape([2, 3, 4, 2, 4, 2]).Mean([3, 5]);
        Assert.Equal(TestUtil.Fingerprint(reshaped), TestUtil.Fingerprint(Tensor.AvgPool2d(x, [2])));

        // Overlapping, padded windows: the stacked views' mean, padding counted.
        var stacked = Stacked(x, [3, 3], [2, 2], [1, 1, 1, 1], [1, 1], 0.0).Mean(2);
        Assert.Equal(TestUtil.Fingerprint(stacked), TestUtil.Fingerprint(Tensor.AvgPool2d(x, [3], [2], [1])));
    }

    [Fact]
    public void Max_takes_NaN_and_infinities_as_values_and_skips_padding()
    {
        float nan = float.NaN;
        float inf = float.PositiveInfinity;
        var x = Tensor.FromArray(new[] { -inf, -inf, 1f, nan, -inf, -inf, 2f, 3f, -0f, 0f, -0f, -0f, 5f, -1f, 0f, -0f }, [1, 1, 4, 4]);
        var y = Tensor.MaxPool2d(x, [2]).ToFloatArray();
        Assert.Equal(float.NegativeInfinity, y[0]);
        Assert.True(float.IsNaN(y[1]));
        Assert.Equal(5f, y[2]);
        Assert.Equal(BitConverter.SingleToInt32Bits(0f), BitConverter.SingleToInt32Bits(y[3]));

        // A padded window of -inf values is -inf: the padding is not a value.
        var padded = Tensor.MaxPool2d(Tensor.Full([1, 1, 2, 2], double.NegativeInfinity), [3], [1], [1]).ToFloatArray();
        Assert.All(padded, v => Assert.Equal(float.NegativeInfinity, v));

        // The average of a window holding NaN or both infinities is NaN; of -inf values, -inf.
        var avg = Tensor.AvgPool2d(x, [2]).ToFloatArray();
        Assert.Equal(float.NegativeInfinity, avg[0]);
        Assert.True(float.IsNaN(avg[1]));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Signed_zeros_and_NaNs_pool_alike_in_the_vector_columns_and_the_reference(int stride)
    {
        // Zeros of both signs, a few negative values and NaNs with payloads, over rows wide enough for 8-column blocks.
        var data = new float[2 * 5 * 50];
        for (int i = 0; i < data.Length; i++)
        {
            int r = (int)(((ulong)i * 2654435761UL) % 23UL);
            data[i] = r switch
            {
                < 9 => -0f,
                < 18 => 0f,
                < 21 => -1f - r,
                22 => BitConverter.Int32BitsToSingle(unchecked((int)0xFFC00123)),
                _ => BitConverter.Int32BitsToSingle(0x7FC00456),
            };
        }

        string Run(Backends.Backend backend)
        {
            using var scope = Settings.UseBackend(backend);
            var x = Tensor.FromArray(data, [1, 2, 5, 50]);
            var max = Tensor.MaxPool2d(x, [3], [stride], [1]);
            var avg = Tensor.AvgPool2d(x, [3], [stride], [1], countIncludePad: false);
            return Convert.ToHexString(max.ToBytes(canonicalNaN: true)) + "/" + Convert.ToHexString(avg.ToBytes(canonicalNaN: true));
        }

        Assert.Equal(Run(Backends.ReferenceBackend.Instance), Run(Backends.ManagedBackend.Instance));
    }

    [Fact]
    public void Max_gradient_goes_to_the_first_maximum_in_window_order()
    {
        float nan = float.NaN;
        var x = Tensor.FromArray(new[] { 1f, 3f, -0f, 0f, 3f, 2f, 0f, -0f, 1f, nan, 4f, 4f, 5f, nan, 4f, 4f }, [1, 1, 4, 4]).RequireGrad();
        Tensor.MaxPool2d(x, [2]).Backward(Tensor.FromArray(new[] { 10f, 20f, 30f, 40f }, [1, 1, 2, 2]));
        var g = x.Grad!.ToFloatArray();
        Assert.Equal(new[] { 0f, 10f, 0f, 20f, 0f, 0f, 0f, 0f, 0f, 30f, 40f, 0f, 0f, 0f, 0f, 0f }, g);

        // Overlapping windows (3x3, stride 1): the centre is every window's maximum and takes the sum, in output order.
        var y = Tensor.FromArray(new[] { 0f, 0f, 0f, 0f, 9f, 0f, 0f, 0f, 0f }, [1, 1, 3, 3]).RequireGrad();
        Tensor.MaxPool2d(y, [3], [1], [1]).Backward(Tensor.Full([1, 1, 3, 3], 0.1));
        float expected = 0f;
        for (int i = 0; i < 9; i++)
        {
            expected += 0.1f;
        }

        Assert.Equal(expected, y.Grad!.ToFloatArray()[4]);
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Gradients_match_the_compositions_and_finite_differences(int[] shape, int[] k, int[] s, int[] pads, int[] d, int[] countPads)
    {
        // float64, distinct values (no ties): the compositions route the same terms, in another order.
        var data = OpSuite.Input(shape, 14, dtype: DType.Float64);
        foreach (bool max in new[] { true, false })
        {
            var x = data.Detach().RequireGrad();
            var y = max ? OpCore.MaxPool2d(x, k, s, pads, d) : OpCore.AvgPool2d(x, k, s, pads, d, countPads);
            var dy = OpSuite.Input([.. y.Shape], 15, dtype: DType.Float64);
            y.Backward(dy);

            var xc = data.Detach().RequireGrad();
            var stacked = Stacked(xc, k, s, pads, d, max ? double.NegativeInfinity : 0.0);
            var g = Backends.PoolGeometry.Create("test", [.. shape], k, s, pads, d, countPads);
            var counts = new double[g.OH * g.OW];
            for (int i = 0; i < counts.Length; i++)
            {
                counts[i] = g.Count(i / g.OW, i % g.OW);
            }

            var yc = max ? stacked.Max(2) : stacked.Sum(2).Div(Tensor.FromArray(counts, [g.OH, g.OW]));
            yc.Backward(dy);
            var a = x.Grad!.ToDoubleArray();
            var b = xc.Grad!.ToDoubleArray();
            for (int i = 0; i < a.Length; i++)
            {
                Assert.True(Math.Abs(a[i] - b[i]) <= 1e-12 * (1 + Math.Abs(b[i])), $"{(max ? "max" : "avg")} dx[{i}]: {a[i]} vs {b[i]}");
            }

            if (!max)
            {
                // Finite differences of sum(dy * avg(x)) at a few cells: avg is linear, so they are exact up to rounding.
                var xs = data.ToDoubleArray();
                foreach (int i in new[] { 0, xs.Length / 3, xs.Length - 1 })
                {
                    double Loss(double delta)
                    {
                        var copy = (double[])xs.Clone();
                        copy[i] += delta;
                        return OpCore.AvgPool2d(Tensor.FromArray(copy, shape), k, s, pads, d, countPads).Mul(dy).Sum().ToDoubleArray()[0];
                    }

                    double fd = (Loss(1e-3) - Loss(-1e-3)) / 2e-3;
                    Assert.True(Math.Abs(fd - a[i]) < 1e-8, $"avg dx[{i}]: {a[i]} vs finite difference {fd}");
                }
            }
        }
    }

    [Fact]
    public void Pooling_is_identical_on_1_2_3_7_16_threads()
    {
        var x = Tensor.Randn([4, 16, 30, 30], new Generator(16));
        var dy = Tensor.Randn([4, 16, 15, 15], new Generator(17));
        var hashes = new HashSet<string>();
        foreach (int t in new[] { 1, 2, 3, 7, 16 })
        {
            using (Settings.UseThreads(t))
            using (Parallelism.UseMinUnitsPerThread(64))
            {
                hashes.Add(string.Join("/", Tensor.MaxPool2d(x, [3], [2], [1]).ContentHash(), Tensor.AvgPool2d(x, [3], [2], [1], countIncludePad: false).ContentHash(),
                    OpCore.MaxPool2dGrad(dy, x, [3, 3], [2, 2], [1, 1, 1, 1], [1, 1]).ContentHash(), OpCore.AvgPool2dGrad(dy, [4, 16, 30, 30], [3, 3], [2, 2], [1, 1, 1, 1], [1, 1], [0, 0, 0, 0]).ContentHash()));
            }
        }

        Assert.Single(hashes);
    }

    [Fact]
    public void A_sample_pools_to_the_same_bits_alone_and_in_a_batch_of_4()
    {
        var batch = Tensor.Randn([4, 3, 13, 12], new Generator(18));
        var dyBatch = Tensor.Randn([4, 3, 7, 6], new Generator(19));
        var x = batch.Slice(0, 2, 3).Contiguous();
        var dy = dyBatch.Slice(0, 2, 3).Contiguous();
        Func<Tensor, Tensor, Tensor>[] ops =
        [
            (t, _) => Tensor.MaxPool2d(t, [3], [2], [1]),
            (t, _) => Tensor.AvgPool2d(t, [3], [2], [1], countIncludePad: false),
            (t, g) => OpCore.MaxPool2dGrad(g, t, [3, 3], [2, 2], [1, 1, 1, 1], [1, 1]),
            (t, g) => OpCore.AvgPool2dGrad(g, [.. t.Shape], [3, 3], [2, 2], [1, 1, 1, 1], [1, 1], [1, 1, 1, 1]),
        ];
        foreach (var op in ops)
        {
            Assert.Equal(TestUtil.Fingerprint(op(x, dy)), TestUtil.Fingerprint(op(batch, dyBatch).Slice(0, 2, 3).Contiguous()));
        }
    }

    [Fact]
    public void Ceil_mode_shapes_follow_the_PyTorch_rule()
    {
        Assert.Equal([1, 1, 4, 4], Tensor.MaxPool2d(Tensor.Zeros([1, 1, 8, 8]), [3], [2], ceilMode: true).Shape.ToArray());
        Assert.Equal([1, 1, 3, 3], Tensor.MaxPool2d(Tensor.Zeros([1, 1, 8, 8]), [3], [2]).Shape.ToArray());
        Assert.Equal([1, 1, 5, 5], Tensor.MaxPool2d(Tensor.Zeros([1, 1, 8, 8]), [3], [2], [1], ceilMode: true).Shape.ToArray());

        // The last window would start in the end padding: dropped.
        Assert.Equal([1, 1, 3, 3], Tensor.AvgPool2d(Tensor.Zeros([1, 1, 5, 5]), [2], [2], [1], ceilMode: true).Shape.ToArray());

        // The ceil extra is not counted with count_include_pad: the last window row (rows 7, 8, 9 of 8) holds one input
        // row, one declared padding row (counted) and one extra row (not counted).
        var y = Tensor.AvgPool2d(Tensor.Full([1, 1, 8, 8], 1.0), [3], [2], [1], ceilMode: true, countIncludePad: true).ToFloatArray();
        Assert.Equal(25, y.Length);
        Assert.Equal(4f / 9f, y[0]);
        Assert.Equal(3f / 6f, y[21]);
        Assert.Equal(1f / 4f, y[24]);
    }

    [Fact]
    public void Bad_geometry_is_a_clear_error()
    {
        var x = Tensor.Zeros([1, 1, 4, 4]);
        var e = Assert.Throws<ArgumentException>(() => Tensor.MaxPool2d(x, [2], [1], [2]));
        Assert.Contains("wholly in the padding", e.Message, StringComparison.Ordinal);
        Assert.Contains("max_pool2d", e.Message, StringComparison.Ordinal);
        var big = Assert.Throws<ShapeException>(() => Tensor.AvgPool2d(x, [5]));
        Assert.Contains("does not fit", big.Message, StringComparison.Ordinal);
        Assert.Throws<DTypeException>(() => Tensor.MaxPool2d(Tensor.Arange(16).Reshape([1, 1, 4, 4]), [2]));
        Assert.Throws<ShapeException>(() => Tensor.MaxPool2d(Tensor.Zeros([4, 4]), [2]));
        Assert.Throws<ArgumentException>(() => Tensor.MaxPool2d(x, [0]));
        Assert.Throws<ArgumentException>(() => OpCore.AvgPool2d(x, [2, 2], [1, 1], [1, 1, 1, 1], [1, 1], [2, 0, 0, 0]));

        // A window as big as the padded input is fine: one output.
        Assert.Equal([1, 1, 1, 1], Tensor.AvgPool2d(x, [5], [1], [0, 0, 1, 1]).Shape.ToArray());
    }

    /// <summary>The old composition's windows: x padded with <paramref name="padValue"/>, k*k strided views stacked on axis 2.</summary>
    private static Tensor Stacked(Tensor x, int[] k, int[] s, int[] pads, int[] d, double padValue)
    {
        var g = Backends.PoolGeometry.Create("test", [.. x.Shape], k, s, pads, d, [0, 0, 0, 0]);
        var p = pads.Any(v => v > 0) ? x.Pad([0, 0, 0, 0, pads[0], pads[2], pads[1], pads[3]], padValue) : x;
        var views = new List<Tensor>();
        for (int ki = 0; ki < k[0]; ki++)
        {
            var rows = p.Slice(2, ki * d[0], (ki * d[0]) + (s[0] * (g.OH - 1)) + 1, s[0]);
            for (int kj = 0; kj < k[1]; kj++)
            {
                views.Add(rows.Slice(3, kj * d[1], (kj * d[1]) + (s[1] * (g.OW - 1)) + 1, s[1]));
            }
        }

        return Tensor.Stack([.. views], 2);
    }
}
