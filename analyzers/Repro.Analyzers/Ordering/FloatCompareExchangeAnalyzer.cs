using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers.Ordering;

/// <summary>
/// RPR2002: <c>Interlocked.CompareExchange(ref double, ...)</c> (or float) inside a retry loop, the usual way
/// to emulate an atomic float add. Integer atomics are exact and are not reported.
/// </summary>
public sealed class FloatCompareExchangeAnalyzer : RuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.FloatCompareExchangeLoop);

    internal override void Register(RuleRegistrar registrar)
    {
        registrar.RegisterInvocationAction(Analyze, "CompareExchange");
    }

    private static void Analyze(OperationAnalysisContext context)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        if (!method.IsMethod("System.Threading.Interlocked", "CompareExchange") || invocation.Arguments.Length != 3)
            return;

        var location = invocation.Arguments[0];
        if (!location.Value.Type.IsFloatingPoint() || !invocation.IsInsideLoop())
            return;

        context.ReportDiagnostic(Diagnostic.Create(
            RuleCatalog.FloatCompareExchangeLoop, invocation.Syntax.GetLocation(), location.Value.Syntax.ToString()));
    }
}
