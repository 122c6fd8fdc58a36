using Repro.Recorder;

namespace Repro.Hunt.Tests;

/// <summary>A hunt of the planted program: every plant found at its line, with its condition and its kind of difference.</summary>
public sealed class HuntTests
{
    [Fact]
    public void Every_plant_is_found_at_its_line_with_the_condition_that_changes_it()
    {
        using var dir = new TempDir();
        // Baseline, a repeat, one run per condition, one with all of them: 7 runs of about 1.5 s each. (The parallel
        // sum feeds 8 partial totals: all 8 coming out as in the baseline in the repeat is too rare to matter.)
        var result = Hunter.Hunt(new HuntOptions
        {
            Command = Subject.Command("all"),
            Vary = HuntConditions.Parse("repeat,threads,isa,culture,tz"),
            Runs = 7,
            OutDir = dir.Sub("hunt"),
        });
        string report = HuntReport.Text(result);
        Assert.Equal(7, result.Runs.Count);
        Assert.Equal(1, result.ExitCode);

        HuntKind At(string plant)
        {
            int line = Subject.LineOf(plant);
            var matches = result.Kinds.Where(k => k.Source.Line == line && k.Source.File == Subject.PlantsFile).ToList();
            Assert.True(matches.Count == 1, $"plant {plant} (Plants.cs:{line}) expected once, found {matches.Count}:\n{report}");
            var k = matches[0];
            Assert.True(k.Leaf && k.Op == "from_host", report);
            return k;
        }

        void RunToRun(string plant, DifferenceClass cls, string rule)
        {
            var k = At(plant);
            Assert.True(k.Attribution == Attribution.RunToRun && k.Class == cls && k.Rules.Contains(rule), $"{plant}: {k}\n{report}");
        }

        void Condition(string plant, DifferenceClass cls, string condition, string rule, long elements)
        {
            var k = At(plant);
            Assert.True(k.Attribution == Attribution.Conditions && k.Class == cls && k.Conditions.SequenceEqual([condition]) && k.Rules.Contains(rule), $"{plant}: {k}\n{report}");
            Assert.Equal(elements, k.Elements!.Elements);
            Assert.True(k.Elements.Differing > 0);
        }

        RunToRun("dict-order", DifferenceClass.Order, "RPR2006");
        RunToRun("unseeded-random", DifferenceClass.Values, "RPR1001");
        RunToRun("parallel-sum", DifferenceClass.LastBits, "RPR2001");
        RunToRun("reflection-hidden", DifferenceClass.Values, "RPR1001");
        RunToRun("hidden-lib", DifferenceClass.Order, "RPR1005");
        Condition("culture", DifferenceClass.Values, "culture", "CA1305", 4);
        Condition("timezone", DifferenceClass.Values, "tz", "RPR4004", 6);
        Condition("threads", DifferenceClass.LastBits, "threads", "RPR4003", 1);
        int expected = 8;

        // Vector<float>.Count changes with DOTNET_EnableHWIntrinsic=0 where the JIT had AVX2 (8 lanes, then 4).
        using var baseline = LogReader.Open(result.Runs[0].Log!);
        if (baseline.Header.Environment.Isa.Contains("avx2"))
        {
            Condition("isa", DifferenceClass.LastBits, "isa", "RPR3001", 1);
            expected++;
        }

        // The element order plants hold the same values; every reordered element counts.
        Assert.Equal(24, At("dict-order").Elements!.Elements);
        Assert.True(At("dict-order").Elements!.SameMultiset);
        Assert.Equal(8, At("unseeded-random").Elements!.Differing);

        // Nothing else: the clean part of the program (seeded random numbers, matmul, softmax, a parallel loop writing
        // disjoint slots, a sorted dictionary) and every op downstream of a plant are not kinds of their own.
        Assert.True(result.Kinds.Count == expected, report);
        Assert.All(result.Kinds, k => Assert.True(k.FirstSeq >= 0));
        Assert.Equal([.. result.Kinds.Select(k => k.FirstSeq).Order()], result.Kinds.Select(k => k.FirstSeq));
    }
}
