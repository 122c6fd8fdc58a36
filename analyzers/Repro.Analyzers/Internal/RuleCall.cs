using System;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Repro.Analyzers.Internal;

/// <summary>One rule's operation callback, with the rule's bit in the <see cref="RuleGate"/> masks.</summary>
/// <param name="run">The callback.</param>
/// <param name="rule">The rule that registered it; <see langword="null"/> for the registrar's own operand walk.</param>
/// <param name="bit">When this bit is clear in a tree's mask, the callback is not called there.</param>
internal sealed class RuleAction(Action<OperationAnalysisContext> run, RuleAnalyzer? rule, ulong bit)
{
    public Action<OperationAnalysisContext> Run { get; } = run;

    public RuleAnalyzer? Rule { get; } = rule;

    public ulong Bit { get; } = bit;
}

/// <summary>One rule's operand callback (see <see cref="Consumers"/>), with the rule's bit.</summary>
internal sealed class OperandAction(Action<OperationAnalysisContext, IOperation> run, RuleAnalyzer rule, ulong bit)
{
    public Action<OperationAnalysisContext, IOperation> Run { get; } = run;

    public RuleAnalyzer Rule { get; } = rule;

    public ulong Bit { get; } = bit;
}

/// <summary>
/// Calls the rules' callbacks so that one rule's exception does not stop the others: the exception is reported as
/// RPR0001 at the code the rule was looking at, and the next rule runs. Cancellation of the analysis still stops all.
/// </summary>
/// <remarks>
/// RPR0001 is reported at every place a rule fails rather than once per rule: which place would come "first" depends
/// on how the compiler's threads are scheduled, and this project's own output must not. The rule classes on their
/// own (<see cref="RuleAnalyzer"/>) do not isolate: there the compiler's driver reports AD0001 as for any analyzer.
/// </remarks>
/// <param name="isolate">Whether to catch and report; without it exceptions reach the driver.</param>
internal sealed class RuleCalls(bool isolate)
{
    /// <summary>Calls each callback whose bit is set in <paramref name="on"/>.</summary>
    [MethodImpl(Hot.Path)]
    public void RunAll(RuleAction[] actions, in OperationAnalysisContext context, ulong on)
    {
        // One try per callback, with nothing to do on the normal path; a failing callback is reported and skipped.
        for (var i = 0; i < actions.Length; i++)
        {
            var action = actions[i];
            if ((on & action.Bit) == 0)
                continue;

            try
            {
                action.Run(context);
            }
            catch (Exception exception) when (Catches(exception, context.CancellationToken))
            {
                context.ReportDiagnostic(Failure(action.Rule, exception, context.Operation.Syntax.GetLocation()));
            }
        }
    }

    /// <summary>Calls each operand callback whose bit is set in <paramref name="on"/>.</summary>
    [MethodImpl(Hot.Path)]
    public void RunAll(OperandAction[] actions, in OperationAnalysisContext context, IOperation operand, ulong on)
    {
        for (var i = 0; i < actions.Length; i++)
        {
            var action = actions[i];
            if ((on & action.Bit) == 0)
                continue;

            try
            {
                action.Run(context, operand);
            }
            catch (Exception exception) when (Catches(exception, context.CancellationToken))
            {
                context.ReportDiagnostic(Failure(action.Rule, exception, operand.Syntax.GetLocation()));
            }
        }
    }

    /// <summary>
    /// Whether to report <paramref name="exception"/> and go on: everything except the cancellation of the analysis
    /// (which the driver recognizes the same way: an <see cref="OperationCanceledException"/> for its token).
    /// </summary>
    public bool Catches(Exception exception, CancellationToken cancellationToken)
    {
        return isolate
            && !(exception is OperationCanceledException canceled
                && (canceled.CancellationToken == cancellationToken || cancellationToken.IsCancellationRequested));
    }

    /// <summary>RPR0001 for <paramref name="rule"/> at <paramref name="location"/>.</summary>
    public static Diagnostic Failure(RuleAnalyzer? rule, Exception exception, Location location)
    {
        var name = rule is null
            ? "operand walk (RuleRegistrar)"
            : string.Join("/", rule.SupportedDiagnostics.Select(d => d.Id).Distinct()) + " (" + rule.GetType().Name + ")";
        var message = exception.Message.Replace('\r', ' ').Replace('\n', ' ');
        return Diagnostic.Create(RuleCatalog.RuleFailure, location, name, exception.GetType().FullName, message);
    }
}
