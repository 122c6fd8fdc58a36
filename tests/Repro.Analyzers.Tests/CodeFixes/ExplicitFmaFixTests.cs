using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Repro.Analyzers.Tests.Infrastructure;

namespace Repro.Analyzers.Tests.CodeFixes;

/// <summary>
/// RPR5003 has no code fix: the fix it used to offer, <c>MathF.FusedMultiplyAdd</c> inside the kernel, is not something
/// ILGPU 1.5.3 can compile for GPUs. These tests keep it that way and show why, on ILGPU's CPU accelerator and in PTX.
/// </summary>
public class ExplicitFmaFixTests
{
    private const string Kernels = """
        using System;
        using ILGPU;
        using ILGPU.Runtime;
        public static class Kernels
        {
            // As written by the user: RPR5003 reports it.
            public static void Unfixed(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y) => y[i] = a[i] * b[i] + y[i];

            // What the withdrawn fix wrote.
            public static void OldFix(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y) => y[i] = MathF.FusedMultiplyAdd(a[i], b[i], y[i]);
        }
        """;

    [Fact]
    public void RPR5003_has_no_code_fix()
    {
        var providers = typeof(Repro.Analyzers.CodeFixes.DocumentFixer).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(t))
            .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!)
            .ToList();
        Assert.NotEmpty(providers);
        Assert.DoesNotContain(providers, p => p.FixableDiagnosticIds.Contains("RPR5003"));
    }

    /// <summary>
    /// The kernel as written runs on ILGPU's CPU accelerator and gives the CPU's a * b + c bit for bit; compiled for CUDA
    /// (PTX, no GPU needed) it is a mul.f32 feeding an add.f32, which ptxas may contract: the rule's premise. The kernel
    /// the old fix wrote compiles to a call of an external FusedMultiplyAdd that the PTX module does not define, so it
    /// would not load on any NVIDIA GPU: the reason the fix is withdrawn.
    /// </summary>
    [Fact]
    public void The_old_fix_does_not_compile_for_CUDA_and_the_unfixed_kernel_matches_the_CPU()
    {
        var assembly = Compile(Kernels);
        const int n = 4096;
        var a = new float[n];
        var b = new float[n];
        var c = new float[n];
        var rng = new Random(12345);
        for (var i = 0; i < n; i++)
        {
            a[i] = (float)((rng.NextDouble() * 2) - 1);
            b[i] = (float)((rng.NextDouble() * 2) - 1);
            c[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        using (var context = Context.Create(builder => builder.CPU()))
        using (var accelerator = context.CreateCPUAccelerator(0))
        {
            var unfixed = Run(accelerator, assembly, "Unfixed", a, b, c);
            for (var i = 0; i < n; i++)
                Assert.Equal(BitConverter.SingleToInt32Bits((a[i] * b[i]) + c[i]), BitConverter.SingleToInt32Bits(unfixed[i]));
        }

        var unfixedPtx = Ptx(assembly, "Unfixed");
        var oldFixPtx = Ptx(assembly, "OldFix");
        Assert.Matches(@"mul(\.rn)?\.f32", unfixedPtx);
        Assert.DoesNotContain(".extern", unfixedPtx, StringComparison.Ordinal);
        Assert.Matches(@"\.extern\s+\.func[^;]*FusedMultiplyAdd", oldFixPtx);
    }

    private static string Ptx(Assembly assembly, string name)
    {
        var method = assembly.GetType("Kernels")!.GetMethod(name)!;
        using var context = Context.Create(builder => builder.Math(MathMode.Default));
        using var backend = new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_80), CudaArchitecture.SM_80, CudaInstructionSet.ISA_85, null);
        var compiled = (PTXCompiledKernel)backend.Compile(EntryPointDescription.FromImplicitlyGroupedKernel(method), default);
        return compiled.PTXAssembly;
    }

    private static float[] Run(Accelerator accelerator, Assembly assembly, string name, float[] a, float[] b, float[] c)
    {
        var method = assembly.GetType("Kernels")!.GetMethod(name)!;
        var kernel = (Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>)Delegate.CreateDelegate(
            typeof(Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>), method);
        var launch = accelerator.LoadAutoGroupedStreamKernel(kernel);
        using var da = accelerator.Allocate1D(a);
        using var db = accelerator.Allocate1D(b);
        using var dy = accelerator.Allocate1D(c);
        launch(a.Length, da.View, db.View, dy.View);
        accelerator.Synchronize();
        return dy.GetAsArray1D();
    }

    private static Assembly Compile(string source)
    {
        var references = TestReferences.FrameworkReferences
            .Add(MetadataReference.CreateFromFile(typeof(Context).Assembly.Location));
        var compilation = CSharpCompilation.Create(
            "FmaKernels" + Guid.NewGuid().ToString("N"),
            [CSharpSyntaxTree.ParseText(source)],
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: Microsoft.CodeAnalysis.OptimizationLevel.Release));
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        Assert.True(result.Success, string.Join(Environment.NewLine, result.Diagnostics));
        return Assembly.Load(stream.ToArray());
    }
}
