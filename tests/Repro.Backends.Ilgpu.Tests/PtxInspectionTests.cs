using ILGPU.Runtime.Cuda;

namespace Repro.Backends.Ilgpu.Tests;

/// <summary>
/// Keeps the GPU path honest without a GPU: every kernel compiled to PTX for sm_80 and sm_90 must contain no
/// approximate instruction and no multiply feeding an add or subtract (which ptxas could contract into an FMA).
/// </summary>
public sealed class PtxInspectionTests
{
    private static readonly Lazy<IReadOnlyDictionary<CudaArchitecture, IReadOnlyDictionary<string, string>>> Ptx = new(() =>
        new Dictionary<CudaArchitecture, IReadOnlyDictionary<string, string>>
        {
            [CudaArchitecture.SM_80] = PtxInspection.Compile(CudaArchitecture.SM_80),
            [CudaArchitecture.SM_90] = PtxInspection.Compile(CudaArchitecture.SM_90),
        });

    [Fact]
    public void EveryKernelCompilesToPtxForSm80AndSm90()
    {
        foreach (var (arch, kernels) in Ptx.Value)
        {
            Assert.Equal(PtxInspection.Kernels.Count, kernels.Count);
            // ILGPU emits the lowest target that has every capability it uses (sm_80 here), which the driver JIT-compiles
            // for the actual device; sm_90's capability set yields the same PTX target.
            const string target = ".target sm_80";
            Assert.All(kernels, k => Assert.True(k.Value.Contains(target, StringComparison.Ordinal), $"{k.Key}: expected {target}, got {k.Value.Split('\n').FirstOrDefault(l => l.StartsWith(".target", StringComparison.Ordinal))}"));
        }
    }

    [Fact]
    public void NoKernelUsesAnApproximateInstruction()
    {
        var found = Ptx.Value.SelectMany(a => a.Value.SelectMany(k => PtxInspection.ApproximateInstructions(k.Value).Select(i => $"{a.Key} {k.Key}: {i}"))).ToList();
        Assert.True(found.Count == 0, string.Join("\n", found.Take(20)));
    }

    [Fact]
    public void NoKernelUsesAnInstructionIlgpuMistranslates()
    {
        var found = Ptx.Value.SelectMany(a => a.Value.SelectMany(k => PtxInspection.MistranslatedInstructions(k.Value).Select(i => $"{a.Key} {k.Key}: {i}"))).ToList();
        Assert.True(found.Count == 0, string.Join("\n", found.Take(20)));
    }

    [Fact]
    public void NoMultiplyResultFeedsAnAddOrSubtractOutsideDetMath()
    {
        var found = Ptx.Value.SelectMany(a => a.Value.Where(k => !PtxInspection.DetMathKernels.Contains(k.Key))
            .SelectMany(k => PtxInspection.ContractionHazards(k.Value).Select(i => $"{a.Key} {k.Key}: {i}"))).ToList();
        Assert.True(found.Count == 0, string.Join("\n", found.Take(20)));
    }

    [Fact]
    public void NoUnresolvedCallsOutsideDetMath()
    {
        var found = Ptx.Value.SelectMany(a => a.Value.Where(k => !PtxInspection.DetMathKernels.Contains(k.Key))
            .SelectMany(k => PtxInspection.UnresolvedCalls(k.Value).Select(i => $"{a.Key} {k.Key}: {i}"))).ToList();
        Assert.True(found.Count == 0, string.Join("\n", found.Take(20)));
    }

    [Fact]
    public void DetMathKernelsAreCleanToo()
    {
        var found = Ptx.Value.SelectMany(a => a.Value.Where(k => PtxInspection.DetMathKernels.Contains(k.Key))
            .SelectMany(k => PtxInspection.ContractionHazards(k.Value).Concat(PtxInspection.UnresolvedCalls(k.Value)).Select(i => $"{a.Key} {k.Key}: {i}"))).ToList();
        Assert.True(found.Count == 0, string.Join("\n", found.Take(40)));
    }

    [Fact]
    public void MatMulUsesExplicitRoundToNearestFma()
    {
        var ptx = Ptx.Value[CudaArchitecture.SM_80];
        Assert.Contains("fma.rn.f32", ptx["MatMulF32"], StringComparison.Ordinal);
        Assert.Contains("fma.rn.f64", ptx["MatMulF64"], StringComparison.Ordinal);
        Assert.Empty(PtxInspection.UnresolvedCalls(ptx["MatMulF32"]));
    }

    [Fact]
    public void TheInspectorFindsTheHazardsItLooksFor()
    {
        const string bad = "mul.f32 %f3, %f1, %f2;\nmov.f32 %f4, %f3;\nadd.f32 %f5, %f4, %f0;\nex2.approx.f32 %f6, %f5;\n.extern .func (.param .f32 r) Foo(.param .f32 a);\ncall.uni (callRetVal), Foo, (p0);";
        const string good = "mul.rn.f32 %f3, %f1, %f2;\nadd.f32 %f5, %f3, %f0;\nfma.rn.f32 %f6, %f1, %f2, %f0;";
        Assert.Single(PtxInspection.ContractionHazards(bad));
        Assert.Single(PtxInspection.ApproximateInstructions(bad));
        Assert.Equal(["Foo"], PtxInspection.UnresolvedCalls(bad));
        Assert.Empty(PtxInspection.ContractionHazards(good));
        Assert.Empty(PtxInspection.ApproximateInstructions(good));
    }
}
