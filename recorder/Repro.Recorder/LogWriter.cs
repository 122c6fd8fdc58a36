using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Repro.Engine;

namespace Repro.Recorder;

/// <summary>
/// Called on the writer thread after each op record is written, with its first output (replay compares hashes, and
/// verify the health summary; null when a writer without a log was not asked to summarize).
/// </summary>
internal delegate void OpWrittenHandler(long seq, IReadOnlyList<int> shape, DType dtype, ReadOnlySpan<byte> hash, in SummaryValues? stats);

/// <summary>
/// Writes a log folder: records.jsonl (one checksummed JSON line per record) and blobs/. The issuing thread only
/// fills a slot of a ring (ids, a reference to each output tensor, the op's metadata) and publishes it; hashing,
/// summaries, blob writes and JSON encoding run on one background thread in submission order, with no allocation per
/// record. The ring is bounded (in records and in the bytes of the tensors it holds on to), so a fast producer waits
/// instead of growing memory without end. Once the writer is <see cref="DigestBacklog"/> records behind, the issuing
/// thread hashes and summarizes new outputs itself and queues only the results (see <see cref="AddTensor"/>).
/// </summary>
/// <remarks>
/// <para>Outputs are not copied: the writer reads them from their storage when it gets to them. That is safe because
/// the engine never writes into existing storage except through an in-place op (<c>assign</c>), and the dispatcher
/// calls <see cref="BeforeWrite"/> before that write: every queued tensor on that storage that the writer has not read
/// yet is copied then (copy on write), and one the writer is reading is waited for. Tensors on a device (not host
/// storage) are copied to the host when queued.</para>
/// <para>Each tensor entry has a state, changed only by compare-and-swap: Live (queued, not copied) → Reading (the
/// writer claimed it) → Done; or Live → Copying (the issuing thread claimed it) → Copied → Done. An entry the issuing
/// thread digested when it was queued is Digested from the start: it holds the hash and summary, not the tensor.</para>
/// </remarks>
internal sealed class LogWriter : IDisposable
{
    private const int Capacity = 256; // Small, so that the slots the issuing thread fills stay in its cache next to the data (1024 was slower with slot objects, no faster with struct slots).
    private const int Mask = Capacity - 1;
    private const long MaxQueuedBytes = 256L << 20;
    private const int WakeBacklog = 64; // A sleeping writer is woken once this many records wait (well before the issuing thread digests outputs itself).
    private const int DigestBacklog = 128; // Beyond this many queued records, the issuing thread digests outputs itself.
    private const int WaitingForSlots = 1;
    private const int WaitingForBytes = 2;
    private const int PollMilliseconds = 1;
    private const int FlushBytes = 64 << 10;
    private const long FlushTicks = TimeSpan.TicksPerMillisecond * 5;

    private const int Live = 0;
    private const int Reading = 1;
    private const int Done = 2;
    private const int Copying = 3;
    private const int Copied = 4;
    private const int Digested = 5;

    private static long allocatedOnWriterThreads;

    // Records are structs in one array, not objects: the issuing thread fills consecutive memory (which the
    // processor prefetches) instead of following references from a slot to its input and tensor objects, each a
    // cache line the writer's core last touched.
    private readonly Slot[] ring = new Slot[Capacity];
    private readonly ManualResetEventSlim wake = new(false, spinCount: 0);
    private readonly ManualResetEventSlim space = new(false, spinCount: 0);
    private readonly FileStream? records;
    private readonly string blobsDir;
    private readonly HashSet<string> blobs = new(StringComparer.Ordinal);
    private readonly Thread thread;
    private readonly JsonLine output = new(1 << 16);
    private readonly Digester digester = new();
    private readonly Digester issuerDigester = new();
    private readonly SourceCache sources = new();
    private readonly long spinTicks;
    private byte[] gather = [];

    // Each counter is written by one side only and sits on a cache line of its own, so publishing a record does not
    // pull the writer's line over (and back) every time. Producer side (the recording's thread, serialized by the
    // dispatcher): the next slot to fill and the bytes of all tensors queued so far. Consumer side (the writer
    // thread): the next slot to process and the bytes released so far.
    private Padded head;
    private Padded producedBytes;
    private Padded tail;
    private Padded releasedBytes;
    // Each on its own cache line: the issuing thread reads the flag for every op and the writer thread updates the
    // counts for every op, so neither may share a line with what the other thread touches per op.
    private Padded consumerSleeping;
    private Padded opCount;
    private Padded leafCount;

    // The issuing thread's last look at the writer's progress: read again only when the ring looks full, so the
    // writer's counters are not fetched from the other core for every op.
    private long seenTail;
    private long seenReleased;
    private int producerWaiting;
    private int held;

    // Statistics. The issuing thread's are counted only on its rare paths (a wait, a wake-up, an output it digests
    // because the writer is far behind); the writer reads the clock once per batch of records it finds queued, and
    // counts its sleeps.
    private long issuerWaits;
    private long issuerWaitTicks;
    private long wakeUps;
    private long wakeUpTicks;
    private long writerSleeps;
    private long writerBusyTicks;
    private long writerPreemptions = -1;
    private long issuerDigests;
    private volatile bool completed;
    private Exception? failure;
    private bool closed;
    private long lastFlush;
    private string endStatus = EndStatus.Complete;
    private RunError? endError;

    /// <summary>A writer of the log folder <paramref name="folder"/>; with null, no log: only each op's output hash is computed, for <see cref="OpWritten"/> (verify).</summary>
    public LogWriter(string? folder)
    {
        Folder = folder;
        blobsDir = folder is null ? string.Empty : Path.Combine(folder, LogFormat.BlobsFolder);
        if (folder is not null)
        {
            Directory.CreateDirectory(blobsDir);

            // Unbuffered: the writer hands whole batches of lines to the OS. A new file (the recording deleted any
            // earlier one): opening with FileMode.Create truncates, after which ext4 writes the whole file out when it
            // is closed (its protection for files replaced by truncation), which made closing a log wait for the disk.
            records = new FileStream(Path.Combine(folder, LogFormat.RecordsFile), FileMode.CreateNew, FileAccess.Write, FileShare.Read, 0);
        }

        thread = new Thread(Run) { IsBackground = true, Name = "repro-log-writer" };
        thread.Start();
    }

    internal enum SlotKind
    {
        Header,
        Op,
        Leaf,
        End,
    }

    public string? Folder { get; }

    /// <summary>Op records written (writer thread).</summary>
    public long OpCount => opCount.Value;

    /// <summary>Leaf records written (writer thread).</summary>
    public long LeafCount => leafCount.Value;

    public int BlobCount => blobs.Count;

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

    public Exception? Failure => Volatile.Read(ref failure);

    /// <summary>
    /// How the issuing thread and the writer got along so far (call on the issuing thread; the writer's preemptions
    /// are known once the writer has finished).
    /// </summary>
    public RecordingStatistics Statistics(long ops) => new(
        ops,
        issuerWaits,
        Stopwatch.GetElapsedTime(0, issuerWaitTicks),
        wakeUps,
        Stopwatch.GetElapsedTime(0, wakeUpTicks),
        Volatile.Read(ref writerSleeps),
        Stopwatch.GetElapsedTime(0, Volatile.Read(ref writerBusyTicks)),
        Volatile.Read(ref writerPreemptions),
        issuerDigests);

    /// <summary>Bytes allocated by all finished writer threads of this process (tests check that records cost none).</summary>
    internal static long AllocatedOnWriterThreads => Interlocked.Read(ref allocatedOnWriterThreads);

    public void WriteHeader(LogHeader header)
    {
        int slot = Claim();
        ring[slot].Kind = SlotKind.Header;
        ring[slot].Header = header;
        Publish(slot);
    }

    /// <summary>Claims the next slot for an op with the log ids <paramref name="inputs"/>; add its outputs, then <see cref="Publish"/> it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int BeginOp(long seq, string op, OpAttributes attrs, OpPhase phase, long of, bool view, ReadOnlySpan<long> inputs, string backend, SourceLocation src, string? thread = null)
    {
        int slot = Claim();
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
            if (!storeBlob && t.IsContiguous && WriterBehind())
            {
                // The writer has fallen behind (it lost its core, most often): this thread digests the output now,
                // while it is in this core's cache, instead of queueing a reference that would keep it alive and
                // then waiting for a full queue to drain. The writer then only formats the record.
                var bytes = TensorBytes.AsBytes(host.Data).Slice(t.Offset * t.DType.SizeOf(), e.Length);
                if (records is not null || (index == 0 && Summarize))
                {
                    e.Stats = issuerDigester.Digest(bytes, t.DType, e.Hash);
                }
                else if (index == 0)
                {
                    issuerDigester.Hash(bytes, t.DType, e.Hash); // Replay without a log compares the first output's hash only.
                }

                e.State = Digested;
                issuerDigests++;
                return;
            }

            e.Tensor = t;
            r.Bytes += e.Length;
            e.State = Live;
        }
        else
        {
            e.Tensor = t;
            r.Bytes += e.Length;
            // Device memory is read through the backend on the issuing thread: copy it now.
            e.HostCopy = t.ToHostArray();
            e.State = Copied;
        }
    }

    public void WriteLeaf(long id, Tensor tensor, string backend)
    {
        int slot = Claim();
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
        for (long i = Volatile.Read(ref tail.Value); i < head.Value; i++)
        {
            ref var r = ref ring[i & Mask];
            for (int k = 0; k < r.TensorCount; k++)
            {
                ref var e = ref r.Entry(k);
                if (!ReferenceEquals(e.Tensor?.Storage, storage))
                {
                    continue;
                }

                int state = Interlocked.CompareExchange(ref e.State, Copying, Live);
                if (state == Live)
                {
                    var copy = ArrayPool<byte>.Shared.Rent(Math.Max(e.Length, 1));
                    CopyOut(e.Tensor!, copy.AsSpan(0, e.Length));
                    e.Copy = copy;
                    Volatile.Write(ref e.State, Copied);
                }
                else if (state == Reading)
                {
                    var spin = default(SpinWait);
                    while (Volatile.Read(ref e.State) == Reading)
                    {
                        spin.SpinOnce();
                    }
                }
            }
        }
    }

    /// <summary>Makes a filled slot visible to the writer; waits while the ring holds too many bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Publish(int slot)
    {
        long bytes = ring[slot].Bytes;
        long produced = producedBytes.Value + bytes;
        Volatile.Write(ref producedBytes.Value, produced);
        long h = head.Value + 1;
        Volatile.Write(ref head.Value, h);
        // One wake-up per sleep: whoever clears the flag signals (signalling costs a system call, and the writer
        // takes a while to run after it, during which every record would otherwise signal again).
        if (Volatile.Read(ref consumerSleeping.Value) != 0 && h - Volatile.Read(ref tail.Value) >= WakeBacklog
            && Interlocked.Exchange(ref consumerSleeping.Value, 0) != 0)
        {
            long t0 = Stopwatch.GetTimestamp();
            wake.Set();
            wakeUps++;
            wakeUpTicks += Stopwatch.GetTimestamp() - t0;
        }

        if (bytes > 0 && produced - seenReleased > MaxQueuedBytes && produced - (seenReleased = Volatile.Read(ref releasedBytes.Value)) > MaxQueuedBytes)
        {
            WaitFor(WaitingForBytes, () => BytesRoom() || Volatile.Read(ref tail.Value) == head.Value);
        }
    }

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
            int slot = Claim();
            ring[slot].Kind = SlotKind.End;
            Publish(slot);
        }

        completed = true;
        wake.Set();
        thread.Join();
        records?.Dispose();
        output.Release();
        sources.Release();
        if (gather.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(gather);
            gather = [];
        }

        wake.Dispose();
        space.Dispose();
        return Failure;
    }

    public void Dispose() => Close();

    /// <summary>Tests: the writer takes nothing from the ring until the returned handle is disposed (or the log closes).</summary>
    internal IDisposable Hold()
    {
        Interlocked.Increment(ref held);
        return new HoldHandle(this);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Claim()
    {
        if (closed && completed)
        {
            throw new ObjectDisposedException(nameof(LogWriter), "the recording is closed");
        }

        if (head.Value - seenTail >= Capacity && head.Value - (seenTail = Volatile.Read(ref tail.Value)) >= Capacity)
        {
            WaitFor(WaitingForSlots, SlotsRoom);
        }

        // Cleared here, not by the writer when it is done with the slot: the issuing thread is about to write these
        // cache lines anyway, and a writer that wrote them too would pull them over to its core for every record.
        int slot = (int)(head.Value & Mask);
        ring[slot].Reset();
        return slot;
    }

    /// <summary>
    /// Waits until <paramref name="ready"/>: the queue has drained to half its bound (in the resource the producer
    /// waits for), not merely to one free slot, so a producer that outruns the writer waits once for a batch of records
    /// instead of once per record (a wake-up each, which also slows the writer that has to send it).
    /// </summary>
    private void WaitFor(int reason, Func<bool> ready)
    {
        long t0 = Stopwatch.GetTimestamp();
        issuerWaits++;
        var spin = default(SpinWait);
        while (!ready())
        {
            if (spin.Count < 20)
            {
                spin.SpinOnce(sleep1Threshold: -1);
                continue;
            }

            space.Reset();
            Interlocked.Exchange(ref producerWaiting, reason); // A full fence: the check below must read the writer's progress after this write.
            if (!ready())
            {
                wake.Set();
                space.Wait(10);
            }

            Volatile.Write(ref producerWaiting, 0);
        }

        issuerWaitTicks += Stopwatch.GetTimestamp() - t0;
    }

    /// <summary>
    /// True when at least <see cref="DigestBacklog"/> records are queued ahead of the one being filled. The writer's
    /// progress is read again only once the last reading looks that far behind.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool WriterBehind() =>
        head.Value - seenTail >= DigestBacklog && head.Value - (seenTail = Volatile.Read(ref tail.Value)) >= DigestBacklog;

    /// <summary>True once the queue holds at most half its records (the producer waits for that when the ring is full).</summary>
    private bool SlotsRoom() => Volatile.Read(ref head.Value) - Volatile.Read(ref tail.Value) <= Capacity / 2;

    /// <summary>True once the queue holds at most half its bound in bytes.</summary>
    private bool BytesRoom() => Volatile.Read(ref producedBytes.Value) - Volatile.Read(ref releasedBytes.Value) <= MaxQueuedBytes / 2;

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
            Volatile.Write(ref writerPreemptions, ReadPreemptions());
        }
    }

    /// <summary>
    /// How often the kernel took this thread's core away while it could run (Linux: nonvoluntary context switches
    /// of the calling thread); -1 where that is not known.
    /// </summary>
    private static long ReadPreemptions()
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
                    && long.TryParse(line.AsSpan(Key.Length).Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long n))
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Drain()
    {
        lastFlush = Stopwatch.GetTimestamp();
        while (true)
        {
            if (Volatile.Read(ref held) != 0 && !completed)
            {
                wake.Reset();
                wake.Wait(PollMilliseconds);
                continue;
            }

            long h = Volatile.Read(ref head.Value);
            if (tail.Value == h)
            {
                if (Volatile.Read(ref producerWaiting) != 0)
                {
                    space.Set(); // Nothing is queued, so whatever the producer waits for is there.
                }

                Flush();
                if (completed && Volatile.Read(ref head.Value) == tail.Value)
                {
                    break;
                }

                if (spinTicks > 0 && SpinForWork())
                {
                    continue;
                }

                wake.Reset();
                Volatile.Write(ref consumerSleeping.Value, 1);
                if (Volatile.Read(ref head.Value) == tail.Value && !completed)
                {
                    writerSleeps++;
                    wake.Wait(PollMilliseconds);
                }

                Volatile.Write(ref consumerSleeping.Value, 0);
                continue;
            }

            long busyFrom = Stopwatch.GetTimestamp();
            while (tail.Value < h)
            {
                ref var slot = ref ring[tail.Value & Mask];
                long bytes = slot.Bytes;
                Process(ref slot); // Releases the slot's tensors and attributes (for the GC); the issuing thread clears the rest when it reuses it.
                if (bytes > 0)
                {
                    Volatile.Write(ref releasedBytes.Value, releasedBytes.Value + bytes);
                }

                Volatile.Write(ref tail.Value, tail.Value + 1);

                if (Volatile.Read(ref producerWaiting) is int waiting and not 0 && (waiting == WaitingForSlots ? SlotsRoom() : BytesRoom()))
                {
                    space.Set();
                }

                if (output.Length >= FlushBytes)
                {
                    Flush();
                }
            }

            long now = Stopwatch.GetTimestamp();
            Volatile.Write(ref writerBusyTicks, writerBusyTicks + now - busyFrom);
            if (now - lastFlush >= FlushTicks * Stopwatch.Frequency / TimeSpan.TicksPerSecond)
            {
                Flush();
            }
        }
    }

    /// <summary>
    /// With a core to spare, the writer waits for the next record by spinning a short while before it sleeps. A
    /// sleeping writer is woken only once records pile up (one wake-up per batch: a system call on the issuing
    /// thread each), and the outputs it holds meanwhile survive the garbage collections that come in between and get
    /// copied. Returns true when a record came.
    /// </summary>
    private bool SpinForWork()
    {
        long until = Stopwatch.GetTimestamp() + spinTicks;
        while (Volatile.Read(ref head.Value) == tail.Value && !completed)
        {
            if (Stopwatch.GetTimestamp() >= until)
            {
                return false;
            }

            Thread.SpinWait(8);
        }

        return true;
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
            Skip(ref slot);
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
                    LogCodec.WriteEnd(output, new EndRecord(OpCount, LeafCount, blobs.Count, endStatus) { Error = endError });
                    break;
                default:
                    break;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException)
        {
            Fail(ex);
            Skip(ref slot);
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

        LogCodec.WriteOpEnd(output, slot.Backend!, slot.Source, sources, slot.Thread);
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
            Skip(ref slot);
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
                    if (e.State == Digested)
                    {
                        ((ReadOnlySpan<byte>)e.Hash).CopyTo(first);
                        stats = e.Stats;
                    }
                    else if (Summarize)
                    {
                        stats = digester.Digest(ClaimBytes(ref e), e.DType, first);
                    }
                    else
                    {
                        digester.Hash(ClaimBytes(ref e), e.DType, first);
                    }
                }
            }
            finally
            {
                Release(ref e);
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
        if (e.State == Digested)
        {
            ((ReadOnlySpan<byte>)e.Hash).CopyTo(hash);
            var digested = e.Stats;
            LogCodec.WriteTensor(output, e.Id, e.Shape!, e.DType, hash, [], digested);
            Release(ref e);
            return digested;
        }

        Span<byte> blob = stackalloc byte[16];
        try
        {
            var bytes = ClaimBytes(ref e);
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

                WriteBlob(Convert.ToHexStringLower(blob), bytes);
                stored = true;
            }

            LogCodec.WriteTensor(output, e.Id, e.Shape!, e.DType, hash, stored ? blob : [], stats);
            return stats;
        }
        finally
        {
            Release(ref e);
        }
    }

    /// <summary>The tensor's bytes: its live storage (claimed so no copy-on-write races it), or the copy made for it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ReadOnlySpan<byte> ClaimBytes(ref TensorEntry e)
    {
        int state = Interlocked.CompareExchange(ref e.State, Reading, Live);
        if (state == Live)
        {
            return LiveBytes(e.Tensor!, e.Length);
        }

        var spin = default(SpinWait);
        while (Volatile.Read(ref e.State) == Copying)
        {
            spin.SpinOnce();
        }

        return e.Copy is { } c ? c.AsSpan(0, e.Length) : TensorBytes.AsBytes(e.HostCopy!);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ReadOnlySpan<byte> LiveBytes(Tensor t, int length)
    {
        var all = TensorBytes.AsBytes(((HostStorage)t.Storage).Data);
        if (t.IsContiguous)
        {
            return all.Slice(t.Offset * t.DType.SizeOf(), length);
        }

        if (gather.Length < length)
        {
            if (gather.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(gather);
            }

            gather = ArrayPool<byte>.Shared.Rent(length);
        }

        var dst = gather.AsSpan(0, length);
        TensorBytes.Gather(all, t.DType.SizeOf(), t.Offset, t.Shape, t.Strides, dst);
        return dst;
    }

    /// <summary>Copies a tensor's elements, row-major, into <paramref name="dst"/> (issuing thread, before an in-place write).</summary>
    private static void CopyOut(Tensor t, Span<byte> dst)
    {
        var all = TensorBytes.AsBytes(((HostStorage)t.Storage).Data);
        int size = t.DType.SizeOf();
        if (t.IsContiguous)
        {
            all.Slice(t.Offset * size, dst.Length).CopyTo(dst);
        }
        else
        {
            TensorBytes.Gather(all, size, t.Offset, t.Shape, t.Strides, dst);
        }
    }

    private static void Release(ref TensorEntry e)
    {
        Volatile.Write(ref e.State, Done);
        if (e.Copy is { } c)
        {
            ArrayPool<byte>.Shared.Return(c);
        }

        e.Copy = null;
        e.HostCopy = null;
        e.Tensor = null;
        e.Shape = null;
    }

    private static void Skip(ref Slot slot)
    {
        for (int i = 0; i < slot.TensorCount; i++)
        {
            ref var e = ref slot.Entry(i);
            if (e.Tensor is not null)
            {
                Interlocked.CompareExchange(ref e.State, Reading, Live);
                var spin = default(SpinWait);
                while (Volatile.Read(ref e.State) == Copying)
                {
                    spin.SpinOnce();
                }

                Release(ref e);
            }
        }
    }

    private void Fail(Exception ex)
    {
        Interlocked.CompareExchange(ref failure, ex, null);
        space.Set();
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
        File.Delete(temp); // Left by an interrupted run, if at all; then a new file, not a truncated one (see the records file).
        using (var f = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            f.Write(bytes);
        }

        File.Move(temp, final, overwrite: true);
    }

    /// <summary>A counter alone on its cache line (64 bytes either side).</summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit, Size = 136)]
    private struct Padded
    {
        [System.Runtime.InteropServices.FieldOffset(64)]
        public long Value;
    }

    private sealed class HoldHandle(LogWriter writer) : IDisposable
    {
        private LogWriter? writer = writer;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref writer, null) is { } w)
            {
                Interlocked.Decrement(ref w.held);
                w.wake.Set();
            }
        }
    }

    /// <summary>The input ids a slot holds itself.</summary>
    [InlineArray(Slot.InlineInputs)]
    internal struct InlineIds
    {
        private long element;
    }

    /// <summary>A canonical hash held in a tensor entry itself.</summary>
    [InlineArray(16)]
    internal struct HashBytes
    {
        private byte element;
    }

    /// <summary>
    /// One record waiting for the writer, an element of the ring (a struct: the ring is one block of memory). The
    /// issuing thread fills it and, when it reuses it, clears it; the writer drops its references once written.
    /// </summary>
    internal struct Slot
    {
        public const int InlineInputs = 4;

        public SlotKind Kind;
        public OpPhase Phase;
        public bool View;
        public int InputCount;
        public int TensorCount;
        public long Seq;
        public long Of;
        public long Bytes;
        public string? Op;
        public OpAttributes? Attributes;
        public string? Backend;
        public SourceLocation Source;

        /// <summary>The op's logical thread id; null for the main thread.</summary>
        public string? Thread;
        public LogHeader? Header;
        public InlineIds Inputs;

        /// <summary>The input ids of an op with more than <see cref="InlineInputs"/> inputs (kept for reuse).</summary>
        public long[]? MoreInputs;

        /// <summary>The first (most often the only) tensor.</summary>
        public TensorEntry First;

        /// <summary>The tensors after the first (kept for reuse).</summary>
        public TensorEntry[]? More;

        /// <summary>The op's input ids.</summary>
        [UnscopedRef]
        public ReadOnlySpan<long> InputIds => InputCount <= InlineInputs ? ((ReadOnlySpan<long>)Inputs)[..InputCount] : MoreInputs.AsSpan(0, InputCount);

        /// <summary>Tensor <paramref name="index"/> of the record.</summary>
        [UnscopedRef]
        public ref TensorEntry Entry(int index) => ref index == 0 ? ref First : ref More![index - 1];

        public void Reset()
        {
            Header = null;
            Op = null;
            Attributes = null;
            Backend = null;
            Source = default;
            Thread = null;
            TensorCount = 0;
            InputCount = 0;
            Bytes = 0;
        }
    }

    /// <summary>One tensor of a slot.</summary>
    internal struct TensorEntry
    {
        // Changed with Interlocked once queued (see the remarks on the class).
        public int State;
        public long Id;
        public Tensor? Tensor;

        /// <summary>The tensor's shape and dtype (kept when the tensor itself is let go after the issuing thread digested it).</summary>
        public IReadOnlyList<int>? Shape;
        public DType DType;
        public bool StoreBlob;
        public int Length;
        public byte[]? Copy;
        public Array? HostCopy;

        /// <summary>The canonical hash and summary, when the issuing thread computed them (state Digested).</summary>
        public HashBytes Hash;
        public SummaryValues Stats;
    }
}
