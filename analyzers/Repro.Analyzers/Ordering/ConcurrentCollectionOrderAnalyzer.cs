using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers.Ordering;

/// <summary>
/// RPR2005: a <c>ConcurrentBag</c>, <c>ConcurrentQueue</c> or <c>ConcurrentStack</c> that the same method fills
/// from parallel workers and then enumerates into results (foreach, ToArray, LINQ, float Sum, a TryDequeue loop) without sorting.
/// </summary>
public sealed class ConcurrentCollectionOrderAnalyzer : RuleAnalyzer
{
    private static readonly string[] CollectionTypes =
    {
        "System.Collections.Concurrent.ConcurrentBag`1", "System.Collections.Concurrent.ConcurrentQueue`1",
        "System.Collections.Concurrent.ConcurrentStack`1",
    };

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.ConcurrentCollectionOrder);

    internal override void Register(RuleRegistrar registrar)
    {
        registrar.RegisterOperandAction(AnalyzeCandidate, "ConcurrentBag", "ConcurrentQueue", "ConcurrentStack");
    }

    private static void AnalyzeCandidate(OperationAnalysisContext context, IOperation reference)
    {
        var type = reference.Type!;
        if (!IsCollectionType(type) || reference.ReferencedSymbol() is not { } symbol)
        {
            return;
        }

        var root = reference.Root();
        if (!IsFilledInParallel(symbol, root) || !(OrderUse.IsOrderSensitive(reference, root, 0) || IsDrainedIntoResults(reference)))
            return;

        context.ReportDiagnostic(Diagnostic.Create(
            RuleCatalog.ConcurrentCollectionOrder, reference.Syntax.GetLocation(), reference.Syntax.ToString()));
    }

    private static bool IsCollectionType(ITypeSymbol type)
    {
        foreach (var name in CollectionTypes)
        {
            if (type.Is(name))
                return true;
        }

        return false;
    }

    /// <summary><c>while (queue.TryDequeue(out var item)) results.Add(item);</c> and the TryTake/TryPop forms.</summary>
    private static bool IsDrainedIntoResults(IOperation reference)
    {
        if (reference.UsefulParent() is not IInvocationOperation { TargetMethod.Name: "TryDequeue" or "TryTake" or "TryPop" } call
            || call.Instance?.Unwrap() != reference)
        {
            return false;
        }

        var loop = call.Parent;
        while (loop is IUnaryOperation or IBinaryOperation or IConversionOperation or IParenthesizedOperation)
            loop = loop.Parent;

        return loop is IWhileLoopOperation { Body: { } body }
            && body.Descendants().OfType<IInvocationOperation>().Any(i => i.TargetMethod.Name is "Add" or "Append" or "Write" or "WriteLine");
    }

    private static bool IsFilledInParallel(ISymbol symbol, IOperation root)
    {
        foreach (var use in root.ReferencesTo(symbol))
        {
            if (use.UsefulParent() is IInvocationOperation call && call.Instance?.Unwrap() == use
                && call.TargetMethod.Name is "Add" or "Enqueue" or "Push" or "PushRange" or "TryAdd"
                && IsParallelWorker(use.EnclosingLambda()))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsParallelWorker(IAnonymousFunctionOperation? lambda)
    {
        for (var current = lambda; current is not null; current = current.EnclosingLambda())
        {
            if (current.Parent is IDelegateCreationOperation { Parent: IArgumentOperation { Parent: IInvocationOperation call } })
            {
                var type = call.TargetMethod.ContainingType;
                if (type.Is("System.Threading.Tasks.Parallel") || type.Is("System.Linq.ParallelEnumerable")
                    || type.Is("System.Threading.Tasks.TaskFactory")
                    || type.Is("System.Threading.Tasks.Task") && call.TargetMethod.Name == "Run")
                {
                    return true;
                }
            }
        }

        return false;
    }
}
