using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers.Ordering;

/// <summary>
/// RPR2006: enumeration of a <c>ConcurrentDictionary</c> or <c>Hashtable</c> (or their Keys and Values), whose
/// order follows hash buckets, feeding results. Lookups, counts, enumeration that is sorted right after, per-key updates
/// and a <c>GetEnumerator</c> that only hands the collection's own enumeration on (its callers decide) are fine.
/// </summary>
public sealed class UnorderedCollectionAnalyzer : RuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.UnorderedCollectionEnumeration);

    internal override void Register(RuleRegistrar registrar)
    {
        registrar.RegisterOperandAction(AnalyzeCandidate, "ConcurrentDictionary", "Hashtable");
    }

    private static void AnalyzeCandidate(OperationAnalysisContext context, IOperation reference)
    {
        var type = reference.Type!;
        if (context.ContainingSymbol is IMethodSymbol method
            && (method.Name == "GetEnumerator" || method.Name.EndsWith(".GetEnumerator", System.StringComparison.Ordinal)))
        {
            return;
        }

        if (!(type.Is("System.Collections.Concurrent.ConcurrentDictionary`2") || type.Is("System.Collections.Hashtable"))
            || reference.ReferencedSymbol() is null || !OrderUse.IsOrderSensitive(reference, reference.Root(), 0))
        {
            return;
        }

        context.ReportDiagnostic(Diagnostic.Create(RuleCatalog.UnorderedCollectionEnumeration, reference.Syntax.GetLocation(), type.Name));
    }
}
