using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Repro.Bench.AnalyzerPerf;

/// <summary>
/// Registers what Repro.Analyzers' ReproAnalyzer registers (one callback per operation kind its rules use, and an
/// operation-block start action) and does nothing in them: the cost of being called.
/// </summary>
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
        context.RegisterCompilationStartAction(start =>
        {
            foreach (var kind in new[]
            {
                OperationKind.Invocation, OperationKind.ObjectCreation, OperationKind.Loop, OperationKind.SimpleAssignment,
                OperationKind.PropertyReference, OperationKind.Conditional,
            })
            {
                start.RegisterOperationAction(_ => { }, kind);
            }

            start.RegisterOperationBlockStartAction(_ => { });
        });
    }
}
