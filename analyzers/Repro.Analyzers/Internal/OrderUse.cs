using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Repro.Analyzers.Internal;

/// <summary>
/// Decides whether the order of a sequence matters where it is used: sequences that are sorted right after,
/// only counted or searched, or walked by a loop whose body does not collect, accumulate or stop early, are
/// order-insensitive. Locals are followed (a few levels deep) to their uses.
/// </summary>
internal static class OrderUse
{
    private static readonly string[] OrderingMethods = { "Order", "OrderBy", "OrderByDescending", "OrderDescending" };
    private static readonly string[] InsensitiveMethods =
    {
        "Count", "LongCount", "Any", "All", "Contains", "Min", "Max", "ToHashSet", "ToDictionary", "ToLookup", "GroupBy",
        "ToFrozenSet", "ToFrozenDictionary", "ToImmutableHashSet", "ToImmutableDictionary", "ToImmutableSortedSet",
        "AsParallel", "Single", "SingleOrDefault",
    };
    private static readonly string[] InsensitiveAssertions =
    {
        "Contains", "DoesNotContain", "All", "Empty", "NotEmpty", "Single", "Subset", "Superset", "ProperSubset",
        "ProperSuperset", "Distinct",
    };
    private static readonly string[] PassThroughMethods =
    {
        "Where", "Select", "SelectMany", "Cast", "OfType", "Skip", "Take", "Distinct", "DistinctBy", "AsEnumerable",
        "ToArray", "ToList", "Concat", "Append", "Prepend", "Reverse", "SkipWhile", "TakeWhile", "Chunk", "Except", "Union",
        "Intersect", "ToImmutableArray", "ToImmutableList",
    };
    private static readonly string[] CollectingMethods =
    {
        "Add", "AddRange", "Insert", "Enqueue", "Push", "Append", "AppendLine", "Write", "WriteLine", "TryAdd", "Yield",
    };

    public static bool IsOrderSensitive(IOperation producer, IOperation root, int depth)
    {
        var current = producer;
        while (true)
        {
            var parent = current.UsefulParent();
            switch (parent)
            {
                case IPropertyReferenceOperation property when property.Instance?.Unwrap() == current.Unwrap():
                    if (property.Property.Name is not ("Keys" or "Values"))
                        return false;
                    current = property;
                    continue;
                case IArrayElementReferenceOperation element:
                    return element.ArrayReference.Unwrap() == current.Unwrap();
                case IForEachLoopOperation loop:
                    return loop.Collection.Unwrap() == current.Unwrap() && LoopBodyIsOrderSensitive(loop);
                case IInvocationOperation call when call.Instance?.Unwrap() == current.Unwrap():
                    if (call.TargetMethod.Name is "ToArray" or "ToList")
                    {
                        current = call;
                        continue;
                    }

                    return call.TargetMethod.Name is "GetEnumerator" or "CopyTo";
                case IArgumentOperation argument:
                    if (!TryContinueThroughArgument(argument, out var next, out var sensitive))
                        return sensitive;
                    current = next!;
                    continue;
                case ISimpleAssignmentOperation assignment when assignment.Target.Unwrap() == current.Unwrap():
                    return false;
                case IReturnOperation:
                    return true;
                case IVariableInitializerOperation or ISimpleAssignmentOperation:
                    return StoredValueIsOrderSensitive(producer, current, root, depth);
                default:
                    return false;
            }
        }
    }

    private static bool StoredValueIsOrderSensitive(IOperation producer, IOperation current, IOperation root, int depth)
    {
        // A plain reference copied into another variable is an alias; the alias's own uses are examined on their own.
        if (current == producer && producer.ReferencedSymbol() is not null)
            return false;

        if (current.StoredIntoLocal() is not { } local)
            return true;

        if (depth >= 3)
            return false;

        var uses = root.ReferencesTo(local)
            .Where(u => !(u.UsefulParent() is ISimpleAssignmentOperation a && a.Target.Unwrap() == u))
            .ToList();
        if (uses.Any(IsSorted))
            return false;

        return uses.Any(u => IsOrderSensitive(u, root, depth + 1));
    }

    private static bool IsSorted(IOperation use)
    {
        return use.UsefulParent() switch
        {
            IInvocationOperation call when call.Instance?.Unwrap() == use => call.TargetMethod.Name == "Sort",
            IArgumentOperation { Parent: IInvocationOperation call } => call.TargetMethod.IsMethod("System.Array", "Sort"),
            _ => false,
        };
    }

    private static bool TryContinueThroughArgument(IArgumentOperation argument, out IOperation? next, out bool sensitive)
    {
        next = null;
        sensitive = false;
        if (argument.Parent is IObjectCreationOperation creation)
        {
            var name = creation.Type?.Name ?? string.Empty;
            if (name.StartsWith("Sorted", StringComparison.Ordinal) || name.IndexOf("HashSet", StringComparison.Ordinal) >= 0)
                return false;

            next = creation;
            return true;
        }

        if (argument.Parent is not IInvocationOperation call)
            return false;

        var method = call.TargetMethod;
        var type = method.ContainingType;
        if (type.Is("System.Threading.Tasks.Parallel") || type.Is("System.Array") && method.Name == "Sort")
            return false;

        var isLinq = type.Is("System.Linq.Enumerable") || type.Is("System.Linq.ParallelEnumerable")
            || type.Is("System.Collections.Immutable.ImmutableArray") || type.Is("System.Collections.Immutable.ImmutableList");
        if (!isLinq)
        {
            // Test assertions such as Assert.Contains(items, predicate) do not depend on the order.
            var isOrderFreeAssertion = type.Name == "Assert" && Array.IndexOf(InsensitiveAssertions, method.Name) >= 0;
            sensitive = !isOrderFreeAssertion && IsSequenceType(argument.Parameter?.Type);
            return false;
        }

        if (argument.Parameter?.Ordinal != 0 || Array.IndexOf(OrderingMethods, method.Name) >= 0
            || Array.IndexOf(InsensitiveMethods, method.Name) >= 0)
        {
            sensitive = argument.Parameter?.Ordinal != 0 && method.Name is "Zip" or "SequenceEqual" or "Concat";
            return false;
        }

        if (method.Name is "Sum" or "Average")
        {
            sensitive = method.ReturnType.IsFloatingPoint() && method.Name == "Sum" || method.Name == "Average"
                && (method.Parameters.Length > 1 || ((INamedTypeSymbol)method.Parameters[0].Type).TypeArguments[0].IsFloatingPoint());
            return false;
        }

        if (Array.IndexOf(PassThroughMethods, method.Name) >= 0)
        {
            next = call;
            return true;
        }

        sensitive = true;
        return false;
    }

    private static bool IsSequenceType(ITypeSymbol? type)
    {
        if (type is IArrayTypeSymbol)
            return true;

        return type?.OriginalDefinition.SpecialType is SpecialType.System_Collections_IEnumerable
            or SpecialType.System_Collections_Generic_IEnumerable_T or SpecialType.System_Collections_Generic_IList_T
            or SpecialType.System_Collections_Generic_ICollection_T or SpecialType.System_Collections_Generic_IReadOnlyList_T
            or SpecialType.System_Collections_Generic_IReadOnlyCollection_T
            || type.Is("System.Collections.Generic.List`1") || type.Is("System.ReadOnlySpan`1");
    }

    private static bool LoopBodyIsOrderSensitive(IForEachLoopOperation loop)
    {
        // The body itself too: without braces it is a single statement (a bare `yield return x;` or `list.Add(x);`).
        foreach (var operation in new[] { loop.Body }.Concat(loop.Body.Descendants()))
        {
            switch (operation)
            {
                case IReturnOperation:
                    return true;
                case IBranchOperation { BranchKind: BranchKind.Break } branch
                    when SymbolEqualityComparer.Default.Equals(branch.Target, loop.ExitLabel):
                    return true;
                case IInvocationOperation call when Array.IndexOf(CollectingMethods, call.TargetMethod.Name) >= 0:
                    var owner = call.TargetMethod.ContainingType;
                    if (!owner.Is("System.Console") && !owner.Is("System.Diagnostics.Debug") && !owner.Is("System.Diagnostics.Trace")
                        && !IsPerKeyInsert(call, loop))
                    {
                        return true;
                    }

                    break;
                case ICompoundAssignmentOperation compound
                    when (compound.Target.Type.IsFloatingPoint() || compound.Target.Type?.SpecialType == SpecialType.System_String)
                        && !IsPerKeySlot(compound.Target, loop):
                    return true;
                case ISimpleAssignmentOperation { Target: IArrayElementReferenceOperation element } when !IsPerKeySlot(element, loop):
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A slot chosen by the current item (<c>totals[kv.Key] += kv.Value</c>, <c>byId[item.Id] = item</c>): each item
    /// writes its own slot, so the final contents do not depend on the order the items come in.
    /// </summary>
    private static bool IsPerKeySlot(IOperation target, IForEachLoopOperation loop)
    {
        return target.Unwrap() switch
        {
            IArrayElementReferenceOperation element => element.Indices.Length > 0 && element.Indices.All(i => ReadsLoopVariable(i, loop)),
            IPropertyReferenceOperation { Arguments.Length: > 0 } indexer => indexer.Arguments.All(a => ReadsLoopVariable(a.Value, loop)),
            _ => false,
        };
    }

    /// <summary><c>other.TryAdd(kv.Key, ...)</c> into a dictionary or set: keyed by the item, so order-free.</summary>
    private static bool IsPerKeyInsert(IInvocationOperation call, IForEachLoopOperation loop)
    {
        var receiver = call.Instance?.Type;
        if (receiver is null || call.Arguments.Length == 0 || call.TargetMethod.Name is not ("Add" or "TryAdd"))
            return false;

        var name = receiver.Name;
        var keyed = name.IndexOf("Dictionary", StringComparison.Ordinal) >= 0 || name.IndexOf("Set", StringComparison.Ordinal) >= 0
            && name.IndexOf("Sorted", StringComparison.Ordinal) < 0;
        return keyed && ReadsLoopVariable(call.Arguments[0].Value, loop);
    }

    private static bool ReadsLoopVariable(IOperation value, IForEachLoopOperation loop)
    {
        foreach (var operation in new[] { value }.Concat(value.Descendants()))
        {
            if (operation is ILocalReferenceOperation local && loop.Locals.Contains(local.Local, SymbolEqualityComparer.Default))
                return true;
        }

        return false;
    }
}
