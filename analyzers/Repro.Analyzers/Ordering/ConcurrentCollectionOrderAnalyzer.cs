using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers.Ordering;

/// <summary>
/// RPR2005: a <c>ConcurrentBag</c>, <c>ConcurrentQueue</c> or <c>ConcurrentStack</c> (or a <c>List</c> of float partial
/// sums) that the same method fills from parallel workers (Parallel, PLINQ, tasks, or a parallel helper of the program's
/// own: a method or type named Parallel...) and then enumerates into results (foreach, ToArray, LINQ, float Sum, a
/// TryDequeue loop) without sorting, or sorts by a key that can tie (ties keep the completion order).
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
        registrar.RegisterOperandAction(AnalyzeCandidate, "ConcurrentBag", "ConcurrentQueue", "ConcurrentStack", "List");
    }

    private static void AnalyzeCandidate(OperationAnalysisContext context, IOperation reference)
    {
        var type = reference.Type!;
        // A lambda's own parameter is a worker's thread-local state (Parallel.For's localInit/body/localFinally), which one
        // thread fills in its own order; where it ends up is what matters, and that is the collection it is added to.
        if (!(IsCollectionType(type) || IsPartialSumList(type)) || reference.ReferencedSymbol() is not { } symbol
            || symbol is IParameterSymbol { ContainingSymbol: IMethodSymbol { MethodKind: MethodKind.AnonymousFunction } })
        {
            return;
        }

        var root = reference.Root();
        if (!IsFilledInParallel(symbol, root)
            || !(OrderUse.IsOrderSensitive(reference, root, 0) || IsDrainedIntoResults(reference) || IsSortedWithTies(reference)))
        {
            return;
        }

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

    /// <summary>
    /// <c>List&lt;double&gt;</c> or <c>List&lt;float&gt;</c>: partial sums, which workers often collect under a lock; or a
    /// <c>List&lt;T&gt;</c> of a generic parallel helper's partial results, which are floats whenever T is.
    /// </summary>
    private static bool IsPartialSumList(ITypeSymbol type)
    {
        return type is INamedTypeSymbol { Name: "List", TypeArguments.Length: 1 } list
            && (list.TypeArguments[0].IsFloatingPoint() || list.TypeArguments[0] is ITypeParameterSymbol)
            && list.Is("System.Collections.Generic.List`1");
    }

    private static readonly string[] UniqueKeyWords = { "Id", "Index", "Key", "Name", "Path", "Seq", "Sequence", "Order", "Position", "Offset", "Ordinal" };

    /// <summary>
    /// <c>bag.OrderBy(r =&gt; r.Score)</c> with no ThenBy: the sort is stable, so items whose keys tie stay in the order the
    /// workers finished. Keys named like identities (Id, Index, Name, Path) and the whole element are taken as unique.
    /// </summary>
    private static bool IsSortedWithTies(IOperation reference)
    {
        if (reference.UsefulParent() is not IArgumentOperation { Parameter.Ordinal: 0, Parent: IInvocationOperation sort }
            || sort.TargetMethod.Name is not ("OrderBy" or "OrderByDescending")
            || !sort.TargetMethod.ContainingType.Is("System.Linq.Enumerable")
            || sort.UsefulParent() is IArgumentOperation { Parent: IInvocationOperation { TargetMethod.Name: "ThenBy" or "ThenByDescending" } })
        {
            return false;
        }

        var selector = sort.Arguments.Length > 1 ? sort.Arguments[1].Value.Unwrap() : null;
        if (selector is IDelegateCreationOperation creation)
            selector = creation.Target;
        if (selector is not IAnonymousFunctionOperation lambda
            || lambda.Body.Operations.LastOrDefault() is not IReturnOperation { ReturnedValue: { } key })
        {
            return false;
        }

        var member = key.Unwrap() switch
        {
            IPropertyReferenceOperation property => property.Property.Name,
            IFieldReferenceOperation field => field.Field.Name,
            _ => null,
        };
        return member is not null && !UniqueKeyWords.Any(w => member.EndsWith(w, StringComparison.Ordinal));
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

    private static bool IsOwnParallelHelper(IMethodSymbol method)
    {
        return ParallelHelpers.IsOwnParallelHelper(method);
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
                    || type.Is("System.Threading.Tasks.Task") && call.TargetMethod.Name == "Run"
                    || IsOwnParallelHelper(call.TargetMethod))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
