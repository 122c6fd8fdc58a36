using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Repro.Analyzers.Internal;

/// <summary>Recognizes code that adds floats into an accumulator, where the order of additions changes the result.</summary>
internal static class FloatReduction
{
    private static readonly string[] VectorTypes =
    {
        "System.Numerics.Vector", "System.Runtime.Intrinsics.Vector64", "System.Runtime.Intrinsics.Vector128",
        "System.Runtime.Intrinsics.Vector256", "System.Runtime.Intrinsics.Vector512",
    };

    /// <summary>True when <paramref name="scope"/> or any operation below it accumulates floats.</summary>
    public static bool Performs(IOperation scope)
    {
        if (IsAccumulation(scope))
            return true;

        foreach (var operation in scope.Descendants())
        {
            if (IsAccumulation(operation))
                return true;
        }

        return false;
    }

    /// <summary>True when this one operation (not its children) accumulates floats.</summary>
    public static bool IsAccumulation(IOperation operation)
    {
        switch (operation)
        {
            case ICompoundAssignmentOperation { OperatorKind: BinaryOperatorKind.Add } compound:
                return (compound.Target.Type.IsFloatingPoint() || compound.Target.Type.IsFloatVector()) && !IsNaNProbe(compound.Value);
            case ISimpleAssignmentOperation assignment
                when assignment.Target.Type.IsFloatVector() || assignment.Target.Type.IsFloatingPoint():
                return assignment.Value.Unwrap() is IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } sum
                    && (Ops.SameTarget(sum.LeftOperand, assignment.Target) && !IsNaNProbe(sum.RightOperand)
                        || Ops.SameTarget(sum.RightOperand, assignment.Target) && !IsNaNProbe(sum.LeftOperand));
            case IInvocationOperation call:
                var method = call.TargetMethod;
                return method.Name is "Sum" or "Dot" && IsVectorType(method.ContainingType) && method.ReturnType.IsFloatingPoint();
            default:
                return false;
        }
    }

    /// <summary>
    /// <c>x - x</c>: zero for finite x, NaN for infinities and NaN. A sum of such terms is zero or NaN whatever the
    /// order, so accumulating them (a vectorized "all finite?" check) is not an order-sensitive reduction.
    /// </summary>
    private static bool IsNaNProbe(IOperation value)
    {
        return value.Unwrap() is IBinaryOperation { OperatorKind: BinaryOperatorKind.Subtract } difference
            && difference.LeftOperand.Unwrap().Syntax.IsEquivalentTo(difference.RightOperand.Unwrap().Syntax, topLevel: false);
    }

    private static bool IsVectorType(INamedTypeSymbol type)
    {
        foreach (var name in VectorTypes)
        {
            if (type.Is(name))
                return true;
        }

        return false;
    }
}
