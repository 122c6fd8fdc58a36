using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers.Randomness;

/// <summary>
/// RPR1001: <c>new Random()</c> and <c>Random.Shared</c>, which are seeded from a per-process source.
/// RPR1006 instead, when the names around it say it picks a cosmetic value (a colour, retry jitter); nothing when they
/// say it makes a secret (a token, salt, password), which is a security question (CA5394), not a reproducibility one.
/// RPR1003: a <c>Random</c> made inside a per-thread factory (<c>ThreadLocal</c> or <c>localInit</c>).
/// </summary>
public sealed class UnseededRandomAnalyzer : RuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.UnseededRandom, RuleCatalog.PerThreadRandom, RuleCatalog.CosmeticRandom);

    internal override void Register(RuleRegistrar registrar)
    {
        registrar.RegisterObjectCreationAction(AnalyzeCreation, "Random");
        registrar.RegisterPropertyReferenceAction(AnalyzeShared, "Shared");
    }

    // System.Random is recognized by name (simple name first) rather than through a metadata lookup at compilation
    // start: the lookup searches every reference, and the name test rejects nearly every operation at once.
    private static bool IsSystemRandom(ITypeSymbol? type) => type is { Name: "Random" } && type.Is("System.Random");

    private static void AnalyzeCreation(OperationAnalysisContext context)
    {
        var creation = (IObjectCreationOperation)context.Operation;
        if (!IsSystemRandom(creation.Type))
            return;

        if (creation.Arguments.Length == 0)
        {
            ReportUnseeded(context, creation, "new Random()");
            return;
        }

        if (PerThreadFactory(creation) is { } factory)
        {
            context.ReportDiagnostic(Diagnostic.Create(
                RuleCatalog.PerThreadRandom, creation.Syntax.GetLocation(), factory));
        }
    }

    private static void AnalyzeShared(OperationAnalysisContext context)
    {
        var reference = (IPropertyReferenceOperation)context.Operation;
        if (reference.Property.Name != "Shared" || !IsSystemRandom(reference.Property.ContainingType))
            return;

        var text = reference.Parent is IInvocationOperation invocation && invocation.Instance == reference
            ? "Random.Shared." + invocation.TargetMethod.Name
            : "Random.Shared";
        ReportUnseeded(context, reference, text);
    }

    private static void ReportUnseeded(OperationAnalysisContext context, IOperation generator, string text)
    {
        var (purpose, name) = RandomPurposes.Classify(generator, context.ContainingSymbol);
        switch (purpose)
        {
            case RandomPurpose.Security:
                return;
            case RandomPurpose.Cosmetic:
                context.ReportDiagnostic(Diagnostic.Create(RuleCatalog.CosmeticRandom, generator.Syntax.GetLocation(), text, name));
                return;
            default:
                context.ReportDiagnostic(Diagnostic.Create(RuleCatalog.UnseededRandom, generator.Syntax.GetLocation(), text));
                return;
        }
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
