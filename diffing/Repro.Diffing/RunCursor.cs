using Repro.Engine;
using Repro.Engine.Backends;
using Repro.Recorder;

namespace Repro.Diffing;

/// <summary>
/// Walks one log's ops in order. In numeric mode it also replays them on the run's own backend and dtype, keeping
/// only the tensors that a later op (or a pending comparison) still needs, so memory stays bounded by the live set.
/// Ops are compared thread by thread, so not always in the order they were read: a tensor goes once every op that
/// reads it was read and none of them, nor its producer, still waits to be compared.
/// </summary>
internal sealed class RunCursor : IDisposable
{
    private readonly LogReader reader;
    private readonly IEnumerator<LogEntry> entries;
    private readonly Dictionary<long, long> lastUse;
    private readonly Dictionary<long, Tensor> values = [];
    private readonly Dictionary<long, string> hashes = [];
    private readonly Dictionary<long, HealthSummary?> health = [];
    private readonly HashSet<OpRecord> pending = new(ReferenceEqualityComparer.Instance);

    // Tensor id -> pending ops that produced it (assign reuses its input's id) or read it.
    private readonly Dictionary<long, int> pendingOutputs = [];
    private readonly Dictionary<long, int> pendingReads = [];
    private readonly Backend? backend;
    private long index;

    /// <summary>Without replay there is no first pass: hashes and health are kept for this many most recent tensors.</summary>
    private const int RecentTensors = 1 << 20;

    private readonly Queue<long> recent = new();

    /// <param name="path">The log.</param>
    /// <param name="replay">Replay the ops (numeric mode).</param>
    /// <param name="census">Gather the log's threads first (<see cref="Census"/>); replay always does.</param>
    public RunCursor(string path, bool replay, bool census)
    {
        Name = path;

        // Replay holds tensor values, so it needs exact liveness (a first pass over the log, which also counts the
        // threads); bitwise mode only keeps hashes and health summaries, bounded by a window of recent tensors, and
        // reads the log once unless its threads must be paired by content.
        lastUse = [];
        if (replay || census)
        {
            Census = FirstPass(path, replay ? lastUse : null);
        }

        reader = LogReader.Open(path);
        Header = reader.Header;
        if (replay)
        {
            backend = Settings.GetBackend(Header.Environment.Backend);
        }

        entries = reader.Entries().GetEnumerator();
    }

    public string Name { get; }

    public LogHeader Header { get; }

    /// <summary>Why the run stops early: its log is cut short, or its end record says the run did not complete.</summary>
    public LogTruncation? Truncation => StoppedEarly(reader);

    public Backend? Backend => backend;

    /// <summary>Sequence number of the last complete op read (-1 when none).</summary>
    public long LastSeq => reader.LastSeq;

    /// <summary>The log's threads, when gathered in a first pass.</summary>
    public ThreadCensus? Census { get; }

    /// <summary>The next op (executed, in numeric mode), or null at the end of the log.</summary>
    public OpRecord? Next()
    {
        while (entries.MoveNext())
        {
            switch (entries.Current)
            {
                case LeafRecord leaf:
                    Remember(leaf.Tensor, leaf.Position);
                    break;
                case OpRecord op:
                    Execute(op);
                    index++;
                    return op;
                default:
                    break;
            }
        }

        return null;
    }

    public string? HashOf(long id) => hashes.GetValueOrDefault(id);

    public HealthSummary? HealthOf(long id) => health.GetValueOrDefault(id);

    public Tensor ValueOf(long id) =>
        values.TryGetValue(id, out var t) ? t : throw new InvalidOperationException($"{Name}: tensor {id} is no longer held (internal error)");

    /// <summary>
    /// Marks an op as compared: its inputs and output are dropped unless a later op still reads them or their
    /// producer is still waiting to be compared. Until then, an op's inputs stay available for the origin check.
    /// </summary>
    public void Done(OpRecord op)
    {
        if (!pending.Remove(op))
        {
            return;
        }

        Release(pendingOutputs, op.Output.Id);
        foreach (long id in op.Inputs)
        {
            Release(pendingReads, id);
        }

        if (backend is null)
        {
            return;
        }

        foreach (long id in op.Inputs.Append(op.Output.Id))
        {
            // Every reader read (the last one's index is below the count of ops read) and none waiting.
            if (lastUse.GetValueOrDefault(id, -1) < index && !pendingOutputs.ContainsKey(id) && !pendingReads.ContainsKey(id))
            {
                Forget(id);
            }
        }
    }

    public void Dispose()
    {
        entries.Dispose();
        reader.Dispose();
    }

    private void Execute(OpRecord op)
    {
        if (backend is not null)
        {
            var inputs = op.Inputs.Select(ValueOf).ToArray();
            Tensor result;
            try
            {
                var row = OpTable.Get(op.Op);
                result = row.HostData
                    ? Leaf(op.Output, op.Position)
                    : row.Execute(op.Attributes, inputs, backend);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidCastException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException or NotSupportedException)
            {
                throw new LogFormatException(op.Position, $"op {op.Seq} ({op.Op}) cannot be replayed: {ex.Message}", ex);
            }

            values[op.Output.Id] = result;
        }

        hashes[op.Output.Id] = op.Output.Hash;
        health[op.Output.Id] = op.Output.Stats;
        Track(op.Output.Id);
        pending.Add(op);
        Hold(pendingOutputs, op.Output.Id);
        foreach (long id in op.Inputs)
        {
            Hold(pendingReads, id);
        }
    }

    private static void Hold(Dictionary<long, int> counts, long id) =>
        counts[id] = counts.GetValueOrDefault(id) + 1;

    private static void Release(Dictionary<long, int> counts, long id)
    {
        if (counts.TryGetValue(id, out int n))
        {
            if (n > 1)
            {
                counts[id] = n - 1;
            }
            else
            {
                counts.Remove(id);
            }
        }
    }

    private void Remember(TensorRecord t, LogPosition at)
    {
        hashes[t.Id] = t.Hash;
        health[t.Id] = t.Stats;
        Track(t.Id);
        if (backend is not null)
        {
            values[t.Id] = Leaf(t, at);
        }
    }

    private Tensor Leaf(TensorRecord t, LogPosition at) => Tensor.FromHost(reader.ReadTensor(t, at), t.DType, t.Shape, backend);

    private void Track(long id)
    {
        if (backend is not null)
        {
            return;
        }

        recent.Enqueue(id);
        while (recent.Count > RecentTensors)
        {
            long old = recent.Dequeue();
            if (!pendingOutputs.ContainsKey(old))
            {
                Forget(old);
            }
        }
    }

    private void Forget(long id)
    {
        values.Remove(id);
        hashes.Remove(id);
        health.Remove(id);
    }

    /// <summary>A first pass over the log: its threads, and (for replay) the index of the last op reading each tensor id.</summary>
    private static ThreadCensus FirstPass(string path, Dictionary<long, long>? lastUses)
    {
        var census = new ThreadCensus();
        using var r = LogReader.Open(path);
        long i = 0;
        foreach (var op in r.Ops())
        {
            census.Add(op);
            if (lastUses is not null)
            {
                foreach (long id in op.Inputs)
                {
                    lastUses[id] = i;
                }
            }

            i++;
        }

        census.Finish(StoppedEarly(r));
        return census;
    }

    /// <summary>
    /// A run whose program failed or was interrupted stopped early as much as one whose log was cut: the ops it has
    /// are compared as a prefix of the other run's.
    /// </summary>
    private static LogTruncation? StoppedEarly(LogReader r) =>
        r.Truncation ?? (r.End is { IsComplete: false } end
            ? new LogTruncation(end.Position, r.LastSeq, $"the run ended early ({end.Status}: {end.Error?.Describe() ?? "no error recorded"})")
            : null);
}
