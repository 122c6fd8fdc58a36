using Repro.Analyzers.Tests.Infrastructure;
using Verify = Repro.Analyzers.Tests.Infrastructure.AnalyzerVerifier<Repro.Analyzers.FloatingPoint.BitExactAnalyzer>;

namespace Repro.Analyzers.Tests.Rules;

public class RPR3005Tests
{
    private const string Attribute = "[System.AttributeUsage(System.AttributeTargets.All)] sealed class BitExactAttribute : System.Attribute { }";

    [Fact]
    public Task Tensor_primitives_reductions_in_bit_exact_code_are_reported() => Verify.VerifyAsync("""
        using System;
        using System.Numerics.Tensors;
        [BitExact]
        static class Golden
        {
            public static float Loss(float[] x, float[] y) => {|RPR3005:TensorPrimitives.Dot(x, y)|} + {|RPR3005:TensorPrimitives.Sum(x)|};
        }
        """, Stubs.Tensors, Attribute);

    [Fact]
    public Task Tensor_primitives_outside_bit_exact_code_and_element_wise_ops_are_not_reported() => Verify.VerifyAsync("""
        using System.Numerics.Tensors;
        static class Fast
        {
            public static float Loss(float[] x) => TensorPrimitives.Sum(x);
        }
        static class Golden
        {
            [BitExact]
            public static void Add(float[] a, float[] b, float[] d) => TensorPrimitives.Add(a, b, d);
        }
        """, Stubs.Tensors, Attribute);
}
