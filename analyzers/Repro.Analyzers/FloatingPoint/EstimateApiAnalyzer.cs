using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Repro.Analyzers.FloatingPoint;

/// <summary>
/// RPR3003: <c>MultiplyAddEstimate</c>, <c>ReciprocalEstimate</c>, <c>ReciprocalSqrtEstimate</c> (on Math, MathF,
/// float, double, Half, the vector types and the generic-math interfaces) and the x86 <c>Reciprocal*</c>
/// approximation intrinsics, whose results depend on the CPU.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class EstimateApiAnalyzer : DiagnosticAnalyzer
{
    private static readonly string[] EstimateMethods = { "MultiplyAddEstimate", "ReciprocalEstimate", "ReciprocalSqrtEstimate" };
    private static readonly string[] X86Approximations = { "Reciprocal", "ReciprocalSqrt", "ReciprocalScalar", "ReciprocalSqrtScalar" };

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.EstimateApi);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterOperationAction(Analyze, OperationKind.Invocation);
    }

    private static void Analyze(OperationAnalysisContext context)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        var estimate = Array.IndexOf(EstimateMethods, method.Name) >= 0;
        if (!estimate && Array.IndexOf(X86Approximations, method.Name) < 0)
            return;

        var ns = method.ContainingType.ContainingNamespace?.ToDisplayString() ?? string.Empty;
        var isEstimate = estimate && (ns == "System" || ns.StartsWith("System.", StringComparison.Ordinal));
        var isX86 = !estimate && ns == "System.Runtime.Intrinsics.X86";
        if (!isEstimate && !isX86)
            return;

        context.ReportDiagnostic(Diagnostic.Create(
            RuleCatalog.EstimateApi, invocation.Syntax.GetLocation(), method.ContainingType.Name + "." + method.Name));
    }
}
