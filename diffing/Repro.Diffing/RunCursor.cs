using Repro.Engine;
using Repro.Engine.Backends;
using Repro.Recorder;

namespace Repro.Diffing;

/// <summary>
/// Walks one log's ops in order. In numeric mode it also replays them on the run's own backend and dtype, keeping
/// only the tensors that a later op (or a pending comparison) still needs, so memory stays bounded by the live set.
/// </summary>
internal sealed class RunCursor : IDisposable
{
    private readonly LogReader reader;
    private readonly IEnumerator<LogEntry> entries;
    private readonly Dictionary<long, long> lastUse;
    private readonly Dictionary<long, Tensor> values = [];
    private readonly Dictionary<long, string> hashes = [];
    private readonly Dictionary<long, HealthSummary?> health = [];
    private readonly Dictionary<OpRecord, long> pending = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<long> pendingOutputs = [];
    private readonly Backend? backend;
    private long index;

    /// <summary>Without replay there is no first pass: hashes and health are kept for this many most recent tensors.</summary>
    private const int RecentTensors = 1 << 20;

    private readonly Queue<long> recent = new();

    public RunCursor(string path, bool replay)
    {
        Name = path;

        // Replay holds tensor values, so it needs exact liveness (a first pass over the log); bitwise mode only
        // keeps hashes and health summaries, bounded by a window of recent tensors, and reads the log once.
        lastUse = replay ? LastUses(path) : [];
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

    public LogTruncation? Truncation => reader.Truncation;

    public Backend? Backend => backend;

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
        if (!pending.Remove(op, out long at))
        {
            return;
        }

        pendingOutputs.Remove(op.Output.Id);
        if (backend is null)
        {
            return;
        }

        foreach (long id in op.Inputs.Append(op.Output.Id))
        {
            if (lastUse.GetValueOrDefault(id, -1) <= at && !pendingOutputs.Contains(id))
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
                result = op.Op == "from_host"
                    ? Leaf(op.Output, op.Position)
                    : OpRegistry.Execute(op.Op, op.Attributes, inputs, backend);
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
        pending[op] = index;
        pendingOutputs.Add(op.Output.Id);
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
            if (!pendingOutputs.Contains(old))
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

    /// <summary>A first pass over the log: the index of the last op reading each tensor id.</summary>
    private static Dictionary<long, long> LastUses(string path)
    {
        var result = new Dictionary<long, long>();
        using var r = LogReader.Open(path);
        long i = 0;
        foreach (var op in r.Ops())
        {
            foreach (long id in op.Inputs)
            {
                result[id] = i;
            }

            i++;
        }

        return result;
    }
}
