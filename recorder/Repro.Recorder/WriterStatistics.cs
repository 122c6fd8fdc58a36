using System.Diagnostics;

namespace Repro.Recorder;

/// <summary>
/// Counts how a recording's issuing thread and its log writer get along (<see cref="RecordingStatistics"/>). The
/// issuing thread counts only on its rare paths (a wait for the writer, a wake-up, an output it digests because the
/// writer is far behind); the writer reads the clock once per batch of records it finds queued, and counts its sleeps.
/// Each count has one writing thread.
/// </summary>
internal sealed class WriterStatistics
{
    private long issuerWaits;
    private long issuerWaitTicks;
    private long wakeUps;
    private long wakeUpTicks;
    private long issuerDigests;
    private long writerSleeps;
    private long writerBusyTicks;

    /// <summary>Issuing thread: it waited <paramref name="ticks"/> for room in the queue.</summary>
    public void Waited(long ticks)
    {
        issuerWaits++;
        issuerWaitTicks += ticks;
    }

    /// <summary>Issuing thread: it woke the sleeping writer, which took <paramref name="ticks"/>.</summary>
    public void WokeWriter(long ticks)
    {
        wakeUps++;
        wakeUpTicks += ticks;
    }

    /// <summary>Issuing thread: it digested an output itself.</summary>
    public void Digested() => issuerDigests++;

    /// <summary>Writer thread: it went to sleep with nothing to write.</summary>
    public void Slept() => writerSleeps++;

    /// <summary>Writer thread: it spent <paramref name="ticks"/> on a batch of records.</summary>
    public void Busy(long ticks) => Volatile.Write(ref writerBusyTicks, writerBusyTicks + ticks);

    /// <summary>The counts so far (on the issuing thread), for <paramref name="ops"/> ops recorded.</summary>
    public RecordingStatistics Snapshot(long ops) => new(
        ops,
        issuerWaits,
        Stopwatch.GetElapsedTime(0, issuerWaitTicks),
        wakeUps,
        Stopwatch.GetElapsedTime(0, wakeUpTicks),
        Volatile.Read(ref writerSleeps),
        Stopwatch.GetElapsedTime(0, Volatile.Read(ref writerBusyTicks)),
        issuerDigests);
}
