using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers.Gpu;

/// <summary>
/// In ILGPU kernels (methods taking an <c>Index1D/2D/3D</c>, or reading <c>Grid</c>/<c>Group</c> indices):
/// RPR5001: float or double <c>Atomic.Add</c>; RPR5002: XMath/Math/MathF and CUDA <c>LibDevice</c> transcendentals
/// (not <c>Rcp</c> nor double <c>Rsqrt</c>, which ILGPU lowers to correctly rounded instructions);
/// RPR5003: <c>a * b + c</c> on floats, which the GPU assembler may contract into an FMA.
/// </summary>
public sealed class KernelAnalyzer : RuleAnalyzer
{
    private static readonly NameSet Transcendentals = new(
        "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Atan2", "Sinh", "Cosh", "Tanh", "Exp", "Exp2", "Log", "Log2",
        "Log10", "Pow", "Rsqrt", "Cbrt", "SinCos");

    /// <summary>NVIDIA libdevice's functions as ILGPU exposes them: accurate to documented ulps, not correctly rounded.</summary>
    private static readonly NameSet LibDeviceFunctions = new(
        "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Atan2", "Sinh", "Cosh", "Tanh", "Asinh", "Acosh", "Atanh", "Exp", "Exp2",
        "Exp10", "Expm1", "Log", "Log2", "Log10", "Log1p", "Pow", "Powi", "Rsqrt", "Cbrt", "Rcbrt", "SinCos", "SinPi", "CosPi",
        "SinCosPi", "Erf", "Erfc", "Erfinv", "Erfcinv", "Erfcx", "Lgamma", "Tgamma", "Hypot", "Rhypot", "Norm3d", "Rnorm3d",
        "Norm4d", "Rnorm4d", "Normcdf", "Normcdfinv", "J0", "J1", "Jn", "Y0", "Y1", "Yn", "CylBesselI0", "CylBesselI1", "Logb");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.KernelFloatAtomicAdd, RuleCatalog.KernelTranscendental, RuleCatalog.KernelImplicitFma);

    internal override void Register(RuleRegistrar registrar)
    {
        // Whether the compilation can contain kernels is decided at the first body, not at compilation start: a
        // compilation start action can run before the compiler has bound the references, and then it pays for that.
        var compilation = registrar.Compilation;
        var hasIlgpu = new Lazy<bool>(() => ReferencesIlgpu(compilation) && compilation.GetTypeByMetadataName("ILGPU.Index1D") is not null);

        // Kernels are few: their callbacks are registered per kernel body, not through the shared registrar.
        registrar.RegisterOperationBlockStartAction(block =>
        {
            if (block.OwningSymbol is not IMethodSymbol method || !hasIlgpu.Value || !IsKernel(method, block.OperationBlocks))
                return;

            block.RegisterOperationAction(AnalyzeInvocation, OperationKind.Invocation);
            block.RegisterOperationAction(AnalyzeBinary, OperationKind.Binary);
        });
    }

    /// <summary>ILGPU among the references (by file or assembly name, which binds nothing), or Index1D declared in source.</summary>
    private static bool ReferencesIlgpu(Compilation compilation)
    {
        foreach (var reference in compilation.ExternalReferences)
        {
            var name = reference switch
            {
                PortableExecutableReference { FilePath: { } path } => Path.GetFileName(path),
                CompilationReference project => project.Compilation.AssemblyName ?? string.Empty,
                _ => reference.Display ?? string.Empty,
            };
            if (name.StartsWith("ILGPU", StringComparison.OrdinalIgnoreCase))
                return true;
        }

        return compilation.ContainsSymbolsWithName("Index1D", SymbolFilter.Type);
    }

    private static bool IsKernel(IMethodSymbol method, ImmutableArray<IOperation> blocks)
    {
        if (method.Parameters.Any(p => p.Type.ContainingNamespace.Is("ILGPU")
            && p.Type.Name is "Index1D" or "Index2D" or "Index3D" or "LongIndex1D" or "LongIndex2D" or "LongIndex3D"))
        {
            return true;
        }

        // Most methods of a program that references ILGPU are not kernels. A look at the tokens (does the body name Grid
        // or Group at all?) rejects them without building and walking their operation trees.
        if (!blocks.Any(b => MentionsGridOrGroup(b.Syntax)))
            return false;

        return blocks.SelectMany(b => b.Descendants()).OfType<IPropertyReferenceOperation>()
            .Any(p => p.Property.ContainingType.Is("ILGPU.Grid") || p.Property.ContainingType.Is("ILGPU.Group"));
    }

    private static bool MentionsGridOrGroup(SyntaxNode syntax)
    {
        foreach (var token in syntax.DescendantTokens())
        {
            if (token.RawKind == (int)Microsoft.CodeAnalysis.CSharp.SyntaxKind.IdentifierToken && token.ValueText is "Grid" or "Group")
                return true;
        }

        return false;
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        var type = method.ContainingType;
        if (method.Name == "Add" && type.Is("ILGPU.Atomic") && invocation.Arguments.Length == 2
            && invocation.Arguments[1].Value.Type.IsFloatingPoint())
        {
            context.ReportDiagnostic(Diagnostic.Create(
                RuleCatalog.KernelFloatAtomicAdd, invocation.Syntax.GetLocation(), invocation.Arguments[0].Value.Syntax.ToString()));
            return;
        }

        var isMath = type.Is("ILGPU.Algorithms.XMath") || type.Is("System.Math") || type.Is("System.MathF")
            || type.Is("ILGPU.IntrinsicMath");
        var isApproximate = isMath && Transcendentals.Contains(method.Name)
            && !(method.Name == "Rsqrt" && method.ReturnType.SpecialType == SpecialType.System_Double)
            || type.Is("ILGPU.Runtime.Cuda.LibDevice") && LibDeviceFunctions.Contains(method.Name);
        if (isApproximate)
        {
            context.ReportDiagnostic(Diagnostic.Create(
                RuleCatalog.KernelTranscendental, invocation.Syntax.GetLocation(), type.Name + "." + method.Name));
        }
    }

    private static void AnalyzeBinary(OperationAnalysisContext context)
    {
        var binary = (IBinaryOperation)context.Operation;
        if (binary.OperatorKind is not (BinaryOperatorKind.Add or BinaryOperatorKind.Subtract)
            || !binary.Type.IsFloatingPoint() || binary.ConstantValue.HasValue)
        {
            return;
        }

        if (IsMultiply(binary.LeftOperand) || IsMultiply(binary.RightOperand))
        {
            context.ReportDiagnostic(Diagnostic.Create(
                RuleCatalog.KernelImplicitFma, binary.Syntax.GetLocation(), binary.Syntax.ToString(), binary.Type!.ToDisplayString()));
        }
    }

    internal static bool IsMultiply(IOperation operand)
    {
        return operand.Unwrap() is IBinaryOperation { OperatorKind: BinaryOperatorKind.Multiply, ConstantValue.HasValue: false } multiply
            && multiply.Type.IsFloatingPoint();
    }
}
