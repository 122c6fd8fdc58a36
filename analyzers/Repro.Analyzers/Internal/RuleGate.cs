using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace Repro.Analyzers.Internal;

/// <summary>
/// Which rules of one compilation are switched on, per syntax tree, as a bit mask over the rules' positions. A rule is
/// on in a tree when at least one of its diagnostics would be reported there; a rule that is off runs no code there.
/// </summary>
/// <remarks>
/// <para>
/// The compiler's driver skips an analyzer whose every diagnostic is suppressed; with the rules grouped behind one
/// analyzer that decision has to be made here, per rule. It follows the compiler's own decision for a reported
/// diagnostic (<c>CSharpDiagnosticFilter.GetDiagnosticReport</c>), so a rule is skipped only where none of its reports
/// could survive: the compilation's setting for the id (<c>NoWarn</c>, <c>/nowarn</c>, <c>WarningsAsErrors</c>, a
/// rule set) comes first, unless it is <c>/warnaserror-:id</c> (<see cref="ReportDiagnostic.Default"/>); then the
/// tree's <c>.editorconfig</c> setting, else the global analyzer config; then the descriptor's
/// <see cref="DiagnosticDescriptor.IsEnabledByDefault"/>. Only severity <c>none</c> (<see cref="ReportDiagnostic.Suppress"/>)
/// switches a diagnostic off; any other value, errors raised by <c>/warnaserror</c> included, leaves it on. Bulk
/// settings (<c>dotnet_analyzer_diagnostic.*</c>) do not make the driver skip an analyzer either, so a rule switched
/// off only by them still runs and only its reports are dropped.
/// </para>
/// <para>
/// The mask of a tree is computed once and cached: at compilation start (<see cref="OnInAnyTree"/>), or at the first
/// operation seen in the tree. Each thread also keeps the last tree it asked about, since the operations of one body
/// arrive together, so the check usually costs a thread-static read and two comparisons.
/// </para>
/// </remarks>
internal sealed class RuleGate
{
    /// <summary>The most rules one gate can tell apart (the bits of a <see cref="ulong"/>).</summary>
    public const int MaxRules = 64;

    private static int s_lastId;

    // A thread's last answer. It names its gate by number, not by reference, so that a thread pool thread of a
    // long-lived process (the IDE) keeps at most one syntax tree alive after its compilation is gone, not the gate.
    [ThreadStatic]
    private static TreeRules? t_last;

    private readonly int _id = Interlocked.Increment(ref s_lastId);

    private readonly ImmutableArray<DiagnosticDescriptor>[] _rules;

    // Per rule and diagnostic: whether the compilation's settings decide alone (then _withoutTreeSetting is the
    // answer for every tree), and whether the diagnostic is on in a tree without a setting of its own.
    private readonly bool[][] _decidedForAllTrees;
    private readonly bool[][] _withoutTreeSetting;
    private readonly SyntaxTreeOptionsProvider? _treeOptions;
    private readonly ConcurrentDictionary<SyntaxTree, TreeRules> _trees = new();

    /// <param name="compilation">The compilation whose options decide.</param>
    /// <param name="rules">The diagnostics of each rule, in the order of the rules' bits.</param>
    /// <param name="cancellationToken">Cancels reading the global settings.</param>
    public RuleGate(Compilation compilation, IReadOnlyList<ImmutableArray<DiagnosticDescriptor>> rules, CancellationToken cancellationToken)
    {
        if (rules.Count > MaxRules)
            throw new ArgumentException($"A rule gate tells at most {MaxRules} rules apart; there are {rules.Count}.", nameof(rules));

        _treeOptions = compilation.Options.SyntaxTreeOptionsProvider;
        _rules = new ImmutableArray<DiagnosticDescriptor>[rules.Count];
        _decidedForAllTrees = new bool[rules.Count][];
        _withoutTreeSetting = new bool[rules.Count][];
        for (var i = 0; i < rules.Count; i++)
        {
            _rules[i] = rules[i];
            _decidedForAllTrees[i] = new bool[rules[i].Length];
            _withoutTreeSetting[i] = new bool[rules[i].Length];
            for (var j = 0; j < rules[i].Length; j++)
            {
                _withoutTreeSetting[i][j] = IsOnWithoutTreeSetting(
                    rules[i][j], compilation.Options, _treeOptions, cancellationToken, out _decidedForAllTrees[i][j]);
                if (_withoutTreeSetting[i][j])
                    Global |= Bit(i);
            }
        }

        All = rules.Count == MaxRules ? ulong.MaxValue : (1UL << rules.Count) - 1;
    }

    /// <summary>Every rule's bit.</summary>
    public ulong All { get; }

    /// <summary>The rules that are on in a tree with no setting of its own.</summary>
    public ulong Global { get; }

    /// <summary>The bit of the rule at <paramref name="index"/>.</summary>
    public static ulong Bit(int index) => 1UL << index;

    /// <summary>
    /// The rules that are on in at least one of the trees, so that a rule switched off in every file (by
    /// <c>[*.cs]</c> in .editorconfig as well as by <c>NoWarn</c>) is not registered at all. The masks computed here
    /// are the ones the callbacks use later; the walk stops as soon as every rule is known to be on somewhere.
    /// </summary>
    public ulong OnInAnyTree(IEnumerable<SyntaxTree> trees, CancellationToken cancellationToken)
    {
        if (_treeOptions is null)
            return Global;

        var on = 0UL;
        foreach (var tree in trees)
        {
            on |= Lookup(tree, cancellationToken);
            if (on == All)
                break;
        }

        return on;
    }

    /// <summary>The rules that are on in <paramref name="tree"/>. Runs for (nearly) every operation: see the remarks.</summary>
    [MethodImpl(Hot.Path)]
    public ulong Enabled(SyntaxTree tree, CancellationToken cancellationToken)
    {
        if (_treeOptions is null)
            return Global;

        var last = t_last;
        if (last is not null && ReferenceEquals(last.Tree, tree) && last.GateId == _id)
            return last.Rules;

        return Lookup(tree, cancellationToken);
    }

    private ulong Lookup(SyntaxTree tree, CancellationToken cancellationToken)
    {
        if (!_trees.TryGetValue(tree, out var entry))
            entry = _trees.GetOrAdd(tree, new TreeRules(_id, tree, Compute(tree, All, cancellationToken)));

        t_last = entry;
        return entry.Rules;
    }

    /// <summary>Which of the rules in <paramref name="candidates"/> are on in <paramref name="tree"/>.</summary>
    private ulong Compute(SyntaxTree tree, ulong candidates, CancellationToken cancellationToken)
    {
        var on = 0UL;
        for (var i = 0; i < _rules.Length; i++)
        {
            if ((candidates & Bit(i)) == 0)
                continue;

            var descriptors = _rules[i];
            for (var j = 0; j < descriptors.Length; j++)
            {
                var isOn = !_decidedForAllTrees[i][j] && _treeOptions!.TryGetDiagnosticValue(tree, descriptors[j].Id, cancellationToken, out var report)
                    ? report != ReportDiagnostic.Suppress
                    : _withoutTreeSetting[i][j];
                if (isOn)
                {
                    on |= Bit(i);
                    break;
                }
            }
        }

        return on;
    }

    /// <summary>
    /// Whether the diagnostic is on in a tree without a setting of its own; <paramref name="decidedForAllTrees"/> when
    /// no tree's setting can change that.
    /// </summary>
    private static bool IsOnWithoutTreeSetting(
        DiagnosticDescriptor descriptor, CompilationOptions options, SyntaxTreeOptionsProvider? treeOptions, CancellationToken cancellationToken,
        out bool decidedForAllTrees)
    {
        decidedForAllTrees = true;
        if (IsNotConfigurable(descriptor))
            return descriptor.IsEnabledByDefault;

        // /nowarn, /warnaserror+:id and rule sets win over .editorconfig; /warnaserror-:id (Default) does not, but
        // counts as a setting that leaves the diagnostic on.
        var specified = options.SpecificDiagnosticOptions.TryGetValue(descriptor.Id, out var report);
        if (specified && report != ReportDiagnostic.Default)
            return report != ReportDiagnostic.Suppress;

        decidedForAllTrees = treeOptions is null;
        if (treeOptions is not null && treeOptions.TryGetGlobalDiagnosticValue(descriptor.Id, cancellationToken, out report))
            return report != ReportDiagnostic.Suppress;

        return specified || descriptor.IsEnabledByDefault;
    }

    private static bool IsNotConfigurable(DiagnosticDescriptor descriptor)
    {
        foreach (var tag in descriptor.CustomTags)
        {
            if (tag == WellKnownDiagnosticTags.NotConfigurable)
                return true;
        }

        return false;
    }

    /// <summary>The mask of one tree, with the gate it belongs to (a thread's last entry may be another compilation's).</summary>
    private sealed class TreeRules(int gateId, SyntaxTree tree, ulong rules)
    {
        public int GateId { get; } = gateId;

        public SyntaxTree Tree { get; } = tree;

        public ulong Rules { get; } = rules;
    }
}
