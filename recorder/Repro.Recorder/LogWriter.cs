using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Repro.Engine;
using static Repro.Recorder.RecordRing;

namespace Repro.Recorder;

/// <summary>
/// Called on the writer thread after each op record is written, with its first output (replay compares hashes, and
/// verify the health summary; null when a writer without a log was not asked to summarize).
/// </summary>
internal delegate void OpWrittenHandler(long seq, IReadOnlyList<int> shape, DType dtype, ReadOnlySpan<byte> hash, in SummaryValues? stats);

/// <summary>
/// Writes a log folder: records.jsonl (one checksummed JSON line per record) and blobs/. The issuing thread only
/// fills a slot of a <see cref="RecordRing"/> (ids, a reference to each output tensor, the op's metadata) and
/// publishes it; hashing, summaries, blob writes and JSON encoding run on one background thread, the writer loop here,
/// in submission order, with no allocation per record. Once the writer is far behind, the issuing thread hashes and
/// summarizes new outputs itself and queues only the results (see <see cref="AddTensor"/>). Outputs are not copied
/// when queued: an in-place write into their storage copies them first (<see cref="BeforeWrite"/>,
/// <see cref="TensorEntry"/>).
/// </summary>
internal sealed class LogWriter : IDisposable
{
    private const int FlushBytes = 64 << 10;
    private const long FlushTicks = TimeSpan.TicksPerMillisecond * 5;

    private static long allocatedOnWriterThreads;

    private readonly WriterStatistics statistics = new();
    private readonly RecordRing ring;
    private readonly FileStream? records;
    private readonly BlobStore? blobs;
    private readonly Thread thread;
    private readonly JsonLine output = new(1 << 16);
    private readonly Digester digester = new();
    private readonly Digester issuerDigester = new();
    private readonly SourceCache sources = new();
    private readonly long spinTicks;
    private byte[] gather = [];

    // Each on its own cache line: the writer thread updates them for every op, next to what the issuing thread
    // touches per op.
    private Padded opCount;
    private Padded leafCount;

    private Exception? failure;
    private bool closed;
    private long lastFlush;
    private string endStatus = EndStatus.Complete;
    private RunError? endError;

    /// <summary>A writer of the log folder <paramref name="folder"/>; with null, no log: only each op's output hash is computed, for <see cref="OpWritten"/> (verify).</summary>
    public LogWriter(string? folder)
    {
        Folder = folder;
        ring = new RecordRing(statistics);
        if (folder is not null)
        {
            blobs = new BlobStore(Path.Combine(folder, LogFormat.BlobsFolder));

            // Unbuffered: the writer hands whole batches of lines to the OS. A new file (the recording deleted any
            // earlier one): opening with FileMode.Create truncates, after which ext4 writes the whole file out when it
            // is closed (its protection for files replaced by truncation), which made closing a log wait for the disk.
            records = new FileStream(Path.Combine(folder, LogFormat.RecordsFile), FileMode.CreateNew, FileAccess.Write, FileShare.Read, 0);
        }

        thread = new Thread(Run) { IsBackground = true, Name = "repro-log-writer" };
        thread.Start();
    }

    public string? Folder { get; }

    /// <summary>Op records written (writer thread).</summary>
    public long OpCount => opCount.Value;

    /// <summary>Leaf records written (writer thread).</summary>
    public long LeafCount => leafCount.Value;

    public int BlobCount => blobs?.Count ?? 0;

    /// <summary>
    /// How long the writer spins for the next record before it sleeps (zero, the default: it sleeps at once). Only for
    /// a writer with a core to spare: spinning on a core the engine's threads need slows them down.
    /// </summary>
    public TimeSpan SpinBeforeSleep
    {
        get => Stopwatch.GetElapsedTime(0, spinTicks);
        init => spinTicks = (long)(value.TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>Called on the writer thread after each op record is written (replay uses it to compare hashes).</summary>
    public OpWrittenHandler? OpWritten { get; init; }

    /// <summary>Without a log: summarize each op's first output too, for <see cref="OpWritten"/> (verify compares the log's summaries).</summary>
    public bool Summarize { get; init; }

    /// <summary>Called on the writer thread when it has written its last record (<see cref="RecorderOptions.WriterThreadDone"/>); must not throw.</summary>
    public Action? WriterThreadDone { get; init; }

    public Exception? Failure => Volatile.Read(ref failure);

    /// <summary>Bytes allocated by all finished writer threads of this process (tests check that records cost none).</summary>
    internal static long AllocatedOnWriterThreads => Interlocked.Read(ref allocatedOnWriterThreads);

    /// <summary>How the issuing thread and the writer got along so far (call on the issuing thread).</summary>
    public RecordingStatistics Statistics(long ops) => statistics.Snapshot(ops);

    public void WriteHeader(LogHeader header)
    {
        int slot = ring.Claim();
        ring[slot].Kind = SlotKind.Header;
        ring[slot].Header = header;
        Publish(slot);
    }

    /// <summary>Claims the next slot for an op with the log ids <paramref name="inputs"/>; add its outputs, then <see cref="Publish"/> it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int BeginOp(long seq, string op, OpAttributes attrs, OpPhase phase, long of, bool view, ReadOnlySpan<long> inputs, string backend, SourceLocation src, string? thread = null, OpModule? module = null)
    {
        int slot = ring.Claim();
        ref var r = ref ring[slot];
        r.Kind = SlotKind.Op;
        r.Seq = seq;
        r.Op = op;
        r.Attributes = attrs;
        r.Phase = phase;
        r.Of = of;
        r.View = view;
        r.Backend = backend;
        r.Source = src;
        r.Thread = thread;
        r.Module = module;
        r.InputCount = inputs.Length;
        if (inputs.Length <= Slot.InlineInputs)
        {
            inputs.CopyTo(r.Inputs);
        }
        else
        {
            if (r.MoreInputs is null || r.MoreInputs.Length < inputs.Length)
            {
                r.MoreInputs = new long[inputs.Length];
            }

            inputs.CopyTo(r.MoreInputs);
        }

        return slot;
    }

    /// <summary>Adds a tensor to a claimed slot: an op output, or the tensor of a leaf.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddTensor(int slot, long id, Tensor t, bool storeBlob)
    {
        ref var r = ref ring[slot];
        int index = r.TensorCount;
        if (index > 0 && (r.More is null || r.More.Length < index))
        {
            // Ops with several outputs are rare: their further entries live in an array kept with the slot.
            var bigger = new TensorEntry[Math.Max(index * 2, 2)];
            r.More?.CopyTo(bigger, 0);
            r.More = bigger;
        }

        r.TensorCount = index + 1;
        ref var e = ref r.Entry(index);
        e.Id = id;
        e.Shape = t.Shape;
        e.DType = t.DType;
        e.StoreBlob = storeBlob;
        e.Length = checked((int)((long)t.Numel * t.DType.SizeOf()));
        if (t.Storage is HostStorage host)
        {
            if (!storeBlob && t.IsContiguous && ring.WriterBehind())
            {
                // The writer has fallen behind (it lost its core, most often): this thread digests the output now,
                // while it is in this core's cache, instead of queueing a reference that would keep it alive and
                // then waiting for a full queue to drain. The writer then only formats the record.
                var bytes = host.Bytes.Slice(t.Offset * t.DType.SizeOf(), e.Length);
                if (records is not null || (index == 0 && Summarize))
                {
                    e.Stats = issuerDigester.Digest(bytes, t.DType, e.Hash);
                }
                else if (index == 0)
                {
                    issuerDigester.Hash(bytes, t.DType, e.Hash); // Replay without a log compares the first output's hash only.
                }

                GC.KeepAlive(host);
                e.State = TensorEntry.Digested;
                statistics.Digested();
                return;
            }

            e.Tensor = t;
            r.Bytes += e.Length;
            e.State = TensorEntry.Live;
        }
        else
        {
            e.Tensor = t;
            r.Bytes += e.Length;
            // Device memory is read through the backend on the issuing thread: copy it now.
            e.HostCopy = t.ToHostArray();
            e.State = TensorEntry.Copied;
        }
    }

    public void WriteLeaf(long id, Tensor tensor, string backend)
    {
        int slot = ring.Claim();
        ring[slot].Kind = SlotKind.Leaf;
        ring[slot].Backend = backend;
        AddTensor(slot, id, tensor, true);
        Publish(slot);
    }

    /// <summary>
    /// Copy on write: an op is about to write into <paramref name="storage"/>. Every queued tensor on it that the
    /// writer has not read yet is copied now; one the writer is reading is waited for. Issuing thread only.
    /// </summary>
    public void BeforeWrite(Storage storage)
    {
        for (long i = ring.Oldest; i < ring.Filled; i++)
        {
            ref var r = ref ring.At(i);
            for (int k = 0; k < r.TensorCount; k++)
            {
                ref var e = ref r.Entry(k);
                if (ReferenceEquals(e.Tensor?.Storage, storage))
                {
                    e.BeforeWrite();
                }
            }
        }
    }

    /// <summary>Makes a filled slot visible to the writer; waits while the queue holds too many bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Publish(int slot) => ring.Publish(slot);

    /// <summary>
    /// Writes the end record (with <paramref name="status"/> and, for a run that did not complete, its
    /// <paramref name="error"/>), drains the queue, flushes and closes. Returns the writer thread's failure, if any.
    /// </summary>
    public Exception? Close(bool writeEnd = true, string status = EndStatus.Complete, RunError? error = null)
    {
        if (closed)
        {
            return Failure;
        }

        closed = true;
        if (writeEnd)
        {
            // Read by the writer thread after the slot is published (publishing is a release).
            endStatus = status;
            endError = error;
            int slot = ring.Claim();
            ring[slot].Kind = SlotKind.End;
            Publish(slot);
        }

        ring.Complete();
        thread.Join();
        records?.Dispose();
        output.Release();
        sources.Release();
        if (gather.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(gather);
            gather = [];
        }

        ring.Dispose();
        return Failure;
    }

    public void Dispose() => Close();

    /// <summary>Tests: the writer takes nothing from the queue until the returned handle is disposed (or the log closes).</summary>
    internal IDisposable Hold() => ring.Hold();

    private void Run()
    {
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            // The writer must outlive any failure: a writer thread that died would leave the issuing thread waiting
            // for queue space forever. After a failure it drains the queue without writing, until the log is closed.
            while (true)
            {
                try
                {
                    Drain();
                    break;
                }
#pragma warning disable CA1031 // Whatever it was, it is the log's failure, reported when the recording closes.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Fail(ex);
                }
            }
        }
        finally
        {
            Interlocked.Add(ref allocatedOnWriterThreads, GC.GetAllocatedBytesForCurrentThread() - allocated);
            WriterThreadDone?.Invoke();
        }
    }

    /// <summary>The writer loop: takes records as they are published, sleeps (or spins) when there are none, until the queue is completed and drained.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Drain()
    {
        lastFlush = Stopwatch.GetTimestamp();
        while (true)
        {
            if (ring.Held)
            {
                ring.PauseWhileHeld();
                continue;
            }

            long published = ring.Published;
            if (ring.Taken == published)
            {
                ring.Emptied();
                Flush();
                if (ring.Drained)
                {
                    break;
                }

                if (spinTicks > 0 && ring.SpinForWork(spinTicks))
                {
                    continue;
                }

                ring.Sleep();
                continue;
            }

            long busyFrom = Stopwatch.GetTimestamp();
            while (ring.Taken < published)
            {
                ref var slot = ref ring.Next;
                long bytes = slot.Bytes;
                Process(ref slot); // Releases the slot's tensors and attributes (for the GC); the issuing thread clears the rest when it reuses it.
                ring.Release(bytes);
                if (output.Length >= FlushBytes)
                {
                    Flush();
                }
            }

            long now = Stopwatch.GetTimestamp();
            statistics.Busy(now - busyFrom);
            if (now - lastFlush >= FlushTicks * Stopwatch.Frequency / TimeSpan.TicksPerSecond)
            {
                Flush();
            }
        }
    }

    /// <summary>Hands the lines written so far to the OS (the file is unbuffered), so the log streams as the run goes.</summary>
    private void Flush()
    {
        lastFlush = Stopwatch.GetTimestamp();
        if (output.Length == 0)
        {
            return;
        }

        try
        {
            if (Failure is null)
            {
                records?.Write(output.Written);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
        {
            // A file over the process's size limit (EFBIG) comes as ArgumentOutOfRangeException, a full disk as IOException.
            Fail(ex);
        }

        output.Clear();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Process(ref Slot slot)
    {
        if (Failure is not null)
        {
            Abandon(ref slot);
            return;
        }

        try
        {
            if (records is null)
            {
                HashOnly(ref slot);
                return;
            }

            switch (slot.Kind)
            {
                case SlotKind.Header:
                    LogCodec.WriteHeader(output, slot.Header!);
                    break;
                case SlotKind.Op:
                    WriteOp(ref slot);
                    break;
                case SlotKind.Leaf:
                    LogCodec.WriteLeafStart(output);
                    WriteTensor(ref slot.First, stackalloc byte[16]);
                    LogCodec.WriteLeafEnd(output, slot.Backend!);
                    leafCount.Value++;
                    break;
                case SlotKind.End:
                    LogCodec.WriteEnd(output, new EndRecord(OpCount, LeafCount, BlobCount, endStatus) { Error = endError });
                    break;
                default:
                    break;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
        {
            Fail(ex);
            Abandon(ref slot);
        }
        finally
        {
            slot.Attributes = null;
            slot.Header = null;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WriteOp(ref Slot slot)
    {
        LogCodec.WriteOpStart(output, slot.Seq, slot.Op!, slot.Phase, slot.Of, slot.View, slot.Attributes!, slot.InputIds);
        Span<byte> first = stackalloc byte[16];
        Span<byte> hash = stackalloc byte[16];
        var firstShape = slot.TensorCount > 0 ? slot.First.Shape : null;
        var firstType = slot.TensorCount > 0 ? slot.First.DType : default;
        SummaryValues? firstStats = null;
        for (int i = 0; i < slot.TensorCount; i++)
        {
            if (i > 0)
            {
                output.Byte((byte)',');
            }

            var stats = WriteTensor(ref slot.Entry(i), hash);
            if (i == 0)
            {
                hash.CopyTo(first);
                firstStats = stats;
            }
        }

        LogCodec.WriteOpEnd(output, slot.Backend!, slot.Source, sources, slot.Thread, slot.Module);
        opCount.Value++;
        if (OpWritten is { } callback && firstShape is not null)
        {
            callback(slot.Seq, firstShape, firstType, first, firstStats);
        }
    }

    /// <summary>No log: an op's outputs are hashed for <see cref="OpWritten"/> (no summary, JSON or blob), then released.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void HashOnly(ref Slot slot)
    {
        if (slot.Kind != SlotKind.Op)
        {
            Abandon(ref slot);
            return;
        }

        Span<byte> first = stackalloc byte[16];
        var firstShape = slot.TensorCount > 0 ? slot.First.Shape : null;
        var firstType = slot.TensorCount > 0 ? slot.First.DType : default;
        SummaryValues? stats = null;
        for (int i = 0; i < slot.TensorCount; i++)
        {
            ref var e = ref slot.Entry(i);
            try
            {
                if (i == 0)
                {
                    if (e.State == TensorEntry.Digested)
                    {
                        ((ReadOnlySpan<byte>)e.Hash).CopyTo(first);
                        stats = e.Stats;
                    }
                    else if (Summarize)
                    {
                        stats = digester.Digest(e.Claim(ref gather), e.DType, first);
                    }
                    else
                    {
                        digester.Hash(e.Claim(ref gather), e.DType, first);
                    }
                }
            }
            finally
            {
                e.Release();
            }
        }

        opCount.Value++;
        if (OpWritten is { } callback && firstShape is not null)
        {
            callback(slot.Seq, firstShape, firstType, first, Summarize ? stats : null);
        }
    }

    /// <summary>Hashes, summarizes and (when asked) stores one tensor, writes its JSON, and releases it; returns its summary.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private SummaryValues WriteTensor(ref TensorEntry e, Span<byte> hash)
    {
        if (e.State == TensorEntry.Digested)
        {
            ((ReadOnlySpan<byte>)e.Hash).CopyTo(hash);
            var digested = e.Stats;
            LogCodec.WriteTensor(output, e.Id, e.Shape!, e.DType, hash, [], digested);
            e.Release();
            return digested;
        }

        Span<byte> blob = stackalloc byte[16];
        try
        {
            var bytes = e.Claim(ref gather);
            var stats = digester.Digest(bytes, e.DType, hash);
            bool stored = false;
            if (e.StoreBlob)
            {
                if (stats.NaN == 0)
                {
                    ((ReadOnlySpan<byte>)hash).CopyTo(blob);
                }
                else
                {
                    System.IO.Hashing.XxHash128.Hash(bytes, blob);
                }

                blobs!.Write(Convert.ToHexStringLower(blob), bytes);
                stored = true;
            }

            LogCodec.WriteTensor(output, e.Id, e.Shape!, e.DType, hash, stored ? blob : [], stats);
            return stats;
        }
        finally
        {
            e.Release();
        }
    }

    /// <summary>Releases a record's tensors unwritten (after a failure, or records a writer without a log does not hash).</summary>
    private static void Abandon(ref Slot slot)
    {
        for (int i = 0; i < slot.TensorCount; i++)
        {
            slot.Entry(i).Abandon();
        }
    }

    private void Fail(Exception ex)
    {
        Interlocked.CompareExchange(ref failure, ex, null);
        ring.Failed();
    }
}
