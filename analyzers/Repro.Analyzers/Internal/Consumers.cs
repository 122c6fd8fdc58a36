using System;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Repro.Analyzers.Internal;

/// <summary>
/// The operands an operation consumes as a sequence or receiver: a call's instance and arguments, a constructor's
/// arguments, a foreach loop's collection. Rules that look at how a collection is used start from these instead of
/// subscribing to every variable reference, which keeps them cheap.
/// </summary>
internal static class Consumers
{
    /// <summary>
    /// Calls <paramref name="visit"/> for each operand of the analyzed operation. This runs for every call, so it
    /// allocates nothing: pass a static method, whose delegate the compiler caches.
    /// </summary>
    [MethodImpl(Hot.Path)]
    public static void ForEachOperand(OperationAnalysisContext context, Action<OperationAnalysisContext, IOperation> visit)
    {
        switch (context.Operation)
        {
            case IInvocationOperation call:
                if (call.Instance is { } instance)
                    visit(context, Receiver(instance.Unwrap()));
                foreach (var argument in call.Arguments)
                    visit(context, Receiver(argument.Value.Unwrap()));
                break;
            case IObjectCreationOperation creation:
                foreach (var argument in creation.Arguments)
                    visit(context, Receiver(argument.Value.Unwrap()));
                break;
            case IForEachLoopOperation loop:
                visit(context, Receiver(loop.Collection.Unwrap()));
                break;
        }
    }

    /// <summary>For <c>dict.Keys</c> or <c>dict.Values</c>, the reference to <c>dict</c>; otherwise the operand itself.</summary>
    [MethodImpl(Hot.Path)]
    private static IOperation Receiver(IOperation operand)
    {
        return operand is IPropertyReferenceOperation { Property.Name: "Keys" or "Values", Instance: { } owner }
            ? owner.Unwrap()
            : operand;
    }
}
