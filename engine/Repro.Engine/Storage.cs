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
    internal HostStorage(Backend backend, DType dtype, Array data)
        : base(backend, dtype, data.Length)
    {
        Data = data;
    }

    /// <summary>The managed array.</summary>
    public Array Data { get; }

    internal float[] F32 => (float[])Data;

    internal double[] F64 => (double[])Data;

    internal int[] I32 => (int[])Data;

    internal ushort[] U16 => (ushort[])Data;

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
        if (PoisonUninitialized)
        {
            System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(a), checked(length * dtype.SizeOf())).Fill(0xFF);
        }

        return a;
    }
}
