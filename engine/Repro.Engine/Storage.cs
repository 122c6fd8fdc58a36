using Repro.Engine.Backends;

namespace Repro.Engine;

/// <summary>A flat buffer of elements owned by one backend.</summary>
public abstract class Storage
{
    /// <summary>Creates a storage description.</summary>
    protected Storage(Backend backend, DType dtype, int length)
    {
        Backend = backend;
        DType = dtype;
        Length = length;
    }

    /// <summary>The backend whose kernels read and write this buffer.</summary>
    public Backend Backend { get; }

    /// <summary>Element type.</summary>
    public DType DType { get; }

    /// <summary>Number of elements.</summary>
    public int Length { get; }
}

/// <summary>Storage in managed memory: float[], double[], int[], or ushort[] holding float16/bfloat16 bits.</summary>
public sealed class HostStorage : Storage
{
    private readonly Array data;

    // Set when the array came from the buffer cache: once this storage is unreachable the lease gives the array back.
    private readonly BufferLease? lease;

    internal HostStorage(Backend backend, DType dtype, Array data)
        : base(backend, dtype, data.Length)
    {
        this.data = data;
    }

    internal HostStorage(Backend backend, DType dtype, BufferLease lease)
        : base(backend, dtype, lease.Array.Length)
    {
        data = lease.Array;
        this.lease = lease;
    }

    /// <summary>
    /// The managed array. It stays the caller's to read for as long as it holds it: an array read through this
    /// property is never handed to another tensor, even after this storage is collected (engine kernels and the
    /// recorder read through accessors that do not take the array, so that the arrays of collected outputs can serve
    /// later ones; see <see cref="Bytes"/>).
    /// </summary>
    public Array Data
    {
        get
        {
            lease?.Expose();
            return data;
        }
    }

    /// <summary>
    /// The elements' bytes (storage layout, little-endian), read without taking the array: valid only while this storage
    /// stays reachable, so hold the storage (or a tensor on it) until done with the span, with <see cref="GC.KeepAlive"/>
    /// where nothing uses it afterwards. Once a storage is collected its array may hold another output; to keep the
    /// elements, read <see cref="Data"/> or copy them.
    /// </summary>
    public ReadOnlySpan<byte> Bytes =>
        System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(data), checked(data.Length * DType.SizeOf()));

    /// <summary>
    /// The array, for engine kernels, without giving it away: the caller keeps this storage reachable while it uses
    /// the array (the backend's public methods do, with <see cref="GC.KeepAlive"/>), since an unreachable storage's
    /// array may be handed to the next output of its size.
    /// </summary>
    internal Array Raw => data;

    /// <summary>Whether the array came from, and will go back to, the buffer cache.</summary>
    internal bool Cached => lease is not null;

    internal float[] F32 => (float[])data;

    internal double[] F64 => (double[])data;

    internal int[] I32 => (int[])data;

    internal ushort[] U16 => (ushort[])data;

    /// <summary>
    /// Whether uninitialized buffers are filled with all-ones bits (NaN for every float dtype, -1 for int32): set by
    /// <c>REPRO_POISON_UNINITIALIZED=1</c> or by a test, so that a kernel leaving any element of its output unwritten
    /// shows up as a changed result.
    /// </summary>
    internal static bool PoisonUninitialized { get; set; } = Environment.GetEnvironmentVariable("REPRO_POISON_UNINITIALIZED") == "1";

    internal static Array NewArray(DType dtype, int length) => dtype switch
    {
        DType.Float32 => new float[length],
        DType.Float64 => new double[length],
        DType.Int32 => new int[length],
        DType.Float16 or DType.BFloat16 => new ushort[length],
        _ => throw Throw.UnknownDType(dtype),
    };

    /// <summary>An array whose contents are whatever the allocator left there (or poison bits, see <see cref="PoisonUninitialized"/>).</summary>
    internal static Array NewUninitializedArray(DType dtype, int length)
    {
        Array a = dtype switch
        {
            DType.Float32 => GC.AllocateUninitializedArray<float>(length),
            DType.Float64 => GC.AllocateUninitializedArray<double>(length),
            DType.Int32 => GC.AllocateUninitializedArray<int>(length),
            DType.Float16 or DType.BFloat16 => GC.AllocateUninitializedArray<ushort>(length),
            _ => throw Throw.UnknownDType(dtype),
        };
        PoisonIfAsked(a, dtype);
        return a;
    }

    /// <summary>Fills an output array with all-ones bits when <see cref="PoisonUninitialized"/> is set.</summary>
    internal static void PoisonIfAsked(Array a, DType dtype)
    {
        if (PoisonUninitialized)
        {
            System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(a), checked(a.Length * dtype.SizeOf())).Fill(0xFF);
        }
    }
}
