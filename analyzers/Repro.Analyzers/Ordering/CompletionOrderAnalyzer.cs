using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers.Ordering;

/// <summary>
/// RPR2004: <c>Task.WhenAny</c> over a collection inside a loop (the "process as they finish" pattern), and
/// <c>Task.WhenEach</c>. <c>Task.WhenAny(work, Task.Delay(...))</c>, the timeout pattern, is not reported.
/// </summary>
public sealed class CompletionOrderAnalyzer : RuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.CompletionOrder);

    internal override void Register(RuleRegistrar registrar)
    {
        registrar.RegisterInvocationAction(Analyze, "WhenEach", "WhenAny");
    }

    private static void Analyze(OperationAnalysisContext context)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        if (method.Name is not ("WhenEach" or "WhenAny"))
            return;

        if (method.IsMethod("System.Threading.Tasks.Task", "WhenEach"))
        {
            Report(context, invocation, "Task.WhenEach");
            return;
        }

        if (!method.IsMethod("System.Threading.Tasks.Task", "WhenAny") || invocation.Arguments.Length != 1)
            return;

        var argument = invocation.Arguments[0];
        var isExplicitList = argument.ArgumentKind == ArgumentKind.ParamArray
            && argument.Value is IArrayCreationOperation { Initializer.ElementValues.Length: > 0 };
        if (!isExplicitList && invocation.IsInsideLoop())
            Report(context, invocation, "Task.WhenAny");
    }

    private static void Report(OperationAnalysisContext context, IOperation invocation, string api)
    {
        context.ReportDiagnostic(Diagnostic.Create(RuleCatalog.CompletionOrder, invocation.Syntax.GetLocation(), api));
    }
}
