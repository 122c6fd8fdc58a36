using System;
using System.Collections.Generic;
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
/// </remarks>
internal sealed class RuleRegistrar
{
    private readonly CompilationStartAnalysisContext _start;
    private readonly Dictionary<OperationKind, List<Action<OperationAnalysisContext>>> _actions = new();
    private readonly Dictionary<string, List<Action<OperationAnalysisContext>>> _invocationsByName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Action<OperationAnalysisContext>>> _propertiesByName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Action<OperationAnalysisContext>>> _creationsByTypeName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Action<OperationAnalysisContext, IOperation>>> _operandsByTypeName = new(StringComparer.Ordinal);

#pragma warning disable RS1012 // the context is kept: Commit and the block-start forwarding register on it
    public RuleRegistrar(CompilationStartAnalysisContext start)
#pragma warning restore RS1012
    {
        _start = start;
    }

    public Compilation Compilation => _start.Compilation;

    /// <summary>Runs <paramref name="action"/> for every operation of the given kinds.</summary>
    public void RegisterOperationAction(Action<OperationAnalysisContext> action, params OperationKind[] kinds)
    {
        foreach (var kind in kinds)
            Add(_actions, kind, action);
    }

    /// <summary>Runs <paramref name="action"/> for calls of a method with one of the names.</summary>
    public void RegisterInvocationAction(Action<OperationAnalysisContext> action, params string[] methodNames)
    {
        foreach (var name in methodNames)
            Add(_invocationsByName, name, action);
    }

    /// <summary>Runs <paramref name="action"/> for references to a property with one of the names.</summary>
    public void RegisterPropertyReferenceAction(Action<OperationAnalysisContext> action, params string[] propertyNames)
    {
        foreach (var name in propertyNames)
            Add(_propertiesByName, name, action);
    }

    /// <summary>Runs <paramref name="action"/> for <c>new T(...)</c> where T's simple name is one of the names.</summary>
    public void RegisterObjectCreationAction(Action<OperationAnalysisContext> action, params string[] typeNames)
    {
        foreach (var name in typeNames)
            Add(_creationsByTypeName, name, action);
    }

    /// <summary>
    /// Runs <paramref name="action"/> for each operand of a call, object creation or foreach loop (see
    /// <see cref="Consumers"/>) whose type has one of the simple names.
    /// </summary>
    public void RegisterOperandAction(Action<OperationAnalysisContext, IOperation> action, params string[] typeNames)
    {
        foreach (var name in typeNames)
        {
            if (!_operandsByTypeName.TryGetValue(name, out var list))
                _operandsByTypeName[name] = list = new List<Action<OperationAnalysisContext, IOperation>>();

            if (!list.Contains(action))
                list.Add(action);
        }
    }

    /// <summary>For rules that need per-body state: registered directly, not grouped.</summary>
    public void RegisterOperationBlockStartAction(Action<OperationBlockStartAnalysisContext> action)
    {
        _start.RegisterOperationBlockStartAction(action);
    }

    /// <summary>Registers the collected callbacks: one per operation kind.</summary>
    public void Commit()
    {
        if (_operandsByTypeName.Count > 0)
        {
            var byTypeName = new Dictionary<string, Action<OperationAnalysisContext, IOperation>[]>(StringComparer.Ordinal);
            foreach (var pair in _operandsByTypeName)
                byTypeName[pair.Key] = pair.Value.ToArray();

            // One walk over the operands for all the rules that registered operand callbacks.
            RegisterOperationAction(new Consumers(byTypeName).Visit, OperationKind.Invocation, OperationKind.ObjectCreation, OperationKind.Loop);
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
            var always = _actions.TryGetValue(kind, out var list) ? list.ToArray() : Array.Empty<Action<OperationAnalysisContext>>();
            Action<OperationAnalysisContext> callback = kind switch
            {
                OperationKind.Invocation when _invocationsByName.Count > 0 => new InvocationDispatch(always, Freeze(_invocationsByName)).Run,
                OperationKind.PropertyReference when _propertiesByName.Count > 0 => new PropertyDispatch(always, Freeze(_propertiesByName)).Run,
                OperationKind.ObjectCreation when _creationsByTypeName.Count > 0 => new CreationDispatch(always, Freeze(_creationsByTypeName)).Run,
                _ when always.Length == 1 => always[0],
                _ => new Dispatch(always).Run,
            };
            _start.RegisterOperationAction(callback, kind);
        }
    }

    private static void Add<TKey>(Dictionary<TKey, List<Action<OperationAnalysisContext>>> map, TKey key, Action<OperationAnalysisContext> action)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var list))
            map[key] = list = new List<Action<OperationAnalysisContext>>();

        // Registered twice for one name or kind, a callback would run (and report) twice.
        if (!list.Contains(action))
            list.Add(action);
    }

    private static Dictionary<string, Action<OperationAnalysisContext>[]> Freeze(Dictionary<string, List<Action<OperationAnalysisContext>>> map)
    {
        var frozen = new Dictionary<string, Action<OperationAnalysisContext>[]>(map.Count, StringComparer.Ordinal);
        foreach (var pair in map)
            frozen[pair.Key] = pair.Value.ToArray();
        return frozen;
    }

    // The dispatchers run for every operation of their kind, so they are compiled fully optimized (see Hot).
    private sealed class Dispatch(Action<OperationAnalysisContext>[] actions)
    {
        [MethodImpl(Hot.Path)]
        public void Run(OperationAnalysisContext context)
        {
            foreach (var action in actions)
                action(context);
        }
    }

    private sealed class InvocationDispatch(Action<OperationAnalysisContext>[] always, Dictionary<string, Action<OperationAnalysisContext>[]> byName)
    {
        [MethodImpl(Hot.Path)]
        public void Run(OperationAnalysisContext context)
        {
            foreach (var action in always)
                action(context);

            if (byName.TryGetValue(((IInvocationOperation)context.Operation).TargetMethod.Name, out var actions))
            {
                foreach (var action in actions)
                    action(context);
            }
        }
    }

    private sealed class CreationDispatch(Action<OperationAnalysisContext>[] always, Dictionary<string, Action<OperationAnalysisContext>[]> byName)
    {
        [MethodImpl(Hot.Path)]
        public void Run(OperationAnalysisContext context)
        {
            foreach (var action in always)
                action(context);

            if (((IObjectCreationOperation)context.Operation).Type is { } type && byName.TryGetValue(type.Name, out var actions))
            {
                foreach (var action in actions)
                    action(context);
            }
        }
    }

    private sealed class PropertyDispatch(Action<OperationAnalysisContext>[] always, Dictionary<string, Action<OperationAnalysisContext>[]> byName)
    {
        [MethodImpl(Hot.Path)]
        public void Run(OperationAnalysisContext context)
        {
            foreach (var action in always)
                action(context);

            if (byName.TryGetValue(((IPropertyReferenceOperation)context.Operation).Property.Name, out var actions))
            {
                foreach (var action in actions)
                    action(context);
            }
        }
    }
}
