using Repro.Analyzers.Tests.Infrastructure;
using Verify = Repro.Analyzers.Tests.Infrastructure.AnalyzerVerifier<Repro.Analyzers.Gpu.KernelAnalyzer>;

namespace Repro.Analyzers.Tests.Rules;

public class RPR5003Tests
{
    [Fact]
    public Task Multiply_add_on_floats_in_kernels_is_reported() => Verify.VerifyAsync("""
        using ILGPU;
        using ILGPU.Runtime;
        static class Kernels
        {
            public static void Axpy(Index1D i, float a, ArrayView<float> x, ArrayView<float> y) => y[i] = {|RPR5003:a * x[i] + y[i]|};
            public static void Res(Index1D i, ArrayView<double> r, ArrayView<double> w) => r[i] = {|RPR5003:r[i] - w[i] * 0.5|};
        }
        """, Stubs.Ilgpu);

    [Fact]
    public Task Integer_math_explicit_fma_and_host_code_are_not_reported() => Verify.VerifyAsync("""
        using System;
        using ILGPU;
        using ILGPU.Runtime;
        static class Kernels
        {
            public static void Index(Index1D i, ArrayView<int> o, int w) => o[i] = i.X * w + 1;
            public static void Axpy(Index1D i, float a, ArrayView<float> x, ArrayView<float> y) => y[i] = MathF.FusedMultiplyAdd(a, x[i], y[i]);
            public static float Host(float a, float b, float c) => a * b + c;
        }
        """, Stubs.Ilgpu);
}
