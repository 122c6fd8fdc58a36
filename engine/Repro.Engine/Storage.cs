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

    internal static Array NewArray(DType dtype, int length) => dtype switch
    {
        DType.Float32 => new float[length],
        DType.Float64 => new double[length],
        DType.Int32 => new int[length],
        DType.Float16 or DType.BFloat16 => new ushort[length],
        _ => throw Throw.UnknownDType(dtype),
    };
}
