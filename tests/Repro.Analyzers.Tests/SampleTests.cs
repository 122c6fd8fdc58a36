using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Repro.Analyzers.Tests.Infrastructure;

namespace Repro.Analyzers.Tests;

/// <summary>samples/nondeterminism-pitfalls: every marked line is reported with exactly the marked rules, and nothing else.</summary>
public class SampleTests
{
    private static readonly Regex Expect = new(@"//\s*expect:\s*(?<ids>RPR\d{4}(\s*,\s*RPR\d{4})*)", RegexOptions.Compiled);

    /// <summary>
    /// True findings of rules newer than the sample's markers, on lines the sample does not mark yet (the sample belongs
    /// to samples/; its marker belongs there). None today.
    /// </summary>
    private static readonly string[] UnmarkedTrueFindings = [];

    [Fact]
    public async Task Pitfalls_sample_reports_exactly_the_marked_findings()
    {
        var dir = Path.Combine(RepoPaths.Root, "samples", "nondeterminism-pitfalls");
        var files = Directory.GetFiles(dir, "*.cs").Order(StringComparer.Ordinal).ToArray();

        var expected = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var lines = await File.ReadAllLinesAsync(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var match = Expect.Match(lines[i]);
                foreach (var id in match.Success ? match.Groups["ids"].Value.Split(',', StringSplitOptions.TrimEntries) : [])
                    expected.Add($"{Path.GetFileName(file)}:{i + 1}:{id}");
            }
        }

        foreach (var finding in UnmarkedTrueFindings)
        {
            // Once the sample marks it, the entry here is redundant: drop it then.
            Assert.True(expected.Add(finding), finding + " is marked in the sample now; remove it from UnmarkedTrueFindings");
        }

        var diagnostics = await AnalyzerRunner.RunAsync(files, OutputKind.ConsoleApplication, implicitUsings: true);
        var actual = new SortedSet<string>(
            diagnostics.Where(d => d.Id.StartsWith("RPR", StringComparison.Ordinal))
                .Select(d => $"{Path.GetFileName(d.Location.SourceTree!.FilePath)}:{d.Location.GetLineSpan().StartLinePosition.Line + 1}:{d.Id}"),
            StringComparer.Ordinal);

        Assert.True(expected.Count >= 18, "the sample should demonstrate at least 18 pitfalls");
        Assert.Equal(expected, actual);
        Assert.True(actual.Select(a => a.Split(':')[2]).Distinct().Count() >= 18, "the sample should cover most rules");
    }
}
