using Repro.Engine.Numerics;
using Xunit.Abstractions;

namespace Repro.Engine.Tests.Numerics;

/// <summary>
/// Max-ulp accuracy of the double overloads of <see cref="DetMath"/> on random samples. References: glibc's libm through
/// Math.* for exp, log, sin, cos and pow (correctly rounded in nearly all cases, documented below 1 ulp), and 28-digit
/// System.Decimal evaluations (<see cref="DecimalReference"/>) for expm1, log1p, tanh, sigmoid and erf. The asserted
/// bounds are what the implementation achieves on these samples (against libm the distance includes libm's own error).
/// </summary>
public sealed class DetMathDoubleAccuracyTests(ITestOutputHelper output)
{
    private void CheckAgainstLibm(string name, double[] inputs, Func<double, double> actual, Func<double, double> reference, long bound)
    {
        var (max, worst) = UlpMeasure.MaxUlp(inputs, actual, reference);
        output.WriteLine($"{name}: max {max} ulp against libm over {inputs.Length} inputs (worst input {worst:R})");
        Assert.True(max <= bound, $"{name}: {max} ulp at x = {worst:R}");
    }

    private void CheckAgainstDecimal(string name, double[] inputs, Func<double, double> actual, Func<double, decimal> reference, double bound)
    {
        double max = 0;
        double worst = 0;
        foreach (double x in inputs)
        {
            double e = DecimalReference.UlpError(actual(x), reference(x));
            if (e > max)
            {
                max = e;
                worst = x;
            }
        }

        output.WriteLine($"{name}: max {max:F3} ulp against a 28-digit reference over {inputs.Length} inputs (worst input {worst:R})");
        Assert.True(max <= bound, $"{name}: {max} ulp at x = {worst:R}");
    }

    private static double[] Concat(params double[][] parts) => [.. parts.SelectMany(p => p)];

    [Fact]
    public void Exp_Double()
    {
        double[] xs = Concat(
            UlpMeasure.Uniform(200_000, -745.2, 709.8, 1),
            UlpMeasure.LogUniform(50_000, -60, 3, true, 2));
        CheckAgainstLibm("Exp", xs, DetMath.Exp, Math.Exp, 1);
    }

    [Fact]
    public void Log_Double()
    {
        double[] xs = Concat(
            UlpMeasure.LogUniform(200_000, -1022, 1023, false, 3),
            UlpMeasure.Uniform(100_000, 0.5, 2.0, 4),
            [4.9e-324, 1e-310, 2.2e-308]);
        CheckAgainstLibm("Log", xs, DetMath.Log, Math.Log, 1);
    }

    [Fact]
    public void Sin_Cos_Double_BelowTwoPow50()
    {
        double[] xs = Concat(
            UlpMeasure.Uniform(100_000, -10, 10, 5),
            UlpMeasure.LogUniform(100_000, -30, 49, true, 6));
        CheckAgainstLibm("Sin", xs, DetMath.Sin, Math.Sin, 1);
        CheckAgainstLibm("Cos", xs, DetMath.Cos, Math.Cos, 1);
    }

    [Fact]
    public void Sin_Cos_Double_AboveTwoPow50_StayInRange()
    {
        // Documented limitation: no Payne-Hanek reduction for doubles, so results are deterministic but inaccurate here.
        foreach (double x in UlpMeasure.LogUniform(20_000, 50, 1023, true, 30))
        {
            Assert.InRange(DetMath.Sin(x), -1.0, 1.0);
            Assert.InRange(DetMath.Cos(x), -1.0, 1.0);
        }
    }

    [Fact]
    public void Pow_Double()
    {
        var random = new Random(8);
        long max = 0;
        (double X, double Y) worst = (0, 0);
        for (int i = 0; i < 150_000; i++)
        {
            double x = i % 2 == 0 ? random.NextDouble() * 4 : Math.ScaleB(1 + random.NextDouble(), random.Next(-1000, 1000));
            double l2 = Math.Log2(x);
            double y = i % 3 == 0 ? random.Next(-60, 61) : ((random.NextDouble() * 2000) - 1000) / Math.Max(Math.Abs(l2), 1.0);
            long d = UlpMeasure.UlpDistance(DetMath.Pow(x, y), Math.Pow(x, y));
            if (d > max)
            {
                max = d;
                worst = (x, y);
            }
        }

        output.WriteLine($"Pow: max {max} ulp against libm (worst input {worst.X:R}, {worst.Y:R})");
        Assert.True(max <= 2, $"Pow: {max} ulp at {worst}");
    }

    [Fact]
    public void Exp_Double_AgainstDecimal()
    {
        double[] xs = Concat(
            UlpMeasure.Uniform(20_000, -25, 60, 20),
            UlpMeasure.LogUniform(10_000, -40, 3, true, 21));
        CheckAgainstDecimal("Exp", xs, DetMath.Exp, x => DecimalReference.Exp(DecimalReference.ToDecimal(x)), 1);
    }

    [Fact]
    public void Log_Double_AgainstDecimal()
    {
        double[] xs = Concat(
            UlpMeasure.LogUniform(20_000, -30, 60, false, 22),
            UlpMeasure.Uniform(10_000, 0.5, 2.0, 23));
        CheckAgainstDecimal("Log", xs.Where(x => x != 1.0).ToArray(), DetMath.Log, x => DecimalReference.Log(DecimalReference.ToDecimal(x)), 1);
    }

    [Fact]
    public void Expm1_Double()
    {
        double[] xs = Concat(
            UlpMeasure.Uniform(15_000, -40, 60, 9),
            UlpMeasure.LogUniform(15_000, -40, 1, true, 10));
        CheckAgainstDecimal("Expm1", xs, DetMath.Expm1, DecimalReference.Expm1, 2);
    }

    [Fact]
    public void Log1p_Double()
    {
        double[] xs = Concat(
            UlpMeasure.Uniform(10_000, -0.999, 3, 11),
            UlpMeasure.LogUniform(10_000, -40, -1, true, 12),
            UlpMeasure.LogUniform(10_000, 0, 50, false, 13));
        CheckAgainstDecimal("Log1p", xs, DetMath.Log1p, DecimalReference.Log1p, 2);
    }

    [Fact]
    public void Tanh_Double()
    {
        double[] xs = Concat(
            UlpMeasure.Uniform(15_000, -20, 20, 14),
            UlpMeasure.LogUniform(15_000, -20, 1, true, 15));
        CheckAgainstDecimal("Tanh", xs, DetMath.Tanh, DecimalReference.Tanh, 2);
    }

    [Fact]
    public void Sigmoid_Double()
    {
        double[] xs = Concat(
            UlpMeasure.Uniform(20_000, -25, 40, 16),
            UlpMeasure.LogUniform(10_000, -20, 2, true, 17));
        CheckAgainstDecimal("Sigmoid", xs, DetMath.Sigmoid, DecimalReference.Sigmoid, 2);
    }

    [Fact]
    public void Erf_Double()
    {
        double[] xs = Concat(
            UlpMeasure.Uniform(15_000, -6, 6, 18),
            UlpMeasure.LogUniform(10_000, -20, 1, true, 19));
        CheckAgainstDecimal("Erf", xs, DetMath.Erf, DecimalReference.Erf, 2);
    }
}
