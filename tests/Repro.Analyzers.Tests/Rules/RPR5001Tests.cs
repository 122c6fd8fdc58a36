using Repro.Analyzers.Tests.Infrastructure;
using Verify = Repro.Analyzers.Tests.Infrastructure.AnalyzerVerifier<Repro.Analyzers.Gpu.KernelAnalyzer>;

namespace Repro.Analyzers.Tests.Rules;

public class RPR5001Tests
{
    [Fact]
    public Task Float_atomic_add_in_kernel_is_reported() => Verify.VerifyAsync("""
        using ILGPU;
        using ILGPU.Runtime;
        static class Kernels
        {
            public static void Sum(Index1D i, ArrayView<float> x, ArrayView<float> total) => {|RPR5001:Atomic.Add(ref total[0], x[i])|};
        }
        """, Stubs.Ilgpu);

    [Fact]
    public Task Integer_atomics_and_host_code_are_not_reported() => Verify.VerifyAsync("""
        using ILGPU;
        using ILGPU.Runtime;
        static class Kernels
        {
            public static void Histogram(Index1D i, ArrayView<int> bins, ArrayView<int> x) => Atomic.Add(ref bins[x[i]], 1);
            public static void Host(float[] total, float v) => Atomic.Add(ref total[0], v);
        }
        """, Stubs.Ilgpu);
}
