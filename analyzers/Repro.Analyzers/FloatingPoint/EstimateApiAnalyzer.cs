using System;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers.FloatingPoint;

/// <summary>
/// RPR3003: <c>MultiplyAddEstimate</c>, <c>ReciprocalEstimate</c>, <c>ReciprocalSqrtEstimate</c> (on Math, MathF,
/// float, double, Half, the vector types and the generic-math interfaces) and the x86 <c>Reciprocal*</c>
/// approximation intrinsics, whose results depend on the CPU.
/// </summary>
public sealed class EstimateApiAnalyzer : RuleAnalyzer
{
    private static readonly NameSet EstimateMethods = new("MultiplyAddEstimate", "ReciprocalEstimate", "ReciprocalSqrtEstimate");
    private static readonly NameSet X86Approximations = new("Reciprocal", "ReciprocalSqrt", "ReciprocalScalar", "ReciprocalSqrtScalar");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.EstimateApi);

    internal override void Register(RuleRegistrar registrar)
    {
        registrar.RegisterInvocationAction(Analyze, NameSet.Union(EstimateMethods, X86Approximations));
    }

    private static void Analyze(OperationAnalysisContext context)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        var estimate = EstimateMethods.Contains(method.Name);
        if (!estimate && !X86Approximations.Contains(method.Name))
            return;

        var ns = method.ContainingType.ContainingNamespace;
        var isEstimate = estimate && ns.IsIn("System");
        var isX86 = !estimate && ns.Is("System.Runtime.Intrinsics.X86");
        if (!isEstimate && !isX86)
            return;

        context.ReportDiagnostic(Diagnostic.Create(
            RuleCatalog.EstimateApi, invocation.Syntax.GetLocation(), method.ContainingType.Name + "." + method.Name));
    }
}
