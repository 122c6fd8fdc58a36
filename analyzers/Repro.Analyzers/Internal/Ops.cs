using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Repro.Analyzers.Internal;

/// <summary>Small helpers over the IOperation tree shared by the analyzers.</summary>
internal static class Ops
{
    [MethodImpl(Hot.Path)]
    public static IOperation Unwrap(this IOperation operation)
    {
        // Kind is a plain property; testing it first avoids interface type checks on every operand.
        while (true)
        {
            switch (operation.Kind)
            {
                case OperationKind.Conversion:
                    operation = ((IConversionOperation)operation).Operand;
                    break;
                case OperationKind.Parenthesized:
                    operation = ((IParenthesizedOperation)operation).Operand;
                    break;
                default:
                    return operation;
            }
        }
    }

    /// <summary>The parent, skipping conversions and parentheses.</summary>
    public static IOperation? UsefulParent(this IOperation operation)
    {
        var parent = operation.Parent;
        while (parent is { Kind: OperationKind.Conversion or OperationKind.Parenthesized })
            parent = parent.Parent;

        return parent;
    }

    /// <summary>The outermost operation of the member body that contains <paramref name="operation"/>.</summary>
    public static IOperation Root(this IOperation operation)
    {
        while (operation.Parent is not null)
            operation = operation.Parent;

        return operation;
    }

    public static bool IsInsideLoop(this IOperation operation, IOperation? stopAt = null)
    {
        for (var current = operation.Parent; current is not null && current != stopAt; current = current.Parent)
        {
            if (current is ILoopOperation)
                return true;

            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
                return false;
        }

        return false;
    }

    public static IAnonymousFunctionOperation? EnclosingLambda(this IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation lambda)
                return lambda;
        }

        return null;
    }

    /// <summary>The symbol a reference reads, when it is a local, parameter, field or property.</summary>
    public static ISymbol? ReferencedSymbol(this IOperation operation)
    {
        return operation.Unwrap() switch
        {
            ILocalReferenceOperation local => local.Local,
            IParameterReferenceOperation parameter => parameter.Parameter,
            IFieldReferenceOperation field => field.Field,
            IPropertyReferenceOperation property when property.Arguments.Length == 0 => property.Property,
            _ => null,
        };
    }

    /// <summary>References to <paramref name="symbol"/> anywhere below <paramref name="root"/>.</summary>
    public static IEnumerable<IOperation> ReferencesTo(this IOperation root, ISymbol symbol)
    {
        return root.Descendants().Where(o => o is ILocalReferenceOperation or IParameterReferenceOperation
            or IFieldReferenceOperation or IPropertyReferenceOperation
            && SymbolEqualityComparer.Default.Equals(o.ReferencedSymbol(), symbol));
    }

    /// <summary>Values stored into a local: its initializer and every simple assignment.</summary>
    public static IEnumerable<IOperation> AssignedValues(this IOperation root, ILocalSymbol local)
    {
        foreach (var operation in root.Descendants())
        {
            if (operation is IVariableDeclaratorOperation declarator
                && SymbolEqualityComparer.Default.Equals(declarator.Symbol, local)
                && declarator.GetVariableInitializer() is { } initializer)
            {
                yield return initializer.Value;
            }
            else if (operation is ISimpleAssignmentOperation assignment
                && assignment.Target is ILocalReferenceOperation target
                && SymbolEqualityComparer.Default.Equals(target.Local, local))
            {
                yield return assignment.Value;
            }
        }
    }

    /// <summary>The local a value is stored into, when it is a declaration initializer or assignment.</summary>
    public static ILocalSymbol? StoredIntoLocal(this IOperation value)
    {
        var parent = value.UsefulParent();
        if (parent is IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator })
            return declarator.Symbol;

        if (parent is ISimpleAssignmentOperation assignment && assignment.Value.Unwrap() == value.Unwrap()
            && assignment.Target is ILocalReferenceOperation local)
        {
            return local.Local;
        }

        return null;
    }

    /// <summary>True when an operand reads the same storage the assignment writes (<c>x = x + ...</c>).</summary>
    public static bool SameTarget(IOperation operand, IOperation target)
    {
        return operand.Unwrap().Syntax.IsEquivalentTo(target.Syntax, topLevel: false);
    }

    public static bool IsFloatingPoint(this ITypeSymbol? type)
    {
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
            type = nullable.TypeArguments[0];

        return type is not null && (type.SpecialType is SpecialType.System_Single or SpecialType.System_Double
            || Is(type, "System.Half"));
    }

    public static bool IsFloatVector(this ITypeSymbol? type)
    {
        return type is INamedTypeSymbol { IsGenericType: true } named
            && named.TypeArguments[0].IsFloatingPoint()
            && (named.ContainingNamespace.Is("System.Numerics") || named.ContainingNamespace.Is("System.Runtime.Intrinsics"));
    }

    /// <summary>True when the namespace's fully qualified name equals <paramref name="name"/>; allocates nothing.</summary>
    public static bool Is(this INamespaceSymbol? ns, string name) => ns is not null && NamesNamespace(ns, name, name.Length);

    /// <summary>True when the namespace is <paramref name="name"/> or one nested in it.</summary>
    public static bool IsIn(this INamespaceSymbol? ns, string name)
    {
        for (; ns is { IsGlobalNamespace: false }; ns = ns.ContainingNamespace)
        {
            if (ns.Is(name))
                return true;
        }

        return false;
    }

    /// <summary>True when the type's fully qualified metadata name (generic arity included) equals <paramref name="name"/>.</summary>
    /// <remarks>Compares the simple name first and then walks the namespaces, so the common mismatch allocates nothing.</remarks>
    public static bool Is(this ITypeSymbol? type, string name)
    {
        if (type is null)
            return false;

        var definition = type.OriginalDefinition;
        var dot = name.LastIndexOf('.');
        var tick = name.IndexOf('`', dot + 1);
        var simpleEnd = tick < 0 ? name.Length : tick;
        var simple = definition.Name;
        if (simpleEnd - dot - 1 != simple.Length || string.CompareOrdinal(name, dot + 1, simple, 0, simple.Length) != 0)
            return false;

        var arity = 0;
        for (var i = tick + 1; tick >= 0 && i < name.Length; i++)
            arity = (arity * 10) + (name[i] - '0');

        if (definition is INamedTypeSymbol named ? named.Arity != arity : arity != 0)
            return false;

        return NamesNamespace(definition.ContainingNamespace, name, dot) && definition.ContainingType is null;
    }

    /// <summary>
    /// True when <paramref name="name"/>[..<paramref name="end"/>] is the fully qualified name of the namespace: its
    /// parts are compared from the innermost out, without allocating.
    /// </summary>
    private static bool NamesNamespace(INamespaceSymbol? ns, string name, int end)
    {
        while (ns is { IsGlobalNamespace: false })
        {
            if (end <= 0)
                return false;

            var start = name.LastIndexOf('.', end - 1) + 1;
            var part = ns.Name;
            if (end - start != part.Length || string.CompareOrdinal(name, start, part, 0, part.Length) != 0)
                return false;

            end = start - 1;
            ns = ns.ContainingNamespace;
        }

        return end <= 0;
    }

    // Fixed-arity overloads: these run for every call or property reference, and a params array would allocate each time.
    public static bool IsMethod(this IMethodSymbol method, string typeName, string name)
    {
        return method.Name == name && method.ContainingType.Is(typeName);
    }

    public static bool IsMethod(this IMethodSymbol method, string typeName, string name1, string name2)
    {
        var name = method.Name;
        return (name == name1 || name == name2) && method.ContainingType.Is(typeName);
    }

    public static bool IsMethod(this IMethodSymbol method, string typeName, string name1, string name2, string name3)
    {
        var name = method.Name;
        return (name == name1 || name == name2 || name == name3) && method.ContainingType.Is(typeName);
    }

    public static bool IsMember(this IPropertyReferenceOperation reference, string typeName, string name)
    {
        return reference.Property.Name == name && reference.Property.ContainingType.Is(typeName);
    }

    public static bool IsMember(this IPropertyReferenceOperation reference, string typeName, string name1, string name2)
    {
        var name = reference.Property.Name;
        return (name == name1 || name == name2) && reference.Property.ContainingType.Is(typeName);
    }

    public static bool IsMember(this IPropertyReferenceOperation reference, string typeName, string name1, string name2, string name3)
    {
        var name = reference.Property.Name;
        return (name == name1 || name == name2 || name == name3) && reference.Property.ContainingType.Is(typeName);
    }

    public static bool IsMember(
        this IPropertyReferenceOperation reference, string typeName, string name1, string name2, string name3, string name4)
    {
        var name = reference.Property.Name;
        return (name == name1 || name == name2 || name == name3 || name == name4) && reference.Property.ContainingType.Is(typeName);
    }
}
