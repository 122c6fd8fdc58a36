using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.OpenCL;
using ILGPU.Runtime.OpenCL;

namespace Repro.Backends.Ilgpu.Tests;

/// <summary>
/// The OpenCL path without an OpenCL device: the kernels that use fused multiply-adds, compiled to OpenCL C with the
/// intrinsics the backend registers, must call the <c>fma</c> builtin and nothing undeclared (ILGPU 1.5.3 on its own
/// writes <c>FusedMultiplyAdd(...)</c>, which no OpenCL compiler knows).
/// </summary>
public sealed class OpenClSourceTests
{
    public static TheoryData<string> Kernels => ["UnaryF32", "UnaryF64", "BinaryF32", "BinaryF64", "RandomF32", "RandomF64", "MatMulF32", "MatMulF64"];

    [Theory]
    [MemberData(nameof(Kernels))]
    public void FmaKernelsCallTheOpenClBuiltin(string kernel)
    {
        string source = Compile(kernel);
        Assert.Contains("fma(", source.Replace(" ", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("FusedMultiplyAdd", source, StringComparison.Ordinal);
    }

    private static string Compile(string kernel)
    {
        Delegate d = kernel switch
        {
            "UnaryF32" => (Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>)Ilgpu.Kernels.UnaryF32<OpenClFma>,
            "UnaryF64" => (Action<Index1D, ArrayView<double>, ArrayView<double>, int, int, int>)Ilgpu.Kernels.UnaryF64<OpenClFma>,
            "BinaryF32" => (Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int>)Ilgpu.Kernels.BinaryF32<OpenClFma>,
            "BinaryF64" => (Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<int>, int, int, int>)Ilgpu.Kernels.BinaryF64<OpenClFma>,
            "RandomF32" => (Action<Index1D, ArrayView<float>, ulong, ulong, int, int, int>)Ilgpu.Kernels.RandomF32<OpenClFma>,
            "RandomF64" => (Action<Index1D, ArrayView<double>, ulong, ulong, int, int, int>)Ilgpu.Kernels.RandomF64<OpenClFma>,
            "MatMulF32" => (Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>)Ilgpu.Kernels.MatMulF32<OpenClFma>,
            _ => (Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, int, int, int, int>)Ilgpu.Kernels.MatMulF64<OpenClFma>,
        };
        using var context = Context.Create(b => OpenClIntrinsics.Register(b.Math(MathMode.Default).Optimize(OptimizationLevel.O1)));
        using var backend = new CLBackend(context, new CLCapabilityContext(true, true, true, true, true), CLDeviceVendor.Other, CLCVersion.CL20);
        var compiled = (CLCompiledKernel)backend.Compile(EntryPointDescription.FromImplicitlyGroupedKernel(d.Method), default);
        return compiled.Source;
    }
}
