using System.Collections.Immutable;
using System.Runtime.CompilerServices;
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
public sealed class WallClockAnalyzer : RuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.WallClockInComputation);

    internal override void Register(RuleRegistrar registrar)
    {
        registrar.RegisterPropertyReferenceAction(Analyze, "Now", "UtcNow", "Today", "TickCount", "TickCount64", "System");
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
        // The name decides first: almost every property reference is rejected without looking at its type.
        var type = reference.Property.ContainingType;
        return reference.Property.Name switch
        {
            "Now" or "UtcNow" => type.Is("System.DateTime") || type.Is("System.DateTimeOffset"),
            "Today" => type.Is("System.DateTime"),
            "TickCount" or "TickCount64" => type.Is("System.Environment"),
            "System" => type.Is("System.TimeProvider"),
            _ => false,
        };
    }
}
