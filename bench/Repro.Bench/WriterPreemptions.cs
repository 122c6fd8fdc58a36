using System.Globalization;

namespace Repro.Bench;

/// <summary>
/// How often the kernel took the recorder's log writer off its core while it could run (Linux: the thread's
/// nonvoluntary context switches, from <c>/proc/thread-self/status</c>), the usual reason the issuing thread waits
/// for it. Only the writer's own thread can read its count: <see cref="Read"/> is the recording's
/// <c>RecorderOptions.WriterThreadDone</c>, and the benches record one log at a time.
/// </summary>
internal static class WriterPreemptions
{
    private static long last = -1;

    /// <summary>The count of the last writer thread that ended; -1 where unknown (not Linux, or not readable).</summary>
    public static long Last => Interlocked.Read(ref last);

    /// <summary>Reads the calling thread's count (called on the writer thread as it ends).</summary>
    public static void Read() => Interlocked.Exchange(ref last, Count());

    private static long Count()
    {
        if (!OperatingSystem.IsLinux())
        {
            return -1;
        }

        try
        {
            const string Key = "nonvoluntary_ctxt_switches:";
            foreach (var line in File.ReadLines("/proc/thread-self/status"))
            {
                if (line.StartsWith(Key, StringComparison.Ordinal)
                    && long.TryParse(line.AsSpan(Key.Length).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long n))
                {
                    return n;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        return -1;
    }
}
