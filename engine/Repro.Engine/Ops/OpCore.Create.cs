using Repro.Engine.Backends;
using Repro.Engine.Numerics;

namespace Repro.Engine;

internal static partial class OpCore
{
    public static Tensor FromHost(Array data, DType dtype, int[] shape, Backend backend)
    {
        int n = ShapeUtil.Numel(shape);
        if (data.Length != n)
        {
            throw Throw.Shape("from_array", $"{n} elements for shape {Throw.Fmt(shape)}", $"{data.Length}");
        }

        var t = new Tensor(backend.FromHost(data, dtype), (int[])shape.Clone());
        return Emit1(OpTable.FromHost, OpAttributes.Of(("shape", shape), ("dtype", dtype)), [], t);
    }

    /// <summary>Builds a tensor of any dtype from float values (rounded once to 16-bit types, truncated to int32).</summary>
    public static Tensor FromFloats(float[] data, DType dtype, int[] shape, Backend backend)
    {
        Array host = dtype switch
        {
            DType.Float32 => data,
            DType.Float64 => data.Select(v => (double)v).ToArray(),
            DType.Int32 => data.Select(v => ScalarOps.ToInt(v)).ToArray(),
            DType.Float16 or DType.BFloat16 => data.Select(v => Tensor.ToBits16(v, dtype)).ToArray(),
            _ => throw Throw.UnknownDType(dtype),
        };
        return FromHost(host, dtype, shape, backend);
    }

    public static Tensor Full(int[] shape, double value, DType dtype, Backend backend)
    {
        dtype = Autocast.Creation(OpTable.Full, dtype);
        var t = Alloc(backend, dtype, (int[])shape.Clone());
        if (value != 0.0 || double.IsNegative(value))
        {
            backend.Fill(t.Storage, value);
        }

        return Emit1(OpTable.Full, OpAttributes.Of(("shape", shape), ("value", value), ("dtype", dtype)), [], t);
    }

    public static Tensor Arange(int n, DType dtype, Backend backend)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        dtype = Autocast.Creation(OpTable.Arange, dtype);
        var values = new double[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = i;
        }

        var wide = backend.FromHost(values, DType.Float64);
        var t = Alloc(backend, dtype, [n]);
        backend.Cast(wide, t.Storage);
        return Emit1(OpTable.Arange, OpAttributes.Of(("n", n), ("dtype", dtype)), [], t);
    }

    public static Tensor Random(RandomKind kind, int[] shape, DType dtype, ulong seed, ulong stream, Backend backend)
    {
        var row = OpTable.Of(kind);
        dtype = Autocast.Creation(row, dtype);
        if (!row.Produces.Contains(dtype))
        {
            throw Throw.DType(row.Name, "a float dtype", dtype);
        }

        var compute = dtype == DType.Float64 ? DType.Float64 : DType.Float32;
        var s = backend.AllocateOutput(compute, ShapeUtil.Numel(shape));
        backend.Random(kind, s, seed, stream);
        var t = Finish(backend, s, dtype, (int[])shape.Clone());
        return Emit1(row, OpAttributes.Of(("shape", shape), ("dtype", dtype), ("seed", seed), ("stream", stream)), [], t);
    }

    /// <summary>A permutation of 0..n-1: element i gets the Philox word (seed, stream, i); indices are sorted by (word, i).</summary>
    public static Tensor Permutation(int n, ulong seed, ulong stream, Backend backend)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var keys = new ulong[n];
        for (int i = 0; i < n; i++)
        {
            keys[i] = ((ulong)Philox.UInt32(seed, stream, i) << 32) | (uint)i;
        }

        Array.Sort(keys);
        var perm = keys.Select(k => (int)(uint)k).ToArray();
        var t = new Tensor(backend.FromHost(perm, DType.Int32), [n]);
        return Emit1(OpTable.Randperm, OpAttributes.Of(("n", n), ("seed", seed), ("stream", stream)), [], t);
    }
}
