using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers.Gpu;

/// <summary>
/// In ILGPU kernels (methods taking an <c>Index1D/2D/3D</c>, or reading <c>Grid</c>/<c>Group</c> indices):
/// RPR5001: float or double <c>Atomic.Add</c>; RPR5002: XMath/Math/MathF transcendentals;
/// RPR5003: <c>a * b + c</c> on floats, which the GPU assembler may contract into an FMA.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class KernelAnalyzer : DiagnosticAnalyzer
{
    private static readonly string[] Transcendentals =
    {
        "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Atan2", "Sinh", "Cosh", "Tanh", "Exp", "Exp2", "Log", "Log2",
        "Log10", "Pow", "Rsqrt", "Rcp", "Cbrt", "SinCos",
    };

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.KernelFloatAtomicAdd, RuleCatalog.KernelTranscendental, RuleCatalog.KernelImplicitFma);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            if (start.Compilation.GetTypeByMetadataName("ILGPU.Index1D") is null)
                return;

            start.RegisterOperationBlockStartAction(block =>
            {
                if (block.OwningSymbol is not IMethodSymbol method || !IsKernel(method, block.OperationBlocks))
                    return;

                block.RegisterOperationAction(AnalyzeInvocation, OperationKind.Invocation);
                block.RegisterOperationAction(AnalyzeBinary, OperationKind.Binary);
            });
        });
    }

    private static bool IsKernel(IMethodSymbol method, ImmutableArray<IOperation> blocks)
    {
        if (method.Parameters.Any(p => p.Type.ContainingNamespace?.ToDisplayString() == "ILGPU"
            && p.Type.Name is "Index1D" or "Index2D" or "Index3D" or "LongIndex1D" or "LongIndex2D" or "LongIndex3D"))
        {
            return true;
        }

        return blocks.SelectMany(b => b.Descendants()).OfType<IPropertyReferenceOperation>()
            .Any(p => p.Property.ContainingType.Is("ILGPU.Grid") || p.Property.ContainingType.Is("ILGPU.Group"));
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
        if (isMath && Array.IndexOf(Transcendentals, method.Name) >= 0)
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
