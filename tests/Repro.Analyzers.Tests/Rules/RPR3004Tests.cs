using Verify = Repro.Analyzers.Tests.Infrastructure.AnalyzerVerifier<Repro.Analyzers.FloatingPoint.HardwareBranchAnalyzer>;

namespace Repro.Analyzers.Tests.Rules;

public class RPR3004Tests
{
    [Fact]
    public Task Fma_support_branch_is_reported() => Verify.VerifyAsync("""
        using System.Runtime.Intrinsics;
        using System.Runtime.Intrinsics.X86;
        static class Axpy
        {
            public static Vector128<float> Step(Vector128<float> a, Vector128<float> x, Vector128<float> y) =>
                {|RPR3004:Fma.IsSupported|} ? Fma.MultiplyAdd(a, x, y) : Sse.Add(Sse.Multiply(a, x), y);
        }
        """);

    [Fact]
    public Task Unconditional_fused_multiply_add_is_not_reported() => Verify.VerifyAsync("""
        using System;
        static class Axpy
        {
            public static float Step(float a, float x, float y) => MathF.FusedMultiplyAdd(a, x, y);
        }
        """);
}
