using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Repro.Analyzers.Tests.Infrastructure;

namespace Repro.Analyzers.Tests;

/// <summary>
/// The compiler loads one analyzer, <see cref="ReproAnalyzer"/>, which runs every rule class behind one callback per
/// operation kind. It must cover every rule class and report exactly what the rule classes report on their own.
/// </summary>
public class DispatcherTests
{
    [Fact]
    public void ReproAnalyzer_is_the_one_loaded_analyzer_and_runs_every_rule_class()
    {
        var loaded = AnalyzerRunner.AllAnalyzers();
        Assert.IsType<ReproAnalyzer>(Assert.Single(loaded));

        var ruleClasses = typeof(RuleCatalog).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(RuleAnalyzer).IsAssignableFrom(t))
            .Select(t => t.FullName)
            .Order(StringComparer.Ordinal);
        Assert.Equal(ruleClasses, ReproAnalyzer.Rules.Select(r => r.GetType().FullName).Order(StringComparer.Ordinal));
        Assert.Equal(
            RuleCatalog.All.Select(r => r.Id).Order(StringComparer.Ordinal),
            loaded[0].SupportedDiagnostics.Select(d => d.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Grouped_rules_report_what_each_rule_reports_alone_on_the_corpus()
    {
        var files = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Corpus"), "*.cs").Order(StringComparer.Ordinal).ToArray();
        await AssertSameFindingsAsync(files, OutputKind.DynamicallyLinkedLibrary, implicitUsings: false);
    }

    [Fact]
    public async Task Grouped_rules_report_what_each_rule_reports_alone_on_the_pitfalls_sample()
    {
        var files = Directory.GetFiles(Path.Combine(RepoPaths.Root, "samples", "nondeterminism-pitfalls"), "*.cs")
            .Order(StringComparer.Ordinal).ToArray();
        await AssertSameFindingsAsync(files, OutputKind.ConsoleApplication, implicitUsings: true);
    }

    private static async Task AssertSameFindingsAsync(string[] files, OutputKind kind, bool implicitUsings)
    {
        var separate = ReproAnalyzer.Rules.Select(r => (DiagnosticAnalyzer)Activator.CreateInstance(r.GetType())!).ToImmutableArray();
        var alone = await AnalyzerRunner.RunAsync(files, kind, implicitUsings, separate);
        var grouped = await AnalyzerRunner.RunAsync(files, kind, implicitUsings);

        Assert.NotEmpty(grouped);
        Assert.Equal(Describe(alone), Describe(grouped));
    }

    private static IEnumerable<string> Describe(ImmutableArray<Diagnostic> diagnostics) =>
        diagnostics.Select(d => $"{Path.GetFileName(d.Location.SourceTree!.FilePath)}:{d.Location.SourceSpan}:{d.Id}:{d.GetMessage()}")
            .Order(StringComparer.Ordinal);
}
