using System.Collections.Immutable;
using System.Runtime.CompilerServices;
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
/// <remarks>
/// The method body is scanned once, at its first <c>Count</c> reference, and the answer (where to report, if
/// anywhere) is cached for its other references; a body without such a reference is never scanned.
/// </remarks>
public sealed class VectorWidthAnalyzer : RuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.HardwareVectorWidth);

    internal override void Register(RuleRegistrar registrar)
    {
        // Per compilation, keyed weakly by the body's root operation, so nothing outlives the analysis.
        var bodies = new ConditionalWeakTable<IOperation, Body>();
        registrar.RegisterPropertyReferenceAction(
            [MethodImpl(Hot.Path)] (c) =>
            {
                // "Count" is mostly List<T>.Count and the like: only a static Count goes further.
                if (((IPropertyReferenceOperation)c.Operation).Property.IsStatic)
                    Analyze(c, bodies);
            },
            "Count");
    }

    private static bool IsVariableWidthCount(IOperation operation)
    {
        return operation is IPropertyReferenceOperation { Property: { Name: "Count", IsStatic: true } } reference
            && reference.Property.ContainingType.Is("System.Numerics.Vector`1")
            && reference.Property.ContainingType.IsFloatVector();
    }

    private static void Analyze(OperationAnalysisContext context, ConditionalWeakTable<IOperation, Body> bodies)
    {
        var reference = context.Operation;
        if (!IsVariableWidthCount(reference))
            return;

        var body = bodies.GetValue(reference.Root(), Body.Scan);
        if (body.ReportAt == reference)
        {
            context.ReportDiagnostic(Diagnostic.Create(
                RuleCatalog.HardwareVectorWidth, reference.Syntax.GetLocation(), reference.Syntax.ToString(), "4, 8 or 16"));
        }
    }

    /// <summary>What one scan of a body finds: the first Count reference when the body reduces floats, else null.</summary>
    private sealed class Body
    {
        public static readonly ConditionalWeakTable<IOperation, Body>.CreateValueCallback Scan = root => new Body(root);

        private Body(IOperation root)
        {
            IOperation? first = null;
            var reduces = false;
            foreach (var operation in root.Descendants())
            {
                if (first is null && IsVariableWidthCount(operation))
                    first = operation;
                else if (!reduces && FloatReduction.IsAccumulation(operation))
                    reduces = true;

                if (first is not null && reduces)
                    break;
            }

            ReportAt = reduces ? first : null;
        }

        public IOperation? ReportAt { get; }
    }
}
