using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Repro.Bench.AnalyzerPerf;

/// <summary>Does nothing on the operations Repro.Analyzers listens to; measures the cost of being called.</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class EmptyAnalyzer : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor Rule = new(
        "EMPTY0001", "Never reported", "Never reported", "Benchmark", DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterOperationAction(
            _ => { },
            OperationKind.Invocation, OperationKind.ObjectCreation, OperationKind.PropertyReference, OperationKind.Argument,
            OperationKind.SimpleAssignment, OperationKind.Binary, OperationKind.Conditional, OperationKind.LocalReference,
            OperationKind.FieldReference, OperationKind.ParameterReference);
    }
}
