using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.OpenCL;
using ILGPU.Runtime.OpenCL;
using Repro.Engine.Backends;
using F32 = Repro.Engine.Backends.FloatOps<float, Repro.Engine.Backends.Float32Kind, Repro.Backends.Ilgpu.OpenClFma>;
using F64 = Repro.Engine.Backends.FloatOps<double, Repro.Engine.Backends.Float64Kind, Repro.Backends.Ilgpu.OpenClFma>;

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
            "UnaryF32" => (Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>)Ilgpu.Kernels.Unary<float, F32>,
            "UnaryF64" => (Action<Index1D, ArrayView<double>, ArrayView<double>, int, int, int>)Ilgpu.Kernels.Unary<double, F64>,
            "BinaryF32" => (Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int>)Ilgpu.Kernels.Binary<float, F32>,
            "BinaryF64" => (Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<int>, int, int, int>)Ilgpu.Kernels.Binary<double, F64>,
            "RandomF32" => (Action<Index1D, ArrayView<float>, ulong, ulong, int, int, int>)Ilgpu.Kernels.Random<float, Float32Draw<OpenClFma>>,
            "RandomF64" => (Action<Index1D, ArrayView<double>, ulong, ulong, int, int, int>)Ilgpu.Kernels.Random<double, Float64Draw<OpenClFma>>,
            "MatMulF32" => (Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>)Ilgpu.Kernels.MatMul<float, F32>,
            _ => (Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, int, int, int, int>)Ilgpu.Kernels.MatMul<double, F64>,
        };
        using var context = Context.Create(b => OpenClIntrinsics.Register(b.Math(MathMode.Default).Optimize(OptimizationLevel.O1)));
        using var backend = new CLBackend(context, new CLCapabilityContext(true, true, true, true, true), CLDeviceVendor.Other, CLCVersion.CL20);
        var compiled = (CLCompiledKernel)backend.Compile(EntryPointDescription.FromImplicitlyGroupedKernel(d.Method), default);
        return compiled.Source;
    }
}
