using Repro.Engine;

namespace Repro.Recorder.Tests;

public sealed class LogInspectionTests
{
    /// <summary>log(0) makes -Inf from finite inputs; the mul after it only passes it on.</summary>
    private static string RecordWithInf(TempDir dir)
    {
        var log = dir.Sub("inf.repro");
        using (Recorder.Start(log))
        {
            var a = Tensor.FromArray([0f, 1f, 2f, 3f], [2, 2]);
            var b = a.MatMul(a).Relu();
            var c = a.Log();
            c.Mul(b).Sum();
        }

        return log;
    }

    [Fact]
    public void The_summary_counts_what_the_log_holds_and_names_the_op_that_made_the_first_inf()
    {
        using var dir = new TempDir();
        var log = RecordWithInf(dir);
        var ops = Logs.Ops(log);
        var s = LogInspection.Analyze(log, new InspectOptions { ListOps = true, Op = 2 });

        Assert.Equal(ops.Count, s.Ops);
        Assert.Equal(ops.Count(o => o.Phase == OpPhase.Forward), s.Forward);
        Assert.Equal(ops[^1].Seq, s.LastSeq);
        Assert.Equal(ops.GroupBy(o => o.Op).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, (long)g.Count())), s.OpCounts.Select(kv => (kv.Key, kv.Value)));
        Assert.Equal(ops.Select(o => o.Seq), s.OpList.Select(o => o.Seq));
        Assert.Equal(2, s.Op!.Seq);
        Assert.True(s.End!.IsComplete);
        Assert.Null(s.Error);
        Assert.Null(s.Truncation);
        Assert.Equal(new FileInfo(Logs.RecordsPath(log)).Length, s.RecordBytes);
        Assert.Equal(Directory.GetFiles(Path.Combine(log, LogFormat.BlobsFolder)).Sum(f => new FileInfo(f).Length), s.BlobBytes);
        Assert.Equal((double)(s.RecordBytes + s.BlobBytes) / s.Ops, s.BytesPerOp);

        var bad = s.FirstNonFinite!;
        Assert.Equal("log", bad.Op.Op);
        Assert.True(bad.InputsFinite);
        Assert.Equal(1, bad.Op.Output.Stats!.NegInf);
    }

    [Fact]
    public void An_op_fed_by_an_inf_is_not_its_origin()
    {
        using var dir = new TempDir();
        var log = dir.Sub("fed.repro");
        var inf = Tensor.FromArray([float.PositiveInfinity, 1f], [2]);
        using (Recorder.Start(log))
        {
            inf.Mul(2.0);
        }

        var bad = LogInspection.Analyze(log).FirstNonFinite!;
        Assert.Equal("mul", bad.Op.Op);
        Assert.False(bad.InputsFinite);
    }

    [Fact]
    public void Without_options_no_op_is_kept_and_an_absent_op_is_an_error_naming_the_range()
    {
        using var dir = new TempDir();
        var log = RecordWithInf(dir);
        var s = LogInspection.Analyze(log);
        Assert.Empty(s.OpList);
        Assert.Null(s.Op);

        var ex = Assert.Throws<OpNotFoundException>(() => LogInspection.Analyze(log, new InspectOptions { Op = 999 }));
        Assert.Equal(999, ex.Seq);
        Assert.Equal(s.LastSeq, ex.LastSeq);
        Assert.Equal($"the log has no op 999 (ops 0..{s.LastSeq})", ex.Message);
    }

    [Fact]
    public void A_damaged_record_ends_the_summary_with_the_error_after_the_ops_before_it()
    {
        using var dir = new TempDir();
        var log = RecordWithInf(dir);
        var ops = Logs.Ops(log);
        var path = Logs.RecordsPath(log);
        var lines = File.ReadAllLines(path);
        int damaged = ops[2].Position.Line - 1;
        lines[damaged] = lines[damaged].Replace("\"seq\":2", "\"seq\":7", StringComparison.Ordinal);
        File.WriteAllLines(path, lines);

        var s = LogInspection.Analyze(log, new InspectOptions { Op = 1 });
        Assert.NotNull(s.Error);
        Assert.Equal(2, s.Ops);
        Assert.Equal(1, s.Op!.Seq);

        // Damage before the op asked for is reported as damage, not as a missing op.
        Assert.NotNull(LogInspection.Analyze(log, new InspectOptions { Op = 4 }).Error);
    }
}
