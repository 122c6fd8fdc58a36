using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Repro.Analyzers.FloatingPoint;
using Repro.Analyzers.Randomness;
using Repro.Analyzers.Tests.Infrastructure;

namespace Repro.Analyzers.Tests;

/// <summary>
/// A rule whose diagnostics are all switched off (severity none) does not run inside <see cref="ReproAnalyzer"/>: not
/// in files where an .editorconfig section switches it off, nowhere when it is off for the whole compilation. A
/// <see cref="ProbeRule"/> claiming RPR1001 shows whether the callbacks ran; the compiler would drop the reports anyway.
/// </summary>
public class RuleGateTests
{
    private const string Code = """
        using System;
        class C
        {
            float F(float x) => {|RPR3003:MathF.ReciprocalSqrtEstimate(x)|};
            int G() => {|RPR1001:new Random()|}.Next() + DateTime.Now.Second;
        }
        """;

    private const string CodeWithoutRpr1001 = """
        using System;
        class D
        {
            float F(float x) => {|RPR3003:MathF.ReciprocalSqrtEstimate(x)|};
            int G() => new Random().Next() + DateTime.Now.Second;
        }
        """;

    [Fact]
    public async Task Without_settings_every_registration_of_a_rule_runs()
    {
        var probe = new ProbeRule(RuleCatalog.UnseededRandom);
        await new InstanceAnalyzerTest(Grouped(probe), ("/0/On.cs", Code)).RunAsync();

        var registrations = probe.Calls.Select(c => c[..c.IndexOf(':', StringComparison.Ordinal)]).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(["block", "body", "creation", "invocation", "kind", "operand", "property"], registrations);
    }

    [Fact]
    public async Task Severity_none_in_editorconfig_keeps_the_rule_from_running_while_the_others_report()
    {
        var probe = new ProbeRule(RuleCatalog.UnseededRandom);
        var test = new InstanceAnalyzerTest(Grouped(probe), ("/0/Off.cs", CodeWithoutRpr1001));
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[*.cs]\ndotnet_diagnostic.RPR1001.severity = none\n"));
        await test.RunAsync();

        // Off in every file: not even registered.
        Assert.Equal(0, probe.Registrations);
        Assert.Empty(probe.Calls);
    }

    [Fact]
    public async Task A_rule_switched_off_for_one_file_runs_only_in_the_others()
    {
        var probe = new ProbeRule(RuleCatalog.UnseededRandom);
        var test = new InstanceAnalyzerTest(Grouped(probe), ("/0/On.cs", Code), ("/0/Off.cs", CodeWithoutRpr1001));
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[Off.cs]\ndotnet_diagnostic.RPR1001.severity = none\n"));
        await test.RunAsync();

        Assert.NotEqual(0, probe.Registrations);
        Assert.Equal(["On.cs"], probe.Files);
    }

    [Fact]
    public async Task A_file_setting_switches_back_on_a_rule_that_the_global_config_switches_off()
    {
        var probe = new ProbeRule(RuleCatalog.UnseededRandom);
        var test = new InstanceAnalyzerTest(Grouped(probe), ("/0/On.cs", Code), ("/0/Off.cs", CodeWithoutRpr1001));
        test.TestState.AnalyzerConfigFiles.Add(("/.globalconfig", "is_global = true\ndotnet_diagnostic.RPR1001.severity = none\n"));
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[On.cs]\ndotnet_diagnostic.RPR1001.severity = warning\n"));
        await test.RunAsync();

        Assert.Equal(["On.cs"], probe.Files);
    }

    /// <summary>As for the compiler, NoWarn (the compilation's setting) wins over a file's .editorconfig setting.</summary>
    [Fact]
    public async Task NoWarn_wins_over_a_file_setting()
    {
        var probe = new ProbeRule(RuleCatalog.UnseededRandom);
        var test = new InstanceAnalyzerTest(Grouped(probe), ("/0/Off.cs", CodeWithoutRpr1001));
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[*.cs]\ndotnet_diagnostic.RPR1001.severity = warning\n"));
        test.SolutionTransforms.Add((solution, projectId) =>
        {
            var options = solution.GetProject(projectId)!.CompilationOptions!;
            return solution.WithProjectCompilationOptions(
                projectId, options.WithSpecificDiagnosticOptions(options.SpecificDiagnosticOptions.SetItem("RPR1001", ReportDiagnostic.Suppress)));
        });
        await test.RunAsync();

        Assert.Empty(probe.Calls);
    }

    [Fact]
    public async Task A_rule_off_in_the_compilation_options_is_skipped()
    {
        var probe = new ProbeRule(RuleCatalog.UnseededRandom);
        var diagnostics = await AnalyzeAsync(Grouped(probe), options => options.WithSpecificDiagnosticOptions(
            [new KeyValuePair<string, ReportDiagnostic>("RPR1001", ReportDiagnostic.Suppress)]));

        Assert.Equal(0, probe.Registrations);
        Assert.Empty(probe.Calls);
        Assert.Equal(["RPR3003"], diagnostics.Select(d => d.Id));
    }

    [Fact]
    public async Task A_rule_raised_to_an_error_still_runs()
    {
        var probe = new ProbeRule(RuleCatalog.UnseededRandom);
        var diagnostics = await AnalyzeAsync(Grouped(probe), options => options.WithSpecificDiagnosticOptions(
            [new KeyValuePair<string, ReportDiagnostic>("RPR1001", ReportDiagnostic.Error)]));

        Assert.NotEmpty(probe.Calls);
        Assert.Contains(diagnostics, d => d.Id == "RPR1001" && d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public async Task A_rule_class_on_its_own_is_gated_the_same_way()
    {
        var probe = new ProbeRule(RuleCatalog.UnseededRandom);
        var diagnostics = await AnalyzeAsync(probe, options => options.WithSpecificDiagnosticOptions(
            [new KeyValuePair<string, ReportDiagnostic>("RPR1001", ReportDiagnostic.Suppress)]));

        Assert.Empty(probe.Calls);
        Assert.Empty(diagnostics);
    }

    /// <summary>The probe and two real rules, one of them claiming the same diagnostic as the probe.</summary>
    private static ReproAnalyzer Grouped(ProbeRule probe) =>
        InstanceAnalyzerTest.Grouped(probe, new UnseededRandomAnalyzer(), new EstimateApiAnalyzer());

    private static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(
        DiagnosticAnalyzer analyzer, Func<CSharpCompilationOptions, CSharpCompilationOptions> configure)
    {
        var source = Code.Replace("{|RPR3003:", "", StringComparison.Ordinal).Replace("{|RPR1001:", "", StringComparison.Ordinal).Replace("|}", "", StringComparison.Ordinal);
        var tree = CSharpSyntaxTree.ParseText(source, path: "/0/On.cs");
        var compilation = CSharpCompilation.Create(
            "Gate", [tree], TestReferences.FrameworkReferences, configure(new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary)));
        return await compilation.WithAnalyzers([analyzer]).GetAnalyzerDiagnosticsAsync();
    }
}
