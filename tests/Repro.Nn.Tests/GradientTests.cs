using Repro.Engine;

namespace Repro.Nn.Tests;

/// <summary>Each primitive's backward rule against float64 central differences (tolerances in <see cref="GradCheck"/>).</summary>
public class GradientTests
{
    private static Tensor In(params int[] shape) => GradCheck.Input(shape, (ulong)shape.Sum() + 7);

    private static Tensor Positive(params int[] shape) => GradCheck.Input(shape, 3, 0.5, 3.0);

    [Theory]
    [InlineData("neg")]
    [InlineData("abs")]
    [InlineData("exp")]
    [InlineData("tanh")]
    [InlineData("sigmoid")]
    [InlineData("relu")]
    [InlineData("gelu")]
    [InlineData("erf")]
    [InlineData("softplus")]
    [InlineData("sin")]
    [InlineData("cos")]
    public void Unary_matches_finite_differences(string op)
    {
        Func<Tensor, Tensor> f = op switch
        {
            "neg" => x => -x,
            "abs" => x => x.Abs(),
            "exp" => x => x.Exp(),
            "tanh" => x => x.Tanh(),
            "sigmoid" => x => x.Sigmoid(),
            "relu" => x => x.Relu(),
            "gelu" => x => x.Gelu(),
            "erf" => x => x.Erf(),
            "softplus" => x => x.Softplus(),
            "sin" => x => x.Sin(),
            _ => x => x.Cos(),
        };
        GradCheck.Check(a => f(a[0]), In(3, 4));
    }

    [Theory]
    [InlineData("log")]
    [InlineData("sqrt")]
    [InlineData("rsqrt")]
    public void Unary_on_positive_inputs_matches_finite_differences(string op)
    {
        Func<Tensor, Tensor> f = op switch
        {
            "log" => x => x.Log(),
            "sqrt" => x => x.Sqrt(),
            _ => x => x.Rsqrt(),
        };
        GradCheck.Check(a => f(a[0]), Positive(2, 5));
    }

    [Theory]
    [InlineData("add")]
    [InlineData("sub")]
    [InlineData("mul")]
    [InlineData("div")]
    [InlineData("maximum")]
    [InlineData("minimum")]
    public void Binary_with_broadcasting_matches_finite_differences(string op)
    {
        Func<Tensor, Tensor, Tensor> f = op switch
        {
            "add" => (a, b) => a + b,
            "sub" => (a, b) => a - b,
            "mul" => (a, b) => a * b,
            "div" => (a, b) => a / b,
            "maximum" => (a, b) => a.Maximum(b),
            _ => (a, b) => a.Minimum(b),
        };

        // b broadcasts along the first axis and from a missing leading axis; its values stay away from zero.
        var b = op == "div" ? Positive(4) : GradCheck.Input([3, 1, 4], 99);
        GradCheck.Check(x => f(x[0], x[1]), GradCheck.Input([2, 3, 5, 4], 5), b);
    }

    [Fact]
    public void Pow_matches_finite_differences_for_base_and_exponent()
    {
        GradCheck.Check(x => x[0].Pow(x[1]), Positive(3, 4), GradCheck.Input([4], 8, -1.5, 1.5));
    }

    [Fact]
    public void Where_sends_gradients_to_the_chosen_side()
    {
        var cond = GradCheck.Input([3, 4], 17).Gt(0.0);
        GradCheck.Check(x => Tensor.Where(cond, x[0], x[1]), In(3, 4), In(1, 4));
    }

    [Theory]
    [InlineData(new[] { 1 }, false)]
    [InlineData(new[] { 0, 2 }, true)]
    [InlineData(new int[0], false)]
    public void Sum_matches_finite_differences(int[] axes, bool keepdim)
    {
        GradCheck.Check(x => x[0].Sum(axes.Length == 0 ? null : axes, keepdim), In(2, 3, 4));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Max_and_min_match_finite_differences(bool max)
    {
        GradCheck.Check(x => max ? x[0].Max(1) : x[0].Min([0, 2], keepdim: true), In(3, 5, 2));
    }

    [Fact]
    public void Max_splits_the_gradient_between_ties()
    {
        var x = Tensor.FromArray(new[] { 1.0, 3.0, 3.0, 2.0 }, [4]).RequireGrad();
        x.Max().Backward();
        Assert.Equal(new[] { 0.0, 0.5, 0.5, 0.0 }, x.Grad!.ToDoubleArray());
    }

    [Theory]
    [InlineData(new[] { 3, 4 }, new[] { 4, 5 })]
    [InlineData(new[] { 2, 3, 4 }, new[] { 4, 5 })]
    [InlineData(new[] { 3, 4 }, new[] { 2, 4, 5 })]
    [InlineData(new[] { 4 }, new[] { 4, 5 })]
    [InlineData(new[] { 3, 4 }, new[] { 4 })]
    [InlineData(new[] { 4 }, new[] { 4 })]
    public void MatMul_matches_finite_differences(int[] a, int[] b)
    {
        GradCheck.Check(x => x[0].MatMul(x[1]), GradCheck.Input(a, 21), GradCheck.Input(b, 22));
    }

    [Fact]
    public void Views_match_finite_differences()
    {
        GradCheck.Check(x => x[0].Reshape([4, 6]), In(2, 3, 4));
        GradCheck.Check(x => x[0].Permute([2, 0, 1]), In(2, 3, 4));
        GradCheck.Check(x => x[0].Expand([3, 2, 4]), In(2, 1));
        GradCheck.Check(x => x[0].Transpose().Contiguous(), In(2, 3));
        GradCheck.Check(x => x[0].Unsqueeze(1).Squeeze(1), In(2, 3));
    }

    [Theory]
    [InlineData(1, 1, 4, 1)]
    [InlineData(1, 0, 7, 2)]
    [InlineData(0, 1, 3, 3)]
    public void Slice_matches_finite_differences(int axis, int start, int end, int step)
    {
        GradCheck.Check(x => x[0].Slice(axis, start, end, step), In(4, 7));
    }

    [Fact]
    public void Concat_pad_and_stack_match_finite_differences()
    {
        GradCheck.Check(x => Tensor.Concat([x[0], x[1]], 1), In(2, 3), In(2, 2));
        GradCheck.Check(x => x[0].Pad([1, 0, 2, 1], 0.5), In(2, 3));
        GradCheck.Check(x => Tensor.Stack([x[0], x[1]], 0), In(2, 3), In(3, 2).Transpose());
    }

    [Fact]
    public void Indexing_matches_finite_differences()
    {
        var index = Tensor.FromArray(new[] { 2, 0, 2, 1 }, [4]);
        GradCheck.Check(x => x[0].IndexSelect(0, index), In(3, 2));
        GradCheck.Check(x => x[0].IndexAdd(1, index, x[1]), In(2, 3), In(2, 4));
        var scatter = Tensor.FromArray(new[] { 1, 0, 1, 2, 2, 0 }, [2, 3]);
        GradCheck.Check(x => x[0].ScatterAdd(1, scatter, x[1]), In(2, 4), In(2, 3));
    }

    [Fact]
    public void Cast_passes_the_gradient_back_in_the_input_dtype()
    {
        var x = Tensor.FromArray(new[] { 1.0, -2.0, 3.0 }, [3]).RequireGrad();
        var y = x.To(DType.Float32) * Tensor.FromArray(new[] { 2f, 3f, 4f }, [3]);
        y.Sum().Backward();
        Assert.Equal(DType.Float64, x.Grad!.DType);
        Assert.Equal(new[] { 2.0, 3.0, 4.0 }, x.Grad.ToDoubleArray());
    }

    [Fact]
    public void Composites_match_finite_differences()
    {
        GradCheck.Check(x => x[0].Softmax(-1), In(3, 4));
        GradCheck.Check(x => x[0].LogSoftmax(-1), In(3, 4));
        GradCheck.Check(x => x[0].LogSumExp(0), In(3, 4));
        GradCheck.Check(x => x[0].Mean(1), In(3, 4));
        GradCheck.Check(x => x[0].Var([1]), In(3, 4));
        GradCheck.Check(x => x[0].Clamp(-0.5, 0.7), In(3, 4));
    }

    [Fact]
    public void Losses_match_finite_differences()
    {
        var labels = Tensor.FromArray(new[] { 1, 0, 3 }, [3]);
        GradCheck.Check(x => Losses.CrossEntropy(x[0], labels), In(3, 4));
        var targets = Tensor.FromArray(new[] { 1.0, 0.0, 1.0, 0.0, 0.5, 1.0 }, [2, 3]);
        GradCheck.Check(x => Losses.BinaryCrossEntropyWithLogits(x[0], targets), In(2, 3));
        GradCheck.Check(x => Losses.Mse(x[0], targets), In(2, 3));
    }
}
