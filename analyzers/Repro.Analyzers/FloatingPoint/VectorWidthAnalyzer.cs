using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers.FloatingPoint;

/// <summary>
/// RPR3001: <c>Vector&lt;float&gt;.Count</c> (or double) in a method that reduces floats. Its value is 4, 8 or 16
/// depending on the CPU, so the blocks the sum is split into, and the rounding, change between machines.
/// Element-wise loops, which do not reduce, are not reported. Reported once per method, at the first use.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class VectorWidthAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.HardwareVectorWidth);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterOperationAction(Analyze, OperationKind.PropertyReference);
    }

    private static bool IsVariableWidthCount(IOperation operation)
    {
        return operation is IPropertyReferenceOperation { Property: { Name: "Count", IsStatic: true } } reference
            && reference.Property.ContainingType.Is("System.Numerics.Vector`1")
            && reference.Property.ContainingType.IsFloatVector();
    }

    private static void Analyze(OperationAnalysisContext context)
    {
        var reference = context.Operation;
        if (!IsVariableWidthCount(reference))
            return;

        var root = reference.Root();
        var first = root.Descendants().First(IsVariableWidthCount);
        if (first != reference || !FloatReduction.Performs(root))
            return;

        context.ReportDiagnostic(Diagnostic.Create(
            RuleCatalog.HardwareVectorWidth, reference.Syntax.GetLocation(), reference.Syntax.ToString(), "4, 8 or 16"));
    }
}
