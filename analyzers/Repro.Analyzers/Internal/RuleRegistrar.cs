using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Repro.Analyzers.Internal;

/// <summary>
/// Collects the operation callbacks of one or more rules for one compilation and registers one callback per
/// operation kind, which calls the rules' callbacks in turn. Callbacks for calls, property references and object
/// creations can name the members or types they are about; they then run only for those, found with one lookup.
/// </summary>
/// <remarks>
/// The compiler's driver pays for every analyzer that has operation callbacks: it walks all operations of every
/// body once per such analyzer, and times each callback separately. Grouping the rules behind one analyzer
/// (<see cref="ReproAnalyzer"/>) and one callback per kind removes that overhead, which was larger than the rules'
/// own work; routing by member name means most rules' code never runs for most operations.
/// <para>
/// Grouping also takes over two things the driver did for separate analyzers. A rule whose diagnostics are all
/// switched off (severity <c>none</c>) costs nothing: if it is off everywhere its <c>Register</c> is not even called,
/// and if it is off only in some files (per-file <c>.editorconfig</c>) its callbacks are not called in those files; the
/// dispatchers ask the <see cref="RuleGate"/> once per operation for the file's mask of rules, one cached lookup. And
/// one rule's exception does not stop the others: <see cref="RuleCalls"/> reports it as RPR0001 and goes on.
/// </para>
/// </remarks>
internal sealed class RuleRegistrar
{
    private readonly CompilationStartAnalysisContext _start;
    private readonly RuleGate _gate;
    private readonly RuleCalls _calls;
    private readonly Dictionary<OperationKind, List<RuleAction>> _actions = new();
    private readonly Dictionary<string, List<RuleAction>> _invocationsByName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<RuleAction>> _propertiesByName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<RuleAction>> _creationsByTypeName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<OperandAction>> _operandsByTypeName = new(StringComparer.Ordinal);
    private RuleAnalyzer? _rule;
    private ulong _bit;

#pragma warning disable RS1012 // the context is kept: Commit and the block-start forwarding register on it
    private RuleRegistrar(CompilationStartAnalysisContext start, RuleGate gate, bool isolateFailures)
#pragma warning restore RS1012
    {
        _start = start;
        _gate = gate;
        _calls = new RuleCalls(isolateFailures);
    }

    public Compilation Compilation => _start.Compilation;

    /// <summary>
    /// Registers the callbacks of the <paramref name="rules"/> that are switched on in at least one file of the
    /// compilation, grouped behind one callback per operation kind.
    /// </summary>
    /// <param name="start">The compilation.</param>
    /// <param name="rules">The rules, at most <see cref="RuleGate.MaxRules"/>.</param>
    /// <param name="isolateFailures">
    /// Whether a rule's exception is reported as RPR0001 (which the calling analyzer must support) and the other rules
    /// go on; without it the exception reaches the driver, which reports AD0001.
    /// </param>
    public static void Register(CompilationStartAnalysisContext start, ImmutableArray<RuleAnalyzer> rules, bool isolateFailures)
    {
        var gate = new RuleGate(start.Compilation, rules.Select(r => r.SupportedDiagnostics).ToList(), start.CancellationToken);
        var on = gate.OnInAnyTree(start.Compilation.SyntaxTrees, start.CancellationToken);
        if (on == 0)
            return;

        var registrar = new RuleRegistrar(start, gate, isolateFailures);
        for (var i = 0; i < rules.Length; i++)
        {
            var bit = RuleGate.Bit(i);
            if ((on & bit) == 0)
                continue;

            registrar._rule = rules[i];
            registrar._bit = bit;
            rules[i].Register(registrar);
        }

        registrar._rule = null;
        registrar.Commit();
    }

    /// <summary>Runs <paramref name="action"/> for every operation of the given kinds.</summary>
    public void RegisterOperationAction(Action<OperationAnalysisContext> action, params OperationKind[] kinds)
    {
        foreach (var kind in kinds)
            Add(_actions, kind, Current(action));
    }

    /// <summary>Runs <paramref name="action"/> for calls of a method with one of the names.</summary>
    public void RegisterInvocationAction(Action<OperationAnalysisContext> action, params string[] methodNames)
    {
        foreach (var name in methodNames)
            Add(_invocationsByName, name, Current(action));
    }

    /// <summary>Runs <paramref name="action"/> for references to a property with one of the names.</summary>
    public void RegisterPropertyReferenceAction(Action<OperationAnalysisContext> action, params string[] propertyNames)
    {
        foreach (var name in propertyNames)
            Add(_propertiesByName, name, Current(action));
    }

    /// <summary>Runs <paramref name="action"/> for <c>new T(...)</c> where T's simple name is one of the names.</summary>
    public void RegisterObjectCreationAction(Action<OperationAnalysisContext> action, params string[] typeNames)
    {
        foreach (var name in typeNames)
            Add(_creationsByTypeName, name, Current(action));
    }

    /// <summary>
    /// Runs <paramref name="action"/> for each operand of a call, object creation or foreach loop (see
    /// <see cref="Consumers"/>) whose type has one of the simple names.
    /// </summary>
    public void RegisterOperandAction(Action<OperationAnalysisContext, IOperation> action, params string[] typeNames)
    {
        var rule = _rule ?? throw new InvalidOperationException("Operand callbacks are registered from a rule's Register.");
        foreach (var name in typeNames)
        {
            if (!_operandsByTypeName.TryGetValue(name, out var list))
                _operandsByTypeName[name] = list = new List<OperandAction>();

            if (!list.Exists(a => a.Run == action))
                list.Add(new OperandAction(action, rule, _bit));
        }
    }

    /// <summary>
    /// For rules that need per-body state: registered directly, not grouped. <paramref name="action"/> does not run
    /// for bodies in files where the rule is switched off. The callbacks it registers on the body must be wrapped
    /// with <see cref="Guard"/>, so that their exceptions are reported like those of the grouped callbacks.
    /// </summary>
    public void RegisterOperationBlockStartAction(Action<OperationBlockStartAnalysisContext> action)
    {
        var rule = _rule ?? throw new InvalidOperationException("Block callbacks are registered from a rule's Register.");
        _start.RegisterOperationBlockStartAction(new BlockStart(action, rule, _bit, _gate, _calls).Run);
    }

    /// <summary>
    /// <paramref name="action"/>, reporting its exceptions as RPR0001 (see <see cref="RuleCalls"/>): for callbacks a
    /// rule registers itself, on a body (<see cref="RegisterOperationBlockStartAction"/>).
    /// </summary>
    public Action<OperationAnalysisContext> Guard(Action<OperationAnalysisContext> action)
    {
        var actions = new[] { Current(action) };
        var calls = _calls;
        return context => calls.RunAll(actions, context, ulong.MaxValue);
    }

    private RuleAction Current(Action<OperationAnalysisContext> action)
    {
        var rule = _rule ?? throw new InvalidOperationException("Callbacks are registered from a rule's Register.");
        return new RuleAction(action, rule, _bit);
    }

    /// <summary>Registers the collected callbacks: one per operation kind.</summary>
    private void Commit()
    {
        if (_operandsByTypeName.Count > 0)
        {
            var byTypeName = new Dictionary<string, OperandAction[]>(StringComparer.Ordinal);
            var bits = 0UL;
            foreach (var pair in _operandsByTypeName)
            {
                byTypeName[pair.Key] = pair.Value.ToArray();
                foreach (var action in pair.Value)
                    bits |= action.Bit;
            }

            // One walk over the operands for all the rules that registered operand callbacks, skipped in files where
            // they are all off.
            var walk = new RuleAction(new Consumers(byTypeName, _gate, _calls).Visit, null, bits);
            foreach (var kind in new[] { OperationKind.Invocation, OperationKind.ObjectCreation, OperationKind.Loop })
                Add(_actions, kind, walk);
        }

        var kinds = new HashSet<OperationKind>(_actions.Keys);
        if (_invocationsByName.Count > 0)
            kinds.Add(OperationKind.Invocation);
        if (_propertiesByName.Count > 0)
            kinds.Add(OperationKind.PropertyReference);
        if (_creationsByTypeName.Count > 0)
            kinds.Add(OperationKind.ObjectCreation);

        foreach (var kind in kinds)
        {
            var always = _actions.TryGetValue(kind, out var list) ? list.ToArray() : Array.Empty<RuleAction>();
            Action<OperationAnalysisContext> callback = kind switch
            {
                OperationKind.Invocation when _invocationsByName.Count > 0 =>
                    new InvocationDispatch(always, Freeze(_invocationsByName), _gate, _calls).Run,
                OperationKind.PropertyReference when _propertiesByName.Count > 0 =>
                    new PropertyDispatch(always, Freeze(_propertiesByName), _gate, _calls).Run,
                OperationKind.ObjectCreation when _creationsByTypeName.Count > 0 =>
                    new CreationDispatch(always, Freeze(_creationsByTypeName), _gate, _calls).Run,
                _ => new Dispatch(always, _gate, _calls).Run,
            };
            _start.RegisterOperationAction(callback, kind);
        }
    }

    private static void Add<TKey>(Dictionary<TKey, List<RuleAction>> map, TKey key, RuleAction action)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var list))
            map[key] = list = new List<RuleAction>();

        // Registered twice for one name or kind, a callback would run (and report) twice.
        if (!list.Exists(a => a.Run == action.Run))
            list.Add(action);
    }

    private static Dictionary<string, RuleAction[]> Freeze(Dictionary<string, List<RuleAction>> map)
    {
        var frozen = new Dictionary<string, RuleAction[]>(map.Count, StringComparer.Ordinal);
        foreach (var pair in map)
            frozen[pair.Key] = pair.Value.ToArray();
        return frozen;
    }

    // The dispatchers run for every operation of their kind, so they are compiled fully optimized (see Hot). Each asks
    // the gate for the file's rules only when it has a callback to call.
    private sealed class Dispatch(RuleAction[] actions, RuleGate gate, RuleCalls calls)
    {
        [MethodImpl(Hot.Path)]
        public void Run(OperationAnalysisContext context)
        {
            calls.RunAll(actions, context, gate.Enabled(context.FilterTree, context.CancellationToken));
        }
    }

    private sealed class InvocationDispatch(RuleAction[] always, Dictionary<string, RuleAction[]> byName, RuleGate gate, RuleCalls calls)
    {
        [MethodImpl(Hot.Path)]
        public void Run(OperationAnalysisContext context)
        {
            var on = gate.Enabled(context.FilterTree, context.CancellationToken);
            calls.RunAll(always, context, on);

            if (byName.TryGetValue(((IInvocationOperation)context.Operation).TargetMethod.Name, out var actions))
                calls.RunAll(actions, context, on);
        }
    }

    private sealed class CreationDispatch(RuleAction[] always, Dictionary<string, RuleAction[]> byName, RuleGate gate, RuleCalls calls)
    {
        [MethodImpl(Hot.Path)]
        public void Run(OperationAnalysisContext context)
        {
            var on = gate.Enabled(context.FilterTree, context.CancellationToken);
            calls.RunAll(always, context, on);

            if (((IObjectCreationOperation)context.Operation).Type is { } type && byName.TryGetValue(type.Name, out var actions))
                calls.RunAll(actions, context, on);
        }
    }

    private sealed class PropertyDispatch(RuleAction[] always, Dictionary<string, RuleAction[]> byName, RuleGate gate, RuleCalls calls)
    {
        [MethodImpl(Hot.Path)]
        public void Run(OperationAnalysisContext context)
        {
            if (always.Length > 0)
                calls.RunAll(always, context, gate.Enabled(context.FilterTree, context.CancellationToken));

            if (byName.TryGetValue(((IPropertyReferenceOperation)context.Operation).Property.Name, out var actions))
                calls.RunAll(actions, context, gate.Enabled(context.FilterTree, context.CancellationToken));
        }
    }

    /// <summary>A rule's block-start callback: skipped in files where the rule is off, its exception reported as RPR0001.</summary>
    private sealed class BlockStart(Action<OperationBlockStartAnalysisContext> action, RuleAnalyzer rule, ulong bit, RuleGate gate, RuleCalls calls)
    {
        public void Run(OperationBlockStartAnalysisContext block)
        {
            if ((gate.Enabled(block.FilterTree, block.CancellationToken) & bit) == 0)
                return;

            try
            {
                action(block);
            }
            catch (Exception exception) when (calls.Catches(exception, block.CancellationToken))
            {
                // A block-start context cannot report; the end of the same body can.
                var location = block.OperationBlocks.IsEmpty ? Location.None : block.OperationBlocks[0].Syntax.GetLocation();
                block.RegisterOperationBlockEndAction(end => end.ReportDiagnostic(RuleCalls.Failure(rule, exception, location)));
            }
        }
    }
}
