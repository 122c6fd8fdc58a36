using Repro.Analyzers.Tests.Infrastructure;
using Verify = Repro.Analyzers.Tests.Infrastructure.CodeFixVerifier<
    Repro.Analyzers.Gpu.KernelAnalyzer, Repro.Analyzers.CodeFixes.ExplicitFmaFix>;

namespace Repro.Analyzers.Tests.CodeFixes;

public class ExplicitFmaFixTests
{
    [Fact]
    public Task RPR5003_writes_the_fused_multiply_add_explicitly() => Verify.VerifyAsync("""
        using System;
        using ILGPU;
        using ILGPU.Runtime;
        static class Kernels
        {
            public static void Axpy(Index1D i, float a, ArrayView<float> x, ArrayView<float> y) => y[i] = {|RPR5003:a * x[i] + y[i]|};
            public static void Res(Index1D i, ArrayView<double> r, ArrayView<double> w, double s) => r[i] = {|RPR5003:r[i] - w[i] * s|};
            public static void Sub(Index1D i, ArrayView<float> r, float a, float b) => r[i] = {|RPR5003:a * b - r[i] * 2f|};
        }
        """, """
        using System;
        using ILGPU;
        using ILGPU.Runtime;
        static class Kernels
        {
            public static void Axpy(Index1D i, float a, ArrayView<float> x, ArrayView<float> y) => y[i] = MathF.FusedMultiplyAdd(a, x[i], y[i]);
            public static void Res(Index1D i, ArrayView<double> r, ArrayView<double> w, double s) => r[i] = Math.FusedMultiplyAdd(-w[i], s, r[i]);
            public static void Sub(Index1D i, ArrayView<float> r, float a, float b) => r[i] = MathF.FusedMultiplyAdd(a, b, -(r[i] * 2f));
        }
        """, Stubs.Ilgpu);
}
