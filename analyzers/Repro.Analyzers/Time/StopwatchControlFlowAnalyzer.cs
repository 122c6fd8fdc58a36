using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers.Time;

/// <summary>
/// RPR4002: <c>Stopwatch.Elapsed</c>/<c>ElapsedMilliseconds</c>/<c>ElapsedTicks</c> or <c>Stopwatch.GetElapsedTime</c>
/// deciding a loop or branch, such as a time-budgeted training loop. Stopwatches that only time and print
/// progress are not reported.
/// </summary>
public sealed class StopwatchControlFlowAnalyzer : RuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.StopwatchControlFlow);

    internal override void Register(RuleRegistrar registrar)
    {
        registrar.RegisterPropertyReferenceAction(AnalyzeProperty, "Elapsed", "ElapsedMilliseconds", "ElapsedTicks");
        registrar.RegisterInvocationAction(AnalyzeCall, "GetElapsedTime");
    }

    private static void AnalyzeProperty(OperationAnalysisContext context)
    {
        var reference = (IPropertyReferenceOperation)context.Operation;
        if (reference.IsMember("System.Diagnostics.Stopwatch", "Elapsed", "ElapsedMilliseconds", "ElapsedTicks"))
            Report(context, reference, "Stopwatch." + reference.Property.Name);
    }

    private static void AnalyzeCall(OperationAnalysisContext context)
    {
        var call = (IInvocationOperation)context.Operation;
        if (call.TargetMethod.IsMethod("System.Diagnostics.Stopwatch", "GetElapsedTime"))
            Report(context, call, "Stopwatch.GetElapsedTime");
    }

    private static void Report(OperationAnalysisContext context, IOperation source, string api)
    {
        if (TimeUse.FindDecision(source, source.Root(), numericArguments: false, depth: 0) is { } decision)
        {
            context.ReportDiagnostic(Diagnostic.Create(
                RuleCatalog.StopwatchControlFlow, source.Syntax.GetLocation(), api, decision));
        }
    }
}
