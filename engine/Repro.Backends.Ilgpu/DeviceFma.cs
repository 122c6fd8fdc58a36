using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.OpenCL;
using ILGPU.Backends.PTX;
using ILGPU.IR;
using ILGPU.IR.Intrinsics;
using ILGPU.IR.Values;
using Repro.Engine.Numerics;

namespace Repro.Backends.Ilgpu;

// The fused multiply-add of each accelerator, as the engine's IFma type argument. ILGPU 1.5.3 cannot
// compile the runtime's MathF/Math.FusedMultiplyAdd for GPUs (internal calls: on PTX an unresolved
// .extern .func FusedMultiplyAdd, in OpenCL C an undeclared function), and CudaAsm.IsSupported is not
// folded at compile time, so a runtime test cannot hide the call. So DetMath<TFma>,
// ScalarOps.Apply<TFma>, the normal draws and the matmul kernels take the FMA as a struct type argument:
// PtxFma on CUDA, OpenClFma on OpenCL, the engine's HostFma on the CPU
// accelerator (which runs kernels as .NET code). All are IEEE fusedMultiplyAdd, so the results are the same bits.

/// <summary>
/// PTX <c>fma.rn</c> and <c>mul.rn</c>: the engine's <see cref="IFma"/> for CUDA kernels. The calls go through
/// <see cref="PtxIntrinsics"/>, which ILGPU replaces by the instructions themselves once
/// <see cref="PtxIntrinsics.Register"/> has run on the context (inline assembly through <c>CudaAsm.Emit</c> did the
/// same, but routed every result through a local-memory slot).
/// </summary>
internal readonly struct PtxFma : IFma
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Fma(float a, float b, float c) => PtxIntrinsics.Fma(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Fma(double a, double b, double c) => PtxIntrinsics.Fma(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Mul(double a, double b) => PtxIntrinsics.Mul(a, b);
}

/// <summary>Methods that ILGPU's PTX backend replaces by single PTX instructions (see <see cref="Register"/>).</summary>
/// <remarks>
/// <c>fma.rn</c> is fused and correctly rounded; <c>mul.rn</c> carries an explicit rounding mode, which the PTX
/// specification says keeps ptxas from contracting it with an addition. The bodies run only on the host.
/// </remarks>
internal static class PtxIntrinsics
{
    // [IntrinsicImplementation] makes ILGPU look the method up in the intrinsic manager instead of compiling its body.

    /// <summary><c>fma.rn.f32</c>.</summary>
    [IntrinsicImplementation]
    public static float Fma(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);

    /// <summary><c>fma.rn.f64</c>.</summary>
    [IntrinsicImplementation]
    public static double Fma(double a, double b, double c) => Math.FusedMultiplyAdd(a, b, c);

    /// <summary><c>mul.rn.f64</c>.</summary>
    [IntrinsicImplementation]
    public static double Mul(double a, double b) => a * b;

    /// <summary>Makes the PTX backend of contexts built with <paramref name="builder"/> emit the instructions above.</summary>
    public static Context.Builder Register(Context.Builder builder)
    {
        var manager = builder.GetIntrinsicManager();
        Add(manager, typeof(float), 3, nameof(GenerateFma32));
        Add(manager, typeof(double), 3, nameof(GenerateFma64));
        Add(manager, typeof(double), 2, nameof(GenerateMul64));
        return builder;
    }

    private static void Add(IntrinsicImplementationManager manager, Type type, int arity, string generator)
    {
        string name = arity == 3 ? nameof(Fma) : nameof(Mul);
        var method = typeof(PtxIntrinsics).GetMethod(name, [.. Enumerable.Repeat(type, arity)])!;
        manager.RegisterMethod(method, new PTXIntrinsic(typeof(PtxIntrinsics), generator, IntrinsicImplementationMode.GenerateCode));
    }

    // The generators have PTXIntrinsic.Handler's signature, so the backend parameter stays unused.
#pragma warning disable RCS1163 // Unused parameter
    private static void GenerateFma32(PTXBackend backend, PTXCodeGenerator codeGenerator, Value value) => Emit(codeGenerator, value, "fma.rn.f32");

    private static void GenerateFma64(PTXBackend backend, PTXCodeGenerator codeGenerator, Value value) => Emit(codeGenerator, value, "fma.rn.f64");

    private static void GenerateMul64(PTXBackend backend, PTXCodeGenerator codeGenerator, Value value) => Emit(codeGenerator, value, "mul.rn.f64");
#pragma warning restore RCS1163

    // `instruction target, a, b[, c];` with the arguments in registers.
    private static void Emit(PTXCodeGenerator codeGenerator, Value value, string instruction)
    {
        var call = (MethodCall)value;
        var a = codeGenerator.LoadPrimitive(call[0]);
        var b = codeGenerator.LoadPrimitive(call[1]);
        var c = call.Count > 2 ? codeGenerator.LoadPrimitive(call[2]) : null;
        var target = codeGenerator.AllocateHardware(call);
        using var command = codeGenerator.BeginCommand(instruction);
        command.AppendArgument(target);
        command.AppendArgument(a);
        command.AppendArgument(b);
        if (c is not null)
        {
            command.AppendArgument(c);
        }
    }
}

/// <summary>
/// OpenCL C's <c>fma</c> builtin (correctly rounded by the OpenCL specification), for OpenCL kernels. ILGPU 1.5.3
/// writes <c>Math.FusedMultiplyAdd</c> into OpenCL C as a call to an undeclared function, so the calls go through
/// <see cref="OpenClIntrinsics"/>, whose methods ILGPU replaces by <c>fma(a, b, c)</c> once
/// <see cref="OpenClIntrinsics.Register"/> has run on the context.
/// </summary>
internal readonly struct OpenClFma : IFma
{
    // ILGPU emits every operation as its own OpenCL C statement, and OpenCL compilers contract (FP_CONTRACT) only
    // inside one expression, so a plain product is not fused with a later addition.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Mul(double a, double b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Fma(float a, float b, float c) => OpenClIntrinsics.Fma(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Fma(double a, double b, double c) => OpenClIntrinsics.Fma(a, b, c);
}

/// <summary>Methods that ILGPU's OpenCL backend replaces by OpenCL C builtins (see <see cref="Register"/>).</summary>
internal static class OpenClIntrinsics
{
    // [IntrinsicImplementation] makes ILGPU look the method up in the intrinsic manager instead of compiling its body.

    /// <summary>fma for float32; on the host (never reached by kernels) the runtime's FMA.</summary>
    [IntrinsicImplementation]
    public static float Fma(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);

    /// <summary>fma for float64.</summary>
    [IntrinsicImplementation]
    public static double Fma(double a, double b, double c) => Math.FusedMultiplyAdd(a, b, c);

    /// <summary>Makes the OpenCL backend of contexts built with <paramref name="builder"/> emit <c>fma</c> for <see cref="Fma(float, float, float)"/> and <see cref="Fma(double, double, double)"/>.</summary>
    public static Context.Builder Register(Context.Builder builder)
    {
        var manager = builder.GetIntrinsicManager();
        foreach (var type in new[] { typeof(float), typeof(double) })
        {
            var method = typeof(OpenClIntrinsics).GetMethod(nameof(Fma), [type, type, type])!;
            manager.RegisterMethod(method, new CLIntrinsic(typeof(OpenClIntrinsics), nameof(GenerateFma), IntrinsicImplementationMode.GenerateCode));
        }

        return builder;
    }

    // Writes `target = fma(a, b, c);`. The signature is CLIntrinsic.Handler's, so the backend parameter stays unused.
#pragma warning disable RCS1163 // Unused parameter
    private static void GenerateFma(CLBackend backend, CLCodeGenerator codeGenerator, Value value)
    {
        var call = (MethodCall)value;
        var target = codeGenerator.Allocate(call);
        using var statement = codeGenerator.BeginStatement(target);
        statement.AppendCommand("fma");
        statement.BeginArguments();
        foreach (var argument in call)
        {
            statement.AppendArgument(codeGenerator.Load(argument));
        }

        statement.EndArguments();
    }
#pragma warning restore RCS1163
}
