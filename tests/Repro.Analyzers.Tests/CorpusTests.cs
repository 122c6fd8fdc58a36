using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Repro.Analyzers.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Repro.Analyzers.Tests;

/// <summary>Precision and recall of the whole rule set on the realistic corpus (goal: 95% precision, 90% recall).</summary>
public class CorpusTests(ITestOutputHelper output)
{
    private static readonly Regex Expect = new(@"//\s*expect:\s*(?<ids>RPR\d{4}(\s*,\s*RPR\d{4})*)", RegexOptions.Compiled);

    [Fact]
    public async Task Corpus_precision_and_recall_meet_the_goal()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "Corpus");
        var files = Directory.GetFiles(dir, "*.cs").Order(StringComparer.Ordinal).ToArray();
        Assert.True(files.Length >= 6, "corpus files missing");

        var expected = new HashSet<(string File, int Line, string Id)>();
        foreach (var file in files)
        {
            var lines = await File.ReadAllLinesAsync(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var match = Expect.Match(lines[i]);
                if (!match.Success)
                    continue;
                foreach (var id in match.Groups["ids"].Value.Split(',', StringSplitOptions.TrimEntries))
                    expected.Add((Path.GetFileName(file), i + 1, id));
            }
        }

        var diagnostics = await AnalyzerRunner.RunAsync(files);
        var actual = diagnostics
            .Where(d => d.Id.StartsWith("RPR", StringComparison.Ordinal))
            .Select(d => (Path.GetFileName(d.Location.SourceTree!.FilePath), d.Location.GetLineSpan().StartLinePosition.Line + 1, d.Id))
            .ToHashSet();

        var truePositives = actual.Intersect(expected).Count();
        var falsePositives = actual.Except(expected).OrderBy(x => x.ToString(), StringComparer.Ordinal).ToList();
        var falseNegatives = expected.Except(actual).OrderBy(x => x.ToString(), StringComparer.Ordinal).ToList();
        var precision = truePositives / (double)Math.Max(1, actual.Count);
        var recall = truePositives / (double)Math.Max(1, expected.Count);

        output.WriteLine($"corpus: {files.Length} files, {expected.Count} expected findings, {actual.Count} reported");
        output.WriteLine($"precision {precision:P1} ({truePositives}/{actual.Count}), recall {recall:P1} ({truePositives}/{expected.Count})");
        foreach (var fp in falsePositives)
            output.WriteLine("false positive: " + fp);
        foreach (var fn in falseNegatives)
            output.WriteLine("missed: " + fn);

        Assert.True(expected.Count >= 30, "the corpus should hold at least 30 expected findings");
        Assert.True(precision >= 0.95, $"precision {precision:P1}; false positives: {string.Join("; ", falsePositives)}");
        Assert.True(recall >= 0.90, $"recall {recall:P1}; missed: {string.Join("; ", falseNegatives)}");
    }
}
