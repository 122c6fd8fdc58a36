using Repro.Engine;

namespace Repro.Recorder;

/// <summary>
/// Gives each op of a recording its logical thread id (docs/log-format.md, "Threads"). Which thread issues an op
/// first is up to the scheduler, so an id never comes from that order alone. It is, in this order: the name the
/// program gave with <see cref="Dispatcher.UseThreadName"/>; "main" for the thread that started the recording; the
/// thread's own name; a key from the call site of the thread's first op ("Worker.cs:42 (Run)"). Where several threads
/// share a name or key, the later ones get "#2", "#3", ... in order of their first op, and a differ pairs those by
/// content. A thread-pool thread runs many work items, so there each work item (with what it awaits) is a thread of
/// its own. Only used under the dispatcher's lock, from the thread that issues the op.
/// </summary>
internal sealed class ThreadIds
{
    // Ids never grow past the format's limit, whatever the program named its threads.
    private const int MaxBaseLength = LogFormat.MaxThreadIdLength - 24;

    // The work item's logical thread travels with its execution context. The slot names its recording by number
    // only, so that a context outliving the recording keeps nothing of it alive.
    private static readonly AsyncLocal<FlowSlot?> Flow = new();
    private static long recordings;

    private readonly long generation = Interlocked.Increment(ref recordings);
    private readonly Thread recordingThread = Thread.CurrentThread;
    private readonly Dictionary<object, string> byKey = [];
    private readonly HashSet<string> used = new(StringComparer.Ordinal) { LogFormat.MainThread };
    private readonly Dictionary<string, int> holders = new(StringComparer.Ordinal);
    private Thread? lastThread;
    private string? lastThreadId;
    private string? lastName;
    private string? lastNameId;

    /// <summary>The logical thread id of <paramref name="e"/>, issued by the current thread; null for the main thread, whose ops carry no field.</summary>
    public string? Of(OpEvent e)
    {
        if (e.ThreadName is { } name)
        {
            return name == LogFormat.MainThread ? null : Named(name);
        }

        // The single-thread case ends here: one reference compare per op.
        var current = Thread.CurrentThread;
        if (ReferenceEquals(current, recordingThread))
        {
            return null;
        }

        if (!current.IsThreadPoolThread)
        {
            if (!ReferenceEquals(current, lastThread))
            {
                lastThreadId = byKey.TryGetValue(current, out var known) ? known : Assign(current, current.Name is { Length: > 0 } n ? n : SiteKey(e.Source));
                lastThread = current;
            }

            return lastThreadId;
        }

        // A pool thread's own name is the runtime's, the same for every pool thread: not a name the program gave.
        var slot = Flow.Value;
        if (slot is null || slot.Recording != generation)
        {
            slot = new FlowSlot(generation, Assign(null, SiteKey(e.Source)));
            Flow.Value = slot;
        }

        return slot.Id;
    }

    /// <summary>The base of an id: a name or call-site key clipped to the format's limit (not inside a surrogate pair).</summary>
    internal static string Clip(string name)
    {
        if (name.Length <= MaxBaseLength)
        {
            return name;
        }

        int cut = char.IsHighSurrogate(name[MaxBaseLength - 1]) ? MaxBaseLength - 1 : MaxBaseLength;
        return name[..cut];
    }

    private static string SiteKey(SourceLocation source) => source.IsKnown ? source.ToString() : "thread";

    private string Named(string name)
    {
        if (!ReferenceEquals(name, lastName))
        {
            lastNameId = byKey.TryGetValue(name, out var known) ? known : Assign(name, name);
            lastName = name;
        }

        return lastNameId!;
    }

    /// <summary>A new logical thread: its base if no other thread holds it yet, else base#n with the next free n.</summary>
    private string Assign(object? key, string name)
    {
        var baseName = Clip(name);
        int n = holders.GetValueOrDefault(baseName);
        string id;
        do
        {
            n++;
            id = n == 1 ? baseName : baseName + "#" + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        while (!used.Add(id));

        holders[baseName] = n;
        if (key is not null)
        {
            byKey[key] = id;
        }

        return id;
    }

    private sealed record FlowSlot(long Recording, string Id);
}
