using Repro.Engine;

namespace Repro.Recorder.Tests;

public sealed class ReplayTests
{
    [Fact]
    public void Replay_of_a_recording_is_identical_and_writes_a_matching_log()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        Logs.RecordTiny(log);
        var result = Replayer.Replay(log, new ReplayOptions { OutPath = dir.Sub("replay.repro") });
        Assert.True(result.ConfigurationMatches);
        Assert.True(result.Identical, result.FirstDivergence?.ToString());
        var a = Logs.Ops(log);
        var b = Logs.Ops(dir.Sub("replay.repro"));
        Assert.Equal(a.Count, b.Count);
        Assert.Equal(a.Select(o => (o.Seq, o.Op, o.Output.Hash, o.Source)), b.Select(o => (o.Seq, o.Op, o.Output.Hash, o.Source)));
        Assert.Equal(a.Count, result.Ops);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    public void Replay_at_another_thread_count_is_identical(int threads)
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        using (Settings.UseThreads(2))
        {
            // Big enough that the kernels split work across threads.
            using var rec = Recorder.Start(log);
            var a = Tensor.Randn([96, 128], new Generator(1));
            var b = Tensor.Randn([128, 80], new Generator(2));
            a.MatMul(b).Tanh().Sum(1).Softmax();
        }

        var result = Replayer.Verify(log, threads);
        Assert.Equal(threads, result.Threads);
        Assert.True(result.Identical, result.FirstDivergence?.ToString());
    }

    [Fact]
    public void Verify_names_the_first_op_that_differs_with_its_source()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        Logs.RecordTiny(log);
        var target = Logs.Ops(log).First(o => o.Op == "relu");
        Logs.RewriteOp(log, target.Seq, o => o with { Outputs = [o.Output with { Hash = new string('0', 32) }] });
        var result = Replayer.Verify(log);
        Assert.False(result.Identical);
        Assert.Equal(1, result.Mismatches);
        Assert.Equal(target.Seq, result.FirstDivergence!.Seq);
        Assert.Equal("relu", result.FirstDivergence.Op);
        Assert.Contains("TinyWorkload.cs", result.FirstDivergence.Source.File);
        Assert.Equal(target.Position.Line, result.FirstDivergence.Position.Line);
    }

    [Fact]
    public void Replay_at_bfloat16_runs_the_whole_run_in_bfloat16()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        Logs.RecordTiny(log);
        var result = Replayer.Replay(log, new ReplayOptions { DType = DType.BFloat16, OutPath = dir.Sub("bf16.repro") });
        Assert.False(result.ConfigurationMatches);
        Assert.False(result.HashesChecked);
        var (header, entries, _) = Logs.ReadAll(dir.Sub("bf16.repro"));
        Assert.Equal("bfloat16", header.Environment.DType);
        var ops = entries.OfType<OpRecord>().ToList();
        var original = Logs.Ops(log);
        Assert.Equal(original.Count, ops.Count);
        for (int i = 0; i < ops.Count; i++)
        {
            var want = original[i].Output.DType == DType.Float32 ? DType.BFloat16 : original[i].Output.DType;
            Assert.True(want == ops[i].Output.DType, $"op {ops[i].Seq} {ops[i].Op}: {ops[i].Output.DType}, expected {want}");
        }
    }

    [Fact]
    public void Replay_on_another_backend_matches_where_backends_agree()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        Logs.RecordTiny(log);
        var other = Logs.ReadAll(log).Header.Environment.Backend == "managed" ? "reference" : "managed";
        var result = Replayer.Replay(log, new ReplayOptions { Backend = other, OutPath = dir.Sub("other.repro") });
        Assert.False(result.ConfigurationMatches);
        Assert.Equal(other, result.Backend);
        Assert.Equal(
            Logs.Ops(log).Select(o => o.Output.Hash),
            Logs.Ops(dir.Sub("other.repro")).Select(o => o.Output.Hash));
    }

    [Fact]
    public void Replay_of_a_truncated_log_replays_its_prefix()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        Logs.RecordTiny(log);
        var path = Logs.RecordsPath(log);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length * 2 / 3)]);
        var result = Replayer.Verify(log);
        Assert.NotNull(result.Truncation);
        Assert.True(result.Identical);
        Assert.Equal(result.Truncation!.LastSeq + 1, result.Ops);
    }

    [Fact]
    public void Replay_lets_go_of_tensors_no_later_record_reads()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        const int Elements = 1 << 18;
        const int Steps = 1200;
        using (Recorder.Start(log))
        {
            // 1,200 intermediates of 1 MiB each, every one read once by the next op; x0 is read again at the end.
            var x0 = Tensor.Full([Elements], 0.5);
            var x = x0;
            for (int i = 0; i < Steps; i++)
            {
                x = x.Mul(1.0001);
            }

            x.Sub(x0);
        }

        long peak = 0;
        var result = Replayer.Replay(log, new ReplayOptions
        {
            Progress = (_, _, _) => peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true)),
        });
        Assert.True(result.Identical, result.FirstDivergence?.ToString());

        // Kept alive: the writer's queue (at most 256 MiB of tensors) and a few live tensors; all of them would be 1.2 GiB.
        Assert.True(peak < 400L << 20, $"replay held {peak >> 20} MiB");
    }
}
