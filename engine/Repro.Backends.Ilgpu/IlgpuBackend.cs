using ILGPU;
using ILGPU.Runtime;
using Repro.Engine;
using Repro.Engine.Backends;

namespace Repro.Backends.Ilgpu;

/// <summary>
/// A Repro backend on one ILGPU accelerator (the CPU accelerator, a CUDA device or an OpenCL device). Every primitive
/// runs as an ILGPU kernel in the canonical order of <see cref="Canonical"/>, with the scalar semantics of
/// <see cref="ScalarOps"/> and <see cref="Engine.Numerics.DetMath"/> compiled from the engine's own code, so results
/// are bit-identical to <see cref="ManagedBackend"/>. Calls are serialised: one op runs at a time on the accelerator.
/// </summary>
public sealed partial class IlgpuBackend : Backend, IDisposable
{
    private readonly object gate = new();
    private readonly Context? ownedContext;
    private readonly Dictionary<System.Reflection.MethodInfo, Delegate> kernels = [];
    private readonly string name;
    private readonly Dictionary<Type, IDisposable> sumScratch = [];

    internal IlgpuBackend(string name, Accelerator accelerator, Context? ownedContext)
    {
        this.name = name;
        Accelerator = accelerator;
        this.ownedContext = ownedContext;
        bool cpu = accelerator.AcceleratorType == AcceleratorType.CPU;

        // Work per item: large on the CPU accelerator (each item is a loop on one core), one element on GPUs.
        ElementsPerItem = cpu ? 4096 : 1;
        LanesPerItem = cpu ? Canonical.ReductionLanes * 8 : 1;
        ChunksPerItem = cpu ? 64 : 1;
        RowsPerItem = cpu ? 16 : 1;
        ColumnsPerItem = cpu ? 64 : 1;
        MatMulColumns = cpu ? int.MaxValue : 1;
        RowTreeByLevels = !cpu;
    }

    /// <inheritdoc/>
    public override string Name => name;

    /// <inheritdoc/>
    public override string DeviceName => $"ILGPU {Accelerator.AcceleratorType}: {Accelerator.Name}";

    /// <summary>The accelerator the kernels run on.</summary>
    public Accelerator Accelerator { get; }

    internal int ElementsPerItem { get; }

    internal int LanesPerItem { get; }

    internal int ChunksPerItem { get; }

    internal int RowsPerItem { get; }

    internal int ColumnsPerItem { get; }

    internal int MatMulColumns { get; }

    /// <summary>
    /// How the chunk partials of each row are combined: level by level across all threads (GPUs) or one row per
    /// thread (the CPU accelerator). Both are the same tree, so the same bits; tests set it to run both on the CPU.
    /// </summary>
    internal bool RowTreeByLevels { get; set; }

    /// <summary>The kernel instantiation for this accelerator's FMA: <see cref="PtxFma"/> on CUDA, <see cref="OpenClFma"/> on OpenCL, the engine's <see cref="Engine.Numerics.HostFma"/> on the CPU accelerator.</summary>
    internal T ByFma<T>(T ptx, T openCl, T host) => Accelerator.AcceleratorType switch
    {
        AcceleratorType.Cuda => ptx,
        AcceleratorType.OpenCL => openCl,
        _ => host,
    };

    /// <summary>Releases the accelerator (and its context when this backend created it).</summary>
    public void Dispose()
    {
        lock (gate)
        {
            foreach (var buffers in sumScratch.Values)
            {
                buffers.Dispose();
            }
        }

        Accelerator.Dispose();
        ownedContext?.Dispose();
    }

    /// <summary>The sum's scratch buffers for element type T (callers hold the gate).</summary>
    internal SumBuffers<T> SumScratch<T>()
        where T : unmanaged
    {
        if (!sumScratch.TryGetValue(typeof(T), out var buffers))
        {
            buffers = new SumBuffers<T>();
            sumScratch[typeof(T)] = buffers;
        }

        return (SumBuffers<T>)buffers;
    }

    /// <summary>Number of work items for <paramref name="count"/> units at <paramref name="per"/> units per item.</summary>
    internal static int Items(int count, int per) => (int)(((long)count + per - 1) / per);

    /// <summary>Loads (once) and returns the kernel for a method; <paramref name="load"/> compiles it for this accelerator.</summary>
    internal TDelegate Kernel<TDelegate>(TDelegate method, Func<Accelerator, TDelegate, TDelegate> load)
        where TDelegate : Delegate
    {
        if (!kernels.TryGetValue(method.Method, out var loaded))
        {
            try
            {
                loaded = load(Accelerator, method);
            }
            catch (Exception e) when (e is not (OutOfMemoryException or InvalidProgramException))
            {
                throw new NotSupportedException(
                    $"backend '{name}' could not build kernel {method.Method.Name} for {DeviceName} ({e.GetType().Name}: {e.Message}). Use 'ilgpu-cpu', 'ilgpu-cuda' or 'managed' instead.", e);
            }

            kernels[method.Method] = loaded;
        }

        return (TDelegate)loaded;
    }

    /// <inheritdoc/>
    protected override Storage AllocateCore(DType dtype, int length)
    {
        lock (gate)
        {
            var s = NewStorage(dtype, length);
            ZeroBuffer(s);
            Accelerator.Synchronize();
            return s;
        }
    }

    /// <inheritdoc/>
    protected override Storage FromHostCore(Array data, DType dtype)
    {
        lock (gate)
        {
            var s = NewStorage(dtype, data.Length);
            if (data.Length > 0)
            {
                switch (data)
                {
                    case float[] f:
                        s.F32.SubView(0, f.Length).CopyFromCPU(f);
                        break;
                    case double[] d:
                        s.F64.SubView(0, d.Length).CopyFromCPU(d);
                        break;
                    case int[] i:
                        s.I32.SubView(0, i.Length).CopyFromCPU(i);
                        break;
                    default:
                        var u = (ushort[])data;
                        s.U16.SubView(0, u.Length).CopyFromCPU(u);
                        break;
                }
            }

            Accelerator.Synchronize();
            return s;
        }
    }

    /// <inheritdoc/>
    protected override Array ToHostCore(Storage storage)
    {
        lock (gate)
        {
            var s = (IlgpuStorage)storage;
            Accelerator.Synchronize();
            switch (s.DType)
            {
                case DType.Float32:
                    var f = new float[s.Length];
                    s.F32.SubView(0, s.Length).CopyToCPU(f);
                    return f;
                case DType.Float64:
                    var d = new double[s.Length];
                    s.F64.SubView(0, s.Length).CopyToCPU(d);
                    return d;
                case DType.Int32:
                    var i = new int[s.Length];
                    s.I32.SubView(0, s.Length).CopyToCPU(i);
                    return i;
                default:
                    var u = new ushort[s.Length];
                    s.U16.SubView(0, s.Length).CopyToCPU(u);
                    return u;
            }
        }
    }

    /// <inheritdoc/>
    protected override int[] ReadIndices(Storage index) => (int[])ToHostCore(index);

    private static void ZeroBuffer(IlgpuStorage s)
    {
        switch (s.DType)
        {
            case DType.Float32:
                s.F32.MemSetToZero();
                break;
            case DType.Float64:
                s.F64.MemSetToZero();
                break;
            case DType.Int32:
                s.I32.MemSetToZero();
                break;
            default:
                s.U16.MemSetToZero();
                break;
        }
    }

    private IlgpuStorage NewStorage(DType dtype, int length)
    {
        int alloc = Math.Max(length, 1);
        MemoryBuffer buffer = dtype switch
        {
            DType.Float32 => Accelerator.Allocate1D<float>(alloc),
            DType.Float64 => Accelerator.Allocate1D<double>(alloc),
            DType.Int32 => Accelerator.Allocate1D<int>(alloc),
            DType.Float16 or DType.BFloat16 => Accelerator.Allocate1D<ushort>(alloc),
            _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
        };
        return new IlgpuStorage(this, dtype, length, buffer);
    }

    /// <summary>
    /// The layout block for strided kernels: [rank, shape..., then per view: offset, strides...], with size-1 axes
    /// dropped and adjacent axes merged where every view allows it (so a contiguous tensor is one row).
    /// </summary>
    internal static int[] Layout(int[] shape, params View[] views)
    {
        var dims = new List<int>();
        var strides = new List<int[]>();
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1)
            {
                continue;
            }

            int[] s = new int[views.Length];
            for (int v = 0; v < views.Length; v++)
            {
                s[v] = views[v].Strides[d];
            }

            int last = dims.Count - 1;
            if (last >= 0 && Mergeable(strides[last], s, shape[d]))
            {
                dims[last] *= shape[d];
                strides[last] = s;
                continue;
            }

            dims.Add(shape[d]);
            strides.Add(s);
        }

        if (dims.Count == 0)
        {
            dims.Add(1);
            strides.Add(new int[views.Length]);
        }

        int rank = dims.Count;
        var meta = new int[1 + rank + (views.Length * (rank + 1))];
        meta[0] = rank;
        for (int d = 0; d < rank; d++)
        {
            meta[1 + d] = dims[d];
        }

        for (int v = 0; v < views.Length; v++)
        {
            int b = 1 + rank + (v * (rank + 1));
            meta[b] = views[v].Offset;
            for (int d = 0; d < rank; d++)
            {
                meta[b + 1 + d] = strides[d][v];
            }
        }

        return meta;
    }

    private static bool Mergeable(int[] outer, int[] inner, int innerExtent)
    {
        for (int v = 0; v < outer.Length; v++)
        {
            if (outer[v] != inner[v] * innerExtent)
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>
/// Device scratch for a sum's lane and chunk partials, kept between calls: allocating device memory on every sum cost
/// more than the sum itself on a GPU.
/// </summary>
internal sealed class SumBuffers<T> : IDisposable
    where T : unmanaged
{
#pragma warning disable SA1401, RCS1158 // Passed by ref to the allocator that grows them.
    public MemoryBuffer1D<T, Stride1D.Dense>? Lanes;
    public MemoryBuffer1D<T, Stride1D.Dense>? Partials;
    public MemoryBuffer1D<T, Stride1D.Dense>? Spare;
#pragma warning restore SA1401, RCS1158

    public void Dispose()
    {
        Lanes?.Dispose();
        Partials?.Dispose();
        Spare?.Dispose();
    }
}
