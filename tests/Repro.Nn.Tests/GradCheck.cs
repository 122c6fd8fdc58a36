using Repro.Engine;

namespace Repro.Nn.Tests;

/// <summary>
/// Compares autograd's gradients with central finite differences computed in float64. The checked function is
/// L(x) = sum(f(x) * W) with a fixed random W, so every output element contributes with its own weight.
/// </summary>
internal static class GradCheck
{
    /// <summary>Step of the central difference.</summary>
    public const double H = 1e-6;

    /// <summary>Allowed |analytic - numeric| is Abs + Rel * |numeric|: the difference's truncation error is O(H^2) and
    /// its rounding error about 1e-16 / H, both far below these.</summary>
    public const double Abs = 1e-6;

    public const double Rel = 1e-5;

    public static Tensor Input(int[] shape, ulong seed, double lo = -2.0, double hi = 2.0)
    {
        var g = new Generator(seed);
        return (Tensor.Rand(shape, g, DType.Float64) * (hi - lo)) + lo;
    }

    public static void Check(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        var leaves = inputs.Select(t => t.Detach()).ToArray();
        foreach (var l in leaves)
        {
            l.RequiresGrad = true;
        }

        var y = f(leaves);
        Assert.Equal(DType.Float64, y.DType);
        var w = Tensor.Randn([.. y.Shape], new Generator(12345), DType.Float64);
        var loss = (y * w).Sum();
        loss.Backward();

        for (int i = 0; i < inputs.Length; i++)
        {
            var baseValues = inputs[i].ToDoubleArray();
            var shape = inputs[i].Shape.ToArray();
            var analytic = leaves[i].Grad?.ToDoubleArray() ?? new double[baseValues.Length];
            Assert.Equal(baseValues.Length, analytic.Length);
            for (int j = 0; j < baseValues.Length; j++)
            {
                double plus = Evaluate(f, inputs, w, i, shape, baseValues, j, +H);
                double minus = Evaluate(f, inputs, w, i, shape, baseValues, j, -H);
                double numeric = (plus - minus) / (2 * H);
                double tol = Abs + (Rel * Math.Abs(numeric));
                Assert.True(
                    Math.Abs(analytic[j] - numeric) <= tol,
                    $"input {i}, element {j}: analytic {analytic[j]:R}, numeric {numeric:R} (tolerance {tol:G3})");
            }
        }
    }

    private static double Evaluate(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor w, int which, int[] shape, double[] values, int element, double delta)
    {
        using var noGrad = Autograd.NoGrad();
        var copy = (double[])values.Clone();
        copy[element] += delta;
        var args = inputs.Select((t, k) => k == which ? Tensor.FromArray(copy, shape) : t).ToArray();
        return (f(args) * w).Sum().Item();
    }
}
