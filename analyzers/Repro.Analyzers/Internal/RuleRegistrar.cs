using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Repro.Analyzers.Internal;

/// <summary>
/// Collects the operation callbacks of one or more rules for one compilation and registers one callback per
/// operation kind, which calls the rules' callbacks in turn.
/// </summary>
/// <remarks>
/// The compiler's driver pays for every analyzer that has operation callbacks: it walks all operations of every
/// body once per such analyzer, and times each callback separately. Grouping the rules behind one analyzer
/// (<see cref="ReproAnalyzer"/>) and one callback per kind removes that overhead, which was larger than the
/// rules' own work.
/// </remarks>
internal sealed class RuleRegistrar
{
    private readonly CompilationStartAnalysisContext _start;
    private readonly Dictionary<OperationKind, List<Action<OperationAnalysisContext>>> _actions = new();

#pragma warning disable RS1012 // the context is kept: Commit and the block-start forwarding register on it
    public RuleRegistrar(CompilationStartAnalysisContext start)
#pragma warning restore RS1012
    {
        _start = start;
    }

    public Compilation Compilation => _start.Compilation;

    /// <summary>For rules that need per-body state: registered directly, not grouped.</summary>
    public void RegisterOperationBlockStartAction(Action<OperationBlockStartAnalysisContext> action)
    {
        _start.RegisterOperationBlockStartAction(action);
    }

    public void RegisterOperationAction(Action<OperationAnalysisContext> action, params OperationKind[] kinds)
    {
        foreach (var kind in kinds)
        {
            if (!_actions.TryGetValue(kind, out var list))
                _actions[kind] = list = new List<Action<OperationAnalysisContext>>();

            list.Add(action);
        }
    }

    /// <summary>Registers the collected callbacks: one per operation kind.</summary>
    public void Commit()
    {
        foreach (var pair in _actions)
        {
            var action = pair.Value.Count == 1 ? pair.Value[0] : new Dispatch(pair.Value.ToArray()).Run;
            _start.RegisterOperationAction(action, pair.Key);
        }
    }

    private sealed class Dispatch
    {
        private readonly Action<OperationAnalysisContext>[] _actions;

        public Dispatch(Action<OperationAnalysisContext>[] actions)
        {
            _actions = actions;
        }

        [MethodImpl(Hot.Path)]
        public void Run(OperationAnalysisContext context)
        {
            foreach (var action in _actions)
                action(context);
        }
    }
}
