using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers.Ordering;

/// <summary>
/// RPR2006: enumeration of a <c>ConcurrentDictionary</c> or <c>Hashtable</c> (or their Keys and Values), whose
/// order follows hash buckets, feeding results. Lookups, counts and enumeration that is sorted right after are fine.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class UnorderedCollectionAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.UnorderedCollectionEnumeration);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterOperationAction(Analyze, OperationKind.Invocation, OperationKind.ObjectCreation, OperationKind.Loop);
    }

    private static void Analyze(OperationAnalysisContext context)
    {
        foreach (var reference in Consumers.Operands(context.Operation))
        {
            var type = reference.Type;
            if (type?.Name is not ("ConcurrentDictionary" or "Hashtable") || !(type.Is("System.Collections.Concurrent.ConcurrentDictionary`2") || type.Is("System.Collections.Hashtable"))
                || reference.ReferencedSymbol() is null || !OrderUse.IsOrderSensitive(reference, reference.Root(), 0))
            {
                continue;
            }

            context.ReportDiagnostic(Diagnostic.Create(
                RuleCatalog.UnorderedCollectionEnumeration, reference.Syntax.GetLocation(), type!.Name));
        }
    }
}
