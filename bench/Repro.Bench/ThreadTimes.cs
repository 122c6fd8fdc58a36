using System.Globalization;

namespace Repro.Bench;

/// <summary>
/// Where the calling thread's wall time went, from Linux's per-thread scheduler statistics
/// (<c>/proc/thread-self/schedstat</c>: nanoseconds on a processor, nanoseconds runnable but waiting for one, time
/// slices). What is left of the wall time once both are taken out, the thread spent asleep: for the recorder bench's
/// issuing thread, waiting for the log writer, for the engine's other worker, for a collection or for I/O.
/// </summary>
internal readonly record struct ThreadTimes(double OnCpu, double Runnable)
{
    /// <summary>The calling thread's totals so far; null where the kernel does not keep them (not Linux, or no schedstats).</summary>
    public static ThreadTimes? Now()
    {
        var fields = LinuxProc.FirstLine("/proc/thread-self/schedstat")?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields is { Length: >= 2 }
            && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out long cpu)
            && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out long waiting)
            ? new ThreadTimes(cpu / 1e9, waiting / 1e9)
            : null;
    }

    /// <summary>The calling thread's times between <paramref name="from"/> and now, for a span of <paramref name="wall"/> seconds; null where unknown.</summary>
    public static Split? Since(ThreadTimes? from, double wall) =>
        from is { } a && Now() is { } b ? new Split(b.OnCpu - a.OnCpu, b.Runnable - a.Runnable, Math.Max(0, wall - (b.OnCpu - a.OnCpu) - (b.Runnable - a.Runnable))) : null;

    /// <summary>One span of wall time, split: on a processor, runnable without one (preempted), asleep.</summary>
    internal readonly record struct Split(double OnCpu, double Runnable, double Asleep)
    {
        public override string ToString() => string.Create(
            CultureInfo.InvariantCulture,
            $"on CPU {OnCpu * 1000:F0} ms, runnable {Runnable * 1000:F0} ms, asleep {Asleep * 1000:F0} ms");
    }
}
