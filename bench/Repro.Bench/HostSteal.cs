using System.Globalization;

namespace Repro.Bench;

/// <summary>
/// Processor time the hypervisor gave to something else while this virtual machine's processors wanted to run
/// ("steal", the eighth figure of the <c>cpu</c> line of Linux's <c>/proc/stat</c>, summed over all processors). On a
/// shared host it comes and goes in bursts that slow one run of a pair and not the other, which no change to the
/// code can explain; the recorder bench reports it per run so that such rounds can be told apart. The kernel counts it
/// in clock ticks of 10 ms (USER_HZ, 100 on every architecture .NET runs on), so a run reads 0 or a multiple of 10 ms.
/// </summary>
internal static class HostSteal
{
    private const double SecondsPerTick = 0.01;

    /// <summary>Seconds stolen from this machine since it started; null where unknown (not Linux, or no steal figure).</summary>
    public static double? Now() => Parse(LinuxProc.FirstLine("/proc/stat"));

    /// <summary>Seconds stolen since <paramref name="from"/> (a reading of <see cref="Now"/>); null where unknown.</summary>
    public static double? Since(double? from) => from is { } a && Now() is { } b ? Math.Max(0, b - a) : null;

    /// <summary>The steal figure of <c>/proc/stat</c>'s first line (<c>cpu user nice system idle iowait irq softirq steal ...</c>), in seconds.</summary>
    private static double? Parse(string? line)
    {
        var fields = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields is { Length: >= 9 } && fields[0] == "cpu" && long.TryParse(fields[8], NumberStyles.None, CultureInfo.InvariantCulture, out long ticks)
            ? ticks * SecondsPerTick
            : null;
    }
}
