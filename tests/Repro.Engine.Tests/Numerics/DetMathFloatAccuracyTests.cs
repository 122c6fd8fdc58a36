using Repro.Engine.Numerics;
using Xunit.Abstractions;

namespace Repro.Engine.Tests.Numerics;

/// <summary>
/// Max-ulp accuracy of the float overloads of <see cref="DetMath"/> on about a million inputs spread over every binary
/// exponent (subnormals, both signs, edge significands, ±0, ±Inf, NaN). The reference is the double-precision libm result
/// (Math.*) rounded to float: it is within about 2^-52 relative of the true value, so it is the correctly rounded float
/// except in rare near-tie cases; hence a bound of 1 ulp against it certifies at most 1 ulp (plus a negligible amount)
/// against the correctly rounded result. The exhaustive 2^32 scan is in the benchmark (bench/Repro.Bench).
/// </summary>
public sealed class DetMathFloatAccuracyTests(ITestOutputHelper output)
{
    private static readonly float[] Sample = UlpMeasure.FloatSample(2048, 20240611);

    private void Check(string name, Func<float, float> actual, Func<float, float> reference, float[]? inputs = null, long bound = 1)
    {
        var (max, worst) = UlpMeasure.MaxUlp(inputs ?? Sample, actual, reference);
        output.WriteLine($"{name}: max {max} ulp (worst input {worst:R}, bits 0x{BitConverter.SingleToUInt32Bits(worst):X8})");
        Assert.True(max <= bound, $"{name}: {max} ulp at x = {worst:R}");
    }

    [Fact]
    public void Exp_WithinOneUlp() => Check("Exp", DetMath.Exp, x => (float)Math.Exp(x));

    [Fact]
    public void Log_WithinOneUlp() => Check("Log", DetMath.Log, x => (float)Math.Log(x));

    [Fact]
    public void Expm1_WithinOneUlp() => Check("Expm1", DetMath.Expm1, x => (float)Expm1Reference(x));

    [Fact]
    public void Log1p_WithinOneUlp() => Check("Log1p", DetMath.Log1p, x => (float)Log1pReference(x));

    [Fact]
    public void Tanh_WithinOneUlp() => Check("Tanh", DetMath.Tanh, x => (float)Math.Tanh(x));

    [Fact]
    public void Sigmoid_WithinOneUlp() => Check("Sigmoid", DetMath.Sigmoid, x => (float)(1.0 / (1.0 + Math.Exp(-(double)x))));

    [Fact]
    public void Erf_WithinOneUlp() => Check("Erf", DetMath.Erf, x => (float)ErfReference(x));

    [Fact]
    public void Sin_WithinOneUlp() => Check("Sin", DetMath.Sin, x => (float)Math.Sin(x));

    [Fact]
    public void Cos_WithinOneUlp() => Check("Cos", DetMath.Cos, x => (float)Math.Cos(x));

    [Fact]
    public void SinCos_LargeArguments_WithinOneUlp()
    {
        // Arguments at and above 2^50 take the Payne-Hanek path: every float in a few binades there, plus neighbours
        // of the switch-over point. glibc reduces huge arguments exactly too, so its double result is a valid reference.
        var inputs = new List<float>();
        for (uint bits = 0x58800000u - 4096; bits < 0x58800000u + 200_000; bits++)
        {
            inputs.Add(BitConverter.UInt32BitsToSingle(bits));
            inputs.Add(-BitConverter.UInt32BitsToSingle(bits));
        }

        for (uint bits = 0x7F000000u; bits < 0x7F800000u; bits += 37)
        {
            inputs.Add(BitConverter.UInt32BitsToSingle(bits));
        }

        float[] xs = [.. inputs];
        Check("Sin (large)", DetMath.Sin, x => (float)Math.Sin(x), xs);
        Check("Cos (large)", DetMath.Cos, x => (float)Math.Cos(x), xs);
    }

    [Fact]
    public void Pow_WithinOneUlp_TwoDimensionalSample()
    {
        var random = new Random(77);
        long max = 0;
        (float X, float Y) worst = (0, 0);
        for (int i = 0; i < 400_000; i++)
        {
            float x = Sample[random.Next(Sample.Length)];
            float y;
            switch (i % 4)
            {
                case 0:
                    y = (float)((random.NextDouble() * 60) - 30);
                    break;
                case 1:
                    y = random.Next(-40, 41);
                    break;
                case 2:
                    // Exponents that keep x^y near the float range limits.
                    double l2 = Math.Log2(Math.Abs(x));
                    y = l2 == 0 || !double.IsFinite(l2) ? 0.5f : (float)(((random.NextDouble() * 300) - 150) / l2);
                    break;
                default:
                    x = (float)(random.NextDouble() * 4);
                    y = (float)((random.NextDouble() * 200) - 100);
                    break;
            }

            long d = UlpMeasure.UlpDistance(DetMath.Pow(x, y), (float)Math.Pow(x, y));
            if (d > max)
            {
                max = d;
                worst = (x, y);
            }
        }

        output.WriteLine($"Pow: max {max} ulp (worst input {worst.X:R}, {worst.Y:R})");
        Assert.True(max <= 1, $"Pow: {max} ulp at {worst}");
    }

    /// <summary>e^x - 1 in double, accurate to a few double ulps (series near 0, otherwise Math.Exp(x) - 1).</summary>
    internal static double Expm1Reference(double x)
    {
        if (Math.Abs(x) < 1e-5)
        {
            return x * (1 + (x * (0.5 + (x / 6))));
        }

        if (Math.Abs(x) < 0.5)
        {
            double term = x;
            double sum = x;
            for (int n = 2; n < 30; n++)
            {
                term = term * x / n;
                sum += term;
            }

            return sum;
        }

        return Math.Exp(x) - 1;
    }

    /// <summary>log(1 + x) in double, accurate to a few double ulps.</summary>
    internal static double Log1pReference(double x)
    {
        if (Math.Abs(x) < 0.25)
        {
            double power = x;
            double sum = 0;
            for (int n = 1; n < 60; n++)
            {
                sum += power / n;
                power *= -x;
            }

            return sum;
        }

        return Math.Log(1 + x);
    }

    /// <summary>erf(x) in double from the all-positive series 2/sqrt(pi) e^(-x^2) sum 2^n x^(2n+1) / (2n+1)!!.</summary>
    internal static double ErfReference(double x)
    {
        if (double.IsNaN(x))
        {
            return x;
        }

        double ax = Math.Abs(x);
        if (ax >= 6)
        {
            return Math.CopySign(1.0, x);
        }

        double term = ax;
        double sum = ax;
        for (int n = 1; n < 300 && term > sum * 1e-18; n++)
        {
            term = term * 2 * ax * ax / ((2 * n) + 1);
            sum += term;
        }

        double result = 1.1283791670955126 * sum * Math.Exp(-ax * ax);
        return Math.CopySign(result, x);
    }
}
