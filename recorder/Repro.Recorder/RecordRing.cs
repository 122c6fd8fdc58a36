using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Repro.Engine;

namespace Repro.Recorder;

/// <summary>
/// The queue between the thread that issues ops and the log writer: a ring of record slots that the issuing thread
/// fills in place and the writer takes in order. One producer (the dispatcher serializes ops) and one consumer. It is
/// bounded in records and in the bytes of the tensors the queued records hold on to, so a fast producer waits instead
/// of growing memory without end; a producer that waits, waits for half the bound (once per batch of records, not once
/// per record), and a sleeping writer is woken once a batch has piled up (a wake-up is a system call on the issuing
/// thread).
/// </summary>
internal sealed class RecordRing : IDisposable
{
    /// <summary>Records that can wait for the writer. Small, so that the slots the issuing thread fills stay in its cache next to the data (1024 was slower with slot objects, no faster with struct slots).</summary>
    public const int Capacity = 256;

    private const int Mask = Capacity - 1;
    private const long MaxQueuedBytes = 256L << 20;
    private const int WakeBacklog = 64; // A sleeping writer is woken once this many records wait (well before the issuing thread digests outputs itself).
    private const int DigestBacklog = 128; // Beyond this many queued records, the issuing thread digests outputs itself.
    private const int WaitingForSlots = 1;
    private const int WaitingForBytes = 2;
    private const int PollMilliseconds = 1;

    // Records are structs in one array, not objects: the issuing thread fills consecutive memory (which the
    // processor prefetches) instead of following references from a slot to its input and tensor objects, each a
    // cache line the writer's core last touched.
    private readonly Slot[] slots = new Slot[Capacity];
    private readonly ManualResetEventSlim wake = new(false, spinCount: 0);
    private readonly ManualResetEventSlim space = new(false, spinCount: 0);
    private readonly WriterStatistics statistics;

    // Each counter is written by one side only and sits on a cache line of its own, so publishing a record does not
    // pull the writer's line over (and back) every time. Producer side: the next slot to fill and the bytes of all
    // tensors queued so far. Consumer side: the next slot to take and the bytes released so far.
    private Padded head;
    private Padded producedBytes;
    private Padded tail;
    private Padded releasedBytes;

    // On its own cache line too: the issuing thread reads it for every record.
    private Padded consumerSleeping;

    // The issuing thread's last look at the writer's progress: read again only when the ring looks full, so the
    // writer's counters are not fetched from the other core for every record.
    private long seenTail;
    private long seenReleased;
    private int producerWaiting;
    private int held;
    private volatile bool completed;

    public RecordRing(WriterStatistics statistics)
    {
        this.statistics = statistics;
    }

    /// <summary>True once the producer said no more records will come (<see cref="Complete"/>).</summary>
    public bool IsCompleted => completed;

    /// <summary>Writer: the number of records published so far (the end of what it may take).</summary>
    public long Published => Volatile.Read(ref head.Value);

    /// <summary>Writer: the number of records taken so far.</summary>
    public long Taken => tail.Value;

    /// <summary>Writer: the next record to take (at <see cref="Taken"/>).</summary>
    public ref Slot Next => ref slots[tail.Value & Mask];

    /// <summary>Writer: the producer holds it (tests) and the ring is not completed.</summary>
    public bool Held => Volatile.Read(ref held) != 0 && !completed;

    /// <summary>Writer: all records published before <see cref="Complete"/> have been taken.</summary>
    public bool Drained => completed && Volatile.Read(ref head.Value) == tail.Value;

    /// <summary>Producer: a slot claimed with <see cref="Claim"/>.</summary>
    public ref Slot this[int slot] => ref slots[slot];

    /// <summary>Producer: the next slot, cleared, once there is room for it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Claim()
    {
        if (completed)
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
        slots[slot].Reset();
        return slot;
    }

    /// <summary>Producer: makes a filled slot visible to the writer; waits while the ring holds too many bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Publish(int slot)
    {
        long bytes = slots[slot].Bytes;
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
            statistics.WokeWriter(Stopwatch.GetTimestamp() - t0);
        }

        if (bytes > 0 && produced - seenReleased > MaxQueuedBytes && produced - (seenReleased = Volatile.Read(ref releasedBytes.Value)) > MaxQueuedBytes)
        {
            WaitFor(WaitingForBytes, () => BytesRoom() || Volatile.Read(ref tail.Value) == head.Value);
        }
    }

    /// <summary>
    /// Producer: true when at least <see cref="DigestBacklog"/> records are queued ahead of the one being filled. The
    /// writer's progress is read again only once the last reading looks that far behind.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool WriterBehind() =>
        head.Value - seenTail >= DigestBacklog && head.Value - (seenTail = Volatile.Read(ref tail.Value)) >= DigestBacklog;

    /// <summary>Producer: the oldest record the writer has not taken yet (records up to <see cref="Filled"/> are queued).</summary>
    public long Oldest => Volatile.Read(ref tail.Value);

    /// <summary>Producer: the number of records it has published.</summary>
    public long Filled => head.Value;

    /// <summary>Producer: the queued record <paramref name="index"/> (from <see cref="Oldest"/> to <see cref="Filled"/>).</summary>
    public ref Slot At(long index) => ref slots[index & Mask];

    /// <summary>Producer: no more records will come; wakes the writer to take the rest.</summary>
    public void Complete()
    {
        completed = true;
        wake.Set();
    }

    /// <summary>Tests: the writer takes nothing until the returned handle is disposed (or the ring is completed).</summary>
    public IDisposable Hold()
    {
        Interlocked.Increment(ref held);
        return new HoldHandle(this);
    }

    /// <summary>Writer: waits a moment while <see cref="Held"/>.</summary>
    public void PauseWhileHeld()
    {
        wake.Reset();
        wake.Wait(PollMilliseconds);
    }

    /// <summary>Writer: nothing is queued, so whatever a waiting producer waits for is there.</summary>
    public void Emptied()
    {
        if (Volatile.Read(ref producerWaiting) != 0)
        {
            space.Set();
        }
    }

    /// <summary>
    /// Writer, with a core to spare: spins up to <paramref name="spinTicks"/> for the next record before it would sleep,
    /// so it keeps up record by record instead of being woken for batches (and the outputs it holds meanwhile do not
    /// survive the garbage collections that come in between, to be copied). Returns true when a record came.
    /// </summary>
    public bool SpinForWork(long spinTicks)
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

    /// <summary>Writer: sleeps until woken (once records pile up, or the ring completes) or a poll interval passes, unless a record came meanwhile.</summary>
    public void Sleep()
    {
        wake.Reset();
        Volatile.Write(ref consumerSleeping.Value, 1);
        if (Volatile.Read(ref head.Value) == tail.Value && !completed)
        {
            statistics.Slept();
            wake.Wait(PollMilliseconds);
        }

        Volatile.Write(ref consumerSleeping.Value, 0);
    }

    /// <summary>Writer: done with the record at <see cref="Next"/>, which held on to <paramref name="bytes"/> of tensors; lets a waiting producer go once there is room.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Release(long bytes)
    {
        if (bytes > 0)
        {
            Volatile.Write(ref releasedBytes.Value, releasedBytes.Value + bytes);
        }

        Volatile.Write(ref tail.Value, tail.Value + 1);

        if (Volatile.Read(ref producerWaiting) is int waiting and not 0 && (waiting == WaitingForSlots ? SlotsRoom() : BytesRoom()))
        {
            space.Set();
        }
    }

    /// <summary>Writer: it failed and will write no more; a producer waiting for room need not.</summary>
    public void Failed() => space.Set();

    public void Dispose()
    {
        wake.Dispose();
        space.Dispose();
    }

    /// <summary>
    /// Producer: waits until <paramref name="ready"/>: the queue has drained to half its bound (in the resource the
    /// producer waits for), not merely to one free slot, so a producer that outruns the writer waits once for a batch
    /// of records instead of once per record (a wake-up each, which also slows the writer that has to send it).
    /// </summary>
    private void WaitFor(int reason, Func<bool> ready)
    {
        long t0 = Stopwatch.GetTimestamp();
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

        statistics.Waited(Stopwatch.GetTimestamp() - t0);
    }

    /// <summary>True once the queue holds at most half its records (the producer waits for that when the ring is full).</summary>
    private bool SlotsRoom() => Volatile.Read(ref head.Value) - Volatile.Read(ref tail.Value) <= Capacity / 2;

    /// <summary>True once the queue holds at most half its bound in bytes.</summary>
    private bool BytesRoom() => Volatile.Read(ref producedBytes.Value) - Volatile.Read(ref releasedBytes.Value) <= MaxQueuedBytes / 2;

    /// <summary>What a slot holds.</summary>
    internal enum SlotKind
    {
        Header,
        Op,
        Leaf,
        End,
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

        /// <summary>The module the op ran in; null for none.</summary>
        public OpModule? Module;
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
            Module = null;
            TensorCount = 0;
            InputCount = 0;
            Bytes = 0;
        }
    }

    /// <summary>The input ids a slot holds itself.</summary>
    [InlineArray(Slot.InlineInputs)]
    internal struct InlineIds
    {
        private long element;
    }

    /// <summary>A counter alone on its cache line (64 bytes either side).</summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit, Size = 136)]
    internal struct Padded
    {
        [System.Runtime.InteropServices.FieldOffset(64)]
        public long Value;
    }

    private sealed class HoldHandle(RecordRing ring) : IDisposable
    {
        private RecordRing? ring = ring;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref ring, null) is { } r)
            {
                Interlocked.Decrement(ref r.held);
                r.wake.Set();
            }
        }
    }
}
