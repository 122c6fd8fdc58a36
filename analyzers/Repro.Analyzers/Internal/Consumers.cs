using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Repro.Analyzers.Internal;

/// <summary>
/// The operands an operation consumes as a sequence or receiver: a call's instance and arguments, a constructor's
/// arguments, a foreach loop's collection. Rules that look at how a collection is used start from these instead of
/// subscribing to every variable reference, which keeps them cheap.
/// </summary>
internal static class Consumers
{
    public static IEnumerable<IOperation> Operands(IOperation operation)
    {
        switch (operation)
        {
            case IInvocationOperation call:
                if (call.Instance is { } instance)
                    yield return Receiver(instance.Unwrap());
                foreach (var argument in call.Arguments)
                    yield return Receiver(argument.Value.Unwrap());
                break;
            case IObjectCreationOperation creation:
                foreach (var argument in creation.Arguments)
                    yield return Receiver(argument.Value.Unwrap());
                break;
            case IForEachLoopOperation loop:
                yield return Receiver(loop.Collection.Unwrap());
                break;
        }
    }

    /// <summary>For <c>dict.Keys</c> or <c>dict.Values</c>, the reference to <c>dict</c>; otherwise the operand itself.</summary>
    private static IOperation Receiver(IOperation operand)
    {
        return operand is IPropertyReferenceOperation { Property.Name: "Keys" or "Values", Instance: { } owner }
            ? owner.Unwrap()
            : operand;
    }
}
