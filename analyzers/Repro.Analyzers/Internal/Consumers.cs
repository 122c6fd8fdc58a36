using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Repro.Analyzers.Internal;

/// <summary>
/// The operands an operation consumes as a sequence or receiver: a call's instance and arguments, a constructor's
/// arguments, a foreach loop's collection. Rules that look at how a collection is used start from these instead of
/// subscribing to every variable reference, which keeps them cheap. The operands are walked once per operation for
/// all such rules, which are called only for operands whose type has one of the simple names they registered.
/// </summary>
internal sealed class Consumers
{
    private readonly Dictionary<string, Action<OperationAnalysisContext, IOperation>[]> _byTypeName;

    public Consumers(Dictionary<string, Action<OperationAnalysisContext, IOperation>[]> byTypeName)
    {
        _byTypeName = byTypeName;
    }

    /// <summary>Runs for every call, object creation and loop: allocates nothing and looks only at type names.</summary>
    [MethodImpl(Hot.Path)]
    public void Visit(OperationAnalysisContext context)
    {
        switch (context.Operation)
        {
            case IInvocationOperation call:
                if (call.Instance is { } instance)
                    VisitOperand(context, instance);
                foreach (var argument in call.Arguments)
                    VisitOperand(context, argument.Value);
                break;
            case IObjectCreationOperation creation:
                foreach (var argument in creation.Arguments)
                    VisitOperand(context, argument.Value);
                break;
            case IForEachLoopOperation loop:
                VisitOperand(context, loop.Collection);
                break;
        }
    }

    [MethodImpl(Hot.Path)]
    private void VisitOperand(OperationAnalysisContext context, IOperation operand)
    {
        var reference = Receiver(operand.Unwrap());
        if (reference.Type is { } type && _byTypeName.TryGetValue(type.Name, out var actions))
        {
            foreach (var action in actions)
                action(context, reference);
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
