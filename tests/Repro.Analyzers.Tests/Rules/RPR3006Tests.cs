using Verify = Repro.Analyzers.Tests.Infrastructure.AnalyzerVerifier<Repro.Analyzers.FloatingPoint.BitExactAnalyzer>;

namespace Repro.Analyzers.Tests.Rules;

public class RPR3006Tests
{
    private const string Attribute = "[System.AttributeUsage(System.AttributeTargets.All)] sealed class BitExactAttribute : System.Attribute { }";

    [Fact]
    public Task Transcendentals_in_bit_exact_code_are_reported() => Verify.VerifyAsync("""
        using System;
        static class Activations
        {
            [BitExact]
            public static float Gelu(float x) => 0.5f * x * (1 + {|RPR3006:MathF.Tanh(0.79788456f * x)|});
            [BitExact]
            public static double Softplus(double x) => {|RPR3006:Math.Log(1 + {|RPR3006:Math.Exp(x)|})|};
        }
        """, Attribute);

    [Fact]
    public Task Correctly_rounded_math_and_unmarked_code_are_not_reported() => Verify.VerifyAsync("""
        using System;
        static class Activations
        {
            [BitExact]
            public static float Rms(float x) => MathF.Sqrt(MathF.Abs(x)) + MathF.Max(x, 0);
            public static float Gelu(float x) => 0.5f * x * (1 + MathF.Tanh(0.79788456f * x));
        }
        """, Attribute);
}
