using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Repro.Analyzers.Randomness;

namespace Repro.Analyzers.Internal;

/// <summary>
/// Follows a time value (a clock reading, an elapsed time) to what it decides. Formatting, logging, file names,
/// stored timestamps and branches that only print progress are not decisions.
/// </summary>
internal static class TimeUse
{
    /// <summary>Describes the decision the value reaches, or null when it reaches none.</summary>
    /// <param name="numericArguments">Whether passing the value as a number to another method counts as a computation.</param>
    public static string? FindDecision(IOperation source, IOperation root, bool numericArguments, int depth)
    {
        var current = source;
        while (true)
        {
            var parent = current.UsefulParent();
            switch (parent)
            {
                // `stamp.HasValue` asks whether a time was recorded, not what it is.
                case IPropertyReferenceOperation { Property.Name: "HasValue" } hasValue when hasValue.Instance?.Unwrap() == current.Unwrap():
                    return null;
                case IPropertyReferenceOperation property when property.Instance?.Unwrap() == current.Unwrap():
                case IUnaryOperation:
                    current = parent;
                    continue;
                case IInvocationOperation call when call.Instance?.Unwrap() == current.Unwrap():
                    if (call.TargetMethod.ReturnType.SpecialType == SpecialType.System_String)
                        return null;
                    current = call;
                    continue;
                case IBinaryOperation binary:
                    if (binary.Type?.SpecialType == SpecialType.System_String || IsNullCheck(binary))
                        return null;
                    if (binary.OperatorKind is BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual
                        or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual
                        or BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals)
                    {
                        return DecisionOf(binary);
                    }

                    current = binary;
                    continue;
                case IConditionalOperation conditional when conditional.Condition.Unwrap() == current.Unwrap():
                    return IsLoggingOnly(conditional) || IsTextChoice(conditional) ? null : "a branch condition";
                case IWhileLoopOperation or IForLoopOperation:
                    return "a loop condition";
                case ISwitchOperation or ISwitchExpressionOperation:
                    return "a switch";
                case IArgumentOperation argument:
                    if (argument.Parent is not IInvocationOperation target || IsFormattingOrSeed(argument, target))
                        return null;
                    var isMath = target.TargetMethod.ContainingType.Is("System.Math") || target.TargetMethod.ContainingType.Is("System.MathF");
                    if (isMath && numericArguments && target.TargetMethod.Name is not ("Abs" or "Min" or "Max" or "Round" or "Floor"
                        or "Ceiling" or "Truncate" or "Clamp"))
                    {
                        return "the computation in '" + target.TargetMethod.ContainingType.Name + "." + target.TargetMethod.Name + "'";
                    }

                    if (isMath || target.TargetMethod.ContainingType.Is("System.TimeSpan"))
                    {
                        current = target;
                        continue;
                    }

                    return numericArguments && IsNumeric(argument.Parameter?.Type)
                        ? "the computation in '" + target.TargetMethod.Name + "'"
                        : null;
                default:
                    if (depth < 3 && current.StoredIntoLocal() is { } local)
                    {
                        var uses = root.ReferencesTo(local).Where(u => !(u.UsefulParent() is ISimpleAssignmentOperation a && a.Target.Unwrap() == u));
                        foreach (var use in uses)
                        {
                            if (FindDecision(use, root, numericArguments, depth + 1) is { } decision)
                                return decision;
                        }
                    }

                    return null;
            }
        }
    }

    private static string? DecisionOf(IBinaryOperation comparison)
    {
        var parent = comparison.UsefulParent();
        while (parent is IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr } or IUnaryOperation)
            parent = parent.UsefulParent();

        return parent switch
        {
            IConditionalOperation conditional => IsLoggingOnly(conditional) || IsTextChoice(conditional) ? null : "a branch condition",
            IWhileLoopOperation or IForLoopOperation => "a loop condition",
            _ => "a comparison",
        };
    }

    /// <summary><c>x == null</c>, <c>x != null</c>: whether there is a value, not what it is.</summary>
    private static bool IsNullCheck(IBinaryOperation binary)
    {
        return binary.OperatorKind is BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals
            && (binary.LeftOperand.Unwrap().ConstantValue is { HasValue: true, Value: null }
                || binary.RightOperand.Unwrap().ConstantValue is { HasValue: true, Value: null });
    }

    /// <summary><c>ms &gt; 1000 ? $"{s:F1} s" : $"{ms} ms"</c>: chooses how a duration is written, which changes no result.</summary>
    private static bool IsTextChoice(IConditionalOperation conditional)
    {
        return conditional.Type?.SpecialType == SpecialType.System_String;
    }

    private static bool IsFormattingOrSeed(IArgumentOperation argument, IInvocationOperation call)
    {
        var type = call.TargetMethod.ContainingType;
        return argument.Parameter?.Type.SpecialType is SpecialType.System_String or SpecialType.System_Object
            || type.ContainingNamespace.Is("System.IO") || type.Is("System.Console") || type.Is("System.String")
            || type.Is("System.Diagnostics.Debug") || type.Is("System.Diagnostics.Trace")
            || call.TargetMethod.Name.StartsWith("Log", StringComparison.Ordinal)
            || Seeds.HasSeedName(argument.Parameter?.Name ?? string.Empty);
    }

    private static bool IsNumeric(ITypeSymbol? type)
    {
        return type?.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_Single
            or SpecialType.System_Double or SpecialType.System_UInt32 or SpecialType.System_UInt64;
    }

    /// <summary>A branch whose sides only print, log or restart timers (a progress report).</summary>
    private static bool IsLoggingOnly(IConditionalOperation conditional)
    {
        if (conditional.Type is not null)
            return false;

        var operations = new[] { conditional.WhenTrue }.Concat(conditional.WhenTrue.Descendants()).ToList();
        if (conditional.WhenFalse is { } whenFalse)
            operations.AddRange(new[] { whenFalse }.Concat(whenFalse.Descendants()));

        return operations.All(o => o switch
        {
            IBranchOperation or IReturnOperation or IThrowOperation => false,
            IInvocationOperation call => IsLogging(call.TargetMethod),
            ICompoundAssignmentOperation or ISimpleAssignmentOperation => !((IAssignmentOperation)o).Target.Type.IsFloatingPoint(),
            _ => true,
        });
    }

    private static bool IsLogging(IMethodSymbol method)
    {
        var type = method.ContainingType;
        return type.Is("System.Console") || type.Is("System.Diagnostics.Debug") || type.Is("System.Diagnostics.Trace")
            || type.Is("System.Diagnostics.Stopwatch") || type.Is("System.String") || type.Is("System.Text.StringBuilder")
            || type.ContainingNamespace.Is("System.IO") && method.Name.StartsWith("Write", StringComparison.Ordinal)
            || method.Name.StartsWith("Log", StringComparison.Ordinal) || method.Name.StartsWith("Report", StringComparison.Ordinal)
            || type.Name.IndexOf("Log", StringComparison.Ordinal) >= 0
            || method.Name is "Warn" or "Warning" or "Info" or "Information" or "Verbose" or "Error" or "Fatal"
            || method.Name == "ToString" || type.SpecialType != SpecialType.None || type.Is("System.TimeSpan") || type.Is("System.DateTime");
    }
}
