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
        context.RegisterOperationAction(
            Analyze, OperationKind.LocalReference, OperationKind.FieldReference,
            OperationKind.ParameterReference, OperationKind.PropertyReference);
    }

    private static void Analyze(OperationAnalysisContext context)
    {
        var reference = context.Operation;
        var type = reference.Type;
        if (!(type.Is("System.Collections.Concurrent.ConcurrentDictionary`2") || type.Is("System.Collections.Hashtable")))
            return;

        if (!OrderUse.IsOrderSensitive(reference, reference.Root(), 0))
            return;

        context.ReportDiagnostic(Diagnostic.Create(
            RuleCatalog.UnorderedCollectionEnumeration, reference.Syntax.GetLocation(), type!.Name));
    }
}
