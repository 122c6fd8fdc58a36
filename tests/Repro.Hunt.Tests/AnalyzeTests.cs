using Repro.Engine;
using Repro.Recorder;

namespace Repro.Hunt.Tests;

/// <summary>
/// The analysis alone, on logs recorded in this process: a computed op whose value differs (no stored values: the
/// elements come from a numeric diff), another op sequence, and a run that ends by an exception.
/// </summary>
public sealed class AnalyzeTests
{
    private const int FullLine = 71;
    private const int ExtraLine = 76;
    private const int ThrowLine = 81;

    [Fact]
    public void Computed_ops_sequences_and_outcomes_are_kinds_with_their_lines()
    {
        using var dir = new TempDir();
        RunOutcome Run(int index, RunRole role, string condition, Variant variant)
        {
            var log = dir.Sub($"{index:D2}.repro");
            var rec = Recorder.Recorder.Start(log);
            try
            {
                Program(variant);
                rec.Dispose();
            }
            catch (ShapeException ex)
            {
                rec.Fail(ex);
            }

            var end = LogReader.ReadEnd(log)!;
            var changes = role == RunRole.Single ? new[] { new HuntVariant(condition, condition + " changed") } : [];
            return new RunOutcome(new PlannedRun(index, role, changes), log, 0, end.Status, end.Error, false);
        }

        var kinds = Hunter.Analyze(
        [
            Run(0, RunRole.Baseline, string.Empty, Variant.Same),
            Run(1, RunRole.Single, "threads", Variant.OtherFill),
            Run(2, RunRole.Single, "culture", Variant.ExtraOp),
            Run(3, RunRole.Single, "tz", Variant.Throws),
        ]);

        Assert.True(kinds.Count == 3, string.Join("\n", kinds));
        var full = kinds[0];
        Assert.True(full is { Class: DifferenceClass.Values, Op: "full", Leaf: false, Attribution: Attribution.Conditions }, full.ToString());
        Assert.Equal(FullLine, full.Source.Line);
        Assert.Equal(["threads"], full.Conditions);
        Assert.Equal(new ElementDifference(3, 3, null, full.Elements!.MaxUlp), full.Elements);

        var sequence = kinds[1];
        Assert.True(sequence is { Class: DifferenceClass.Sequence, Attribution: Attribution.Conditions }, sequence.ToString());
        Assert.Equal(ExtraLine, sequence.Source.Line);
        Assert.Equal(["culture"], sequence.Conditions);

        var outcome = kinds[2];
        Assert.True(outcome is { Class: DifferenceClass.Outcome, Attribution: Attribution.Conditions }, outcome.ToString());
        Assert.Equal(ThrowLine, outcome.Source.Line);
        Assert.Contains("ShapeException", outcome.What);
        Assert.Equal(["tz"], outcome.Conditions);
    }

    private enum Variant { Same, OtherFill, ExtraOp, Throws }

    private static void Program(Variant v)
    {
        var x = Tensor.FromArray([1f, 2f, 3f], [3]);
        var y = Tensor.Full([3], v == Variant.OtherFill ? 2.5 : 2.0);
        var z = x.Mul(y);
        z.Sum();
        if (v == Variant.ExtraOp)
        {
            z.Add(1.0);
        }

        var column = x.Reshape([3, 1]);
        var row = x.Reshape([1, 3]);
        Tensor.MatMul(column, v == Variant.Throws ? column : row);
    }
}
