using System.Diagnostics.Tracing;

namespace Repro.Bench;

/// <summary>
/// Collects the runtime's GC events in process: bytes promoted out of generations 0 and 1 and the GC pause, for the
/// recorder bench's <c>--only</c> runs (a recording that keeps outputs alive across collections shows up here).
/// </summary>
internal sealed class GcListener : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private long promoted0;
    private long promoted1;
    private long suspendTicks;
    private long suspendFrom;

    public long Promoted0 => Interlocked.Read(ref promoted0);

    public long Promoted1 => Interlocked.Read(ref promoted1);

    /// <summary>Time the runtime took to stop the managed threads for collections (part of the pause).</summary>
    public TimeSpan Suspending => TimeSpan.FromTicks(Interlocked.Read(ref suspendTicks));

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Informational, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName is "GCSuspendEEBegin_V1" or "GCSuspendEEBegin")
        {
            Interlocked.Exchange(ref suspendFrom, eventData.TimeStamp.Ticks);
        }
        else if (eventData.EventName is "GCSuspendEEEnd_V1" or "GCSuspendEEEnd" && Interlocked.Exchange(ref suspendFrom, 0) is long from and > 0)
        {
            Interlocked.Add(ref suspendTicks, eventData.TimeStamp.Ticks - from);
        }

        if (eventData.EventName is "GCHeapStats_V2" or "GCHeapStats_V1" or "GCHeapStats" && eventData.Payload is { } payload && eventData.PayloadNames is { } names)
        {
            Interlocked.Add(ref promoted0, Convert.ToInt64(payload[names.IndexOf("TotalPromotedSize0")], System.Globalization.CultureInfo.InvariantCulture));
            Interlocked.Add(ref promoted1, Convert.ToInt64(payload[names.IndexOf("TotalPromotedSize1")], System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
