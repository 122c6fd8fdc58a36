using System.Buffers;
using System.Runtime.CompilerServices;
using Repro.Engine;

namespace Repro.Recorder;

/// <summary>
/// One tensor of a queued record. Outputs are not copied when they are queued: the writer reads them from their
/// storage when it gets to them. That is safe because the engine never writes into existing storage except through an
/// in-place op (<c>assign</c>), and the dispatcher calls <see cref="LogWriter.BeforeWrite"/> before that write: every
/// queued tensor on that storage that the writer has not read yet is copied then (copy on write), and one the writer
/// is reading is waited for. Tensors on a device (not host storage) are copied to the host when queued.
/// </summary>
/// <remarks>
/// The entry's <see cref="State"/> changes only by compare-and-swap: <see cref="Live"/> (queued, not copied) →
/// <see cref="Reading"/> (the writer claimed it) → <see cref="Done"/>; or Live → <see cref="Copying"/> (the issuing
/// thread claimed it) → <see cref="Copied"/> → Done. An entry the issuing thread digested when it was queued is
/// <see cref="Digested"/> from the start: it holds the hash and summary, not the tensor.
/// </remarks>
internal struct TensorEntry
{
    public const int Live = 0;
    public const int Reading = 1;
    public const int Done = 2;
    public const int Copying = 3;
    public const int Copied = 4;
    public const int Digested = 5;

    // Changed with Interlocked once queued.
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

    /// <summary>
    /// Issuing thread, before an op writes into the entry's storage: copies the tensor out if the writer has not
    /// claimed it yet, or waits while the writer reads it.
    /// </summary>
    public void BeforeWrite()
    {
        int state = Interlocked.CompareExchange(ref State, Copying, Live);
        if (state == Live)
        {
            var copy = ArrayPool<byte>.Shared.Rent(Math.Max(Length, 1));
            CopyOut(Tensor!, copy.AsSpan(0, Length));
            Copy = copy;
            Volatile.Write(ref State, Copied);
        }
        else if (state == Reading)
        {
            var spin = default(SpinWait);
            while (Volatile.Read(ref State) == Reading)
            {
                spin.SpinOnce();
            }
        }
    }

    /// <summary>
    /// Writer thread: the tensor's bytes, from its live storage (claimed, so no copy on write races the read; a strided
    /// tensor is gathered into <paramref name="gather"/>) or from the copy made of it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ReadOnlySpan<byte> Claim(ref byte[] gather)
    {
        int state = Interlocked.CompareExchange(ref State, Reading, Live);
        if (state == Live)
        {
            return LiveBytes(Tensor!, Length, ref gather);
        }

        var spin = default(SpinWait);
        while (Volatile.Read(ref State) == Copying)
        {
            spin.SpinOnce();
        }

        return Copy is { } c ? c.AsSpan(0, Length) : TensorBytes.AsBytes(HostCopy!);
    }

    /// <summary>Writer thread: done with the entry; lets go of the tensor and returns its copy.</summary>
    public void Release()
    {
        Volatile.Write(ref State, Done);
        if (Copy is { } c)
        {
            ArrayPool<byte>.Shared.Return(c);
        }

        Copy = null;
        HostCopy = null;
        Tensor = null;
        Shape = null;
    }

    /// <summary>Writer thread, after a failure: releases the entry unread (waiting for a copy under way to finish).</summary>
    public void Abandon()
    {
        if (Tensor is null)
        {
            return;
        }

        Interlocked.CompareExchange(ref State, Reading, Live);
        var spin = default(SpinWait);
        while (Volatile.Read(ref State) == Copying)
        {
            spin.SpinOnce();
        }

        Release();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ReadOnlySpan<byte> LiveBytes(Tensor t, int length, ref byte[] gather)
    {
        // The entry holds t until Release, which keeps its storage (and so these bytes) alive while they are read.
        var all = ((HostStorage)t.Storage).Bytes;
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
        var all = ((HostStorage)t.Storage).Bytes;
        int size = t.DType.SizeOf();
        if (t.IsContiguous)
        {
            all.Slice(t.Offset * size, dst.Length).CopyTo(dst);
        }
        else
        {
            TensorBytes.Gather(all, size, t.Offset, t.Shape, t.Strides, dst);
        }

        GC.KeepAlive(t);
    }

    /// <summary>A canonical hash held in the entry itself.</summary>
    [InlineArray(16)]
    internal struct HashBytes
    {
        private byte element;
    }
}
