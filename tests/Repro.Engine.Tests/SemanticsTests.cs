using Repro.Engine;
using Repro.Engine.Backends;

namespace Repro.Engine.Tests;

public class ViewAndBroadcastTests
{
    private static Tensor M23 => Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);

    [Fact]
    public void Transpose_is_a_view_with_swapped_strides()
    {
        var t = M23.Transpose();
        Assert.Equal([3, 2], t.Shape);
        Assert.Equal([1, 3], t.Strides);
        Assert.False(t.IsContiguous);
        Assert.Equal(new float[] { 1, 4, 2, 5, 3, 6 }, t.ToFloatArray());
    }

    [Fact]
    public void Slice_with_step_and_negative_bounds()
    {
        var x = Tensor.Arange(10, DType.Float32);
        Assert.Equal(new float[] { 1, 4, 7 }, x.Slice(0, 1, 9, 3).ToFloatArray());
        Assert.Equal(new float[] { 7, 8 }, x.Slice(0, -3, -1).ToFloatArray());
        Assert.Empty(x.Slice(0, 5, 2).ToFloatArray());
        Assert.Equal(new float[] { 2, 5 }, M23.Slice(1, 1, 2).ToFloatArray());
    }

    [Fact]
    public void Reshape_of_a_non_contiguous_view_copies_in_row_major_order()
    {
        var t = M23.Transpose().Reshape([-1]);
        Assert.Equal(new float[] { 1, 4, 2, 5, 3, 6 }, t.ToFloatArray());
        Assert.Equal([6], t.Shape);
    }

    [Fact]
    public void Expand_uses_zero_strides_and_broadcast_add_matches_hand_computation()
    {
        var col = Tensor.FromArray(new float[] { 10, 20 }, [2, 1]);
        var e = col.Expand([2, 3]);
        Assert.Equal([1, 0], e.Strides);
        var sum = M23 + col;
        Assert.Equal(new float[] { 11, 12, 13, 24, 25, 26 }, sum.ToFloatArray());
        var row = Tensor.FromArray(new float[] { 100, 200, 300 }, [3]);
        Assert.Equal(new float[] { 101, 202, 303, 104, 205, 306 }, (M23 + row).ToFloatArray());
    }

    [Fact]
    public void Unsqueeze_squeeze_flatten_permute()
    {
        var x = Tensor.Arange(24, DType.Float32).Reshape([2, 3, 4]);
        Assert.Equal([2, 1, 3, 4], x.Unsqueeze(1).Shape);
        Assert.Equal([2, 3, 4], x.Unsqueeze(1).Squeeze(1).Shape);
        Assert.Equal([6, 4], x.Flatten(0, 1).Shape);
        var p = x.Permute([2, 0, 1]);
        Assert.Equal([4, 2, 3], p.Shape);
        Assert.Equal(13f, p.Contiguous().ToFloatArray()[(1 * 6) + (1 * 3) + 0]);
    }

    [Fact]
    public void Concat_stack_pad_index_ops_match_hand_computation()
    {
        var a = Tensor.FromArray(new float[] { 1, 2 }, [1, 2]);
        var b = Tensor.FromArray(new float[] { 3, 4, 5, 6 }, [2, 2]);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, Tensor.Concat([a, b]).ToFloatArray());
        Assert.Equal([2, 1, 2], Tensor.Stack([a, a]).Shape);
        Assert.Equal(new float[] { 0, 1, 2, 0 }, a.Pad([0, 0, 1, 1]).ToFloatArray());
        var idx = Tensor.FromArray(new[] { 1, 1, 0 }, [3]);
        Assert.Equal(new float[] { 5, 6, 5, 6, 3, 4 }, b.IndexSelect(0, idx).ToFloatArray());
        var added = Tensor.Zeros([2, 2]).IndexAdd(0, idx, Tensor.FromArray(new float[] { 1, 1, 2, 2, 3, 3 }, [3, 2]));
        Assert.Equal(new float[] { 3, 3, 3, 3 }, added.ToFloatArray());
        var sc = Tensor.Zeros([1, 3]).ScatterAdd(1, Tensor.FromArray(new[] { 2, 0, 2 }, [1, 3]), Tensor.FromArray(new float[] { 1, 2, 4 }, [1, 3]));
        Assert.Equal(new float[] { 2, 0, 5 }, sc.ToFloatArray());
        Assert.Equal(new float[] { 0, 1, 0, 1, 0, 0 }, Tensor.OneHot(Tensor.FromArray(new[] { 1, 0 }, [2]), 3).ToFloatArray());
    }

    [Fact]
    public void Reductions_over_axis_sets_with_keepdim()
    {
        var x = Tensor.Arange(24, DType.Float32).Reshape([2, 3, 4]);
        var s = x.Sum([0, 2], keepdim: true);
        Assert.Equal([1, 3, 1], s.Shape);
        Assert.Equal(new float[] { 0 + 1 + 2 + 3 + 12 + 13 + 14 + 15, 4 + 5 + 6 + 7 + 16 + 17 + 18 + 19, 8 + 9 + 10 + 11 + 20 + 21 + 22 + 23 }, s.ToFloatArray());
        Assert.Equal(new float[] { 23 }, x.Max().Reshape([1]).ToFloatArray());
        Assert.Equal(new[] { 3, 3 }, x.Sum(1).ArgMax(1).ToIntArray());
        Assert.Equal(new float[] { 1.25f }, Tensor.FromArray(new float[] { 1, 2, 3, 4 }, [4]).Var([0], correction: 0).Reshape([1]).ToFloatArray());
    }
}

public class ScalarSemanticsTests
{
    [Fact]
    public void Max_and_min_propagate_NaN_and_order_signed_zeros()
    {
        Assert.True(float.IsNaN(ScalarOps.Max(1f, float.NaN)));
        Assert.True(float.IsNaN(ScalarOps.Min(float.NaN, 1f)));
        Assert.False(float.IsNegative(ScalarOps.Max(-0f, 0f)));
        Assert.False(float.IsNegative(ScalarOps.Max(0f, -0f)));
        Assert.True(float.IsNegative(ScalarOps.Min(0f, -0f)));
        var t = Tensor.FromArray(new float[] { 1, float.NaN, 3 }, [3]);
        Assert.True(double.IsNaN(t.Max().Item()));
        Assert.Equal(1, t.ArgMax(0).ToIntArray()[0]);
    }

    [Fact]
    public void Argmax_takes_the_first_of_ties()
    {
        Assert.Equal(1, Tensor.FromArray(new float[] { 0, 5, 5, 1 }, [4]).ArgMax(0).ToIntArray()[0]);
        Assert.Equal(0, Tensor.FromArray(new float[] { -1, 5, -1 }, [3]).ArgMin(0).ToIntArray()[0]);
    }

    [Fact]
    public void Relu_keeps_NaN_and_clears_negative_zero()
    {
        var r = Tensor.FromArray(new float[] { float.NaN, -0f, -2f, 3f }, [4]).Relu().ToFloatArray();
        Assert.True(float.IsNaN(r[0]));
        Assert.Equal(0u, BitConverter.SingleToUInt32Bits(r[1]));
        Assert.Equal(new float[] { 0, 3 }, r[2..]);
    }

    [Fact]
    public void Softplus_matches_log1p_exp_without_overflow_and_keeps_the_edges()
    {
        // Reference values: log(1 + e^x) of each float32 input in 50-digit decimal (Python's decimal module), rounded to float32.
        float[] x = [-100f, -20f, -1f, 0f, 1e-8f, 1f, 20f, 100f, 1e30f, float.NegativeInfinity, float.PositiveInfinity, float.NaN];
        float[] want = [3.783505853677006e-44f, 2.06115369216775e-09f, 0.3132616877555847f, 0.6931471824645996f, 0.6931471824645996f, 1.31326162815094f, 20f, 100f, 1e30f, 0f, float.PositiveInfinity, float.NaN];
        var got = Tensor.FromArray(x, [x.Length]).Softplus().ToFloatArray();
        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(BitConverter.SingleToUInt32Bits(want[i]) == BitConverter.SingleToUInt32Bits(got[i]) || (float.IsNaN(want[i]) && float.IsNaN(got[i])), $"softplus({x[i]}) = {got[i]:R}, expected {want[i]:R}");
        }

        // float64: e^x would overflow at 710; the written form does not.
        var d = Tensor.FromArray(new double[] { 800.0, -800.0 }, [2]).Softplus().ToDoubleArray();
        Assert.Equal(800.0, d[0]);
        Assert.Equal(0.0, d[1]);
    }

    [Fact]
    public void Casts_truncate_saturate_and_round_to_nearest_even()
    {
        var f = Tensor.FromArray(new float[] { 2.9f, -2.9f, float.NaN, 3e9f, -3e9f }, [5]);
        Assert.Equal(new[] { 2, -2, 0, int.MaxValue, int.MinValue }, f.To(DType.Int32).ToIntArray());
        // 1 + 2^-8 is halfway between two bfloat16 values (1 and 1 + 2^-7): ties go to even (1).
        var bf = Tensor.FromArray(new float[] { 1f + (1f / 256f), 1f + (3f / 256f) }, [2], DType.BFloat16);
        Assert.Equal(new float[] { 1f, 1f + (4f / 256f) }, bf.ToFloatArray());
    }

    [Fact]
    public void Integer_division_by_zero_is_an_error_naming_the_op()
    {
        var ex = Assert.Throws<DivideByZeroException>(() => Tensor.Arange(3).Div(Tensor.Zeros([3], DType.Int32)));
        Assert.Contains("div", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Low_precision_ops_compute_in_float32_and_round_once()
    {
        var a = OpSuite.Input([100], 1, 3, dtype: DType.BFloat16);
        var b = OpSuite.Input([100], 2, 3, dtype: DType.BFloat16);
        var prod = a * b;
        var expected = (a.To(DType.Float32) * b.To(DType.Float32)).To(DType.BFloat16);
        Assert.Equal(TestUtil.Fingerprint(expected), TestUtil.Fingerprint(prod));
        var s = OpSuite.Input([3000], 3, dtype: DType.Float16).Sum();
        var s32 = OpSuite.Input([3000], 3, dtype: DType.Float16).To(DType.Float32).Sum().To(DType.Float16);
        Assert.Equal(TestUtil.Fingerprint(s32), TestUtil.Fingerprint(s));
    }
}

public class CanonicalOrderTests
{
    [Fact]
    public void Pairwise_tree_of_eight_is_the_documented_shape()
    {
        // Values chosen so that every association gives a different float result.
        Span<float> v = [1e8f, 1f, -1e8f, 1f, 3f, 1e-3f, 7f, -5f];
        float p01 = 1e8f + 1f;
        float p23 = -1e8f + 1f;
        float p45 = 3f + 1e-3f;
        float p67 = 7f + -5f;
        float left = p01 + p23;
        float right = p45 + p67;
        float expected = left + right;
        Assert.Equal(expected, Canonical.PairwiseTree(v));
    }

    [Fact]
    public void Unrolled_32_lane_tree_matches_the_generic_tree()
    {
        var g = Tensor.Randn([32 * 200], new Generator(9)).ToFloatArray();
        for (int k = 0; k < 200; k++)
        {
            var lanes = g.AsSpan(k * 32, 32).ToArray();
            for (int i = 0; i < 32; i += 5)
            {
                lanes[i] *= 1e7f;
            }

            float unrolled = Canonical.Tree32(lanes);
            float generic = Canonical.PairwiseTree<float>(lanes);
            Assert.Equal(BitConverter.SingleToInt32Bits(generic), BitConverter.SingleToInt32Bits(unrolled));
        }

        Assert.Throws<ArgumentException>(() => Canonical.Tree32(new float[31]));
    }

    [Fact]
    public void Sum_follows_the_chunk_and_lane_order_not_a_sequential_loop()
    {
        var data = new float[3000];
        var g = Tensor.Randn([3000], new Generator(3)).ToFloatArray();
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = g[i] * (i % 97 == 0 ? 1e7f : 1f);
        }

        // Independent restatement of the canonical order.
        var partials = new List<float>();
        for (int c = 0; c < data.Length; c += 1024)
        {
            var lanes = new float[32];
            for (int i = c; i < Math.Min(c + 1024, data.Length); i++)
            {
                lanes[(i - c) % 32] += data[i];
            }

            partials.Add(Canonical.PairwiseTree<float>(lanes));
        }

        float canonical = Canonical.PairwiseTree<float>(partials.ToArray());
        float sequential = 0f;
        foreach (var v in data)
        {
            sequential += v;
        }

        float engine = (float)Tensor.FromArray(data, [3000]).Sum().Item();
        Assert.Equal(BitConverter.SingleToInt32Bits(canonical), BitConverter.SingleToInt32Bits(engine));
        Assert.NotEqual(BitConverter.SingleToInt32Bits(sequential), BitConverter.SingleToInt32Bits(engine));
    }

    [Fact]
    public void Matmul_is_a_sequential_fused_multiply_add_over_k()
    {
        var a = Tensor.Randn([5, 40], new Generator(4)).ToFloatArray();
        var b = Tensor.Randn([40, 3], new Generator(5)).ToFloatArray();
        var y = Tensor.MatMul(Tensor.FromArray(a, [5, 40]), Tensor.FromArray(b, [40, 3])).ToFloatArray();
        for (int i = 0; i < 5; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                float acc = 0f;
                for (int k = 0; k < 40; k++)
                {
                    acc = MathF.FusedMultiplyAdd(a[(i * 40) + k], b[(k * 3) + j], acc);
                }

                Assert.Equal(BitConverter.SingleToInt32Bits(acc), BitConverter.SingleToInt32Bits(y[(i * 3) + j]));
            }
        }
    }

    [Fact]
    public void Random_values_depend_only_on_seed_stream_and_index()
    {
        var small = Tensor.Rand([10], new Generator(42));
        var large = Tensor.Rand([1000], new Generator(42));
        Assert.Equal(small.ToFloatArray(), large.Slice(0, 0, 10).ToFloatArray());
        var g = new Generator(42);
        _ = Tensor.Rand([3], g);
        Assert.NotEqual(small.ToFloatArray(), Tensor.Rand([10], g).ToFloatArray());
        Assert.NotEqual(small.ToFloatArray(), Tensor.Rand([10], new Generator(43)).ToFloatArray());
        var mask32 = Tensor.Bernoulli([4000], 0.9, new Generator(5)).ToFloatArray();
        var mask16 = Tensor.Bernoulli([4000], 0.9, new Generator(5), DType.BFloat16).ToFloatArray();
        Assert.Equal(mask32, mask16);
        Assert.InRange(mask32.Sum(), 3500, 3700);
        var perm = Tensor.Permutation(50, new Generator(1)).ToIntArray();
        Assert.Equal(Enumerable.Range(0, 50), perm.Order());
    }
}

public class ErrorMessageTests
{
    [Fact]
    public void Matmul_names_both_shapes()
    {
        var ex = Assert.Throws<ShapeException>(() => Tensor.MatMul(Tensor.Zeros([2, 3]), Tensor.Zeros([4, 5])));
        Assert.Equal("matmul: expected a[.., K] and b[K, ..] with equal K, got [2, 3] and [4, 5]", ex.Message);
    }

    [Fact]
    public void Broadcast_failure_names_shapes_and_axis()
    {
        var ex = Assert.Throws<ShapeException>(() => Tensor.Zeros([2, 3]) + Tensor.Zeros([4]));
        Assert.Contains("[2, 3] and [4]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dtype_mismatch_axis_and_unknown_dtype_are_named()
    {
        var d = Assert.Throws<DTypeException>(() => Tensor.Zeros([2]) + Tensor.Zeros([2], DType.Float64));
        Assert.Contains("float32 and float64", d.Message, StringComparison.Ordinal);
        var a = Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Zeros([2, 3]).Sum(5));
        Assert.Contains("axis 5", a.Message, StringComparison.Ordinal);
        var u = Assert.Throws<ArgumentException>(() => DTypes.Parse("float8"));
        Assert.Contains("'float8'", u.Message, StringComparison.Ordinal);
        var e = Assert.Throws<DTypeException>(() => Tensor.Arange(3).Exp());
        Assert.Contains("exp", e.Message, StringComparison.Ordinal);
        var r = Assert.Throws<ShapeException>(() => Tensor.Zeros([2, 3]).Reshape([4, 2]));
        Assert.Contains("[4, 2]", r.Message, StringComparison.Ordinal);
        var i = Assert.Throws<IndexOutOfRangeException>(() => Tensor.Zeros([3]).IndexSelect(0, Tensor.FromArray(new[] { 0, 3 }, [2])));
        Assert.Contains("index 3", i.Message, StringComparison.Ordinal);
    }
}
