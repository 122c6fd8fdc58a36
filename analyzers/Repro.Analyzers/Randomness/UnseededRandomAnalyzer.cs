using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers.Randomness;

/// <summary>
/// RPR1001: <c>new Random()</c> and <c>Random.Shared</c>, which are seeded from a per-process source.
/// RPR1003: a <c>Random</c> made inside a per-thread factory (<c>ThreadLocal</c> or <c>localInit</c>).
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class UnseededRandomAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.UnseededRandom, RuleCatalog.PerThreadRandom);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var random = start.Compilation.GetTypeByMetadataName("System.Random");
            if (random is null)
                return;

            start.RegisterOperationAction(c => AnalyzeCreation(c, random), OperationKind.ObjectCreation);
            start.RegisterOperationAction(c => AnalyzeShared(c, random), OperationKind.PropertyReference);
        });
    }

    private static void AnalyzeCreation(OperationAnalysisContext context, INamedTypeSymbol random)
    {
        var creation = (IObjectCreationOperation)context.Operation;
        if (!SymbolEqualityComparer.Default.Equals(creation.Type, random))
            return;

        if (creation.Arguments.Length == 0)
        {
            context.ReportDiagnostic(Diagnostic.Create(
                RuleCatalog.UnseededRandom, creation.Syntax.GetLocation(), "new Random()"));
            return;
        }

        if (PerThreadFactory(creation) is { } factory)
        {
            context.ReportDiagnostic(Diagnostic.Create(
                RuleCatalog.PerThreadRandom, creation.Syntax.GetLocation(), factory));
        }
    }

    private static void AnalyzeShared(OperationAnalysisContext context, INamedTypeSymbol random)
    {
        var reference = (IPropertyReferenceOperation)context.Operation;
        if (reference.Property.Name != "Shared"
            || !SymbolEqualityComparer.Default.Equals(reference.Property.ContainingType, random))
        {
            return;
        }

        var text = reference.Parent is IInvocationOperation invocation && invocation.Instance == reference
            ? "Random.Shared." + invocation.TargetMethod.Name
            : "Random.Shared";
        context.ReportDiagnostic(Diagnostic.Create(RuleCatalog.UnseededRandom, reference.Syntax.GetLocation(), text));
    }

    /// <summary>Names the per-thread factory the creation sits in, or null when it is in none.</summary>
    private static string? PerThreadFactory(IOperation creation)
    {
        var lambda = creation.EnclosingLambda();
        if (lambda?.Parent is not IDelegateCreationOperation { Parent: IArgumentOperation argument })
            return null;

        if (argument.Parent is IObjectCreationOperation owner && owner.Type.Is("System.Threading.ThreadLocal`1"))
            return "ThreadLocal<Random>";

        if (argument.Parent is IInvocationOperation call
            && call.TargetMethod.ContainingType.Is("System.Threading.Tasks.Parallel")
            && argument.Parameter?.Name == "localInit")
        {
            return "Parallel." + call.TargetMethod.Name + " localInit";
        }

        return null;
    }
}
