using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers.Time;

/// <summary>
/// RPR4001: <c>DateTime.Now</c>/<c>UtcNow</c>/<c>Today</c>, <c>DateTimeOffset.Now</c>/<c>UtcNow</c>,
/// <c>Environment.TickCount</c> or <c>TimeProvider.System</c> whose value reaches a condition, a comparison or a
/// numeric computation. Use only in logs, formatted text, file names or stored timestamps is not reported.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class WallClockAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.WallClockInComputation);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterOperationAction(Analyze, OperationKind.PropertyReference);
    }

    private static void Analyze(OperationAnalysisContext context)
    {
        var reference = (IPropertyReferenceOperation)context.Operation;
        if (!IsClock(reference))
            return;

        if (TimeUse.FindDecision(reference, reference.Root(), numericArguments: true, depth: 0) is { } decision)
        {
            var api = reference.Property.ContainingType.Name + "." + reference.Property.Name;
            context.ReportDiagnostic(Diagnostic.Create(
                RuleCatalog.WallClockInComputation, reference.Syntax.GetLocation(), api, decision));
        }
    }

    private static bool IsClock(IPropertyReferenceOperation reference)
    {
        return reference.IsMember("System.DateTime", "Now", "UtcNow", "Today")
            || reference.IsMember("System.DateTimeOffset", "Now", "UtcNow")
            || reference.IsMember("System.Environment", "TickCount", "TickCount64")
            || reference.IsMember("System.TimeProvider", "System");
    }
}
