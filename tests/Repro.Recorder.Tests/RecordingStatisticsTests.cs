using Repro.Engine;

namespace Repro.Recorder.Tests;

/// <summary>A recording counts how its issuing thread and its log writer got along.</summary>
public sealed class RecordingStatisticsTests
{
    [Fact]
    public void A_writer_a_full_queue_behind_makes_the_issuing_thread_wait_and_the_statistics_count_it()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        string? doneOn = null;
        var rec = Recorder.Start(log, new RecorderOptions { WriterThreadDone = () => doneOn = Thread.CurrentThread.Name });
        using (rec)
        {
            var hold = rec.HoldWriter();
            // The writer takes nothing for 200 ms; the ops below fill its queue long before that and then wait.
            var release = new Thread(() =>
            {
                Thread.Sleep(200);
                hold.Dispose();
            });
            release.Start();
            var x = Tensor.Randn([4], new Generator(1));
            for (int i = 0; i < 3000; i++)
            {
                x = x.Add(1.0);
            }

            release.Join();
        }

        var stats = rec.Statistics;
        Assert.Equal(rec.Ops, stats.Ops);
        Assert.True(stats.Ops >= 3000, $"{stats.Ops} ops");
        Assert.True(stats.IssuerWaits >= 1, $"{stats.IssuerWaits} waits");
        Assert.True(stats.IssuerWaited >= TimeSpan.FromMilliseconds(50), $"waited {stats.IssuerWaited}");
        Assert.True(stats.WriterBusy > TimeSpan.Zero, $"writer busy {stats.WriterBusy}");
        Assert.Equal("repro-log-writer", doneOn); // The hook for measurements of the writer's own thread ran on it.
        Assert.True(Replayer.Verify(log).Identical);
    }

    [Fact]
    public void A_writer_that_keeps_up_costs_the_issuing_thread_no_wait()
    {
        using var dir = new TempDir();
        var rec = Recorder.Start(dir.Sub("run.repro"));
        using (rec)
        {
            // Fewer records than the queue holds (256): however slow the writer, there is room for every one.
            var x = Tensor.Randn([4], new Generator(1));
            for (int i = 0; i < 40; i++)
            {
                x = x.Add(1.0);
            }
        }

        var stats = rec.Statistics;
        Assert.True(stats.Ops < 200, $"{stats.Ops} ops: more than the test means to queue");
        Assert.Equal(0, stats.IssuerWaits);
        Assert.Equal(TimeSpan.Zero, stats.IssuerWaited);
        Assert.Equal(rec.Ops, stats.Ops);
        Assert.True(stats.WriterBusy > TimeSpan.Zero, $"writer busy {stats.WriterBusy}");
    }
}
