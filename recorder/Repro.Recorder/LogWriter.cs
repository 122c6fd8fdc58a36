using Repro.Engine;

namespace Repro.Recorder;

/// <summary>A tensor waiting to be hashed, summarized and (maybe) stored: metadata and a private copy of its bytes.</summary>
internal sealed class PendingTensor(long id, int[] shape, DType dtype, byte[] buffer, int length, bool storeBlob)
{
    public long Id { get; } = id;

    public int[] Shape { get; } = shape;

    public DType DType { get; } = dtype;

    public byte[] Buffer { get; } = buffer;

    public int Length { get; } = length;

    public bool StoreBlob { get; } = storeBlob;
}

/// <summary>
/// Writes a log folder: records.jsonl (one checksummed JSON line per record) and blobs/. Hashing, summaries,
/// blob writes and JSON encoding run on one background thread in submission order, so the issuing thread only copies
/// bytes; the queue is bounded (in items and bytes) so a fast producer waits instead of growing memory without end.
/// </summary>
internal sealed class LogWriter : IDisposable
{
    private const int MaxQueuedItems = 4096;
    private const long MaxQueuedBytes = 256L << 20;

    private readonly object gate = new();
    private List<Func<byte[]?>> pending = [];
    private List<Func<byte[]?>> draining = [];
    private bool completed;
    private readonly FileStream records;
    private readonly string blobsDir;
    private readonly HashSet<string> blobs = new(StringComparer.Ordinal);
    private readonly Thread thread;
    private readonly object budgetGate = new();
    private long queuedBytes;
    private Exception? failure;
    private bool closed;

    public LogWriter(string folder)
    {
        Folder = folder;
        blobsDir = Path.Combine(folder, LogFormat.BlobsFolder);
        Directory.CreateDirectory(blobsDir);
        records = new FileStream(Path.Combine(folder, LogFormat.RecordsFile), FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        thread = new Thread(Run) { IsBackground = true, Name = "repro-log-writer" };
        thread.Start();
    }

    public string Folder { get; }

    public long OpCount { get; private set; }

    public long LeafCount { get; private set; }

    public int BlobCount => blobs.Count;

    /// <summary>Called on the writer thread after each op record is written (replay uses it to compare hashes).</summary>
    public Action<OpRecord>? OpWritten { get; init; }

    public Exception? Failure => Volatile.Read(ref failure);

    public void WriteHeader(LogHeader header) => Enqueue(() => LogCodec.EncodeHeader(header), 0);

    public void WriteOp(long seq, string op, OpAttributes attrs, OpPhase phase, long of, bool view, long[] inputs, PendingTensor[] outputs, string backend, SourceLocation src)
    {
        long bytes = outputs.Sum(o => (long)o.Length);
        Enqueue(
            () =>
            {
                var outs = outputs.Select(Finish).ToArray();
                var rec = new OpRecord(seq, op, attrs, phase, of, view, inputs, outs, backend, src);
                OpCount++;
                var line = LogCodec.EncodeOp(rec);
                Release(bytes);
                OpWritten?.Invoke(rec);
                return line;
            },
            bytes);
    }

    public void WriteLeaf(PendingTensor tensor, string backend)
    {
        long bytes = tensor.Length;
        Enqueue(
            () =>
            {
                var rec = new LeafRecord(Finish(tensor), backend);
                LeafCount++;
                Release(bytes);
                return LogCodec.EncodeLeaf(rec);
            },
            bytes);
    }

    /// <summary>Writes the end record, drains the queue, flushes and closes. Returns the writer thread's failure, if any.</summary>
    public Exception? Close(bool writeEnd = true)
    {
        if (closed)
        {
            return Failure;
        }

        closed = true;
        if (writeEnd)
        {
            Enqueue(() => LogCodec.EncodeEnd(new EndRecord(OpCount, LeafCount, blobs.Count, "complete")), 0);
        }

        lock (gate)
        {
            completed = true;
            Monitor.PulseAll(gate);
        }

        thread.Join();
        records.Dispose();
        return Failure;
    }

    public void Dispose() => Close();

    private TensorRecord Finish(PendingTensor t)
    {
        try
        {
            var span = t.Buffer.AsSpan(0, t.Length);
            var stats = TensorBytes.Summarize(span, t.DType);
            string? blob = null;
            if (t.StoreBlob)
            {
                blob = TensorBytes.Address(span);
                WriteBlob(blob, span);
            }

            string hash = stats.NaN == 0 && blob is not null ? blob : TensorBytes.CanonicalHash(span, t.DType, stats.NaN);
            return new TensorRecord(t.Id, t.Shape, t.DType, hash, stats, blob);
        }
        finally
        {
            TensorBytes.Return(t.Buffer);
        }
    }

    private void WriteBlob(string address, ReadOnlySpan<byte> bytes)
    {
        if (!blobs.Add(address))
        {
            return;
        }

        var final = Path.Combine(blobsDir, address + ".bin");
        if (File.Exists(final) && new FileInfo(final).Length == bytes.Length)
        {
            return;
        }

        // Written under a temporary name and renamed, so a blob file exists only once it is complete.
        var temp = final + ".tmp";
        using (var f = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            f.Write(bytes);
        }

        File.Move(temp, final, overwrite: true);
    }

    private void Enqueue(Func<byte[]?> work, long bytes)
    {
        if (bytes > 0)
        {
            lock (budgetGate)
            {
                while (queuedBytes > 0 && queuedBytes + bytes > MaxQueuedBytes && Failure is null)
                {
                    Monitor.Wait(budgetGate, 100);
                }

                queuedBytes += bytes;
            }
        }

        // No signal per item: the writer wakes on its own every few milliseconds and takes everything queued, so
        // the issuing thread pays for a list append under an uncontended lock, not for waking a thread per op.
        lock (gate)
        {
            if (completed)
            {
                throw new ObjectDisposedException(nameof(LogWriter), "the recording is closed");
            }

            pending.Add(work);
            if (pending.Count >= MaxQueuedItems)
            {
                Monitor.PulseAll(gate);
                while (pending.Count >= MaxQueuedItems && Failure is null)
                {
                    Monitor.Wait(gate, 100);
                }
            }
        }
    }

    private void Release(long bytes)
    {
        if (bytes == 0)
        {
            return;
        }

        lock (budgetGate)
        {
            queuedBytes -= bytes;
            Monitor.PulseAll(budgetGate);
        }
    }

    private void Run()
    {
        while (true)
        {
            bool done;
            lock (gate)
            {
                if (pending.Count == 0 && !completed)
                {
                    Monitor.Wait(gate, 10);
                }

                (pending, draining) = (draining, pending);
                done = completed && draining.Count == 0;
                Monitor.PulseAll(gate);
            }

            if (done)
            {
                break;
            }

            foreach (var work in draining)
            {
                if (Failure is not null)
                {
                    break;
                }

                try
                {
                    var line = work();
                    if (line is not null)
                    {
                        records.Write(line);
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
                {
                    Volatile.Write(ref failure, ex);
                    lock (budgetGate)
                    {
                        Monitor.PulseAll(budgetGate);
                    }
                }
            }

            draining.Clear();

            // Stream as the run goes: after each batch, what the writer has is handed to the OS.
            try
            {
                records.Flush();
            }
            catch (IOException ex)
            {
                failure ??= ex;
            }
        }
    }
}
