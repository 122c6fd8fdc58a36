using System.Collections.Immutable;
using System.Linq;
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
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class HardwareBranchAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.HardwareBranch, RuleCatalog.FmaBranch);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterOperationAction(Analyze, OperationKind.Conditional);
    }

    private static void Analyze(OperationAnalysisContext context)
    {
        var conditional = (IConditionalOperation)context.Operation;
        var condition = conditional.Condition;
        var probes = new[] { condition }.Concat(condition.Descendants()).OfType<IPropertyReferenceOperation>().ToList();

        var fma = probes.FirstOrDefault(p => p.Property.Name == "IsSupported" && p.Property.ContainingType.Name == "Fma"
            && p.Property.ContainingType.ContainingNamespace?.ToDisplayString() == "System.Runtime.Intrinsics.X86");
        if (fma is not null)
        {
            context.ReportDiagnostic(Diagnostic.Create(RuleCatalog.FmaBranch, condition.Syntax.GetLocation(), Describe(fma)));
            return;
        }

        var probe = probes.FirstOrDefault(IsHardwareProbe);
        if (probe is null)
            return;

        var reduces = FloatReduction.Performs(conditional.WhenTrue)
            || conditional.WhenFalse is { } whenFalse && FloatReduction.Performs(whenFalse)
            || context.ContainingSymbol is IMethodSymbol method && method.ReturnType.IsFloatingPoint()
                && (ContainsReturn(conditional.WhenTrue) || conditional.WhenFalse is { } other && ContainsReturn(other)
                    || !conditional.IsRef && conditional.Parent is IReturnOperation);
        if (reduces)
            context.ReportDiagnostic(Diagnostic.Create(RuleCatalog.HardwareBranch, condition.Syntax.GetLocation(), Describe(probe)));
    }

    private static bool ContainsReturn(IOperation operation)
    {
        return operation is IReturnOperation || operation.Descendants().OfType<IReturnOperation>().Any();
    }

    private static bool IsHardwareProbe(IPropertyReferenceOperation reference)
    {
        var type = reference.Property.ContainingType;
        var ns = type.ContainingNamespace?.ToDisplayString();
        if (reference.Property.Name == "IsHardwareAccelerated")
            return ns is "System.Numerics" or "System.Runtime.Intrinsics";

        return reference.Property.Name == "IsSupported"
            && ns is "System.Runtime.Intrinsics.X86" or "System.Runtime.Intrinsics.Arm" or "System.Runtime.Intrinsics.Wasm";
    }

    private static string Describe(IPropertyReferenceOperation reference)
    {
        var type = reference.Property.ContainingType;
        var owner = type.ContainingType is { } outer ? outer.Name + "." + type.Name : type.Name;
        return owner + "." + reference.Property.Name;
    }
}
