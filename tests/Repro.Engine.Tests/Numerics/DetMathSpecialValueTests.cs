using Repro.Engine.Numerics;

namespace Repro.Engine.Tests.Numerics;

/// <summary>Special values of <see cref="DetMath"/>; expected values are derived by hand from the IEEE/C99 rules.</summary>
public sealed class DetMathSpecialValueTests
{
    private const float FNaN = float.NaN;
    private const float FInf = float.PositiveInfinity;
    private const double DNaN = double.NaN;
    private const double DInf = double.PositiveInfinity;

    private static void Same(float expected, float actual) =>
        Assert.True(expected.Equals(actual) && float.IsNegative(expected) == float.IsNegative(actual), $"expected {expected:R}, got {actual:R}");

    private static void Same(double expected, double actual) =>
        Assert.True(expected.Equals(actual) && double.IsNegative(expected) == double.IsNegative(actual), $"expected {expected:R}, got {actual:R}");

    [Fact]
    public void Exp_SpecialValues()
    {
        Same(FNaN, DetMath.Exp(FNaN));
        Same(FInf, DetMath.Exp(FInf));
        Same(0f, DetMath.Exp(-FInf));
        Same(1f, DetMath.Exp(0f));
        Same(1f, DetMath.Exp(-0f));
        Same(FInf, DetMath.Exp(89f)); // e^89 = 4.5e38 > float.MaxValue
        Assert.True(float.IsFinite(DetMath.Exp(88.7f)));
        float sub = DetMath.Exp(-100f); // e^-100 = 3.7e-44: a float subnormal, not flushed
        Assert.True(sub > 0f && sub < 1.17549435e-38f);
        Same(0f, DetMath.Exp(-104f)); // e^-104 = 6.8e-46 < half the smallest subnormal (7.0e-46)
        Same(DNaN, DetMath.Exp(DNaN));
        Same(DInf, DetMath.Exp(DInf));
        Same(0.0, DetMath.Exp(-DInf));
        Same(1.0, DetMath.Exp(0.0));
        Same(DInf, DetMath.Exp(709.79)); // ln(double.MaxValue) = 709.7827...
        Assert.True(double.IsFinite(DetMath.Exp(709.78)));
        double dsub = DetMath.Exp(-740.0); // 4.2e-322, subnormal
        Assert.True(dsub > 0.0 && dsub < 2.2250738585072014E-308);
        Same(0.0, DetMath.Exp(-746.0));
        Same(4.9406564584124654E-324, DetMath.Exp(-745.0)); // e^-745 = 4.94e-324 rounds to the smallest subnormal
    }

    [Fact]
    public void Log_SpecialValues()
    {
        Same(-FInf, DetMath.Log(0f));
        Same(-FInf, DetMath.Log(-0f));
        Same(FNaN, DetMath.Log(-1f));
        Same(FNaN, DetMath.Log(-FInf));
        Same(FInf, DetMath.Log(FInf));
        Same(FNaN, DetMath.Log(FNaN));
        Same(0f, DetMath.Log(1f));
        Same(-DInf, DetMath.Log(0.0));
        Same(DNaN, DetMath.Log(-1e-300));
        Same(DInf, DetMath.Log(DInf));
        Same(0.0, DetMath.Log(1.0));
        // log(2^-1074) = -1074 ln 2 = -744.44007192138126..., log(2^-149) = -149 ln 2 = -103.27892990343185...
        Assert.Equal(-744.4400719213812, DetMath.Log(double.Epsilon), 12);
        Same(-103.27893f, DetMath.Log(float.Epsilon));
    }

    [Fact]
    public void Log1p_Expm1_SpecialValues()
    {
        Same(-FInf, DetMath.Log1p(-1f));
        Same(FNaN, DetMath.Log1p(-2f));
        Same(-0f, DetMath.Log1p(-0f));
        Same(FInf, DetMath.Log1p(FInf));
        Same(1e-30f, DetMath.Log1p(1e-30f));
        Same(-DInf, DetMath.Log1p(-1.0));
        Same(DNaN, DetMath.Log1p(-DInf));
        Same(1e-300, DetMath.Log1p(1e-300));
        Same(-1f, DetMath.Expm1(-FInf));
        Same(FInf, DetMath.Expm1(FInf));
        Same(-0f, DetMath.Expm1(-0f));
        Same(1e-30f, DetMath.Expm1(1e-30f));
        Same(-1f, DetMath.Expm1(-50f));
        Same(-1.0, DetMath.Expm1(-40.0)); // e^-40 = 4.2e-18 < 2^-54: -1 + tiny rounds to -1
        Same(DInf, DetMath.Expm1(710.0));
        Same(DNaN, DetMath.Expm1(DNaN));
        Same(4.9406564584124654E-324, DetMath.Expm1(4.9406564584124654E-324));
    }

    [Fact]
    public void Tanh_Sigmoid_Erf_SpecialValues()
    {
        Same(1f, DetMath.Tanh(FInf));
        Same(-1f, DetMath.Tanh(-FInf));
        Same(-0f, DetMath.Tanh(-0f));
        Same(1f, DetMath.Tanh(10f)); // 1 - tanh(10) = 4e-9 < 2^-25
        Same(-1.0, DetMath.Tanh(-20.0)); // 1 - tanh(20) = 8.5e-18 < 2^-54
        Same(FNaN, DetMath.Tanh(FNaN));
        Same(1e-30f, DetMath.Tanh(1e-30f));
        Same(1f, DetMath.Sigmoid(FInf));
        Same(0f, DetMath.Sigmoid(-FInf));
        Same(0.5f, DetMath.Sigmoid(0f));
        Same(0.5, DetMath.Sigmoid(-0.0));
        Same(1.0, DetMath.Sigmoid(40.0)); // e^-40 < 2^-54
        Same(0.0, DetMath.Sigmoid(-800.0));
        float tiny = DetMath.Sigmoid(-100f); // e^-100 = 3.7e-44, a float subnormal
        Assert.True(tiny > 0f && tiny < 1.17549435e-38f);
        Same(DNaN, DetMath.Sigmoid(DNaN));
        Same(1f, DetMath.Erf(FInf));
        Same(-1f, DetMath.Erf(-FInf));
        Same(-0f, DetMath.Erf(-0f));
        Same(1f, DetMath.Erf(4f)); // erfc(4) = 1.5e-8 < 2^-25
        Same(-1.0, DetMath.Erf(-6.0)); // erfc(6) = 2.2e-17 < 2^-54
        Same(DNaN, DetMath.Erf(DNaN));
        // erf(x) ~ 2x/sqrt(pi) for tiny x.
        Same((float)(1e-30 * 1.1283791670955126), DetMath.Erf(1e-30f));
    }

    [Fact]
    public void Sin_Cos_SpecialValues()
    {
        Same(FNaN, DetMath.Sin(FNaN));
        Same(FNaN, DetMath.Sin(FInf));
        Same(FNaN, DetMath.Cos(-FInf));
        Same(-0f, DetMath.Sin(-0f));
        Same(0f, DetMath.Sin(0f));
        Same(1f, DetMath.Cos(-0f));
        Same(1.0, DetMath.Sin(Math.PI / 2));
        Same(-1.0, DetMath.Cos(Math.PI));
        // sin(pi_double) = 1.2246467991473532e-16 (pi - RN(pi) = 1.2246e-16).
        Assert.InRange(DetMath.Sin(Math.PI), 1.2246467991473530e-16, 1.2246467991473535e-16);
        Same(1e-300, DetMath.Sin(1e-300));
        Same(1.0, DetMath.Cos(1e-300));
    }

    [Fact]
    public void Pow_SpecialValues()
    {
        Same(1.0, DetMath.Pow(DNaN, 0.0));
        Same(1.0, DetMath.Pow(DNaN, -0.0));
        Same(1.0, DetMath.Pow(1.0, DNaN));
        Same(1.0, DetMath.Pow(1.0, DInf));
        Same(DNaN, DetMath.Pow(DNaN, 1.0));
        Same(DNaN, DetMath.Pow(2.0, DNaN));
        Same(1.0, DetMath.Pow(-1.0, DInf));
        Same(1.0, DetMath.Pow(-1.0, -DInf));
        Same(0.0, DetMath.Pow(0.5, DInf));
        Same(DInf, DetMath.Pow(0.5, -DInf));
        Same(DInf, DetMath.Pow(-2.0, DInf));
        Same(0.0, DetMath.Pow(2.0, -DInf));
        Same(DInf, DetMath.Pow(0.0, -1.0));
        Same(-DInf, DetMath.Pow(-0.0, -1.0));
        Same(DInf, DetMath.Pow(-0.0, -2.0));
        Same(DInf, DetMath.Pow(-0.0, -0.5));
        Same(0.0, DetMath.Pow(0.0, 2.0));
        Same(-0.0, DetMath.Pow(-0.0, 3.0));
        Same(0.0, DetMath.Pow(-0.0, 0.5));
        Same(-DInf, DetMath.Pow(-DInf, 3.0));
        Same(DInf, DetMath.Pow(-DInf, 2.0));
        Same(DInf, DetMath.Pow(-DInf, 0.5));
        Same(-0.0, DetMath.Pow(-DInf, -3.0));
        Same(0.0, DetMath.Pow(-DInf, -2.0));
        Same(0.0, DetMath.Pow(DInf, -1.0));
        Same(DInf, DetMath.Pow(DInf, 0.5));
        Same(DNaN, DetMath.Pow(-2.0, 0.5));
        Same(DNaN, DetMath.Pow(-8.0, 1.0 / 3.0));
        Same(-8.0, DetMath.Pow(-2.0, 3.0));
        Same(0.25, DetMath.Pow(-2.0, -2.0));
        Same(1024.0, DetMath.Pow(2.0, 10.0));
        Same(DInf, DetMath.Pow(2.0, 1024.0));
        Same(-DInf, DetMath.Pow(-2.0, 1025.0));
        Same(4.9406564584124654E-324, DetMath.Pow(2.0, -1074.0));
        Same(0.0, DetMath.Pow(2.0, -1076.0));
        Same(3.0, DetMath.Pow(9.0, 0.5));
        Same(FNaN, DetMath.Pow(-2f, 0.5f));
        Same(-8f, DetMath.Pow(-2f, 3f));
        Same(FInf, DetMath.Pow(2f, 128f));
        Same(1.4E-45f, DetMath.Pow(2f, -149f));
        Same(1f, DetMath.Pow(FNaN, 0f));
        Same(FInf, DetMath.Pow(-0f, -2f));
        Same(-FInf, DetMath.Pow(-0f, -3f));
    }
}
