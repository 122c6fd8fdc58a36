using Repro.Engine;

namespace Repro.Nn.Tests;

public class LayerTests
{
    [Fact]
    public void Linear_names_the_expected_and_actual_shapes()
    {
        var layer = new Linear(64, 10, new Generator(1));
        var e = Assert.Throws<ShapeException>(() => layer.Forward(Tensor.Zeros([32, 10])));
        Assert.Equal("linear: expected input [.., 64], got [32, 10]", e.Message);
    }

    [Fact]
    public void Parameters_are_listed_by_name_in_registration_order()
    {
        var g = new Generator(1);
        var model = new Sequential(new Linear(4, 3, g), new ReLU(), new Linear(3, 2, g, bias: false), new LayerNorm(2));
        Assert.Equal(new[] { "0.weight", "0.bias", "2.weight", "3.weight", "3.bias" }, model.NamedParameters().Select(p => p.Key));
        Assert.Equal((4 * 3) + 3 + (3 * 2) + 2 + 2, model.ParameterCount());
    }

    [Fact]
    public void Conv2d_matches_a_direct_convolution()
    {
        var conv = new Conv2d(2, 3, 3, new Generator(4), stride: 2, padding: 1);
        conv.To(DType.Float64);
        var x = GradCheck.Input([2, 2, 5, 6], 9);
        var y = conv.Forward(x);
        Assert.Equal(new[] { 2, 3, 3, 3 }, y.Shape);
        var xv = x.ToDoubleArray();
        var w = conv.Weight.Value.ToDoubleArray();
        var b = conv.Bias!.Value.ToDoubleArray();
        var yv = y.ToDoubleArray();
        int at = 0;
        for (int n = 0; n < 2; n++)
        {
            for (int o = 0; o < 3; o++)
            {
                for (int i = 0; i < 3; i++)
                {
                    for (int j = 0; j < 3; j++)
                    {
                        double s = b[o];
                        for (int c = 0; c < 2; c++)
                        {
                            for (int ki = 0; ki < 3; ki++)
                            {
                                for (int kj = 0; kj < 3; kj++)
                                {
                                    int r = (i * 2) + ki - 1;
                                    int q = (j * 2) + kj - 1;
                                    if (r >= 0 && r < 5 && q >= 0 && q < 6)
                                    {
                                        s += w[(((o * 2) + c) * 9) + (ki * 3) + kj] * xv[(((n * 2) + c) * 30) + (r * 6) + q];
                                    }
                                }
                            }
                        }

                        Assert.Equal(s, yv[at++], 12);
                    }
                }
            }
        }
    }

    [Fact]
    public void Conv_and_pool_layers_match_finite_differences()
    {
        var conv = new Conv2d(2, 2, 3, new Generator(2), stride: 2, padding: 1);
        conv.To(DType.Float64);
        var weight = conv.Weight.Value;
        GradCheck.Check(x => conv.Forward(x[0]), GradCheck.Input([1, 2, 5, 4], 3));
        GradCheck.Check(
            x =>
            {
                conv.Weight.Value = x[0];
                return conv.Forward(GradCheck.Input([2, 2, 4, 4], 5));
            },
            weight);
        GradCheck.Check(x => new MaxPool2d(3, 2, 1).Forward(x[0]), GradCheck.Input([1, 2, 5, 5], 6));
        GradCheck.Check(x => new MaxPool2d(2).Forward(x[0]), GradCheck.Input([2, 1, 4, 4], 7));
        GradCheck.Check(x => new AvgPool2d(3, 2, 1).Forward(x[0]), GradCheck.Input([1, 2, 5, 5], 8));
    }

    [Fact]
    public void Pool_layers_record_one_pooling_op_and_reject_padding_past_half_the_kernel()
    {
        var x = Tensor.Randn([2, 3, 9, 9], new Generator(9));
        var ops = new List<string>();
        using (Dispatcher.Observe(new Names(ops)))
        {
            _ = new MaxPool2d(3, 2, 1).Forward(x);
            _ = new AvgPool2d(2).Forward(x);
        }

        Assert.Equal(["max_pool2d", "avg_pool2d"], ops);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new MaxPool2d(3, 1, 2).Forward(x));
        Assert.Contains("half the kernel", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AvgPool2d(2, 2, 2).Forward(x));
    }

    [Theory]
    [InlineData(1, 3, 4, 3, 1, 1)]
    [InlineData(2, 5, 7, 3, 2, 1)]
    [InlineData(3, 16, 8, 1, 1, 0)]
    [InlineData(2, 4, 6, 2, 2, 0)]
    [InlineData(2, 40, 30, 3, 1, 1)]
    public void Conv2d_forward_has_the_bits_of_the_im2col_matmul_formulation(int n, int cin, int cout, int k, int stride, int padding)
    {
        // The layer's former body (pad, k*k strided views stacked in (ki, kj) order, columns (c, ki, kj), one matmul,
        // then the bias), kept here as the yardstick: the conv2d op must reproduce it bit for bit.
        var conv = new Conv2d(cin, cout, k, new Generator(7), stride: stride, padding: padding);
        var x = Tensor.Randn([n, cin, 11, 9], new Generator(8));
        int ho = ((11 + (2 * padding) - k) / stride) + 1;
        int wo = ((9 + (2 * padding) - k) / stride) + 1;
        var p = padding > 0 ? x.Pad([0, 0, 0, 0, padding, padding, padding, padding]) : x;
        var views = new Tensor[k * k];
        for (int ki = 0; ki < k; ki++)
        {
            for (int kj = 0; kj < k; kj++)
            {
                views[(ki * k) + kj] = p.Slice(2, ki, ki + (stride * (ho - 1)) + 1, stride).Slice(3, kj, kj + (stride * (wo - 1)) + 1, stride);
            }
        }

        var cols = Tensor.Stack(views, 2).Permute([0, 3, 4, 1, 2]).Reshape([n * ho * wo, cin * k * k]);
        var im2col = (cols.MatMul(conv.Weight.Value.Reshape([cout, cin * k * k]).Transpose()) + conv.Bias!.Value)
            .Reshape([n, ho, wo, cout]).Permute([0, 3, 1, 2]);
        var y = conv.Forward(x);
        Assert.Equal(im2col.ShapeString, y.ShapeString);
        Assert.Equal(im2col.ContentHash(), y.ContentHash());
    }

    [Fact]
    public void Conv2d_op_with_dilation_groups_and_asymmetric_pads_matches_finite_differences()
    {
        var w = GradCheck.Input([4, 1, 3, 2], 21);
        GradCheck.Check(t => Tensor.Conv2d(t[0], t[1], null, [2, 1], [1, 0, 2, 1], [2, 1], 2), GradCheck.Input([2, 2, 7, 5], 22), w);
        GradCheck.Check(t => Tensor.Conv2d(t[0], t[1], t[2], [1], [0], [1], 1), GradCheck.Input([1, 3, 4, 4], 23), GradCheck.Input([2, 3, 1, 1], 24), GradCheck.Input([2], 25));
    }

    [Fact]
    public void LayerNorm_attention_and_embedding_match_finite_differences()
    {
        var norm = new LayerNorm(5);
        norm.To(DType.Float64);
        GradCheck.Check(x => norm.Forward(x[0]), GradCheck.Input([3, 5], 11));

        var attn = new MultiHeadSelfAttention(4, 2, new Generator(3));
        attn.To(DType.Float64);
        GradCheck.Check(x => attn.Forward(x[0]), GradCheck.Input([2, 3, 4], 12));

        var emb = new Embedding(5, 3, new Generator(4));
        emb.To(DType.Float64);
        var ids = Tensor.FromArray(new[] { 4, 1, 1, 0 }, [2, 2]);
        GradCheck.Check(
            x =>
            {
                emb.Weight.Value = x[0];
                return emb.Forward(ids);
            },
            emb.Weight.Value);
    }

    [Fact]
    public void Causal_attention_ignores_future_positions()
    {
        var block = new TransformerBlock(8, 2, new Generator(5));
        var x = Tensor.Randn([1, 4, 8], new Generator(6));
        var changed = Tensor.Concat([x.Slice(1, 0, 3), Tensor.Randn([1, 1, 8], new Generator(7))], 1);
        var a = block.Forward(x).Slice(1, 0, 3).ToFloatArray();
        var b = block.Forward(changed).Slice(1, 0, 3).ToFloatArray();
        Assert.Equal(a, b);
        Assert.NotEqual(block.Forward(x).Slice(1, 3, 4).ToFloatArray(), block.Forward(changed).Slice(1, 3, 4).ToFloatArray());
    }

    [Fact]
    public void Dropout_masks_repeat_for_a_seed_and_differ_across_seeds()
    {
        static float[] Mask(ulong seed) => new Dropout(0.3, new Generator(seed)).Forward(Tensor.Ones([1000])).ToFloatArray();

        var a = Mask(42);
        Assert.Equal(a, Mask(42));
        Assert.NotEqual(a, Mask(43));

        // Kept elements are scaled by 1 / (1 - p); about 30% are dropped.
        Assert.All(a, v => Assert.True(v == 0f || Math.Abs(v - (1 / 0.7f)) < 1e-6));
        int dropped = a.Count(v => v == 0f);
        Assert.InRange(dropped, 240, 360);

        var layer = new Dropout(0.5, new Generator(1));
        Assert.NotEqual(layer.Forward(Tensor.Ones([64])).ToFloatArray(), layer.Forward(Tensor.Ones([64])).ToFloatArray());
        layer.Eval();
        Assert.Equal(Enumerable.Repeat(1f, 64), layer.Forward(Tensor.Ones([64])).ToFloatArray());
    }

    [Fact]
    public void Initializers_are_seeded_and_scaled()
    {
        var a = Init.KaimingUniform([256, 64], 64, new Generator(3)).ToDoubleArray();
        Assert.Equal(a, Init.KaimingUniform([256, 64], 64, new Generator(3)).ToDoubleArray());
        double bound = Math.Sqrt(2.0) * Math.Sqrt(3.0 / 64);
        Assert.All(a, v => Assert.InRange(v, -bound, bound));
        var n = Init.XavierNormal([256, 64], 64, 256, new Generator(3)).ToDoubleArray();
        double std = Math.Sqrt(n.Average(v => v * v));
        Assert.InRange(std, 0.9 * Math.Sqrt(2.0 / 320), 1.1 * Math.Sqrt(2.0 / 320));
    }

    // Ops of this test's thread only: tests of other classes run at the same time.
    private sealed class Names(List<string> names) : IOpObserver
    {
        private readonly int thread = Environment.CurrentManagedThreadId;

        public bool WantsSourceLocations => false;

        public void OnOp(OpEvent e)
        {
            if (Environment.CurrentManagedThreadId == thread)
            {
                names.Add(e.Op);
            }
        }
    }
}
