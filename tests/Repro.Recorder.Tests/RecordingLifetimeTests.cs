using System.Runtime.CompilerServices;
using Repro.Engine;

namespace Repro.Recorder.Tests;

/// <summary>The engine keeps no reference to a recorder: a finished recording, its queue and its buffers can be collected.</summary>
public sealed class RecordingLifetimeTests
{
    [Fact]
    public void A_disposed_recording_is_collected_while_the_next_one_runs()
    {
        using var dir = new TempDir();
        var first = RecordAndForget(dir.Sub("first.repro"));
        using var second = Recorder.Start(dir.Sub("second.repro"));
        _ = Tensor.Randn([4], new Generator(2)).Add(1.0);
        for (int i = 0; i < 3 && first.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(first.IsAlive, "the first recording is still reachable");
        Assert.True(second.Ops >= 2, $"{second.Ops} ops");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference RecordAndForget(string path)
    {
        var rec = Recorder.Start(path);
        _ = Tensor.Randn([4], new Generator(1)).Add(1.0);
        rec.Dispose();
        return new WeakReference(rec);
    }
}
