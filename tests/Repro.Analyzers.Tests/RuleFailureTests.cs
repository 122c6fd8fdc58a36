using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using Repro.Analyzers.FloatingPoint;
using Repro.Analyzers.Internal;
using Repro.Analyzers.Randomness;
using Repro.Analyzers.Tests.Infrastructure;

namespace Repro.Analyzers.Tests;

/// <summary>
/// Inside <see cref="ReproAnalyzer"/>, a rule that throws is reported as RPR0001 where it failed, and the other rules
/// still run for the same code (without the isolation the compiler would report AD0001 and drop them).
/// </summary>
public class RuleFailureTests
{
    private const string Code = """
        using System;
        class C
        {
            float F(float x) => MathF.ReciprocalSqrtEstimate(x);
            int G() => new Random().Next();
        }
        """;

    [Fact]
    public async Task A_failing_rule_is_reported_and_the_next_rule_on_the_same_operation_still_runs()
    {
        var test = new InstanceAnalyzerTest(
            Grouped(ThrowingRule.Where.RandomCreation),
            ("/0/Test0.cs", """
                using System;
                class C
                {
                    float F(float x) => {|RPR3003:MathF.ReciprocalSqrtEstimate(x)|};
                    int G() => {|RPR1001:new Random()|}.Next();
                }
                """));
        test.ExpectedDiagnostics.Add(new DiagnosticResult(RuleCatalog.RuleFailure)
            .WithSpan("/0/Test0.cs", 5, 16, 5, 28)
            .WithArguments("RPR3002 (ThrowingRule)", "System.InvalidOperationException", "probe failure"));
        await test.RunAsync();
    }

    [Theory]
    [InlineData(ThrowingRule.Where.EveryCall, 3)]
    [InlineData(ThrowingRule.Where.BlockStart, 2)]
    [InlineData(ThrowingRule.Where.BodyCallback, 1)]
    public async Task Every_kind_of_callback_is_isolated(ThrowingRule.Where where, int failures)
    {
        var diagnostics = await AnalyzeAsync(Grouped(where));

        // The two calls and the Random operand; the two bodies; the one object creation in a body.
        Assert.Equal(failures, diagnostics.Count(d => d.Id == "RPR0001"));
        Assert.All(diagnostics.Where(d => d.Id == "RPR0001"), d => Assert.Contains("RPR3002 (ThrowingRule)", d.GetMessage(), StringComparison.Ordinal));
        Assert.Contains(diagnostics, d => d.Id == "RPR1001");
        Assert.Contains(diagnostics, d => d.Id == "RPR3003");
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
    }

    [Fact]
    public async Task RPR0001_can_be_switched_off()
    {
        var diagnostics = await AnalyzeAsync(
            Grouped(ThrowingRule.Where.EveryCall),
            [new KeyValuePair<string, ReportDiagnostic>("RPR0001", ReportDiagnostic.Suppress)]);

        Assert.Equal(["RPR1001", "RPR3003"], diagnostics.Select(d => d.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Cancellation_of_the_analysis_is_not_caught()
    {
        using var source = new CancellationTokenSource();
        var calls = new RuleCalls(isolate: true);
        Assert.True(calls.Catches(new InvalidOperationException(), source.Token));
        Assert.True(calls.Catches(new OperationCanceledException(new CancellationTokenSource().Token), source.Token));
        Assert.False(calls.Catches(new OperationCanceledException(source.Token), source.Token));

        source.Cancel();
        Assert.False(calls.Catches(new OperationCanceledException(), source.Token));
        Assert.False(new RuleCalls(isolate: false).Catches(new InvalidOperationException(), CancellationToken.None));
    }

    /// <summary>A rule class on its own does not support RPR0001: its exceptions reach the driver, as AD0001.</summary>
    [Fact]
    public async Task A_rule_class_on_its_own_leaves_its_exceptions_to_the_driver()
    {
        var diagnostics = await AnalyzeAsync(new ThrowingRule(RuleCatalog.HardwareBranch, ThrowingRule.Where.RandomCreation));

        Assert.Contains(diagnostics, d => d.Id == "AD0001");
        Assert.DoesNotContain(diagnostics, d => d.Id == "RPR0001");
    }

    /// <summary>The failing rule first, so that the rules after it have to survive its exception.</summary>
    private static ReproAnalyzer Grouped(ThrowingRule.Where where) => InstanceAnalyzerTest.Grouped(
        new ThrowingRule(RuleCatalog.HardwareBranch, where), new UnseededRandomAnalyzer(), new EstimateApiAnalyzer());

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(
        DiagnosticAnalyzer analyzer, KeyValuePair<string, ReportDiagnostic>[]? options = null)
    {
        var tree = CSharpSyntaxTree.ParseText(Code, path: "/0/Test0.cs");
        var compilation = CSharpCompilation.Create(
            "Failure", [tree], TestReferences.FrameworkReferences,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary).WithSpecificDiagnosticOptions(options ?? []));
        return await compilation.WithAnalyzers([analyzer]).GetAnalyzerDiagnosticsAsync();
    }
}
