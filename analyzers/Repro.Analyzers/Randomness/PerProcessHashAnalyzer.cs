using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers.Randomness;

/// <summary>
/// RPR1005: <c>string.GetHashCode()</c> or <c>HashCode.Combine</c> (randomized per process) whose value
/// flows into a modulo or mask (splits, shards, buckets), a comparison, a seed, or a writer. Uses as an
/// in-memory dictionary key, or inside a <c>GetHashCode</c> override, are not reported.
/// </summary>
public sealed class PerProcessHashAnalyzer : RuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.PerProcessHash);

    internal override void Register(RuleRegistrar registrar)
    {
        registrar.RegisterInvocationAction(Analyze, "GetHashCode", "Combine", "ToHashCode");
    }

    private static void Analyze(OperationAnalysisContext context)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        string api;
        if (method.Name == "GetHashCode" && invocation.Instance?.Type?.SpecialType == SpecialType.System_String)
            api = "string.GetHashCode()";
        else if (method.IsMethod("System.HashCode", "Combine", "ToHashCode"))
            api = "HashCode." + method.Name;
        else
            return;

        if (context.ContainingSymbol is IMethodSymbol { Name: "GetHashCode", IsOverride: true })
            return;

        if (FindSink(invocation, invocation.Root(), 0) is { } sink)
            context.ReportDiagnostic(Diagnostic.Create(RuleCatalog.PerProcessHash, invocation.Syntax.GetLocation(), api, sink));
    }

    /// <summary>Names what a hash value feeds when that makes it persistent or decisive; null otherwise.</summary>
    private static string? FindSink(IOperation value, IOperation root, int depth)
    {
        var current = value;
        while (true)
        {
            var parent = current.UsefulParent();
            switch (parent)
            {
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Remainder or BinaryOperatorKind.And }:
                    return "split or shard";
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual
                    or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual }:
                    return "comparison";
                case IBinaryOperation or IUnaryOperation:
                    current = parent;
                    continue;
                case IArgumentOperation argument when argument.Parameter is { } parameter:
                    if (argument.Parent is IObjectCreationOperation creation && creation.Type.Is("System.Random"))
                        return "seed";
                    if (Seeds.HasSeedName(parameter.Name))
                        return "seed";
                    if (argument.Parent is IInvocationOperation call && call.TargetMethod.IsMethod("System.Math", "Abs"))
                    {
                        current = call;
                        continue;
                    }

                    if (argument.Parent is IInvocationOperation writer && IsPersisting(writer.TargetMethod))
                        return "persisted value";
                    return null;
                default:
                    if (depth < 2 && current.StoredIntoLocal() is { } local)
                    {
                        foreach (var use in root.ReferencesTo(local))
                        {
                            if (FindSink(use, root, depth + 1) is { } sink)
                                return sink;
                        }
                    }

                    return null;
            }
        }
    }

    private static bool IsPersisting(IMethodSymbol method)
    {
        return method.ContainingType.ContainingNamespace.Is("System.IO") && (method.Name.StartsWith("Write", System.StringComparison.Ordinal)
            || method.Name.StartsWith("Append", System.StringComparison.Ordinal));
    }
}
