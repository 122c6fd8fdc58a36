using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Repro.Analyzers.Tests.Infrastructure;

namespace Repro.Analyzers.Tests;

/// <summary>Every rule has metadata, a documentation page with a before/after example, a help link to it, and a release entry.</summary>
public class RuleDocsTests
{
    public static TheoryData<string> RuleIds()
    {
        var data = new TheoryData<string>();
        foreach (var rule in RuleCatalog.All)
            data.Add(rule.Id);
        return data;
    }

    [Theory]
    [MemberData(nameof(RuleIds))]
    public void Rule_has_metadata_docs_help_link_and_release_entry(string id)
    {
        var rule = RuleCatalog.All.Single(r => r.Id == id);
        Assert.Matches(new Regex(@"^RPR[1-5]\d{3}$"), rule.Id);
        Assert.False(string.IsNullOrWhiteSpace(rule.Title.ToString()));
        Assert.StartsWith("Reproducibility.", rule.Category, StringComparison.Ordinal);
        Assert.Equal(RuleCatalog.HelpRoot + id + ".md", rule.HelpLinkUri);
        Assert.EndsWith("docs/rules/" + id + ".md", rule.HelpLinkUri, StringComparison.Ordinal);
        Assert.True(Uri.TryCreate(rule.HelpLinkUri, UriKind.Absolute, out var link) && link.Scheme == Uri.UriSchemeHttps, rule.HelpLinkUri);
        Assert.Contains("{0}", rule.MessageFormat.ToString(), StringComparison.Ordinal);

        var page = Path.Combine(RepoPaths.Root, "docs", "rules", id + ".md");
        Assert.True(File.Exists(page), "missing " + page);
        var text = File.ReadAllText(page);
        Assert.Contains("# " + id, text, StringComparison.Ordinal);
        Assert.Contains("## Before", text, StringComparison.Ordinal);
        Assert.Contains("## After", text, StringComparison.Ordinal);
        Assert.Contains("## When to suppress", text, StringComparison.Ordinal);
        Assert.Contains("dotnet_diagnostic." + id + ".severity", text, StringComparison.Ordinal);

        var releases = File.ReadAllText(Path.Combine(RepoPaths.Root, "analyzers", "Repro.Analyzers", "AnalyzerReleases.Unshipped.md"));
        Assert.Contains(id + " | " + rule.Category + " | " + rule.DefaultSeverity, releases, StringComparison.Ordinal);
        Assert.Contains(id, File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "analyzers.md")), StringComparison.Ordinal);
    }

    /// <summary>The help root is the one Directory.Build.props configures (ReproRuleHelpRoot, from RepositoryUrl).</summary>
    [Fact]
    public void Help_root_is_the_value_the_build_configures()
    {
        // This test project records the ReproRuleHelpRoot its build evaluated; the analyzers were built with the same.
        var configured = typeof(RuleDocsTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "ReproRuleHelpRoot").Value;
        Assert.Equal(RuleCatalog.HelpRoot, configured);
        Assert.EndsWith("/docs/rules/", RuleCatalog.HelpRoot, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_root_follows_RepositoryUrl()
    {
        var project = Path.Combine(RepoPaths.Root, "analyzers", "Repro.Analyzers", "Repro.Analyzers.csproj");
        var evaluated = await DotnetCli.RunAsync(
            null, RepoPaths.Root, noBuildServers: false, "msbuild", project, "-getProperty:ReproRuleHelpRoot",
            "-p:RepositoryUrl=https://git.example.org/team/repro.git");
        Assert.Equal("https://git.example.org/team/repro/blob/main/docs/rules/", evaluated.Trim());
    }

    [Fact]
    public void Every_analyzer_reports_only_catalogued_rules_and_every_rule_has_an_analyzer()
    {
        var supported = AnalyzerRunner.AllAnalyzers().SelectMany(a => a.SupportedDiagnostics).ToList();
        Assert.All(supported, d => Assert.Contains(d, RuleCatalog.All));
        Assert.Equal(RuleCatalog.All.Select(r => r.Id).Order(StringComparer.Ordinal), supported.Select(d => d.Id).Distinct().Order(StringComparer.Ordinal));
        Assert.All(RuleCatalog.All, r => Assert.True(r.IsEnabledByDefault));
        Assert.Contains(RuleCatalog.All, r => r.DefaultSeverity == DiagnosticSeverity.Info);
    }
}
