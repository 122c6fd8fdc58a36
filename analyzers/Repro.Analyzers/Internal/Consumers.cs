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
/// all such rules, which are called only for operands whose type has one of the simple names they registered, and
/// only in trees where they are switched on (see <see cref="RuleGate"/>).
/// </summary>
internal sealed class Consumers
{
    private readonly Dictionary<string, OperandAction[]> _byTypeName;
    private readonly RuleGate _gate;
    private readonly RuleCalls _calls;

    public Consumers(Dictionary<string, OperandAction[]> byTypeName, RuleGate gate, RuleCalls calls)
    {
        _byTypeName = byTypeName;
        _gate = gate;
        _calls = calls;
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
            _calls.RunAll(actions, context, reference, _gate.Enabled(context.FilterTree, context.CancellationToken));
    }

    /// <summary>For <c>dict.Keys</c> or <c>dict.Values</c>, the reference to <c>dict</c>; otherwise the operand itself.</summary>
    private static IOperation Receiver(IOperation operand)
    {
        return operand is IPropertyReferenceOperation { Property.Name: "Keys" or "Values", Instance: { } owner }
            ? owner.Unwrap()
            : operand;
    }
}
