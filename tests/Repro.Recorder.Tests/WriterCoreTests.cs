using Repro.Engine;

namespace Repro.Recorder.Tests;

/// <summary>The recorder takes a core for its writer only from a default thread count, and gives it back.</summary>
public sealed class WriterCoreTests
{
    private static readonly int Cores = Environment.ProcessorCount;

    [Fact]
    public void A_default_thread_count_runs_one_thread_fewer_while_recording_and_the_header_says_so()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        bool isDefault = Settings.ThreadsAreDefault;
        int before = Settings.Threads;
        int during;
        using (var rec = Recorder.Start(log))
        {
            during = Settings.Threads;
            Tensor.Randn([64, 64], new Generator(1)).MatMul(Tensor.Randn([64, 64], new Generator(2))).Sum();
        }

        // Under REPRO_THREADS (a chosen count) nothing may change; otherwise one core goes to the writer.
        int expected = isDefault && Cores >= 2 ? Math.Min(before, Cores) - 1 : before;
        Assert.Equal(expected, during);
        Assert.Equal(expected, Logs.ReadAll(log).Header.Environment.Threads);
        Assert.Equal(before, Settings.Threads);
        Assert.Equal(isDefault, Settings.ThreadsAreDefault);
        Assert.True(Replayer.Verify(log).Identical);
    }

    [Fact]
    public void The_writer_spins_for_records_only_with_a_core_to_spare()
    {
        using var dir = new TempDir();
        foreach (int threads in new[] { 1, Cores, Cores + 1 })
        {
            using (Settings.UseThreads(threads))
            using (var rec = Recorder.Start(dir.Sub($"run{threads}.repro")))
            {
                Tensor.Randn([16, 16], new Generator(1)).Tanh();
                bool spare = threads < Cores;
                Assert.True(spare == rec.WriterSpinsBeforeSleep > TimeSpan.Zero, $"{threads} engine threads on {Cores} cores: the writer spins {rec.WriterSpinsBeforeSleep}");
            }

            Assert.True(Replayer.Verify(dir.Sub($"run{threads}.repro")).Identical);
        }
    }

    [Fact]
    public void A_chosen_thread_count_is_kept()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        using (Settings.UseThreads(Cores))
        {
            Assert.False(Settings.ThreadsAreDefault);
            using var rec = Recorder.Start(log);
            Assert.Equal(Cores, Settings.Threads);
            Tensor.Randn([8, 8], new Generator(1)).Tanh();
        }

        Assert.Equal(Cores, Logs.ReadAll(log).Header.Environment.Threads);
    }

    [Fact]
    public void The_reservation_can_be_turned_off()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        int before = Settings.Threads;
        using (var rec = Recorder.Start(log, new RecorderOptions { ReserveWriterCore = false }))
        {
            Assert.Equal(before, Settings.Threads);
            Tensor.Randn([8, 8], new Generator(1)).Tanh();
        }

        Assert.Equal(before, Logs.ReadAll(log).Header.Environment.Threads);
    }

    [Fact]
    public void A_recording_that_cannot_start_gives_the_core_back()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");

        // An earlier log whose blob folder is a file: the folder is accepted, creating the blob folder fails.
        Directory.CreateDirectory(log);
        File.WriteAllText(Path.Combine(log, LogFormat.RecordsFile), string.Empty);
        File.WriteAllText(Path.Combine(log, LogFormat.BlobsFolder), "not a folder");
        bool isDefault = Settings.ThreadsAreDefault;
        int before = Settings.Threads;
        Assert.ThrowsAny<IOException>(() => Recorder.Start(log));
        Assert.Equal(before, Settings.Threads);
        Assert.Equal(isDefault, Settings.ThreadsAreDefault);
    }
}
