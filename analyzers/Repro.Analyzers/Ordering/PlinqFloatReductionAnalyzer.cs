using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers.Ordering;

/// <summary>RPR2003: PLINQ <c>Sum</c>, <c>Average</c> or <c>Aggregate</c> over float or double values.</summary>
public sealed class PlinqFloatReductionAnalyzer : RuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.PlinqFloatReduction);

    internal override void Register(RuleRegistrar registrar)
    {
        registrar.RegisterInvocationAction(Analyze, "Sum", "Average", "Aggregate");
    }

    private static void Analyze(OperationAnalysisContext context)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        if (!method.IsMethod("System.Linq.ParallelEnumerable", "Sum", "Average", "Aggregate"))
            return;

        var accumulated = AccumulatedType(method);
        if (!accumulated.IsFloatingPoint())
            return;

        context.ReportDiagnostic(Diagnostic.Create(
            RuleCatalog.PlinqFloatReduction, invocation.Syntax.GetLocation(),
            method.Name, accumulated!.ToDisplayString()));
    }

    /// <summary>The type the reduction adds up: the selector's result, the accumulator, or the element type.</summary>
    private static ITypeSymbol? AccumulatedType(IMethodSymbol method)
    {
        if (method.Name == "Aggregate")
            return method.TypeArguments.Length > 1 ? method.TypeArguments[1] : method.TypeArguments[0];

        if (method.Parameters.Length > 1 && method.Parameters[1].Type is INamedTypeSymbol { DelegateInvokeMethod: { } invoke })
            return invoke.ReturnType;

        return method.Parameters[0].Type is INamedTypeSymbol { TypeArguments.Length: 1 } source
            ? source.TypeArguments[0]
            : null;
    }
}
