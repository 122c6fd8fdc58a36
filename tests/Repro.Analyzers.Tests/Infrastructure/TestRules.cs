using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers.Tests.Infrastructure;

/// <summary>
/// A rule that reports nothing and records where its callbacks ran, through every kind of registration the registrar
/// offers. It claims another rule's diagnostics, so the severity settings of that rule switch it on and off.
/// </summary>
#pragma warning disable RS1001 // like the real rule classes, test rules run inside ReproAnalyzer and carry no attribute
public sealed class ProbeRule(params DiagnosticDescriptor[] descriptors) : RuleAnalyzer
{
    private readonly ConcurrentQueue<string> _calls = new();
    private int _registrations;

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(descriptors);

    /// <summary>One entry per callback call: the registration and the file name.</summary>
    public IReadOnlyCollection<string> Calls => _calls;

    /// <summary>How many compilations registered the rule's callbacks.</summary>
    public int Registrations => Volatile.Read(ref _registrations);

    /// <summary>The files the callbacks ran in.</summary>
    public IEnumerable<string> Files => _calls.Select(c => c[(c.IndexOf(':', StringComparison.Ordinal) + 1)..]).Distinct().Order(StringComparer.Ordinal);

    internal override void Register(RuleRegistrar registrar)
    {
        Interlocked.Increment(ref _registrations);
        registrar.RegisterOperationAction(c => Record("kind", c), OperationKind.Invocation);
        registrar.RegisterInvocationAction(c => Record("invocation", c), "Next");
        registrar.RegisterPropertyReferenceAction(c => Record("property", c), "Now");
        registrar.RegisterObjectCreationAction(c => Record("creation", c), "Random");
        registrar.RegisterOperandAction((c, _) => Record("operand", c), "Random");
        var body = registrar.Guard(c => Record("body", c));
        registrar.RegisterOperationBlockStartAction(block =>
        {
            _calls.Enqueue("block:" + Path.GetFileName(block.FilterTree.FilePath));
            block.RegisterOperationAction(body, OperationKind.Invocation);
        });
    }

    private void Record(string registration, OperationAnalysisContext context) =>
        _calls.Enqueue(registration + ":" + Path.GetFileName(context.Operation.Syntax.SyntaxTree.FilePath));
}

/// <summary>A rule with a bug: it throws where the test says, and claims another rule's diagnostic.</summary>
public sealed class ThrowingRule(DiagnosticDescriptor descriptor, ThrowingRule.Where where) : RuleAnalyzer
{
    public enum Where
    {
        /// <summary>At every <c>new Random(...)</c> (a callback routed by type name).</summary>
        RandomCreation,

        /// <summary>At every call (a callback for an operation kind) and every operand of type Random.</summary>
        EveryCall,

        /// <summary>At the start of every body.</summary>
        BlockStart,

        /// <summary>In a callback registered on a body.</summary>
        BodyCallback,
    }

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(descriptor);

    internal override void Register(RuleRegistrar registrar)
    {
        switch (where)
        {
            case Where.RandomCreation:
                registrar.RegisterObjectCreationAction(_ => throw new InvalidOperationException("probe failure"), "Random");
                break;
            case Where.EveryCall:
                registrar.RegisterOperationAction(_ => throw new InvalidOperationException("probe failure"), OperationKind.Invocation);
                registrar.RegisterOperandAction((_, _) => throw new InvalidOperationException("probe failure"), "Random");
                break;
            case Where.BlockStart:
                registrar.RegisterOperationBlockStartAction(_ => throw new InvalidOperationException("probe failure"));
                break;
            case Where.BodyCallback:
                var callback = registrar.Guard(_ => throw new InvalidOperationException("probe failure"));
                registrar.RegisterOperationBlockStartAction(block => block.RegisterOperationAction(callback, OperationKind.ObjectCreation));
                break;
        }
    }
}

#pragma warning restore RS1001

/// <summary>An analyzer test of a given <see cref="DiagnosticAnalyzer"/> instance (the testing library makes its own otherwise).</summary>
public sealed class InstanceAnalyzerTest : CSharpAnalyzerTest<ReproAnalyzer, DefaultVerifier>
{
    private readonly DiagnosticAnalyzer _analyzer;

    public InstanceAnalyzerTest(DiagnosticAnalyzer analyzer, params (string Path, string Source)[] sources)
    {
        _analyzer = analyzer;
        ReferenceAssemblies = TestReferences.None;
        TestState.AdditionalReferences.AddRange(TestReferences.FrameworkReferences);
        foreach (var source in sources)
            TestState.Sources.Add(source);
    }

    /// <summary>The grouped analyzer over the given rules.</summary>
    public static ReproAnalyzer Grouped(params RuleAnalyzer[] rules) => new(ImmutableArray.Create(rules));

    protected override IEnumerable<DiagnosticAnalyzer> GetDiagnosticAnalyzers() => [_analyzer];
}
