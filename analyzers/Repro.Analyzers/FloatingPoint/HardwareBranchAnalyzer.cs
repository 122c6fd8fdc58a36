using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers.FloatingPoint;

/// <summary>
/// RPR3002: an <c>if</c> or <c>?:</c> on <c>Vector.IsHardwareAccelerated</c>, <c>Vector128/256/512.IsHardwareAccelerated</c>
/// or an instruction-set <c>IsSupported</c> when a branch (or the method, if it returns a float) reduces floats.
/// RPR3004: any branch on <c>Fma.IsSupported</c>, whose two sides round differently.
/// </summary>
public sealed class HardwareBranchAnalyzer : RuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.HardwareBranch, RuleCatalog.FmaBranch);

    internal override void Register(RuleRegistrar registrar)
    {
        // Starts from the probes, found by name, rather than from every if and ?: in the program.
        registrar.RegisterPropertyReferenceAction(Analyze, "IsSupported", "IsHardwareAccelerated");
    }

    private static void Analyze(OperationAnalysisContext context)
    {
        var reference = (IPropertyReferenceOperation)context.Operation;

        // The branches this probe is part of the condition of: each conditional reached through its Condition.
        for (IOperation child = reference, parent = reference.Parent!; parent is not null; child = parent, parent = parent.Parent!)
        {
            if (parent is IConditionalOperation conditional && conditional.Condition == child)
                AnalyzeBranch(context, conditional, reference);
        }
    }

    /// <summary>A branch is decided by one probe of its condition (the first Fma.IsSupported, else the first other), so it is reported once.</summary>
    private static void AnalyzeBranch(OperationAnalysisContext context, IConditionalOperation conditional, IPropertyReferenceOperation reference)
    {
        var condition = conditional.Condition;
        IPropertyReferenceOperation? fma = null;
        IPropertyReferenceOperation? probe = null;
        Classify(condition, ref fma, ref probe);
        foreach (var operation in condition.Descendants())
            Classify(operation, ref fma, ref probe);

        if (fma is not null)
        {
            if (fma == reference)
                context.ReportDiagnostic(Diagnostic.Create(RuleCatalog.FmaBranch, condition.Syntax.GetLocation(), Describe(fma)));
            return;
        }

        if (probe != reference)
            return;

        var reduces = FloatReduction.Performs(conditional.WhenTrue)
            || conditional.WhenFalse is { } whenFalse && FloatReduction.Performs(whenFalse)
            || context.ContainingSymbol is IMethodSymbol method && method.ReturnType.IsFloatingPoint()
                && (ContainsReturn(conditional.WhenTrue) || conditional.WhenFalse is { } other && ContainsReturn(other)
                    || !conditional.IsRef && conditional.Parent is IReturnOperation);
        if (reduces)
            context.ReportDiagnostic(Diagnostic.Create(RuleCatalog.HardwareBranch, condition.Syntax.GetLocation(), Describe(probe)));
    }

    private static void Classify(IOperation operation, ref IPropertyReferenceOperation? fma, ref IPropertyReferenceOperation? probe)
    {
        if (operation is not IPropertyReferenceOperation { Property.Name: "IsSupported" or "IsHardwareAccelerated" } reference)
            return;

        var type = reference.Property.ContainingType;
        if (fma is null && type.Name == "Fma" && reference.Property.Name == "IsSupported"
            && type.ContainingNamespace.Is("System.Runtime.Intrinsics.X86"))
        {
            fma = reference;
        }
        else if (probe is null && IsHardwareProbe(reference))
        {
            probe = reference;
        }
    }

    private static bool ContainsReturn(IOperation operation)
    {
        if (operation is IReturnOperation)
            return true;

        foreach (var descendant in operation.Descendants())
        {
            if (descendant is IReturnOperation)
                return true;
        }

        return false;
    }

    private static bool IsHardwareProbe(IPropertyReferenceOperation reference)
    {
        var ns = reference.Property.ContainingType.ContainingNamespace;
        if (reference.Property.Name == "IsHardwareAccelerated")
            return ns.Is("System.Numerics") || ns.Is("System.Runtime.Intrinsics");

        return reference.Property.Name == "IsSupported"
            && (ns.Is("System.Runtime.Intrinsics.X86") || ns.Is("System.Runtime.Intrinsics.Arm") || ns.Is("System.Runtime.Intrinsics.Wasm"));
    }

    private static string Describe(IPropertyReferenceOperation reference)
    {
        var type = reference.Property.ContainingType;
        var owner = type.ContainingType is { } outer ? outer.Name + "." + type.Name : type.Name;
        return owner + "." + reference.Property.Name;
    }
}
