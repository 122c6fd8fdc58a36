using Repro.Analyzers.Tests.Infrastructure;
using Verify = Repro.Analyzers.Tests.Infrastructure.AnalyzerVerifier<Repro.Analyzers.Gpu.KernelAnalyzer>;

namespace Repro.Analyzers.Tests.Rules;

public class RPR5002Tests
{
    [Fact]
    public Task Transcendentals_in_kernels_are_reported() => Verify.VerifyAsync("""
        using System;
        using ILGPU;
        using ILGPU.Algorithms;
        using ILGPU.Runtime;
        static class Kernels
        {
            public static void Act(Index1D i, ArrayView<float> x) => x[i] = {|RPR5002:XMath.Exp(x[i])|} + {|RPR5002:MathF.Sin(x[i])|};
            public static void Grid2()
            {
                var g = Grid.GlobalLinearIndex;
                var y = {|RPR5002:Math.Tanh(g)|};
            }
        }
        """, Stubs.Ilgpu);

    [Fact]
    public Task Exact_math_in_kernels_and_transcendentals_on_host_are_not_reported() => Verify.VerifyAsync("""
        using System;
        using ILGPU;
        using ILGPU.Algorithms;
        using ILGPU.Runtime;
        static class Kernels
        {
            public static void Act(Index1D i, ArrayView<float> x) => x[i] = XMath.Abs(x[i]) + XMath.Sqrt(x[i]);
            public static float Host(float v) => MathF.Exp(v);
        }
        """, Stubs.Ilgpu);
}
