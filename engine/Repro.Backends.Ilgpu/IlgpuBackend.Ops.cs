using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using Repro.Engine;
using Repro.Engine.Backends;
using Repro.Engine.Numerics;

namespace Repro.Backends.Ilgpu;

/// <summary>
/// The primitive ops: host-side dispatch to the kernels of <see cref="Kernels"/>. Each op picks the kernel's element
/// type and operator structs once (<see cref="ComputeTypes"/>, <see cref="ElementTypes"/>, with this accelerator's
/// FMA), then launches the one generic kernel for it.
/// </summary>
public sealed partial class IlgpuBackend
{
    /// <inheritdoc/>
    protected override void CopyCore(in View src, in View dst)
    {
        int n = ShapeUtil.Numel(dst.Shape);
        if (n > 0)
        {
            var launch = new CopyLaunch(this, (IlgpuStorage)src.Storage, (IlgpuStorage)dst.Storage, Layout(dst.Shape, src, dst), n);
            var dtype = src.Storage.DType;
            Launch(() => ElementTypes.Run(dtype, launch));
        }
    }

    /// <inheritdoc/>
    protected override void CastCore(Storage src, Storage dst)
    {
        if (src.Length > 0)
        {
            Launch(() => ElementTypes.Run(src.DType, new CastFromLaunch(this, (IlgpuStorage)src, (IlgpuStorage)dst)));
        }
    }

    /// <inheritdoc/>
    protected override void FillCore(Storage dst, double value)
    {
        if (dst.Length > 0)
        {
            Launch(() => ElementTypes.Run(dst.DType, new FillLaunch(this, (IlgpuStorage)dst, value)));
        }
    }

    /// <inheritdoc/>
    protected override void UnaryCore(UnaryOp op, Storage x, Storage y)
    {
        if (x.Length > 0)
        {
            Launch(() => RunCompute(x.DType, new UnaryLaunch(this, op, (IlgpuStorage)x, (IlgpuStorage)y)));
        }
    }

    /// <inheritdoc/>
    protected override void BinaryCore(BinaryOp op, in View a, in View b, Storage y, int[] shape)
    {
        if (y.Length > 0)
        {
            var launch = new BinaryLaunch(this, op, (IlgpuStorage)a.Storage, (IlgpuStorage)b.Storage, (IlgpuStorage)y, Layout(shape, a, b));
            Launch(() => RunCompute(y.DType, launch));
        }
    }

    /// <inheritdoc/>
    protected override void WhereCore(in View cond, in View a, in View b, Storage y, int[] shape)
    {
        if (y.Length > 0)
        {
            var launch = new WhereLaunch(this, (IlgpuStorage)cond.Storage, (IlgpuStorage)a.Storage, (IlgpuStorage)b.Storage, (IlgpuStorage)y, Layout(shape, cond, a, b));
            var dtype = cond.Storage.DType;
            Launch(() => ElementTypes.Run(dtype, launch));
        }
    }

    /// <inheritdoc/>
    protected override void ReduceCore(ReduceOp op, Storage x, int rows, int n, Storage y)
    {
        if (rows == 0)
        {
            return;
        }

        if (n == 0)
        {
            FillCore(y, 0.0);
            return;
        }

        Launch(() => RunCompute(x.DType, new ReduceLaunch(this, op, (IlgpuStorage)x, rows, n, (IlgpuStorage)y)));
    }

    /// <inheritdoc/>
    protected override void MatMulCore(Storage a, Storage b, Storage y, int batch, int m, int k, int n)
    {
        if (y.Length > 0)
        {
            Launch(() => RunCompute(y.DType, new MatMulLaunch(this, (IlgpuStorage)a, (IlgpuStorage)b, (IlgpuStorage)y, batch, m, k, n)));
        }
    }

    /// <inheritdoc/>
    protected override void GatherCore(Storage x, int outer, int axisLen, int inner, Storage index, Storage y)
    {
        if (y.Length > 0)
        {
            Launch(() => ElementTypes.Run(x.DType, new GatherLaunch(this, (IlgpuStorage)x, (IlgpuStorage)index, (IlgpuStorage)y, axisLen, inner)));
        }
    }

    /// <inheritdoc/>
    protected override void IndexAddCore(Storage y, int outer, int axisLen, int inner, Storage index, Storage src)
    {
        if (outer * inner > 0 && index.Length > 0)
        {
            Launch(() => RunCompute(y.DType, new AccumulateLaunch(this, (IlgpuStorage)y, (IlgpuStorage)index, (IlgpuStorage)src, outer * inner, axisLen, inner, index.Length, false)));
        }
    }

    /// <inheritdoc/>
    protected override void ScatterAddCore(Storage y, int outer, int axisLen, int inner, Storage index, Storage src, int len)
    {
        if (outer * inner > 0 && len > 0)
        {
            Launch(() => RunCompute(y.DType, new AccumulateLaunch(this, (IlgpuStorage)y, (IlgpuStorage)index, (IlgpuStorage)src, outer * inner, axisLen, inner, len, true)));
        }
    }

    /// <inheritdoc/>
    protected override void RandomCore(RandomKind kind, Storage y, ulong seed, ulong stream)
    {
        var ys = (IlgpuStorage)y;
        int normal = kind == RandomKind.Normal ? 1 : 0;
        if (y.Length == 0)
        {
            return;
        }

        Launch(() =>
        {
            switch (y.DType)
            {
                case DType.Int32:
                    Random<int>(Kernels.Random<int, Int32Draw>, ys, seed, stream, normal);
                    break;
                case DType.Float32:
                    Random<float>(ByFma(Kernels.Random<float, Float32Draw<PtxFma>>, Kernels.Random<float, Float32Draw<OpenClFma>>, Kernels.Random<float, Float32Draw<HostFma>>), ys, seed, stream, normal);
                    break;
                default:
                    Random<double>(ByFma(Kernels.Random<double, Float64Draw<PtxFma>>, Kernels.Random<double, Float64Draw<OpenClFma>>, Kernels.Random<double, Float64Draw<HostFma>>), ys, seed, stream, normal);
                    break;
            }
        });
    }

    // Scratch for the sum's lane and chunk partials, kept between calls (callers hold the gate): allocating device
    // memory on every sum cost more than the sum itself on a GPU.
    private static ArrayView<T> Scratch<T>(Accelerator accelerator, ref MemoryBuffer1D<T, Stride1D.Dense>? buffer, int length)
        where T : unmanaged
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer?.Dispose();
            buffer = accelerator.Allocate1D<T>(Math.Max(length, 1));
        }

        return buffer.View.SubView(0, length).AsContiguous();
    }

    // Runs the row tree level by level, ping-ponging between partials and spare; the last level writes the row sums to y.
    private static void TreeLevels<T>(ArrayView<T> partials, ArrayView<T> spare, ArrayView<T> y, int chunks, int rows, Action<ArrayView<T>, ArrayView<T>, int, int, int, int> level)
        where T : unmanaged
    {
        var src = partials;
        int m = chunks;
        bool intoSpare = true;
        while (true)
        {
            int outCount = (m + 1) / 2;
            var dst = outCount == 1 ? y : (intoSpare ? spare : partials);
            level(src, dst, m, m, outCount, checked(rows * outCount));
            if (outCount == 1)
            {
                return;
            }

            src = dst;
            m = outCount;
            intoSpare = !intoSpare;
        }
    }

    // Runs one op's launches under the gate, then waits for the accelerator.
    private void Launch(Action launches)
    {
        lock (gate)
        {
            launches();
            Accelerator.Synchronize();
        }
    }

    // The compute kernel for this accelerator's FMA: PTX fma.rn on CUDA, OpenCL C's fma on OpenCL, the host's on the CPU.
    private void RunCompute<TKernel>(DType dtype, TKernel kernel)
        where TKernel : struct, IComputeKernel
    {
        switch (Accelerator.AcceleratorType)
        {
            case AcceleratorType.Cuda:
                ComputeTypes.Run<TKernel, PtxFma>(dtype, kernel);
                break;
            case AcceleratorType.OpenCL:
                ComputeTypes.Run<TKernel, OpenClFma>(dtype, kernel);
                break;
            default:
                ComputeTypes.Run<TKernel, HostFma>(dtype, kernel);
                break;
        }
    }

    private void Random<T>(Action<Index1D, ArrayView<T>, ulong, ulong, int, int, int> kernel, IlgpuStorage y, ulong seed, ulong stream, int normal)
        where T : unmanaged =>
        Kernel(kernel, (a, k) => a.LoadAutoGroupedStreamKernel(k))(ElementItems(y.Length), y.View<T>(), seed, stream, normal, y.Length, ElementsPerItem);

    // Work items for n elements at ElementsPerItem each.
    private int ElementItems(int n) => Items(n, ElementsPerItem);

    // The canonical sum of each row: lane sums, lane trees, then the row tree (by levels on GPUs).
    private void SumRows<T>(IlgpuStorage xs, IlgpuStorage ys, int rows, int n)
        where T : unmanaged, INumber<T>
    {
        int chunks = Canonical.ChunkCount(n);
        int globalChunks = checked(rows * chunks);
        int laneCount = checked(globalChunks * Canonical.ReductionLanes);
        var scratch = SumScratch<T>();
        var lanes = Scratch(Accelerator, ref scratch.Lanes, laneCount);
        var partials = Scratch(Accelerator, ref scratch.Partials, globalChunks);
        Kernel<Action<Index1D, ArrayView<T>, ArrayView<T>, int, int, int, int>>(Kernels.SumLanes, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
            Items(laneCount, LanesPerItem), xs.View<T>(), lanes, n, chunks, laneCount, LanesPerItem);
        Kernel<Action<Index1D, ArrayView<T>, ArrayView<T>, int, int>>(Kernels.LaneTree, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
            Items(globalChunks, ChunksPerItem), lanes, partials, globalChunks, ChunksPerItem);
        if (RowTreeByLevels)
        {
            var spare = Scratch(Accelerator, ref scratch.Spare, checked(rows * ((chunks + 1) / 2)));
            var level = Kernel<Action<Index1D, ArrayView<T>, ArrayView<T>, int, int, int, int, int>>(Kernels.TreeLevel, (a, k) => a.LoadAutoGroupedStreamKernel(k));
            TreeLevels(partials, spare, ys.View<T>(), chunks, rows, (src, dst, m, srcStride, dstStride, count) =>
                level(Items(count, ElementsPerItem), src, dst, m, srcStride, dstStride, count, ElementsPerItem));
        }
        else
        {
            Kernel<Action<Index1D, ArrayView<T>, ArrayView<T>, int, int, int>>(Kernels.RowTree, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                Items(rows, RowsPerItem), partials, ys.View<T>(), chunks, rows, RowsPerItem);
        }
    }

    private readonly struct UnaryLaunch(IlgpuBackend backend, UnaryOp op, IlgpuStorage x, IlgpuStorage y) : IComputeKernel
    {
        public void Run<T, TOps>()
            where T : unmanaged, INumber<T>
            where TOps : struct, INumberOps<T> =>
            backend.Kernel<Action<Index1D, ArrayView<T>, ArrayView<T>, int, int, int>>(Kernels.Unary<T, TOps>, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                backend.ElementItems(x.Length), x.View<T>(), y.View<T>(), (int)op, x.Length, backend.ElementsPerItem);
    }

    private readonly struct BinaryLaunch(IlgpuBackend backend, BinaryOp op, IlgpuStorage a, IlgpuStorage b, IlgpuStorage y, int[] layout) : IComputeKernel
    {
        public void Run<T, TOps>()
            where T : unmanaged, INumber<T>
            where TOps : struct, INumberOps<T>
        {
            int n = y.Length;
            int per = backend.ElementsPerItem;
            using var meta = backend.Accelerator.Allocate1D(layout);
            backend.Kernel<Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<int>, int, int, int>>(Kernels.Binary<T, TOps>, (acc, k) => acc.LoadAutoGroupedStreamKernel(k))(
                Items(n, per), a.View<T>(), b.View<T>(), y.View<T>(), meta.View, (int)op, n, per);
            backend.Accelerator.Synchronize();
        }
    }

    private readonly struct ReduceLaunch(IlgpuBackend backend, ReduceOp op, IlgpuStorage x, int rows, int n, IlgpuStorage y) : IComputeKernel
    {
        public void Run<T, TOps>()
            where T : unmanaged, INumber<T>
            where TOps : struct, INumberOps<T>
        {
            int per = backend.RowsPerItem;
            if (op == ReduceOp.Sum)
            {
                backend.SumRows<T>(x, y, rows, n);
            }
            else if (op is ReduceOp.Max or ReduceOp.Min)
            {
                backend.Kernel<Action<Index1D, ArrayView<T>, ArrayView<T>, int, int, int, int>>(Kernels.MaxMin<T, TOps>, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                    Items(rows, per), x.View<T>(), y.View<T>(), op == ReduceOp.Max ? 1 : 0, n, rows, per);
            }
            else
            {
                backend.Kernel<Action<Index1D, ArrayView<T>, ArrayView<int>, int, int, int, int>>(Kernels.Arg, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                    Items(rows, per), x.View<T>(), y.I32, op == ReduceOp.ArgMax ? 1 : 0, n, rows, per);
            }
        }
    }

    private readonly struct MatMulLaunch(IlgpuBackend backend, IlgpuStorage a, IlgpuStorage b, IlgpuStorage y, int batch, int m, int k, int n) : IComputeKernel
    {
        public void Run<T, TOps>()
            where T : unmanaged, INumber<T>
            where TOps : struct, INumberOps<T>
        {
            int cols = Math.Min(backend.MatMulColumns, n);
            backend.Kernel<Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, int, int, int>>(Kernels.MatMul<T, TOps>, (acc, kk) => acc.LoadAutoGroupedStreamKernel(kk))(
                checked(batch * m * Items(n, cols)), a.View<T>(), b.View<T>(), y.View<T>(), m, k, n, cols);
        }
    }

    /// <summary>index_add (<paramref name="scatter"/> false; steps = index length) or scatter_add (steps = len).</summary>
    private readonly struct AccumulateLaunch(IlgpuBackend backend, IlgpuStorage y, IlgpuStorage index, IlgpuStorage src, int columns, int axisLen, int inner, int steps, bool scatter) : IComputeKernel
    {
        public void Run<T, TOps>()
            where T : unmanaged, INumber<T>
            where TOps : struct, INumberOps<T>
        {
            int per = backend.ColumnsPerItem;
            backend.Kernel<Action<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<T>, int, int, int, int, int, int>>(Kernels.Accumulate, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                Items(columns, per), y.View<T>(), index.I32, src.View<T>(), axisLen, inner, steps, scatter ? 1 : 0, columns, per);
        }
    }

    private readonly struct CopyLaunch(IlgpuBackend backend, IlgpuStorage src, IlgpuStorage dst, int[] layout, int n) : IElementKernel
    {
        public void Run<T, TElement>()
            where T : unmanaged
            where TElement : struct, IElement<T>
        {
            int per = backend.ElementsPerItem;
            using var meta = backend.Accelerator.Allocate1D(layout);
            backend.Kernel<Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<int>, int, int>>(Kernels.Copy, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                Items(n, per), src.View<T>(), dst.View<T>(), meta.View, n, per);
            backend.Accelerator.Synchronize();
        }
    }

    private readonly struct CastFromLaunch(IlgpuBackend backend, IlgpuStorage src, IlgpuStorage dst) : IElementKernel
    {
        public void Run<TS, ES>()
            where TS : unmanaged
            where ES : struct, IElement<TS> => ElementTypes.Run(dst.DType, new CastLaunch<TS, ES>(backend, src, dst));
    }

    private readonly struct CastLaunch<TS, ES>(IlgpuBackend backend, IlgpuStorage src, IlgpuStorage dst) : IElementKernel
        where TS : unmanaged
        where ES : struct, IElement<TS>
    {
        public void Run<TD, ED>()
            where TD : unmanaged
            where ED : struct, IElement<TD> =>
            backend.Kernel<Action<Index1D, ArrayView<TS>, ArrayView<TD>, int, int>>(Kernels.Cast<TS, ES, TD, ED>, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                backend.ElementItems(dst.Length), src.View<TS>(), dst.View<TD>(), dst.Length, backend.ElementsPerItem);
    }

    private readonly struct FillLaunch(IlgpuBackend backend, IlgpuStorage dst, double value) : IElementKernel
    {
        public void Run<T, TElement>()
            where T : unmanaged
            where TElement : struct, IElement<T> =>
            backend.Kernel<Action<Index1D, ArrayView<T>, double, int, int>>(Kernels.Fill<T, TElement>, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                backend.ElementItems(dst.Length), dst.View<T>(), value, dst.Length, backend.ElementsPerItem);
    }

    /// <summary>Reads the condition through its element type, then selects per value dtype.</summary>
    private readonly struct WhereLaunch(IlgpuBackend backend, IlgpuStorage cond, IlgpuStorage a, IlgpuStorage b, IlgpuStorage y, int[] layout) : IElementKernel
    {
        public void Run<TC, EC>()
            where TC : unmanaged
            where EC : struct, IElement<TC> => ElementTypes.Run(y.DType, new SelectLaunch<TC, EC>(backend, cond, a, b, y, layout));
    }

    private readonly struct SelectLaunch<TC, EC>(IlgpuBackend backend, IlgpuStorage cond, IlgpuStorage a, IlgpuStorage b, IlgpuStorage y, int[] layout) : IElementKernel
        where TC : unmanaged
        where EC : struct, IElement<TC>
    {
        public void Run<T, TElement>()
            where T : unmanaged
            where TElement : struct, IElement<T>
        {
            int n = y.Length;
            int per = backend.ElementsPerItem;
            using var meta = backend.Accelerator.Allocate1D(layout);
            backend.Kernel<Action<Index1D, ArrayView<TC>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<int>, int, int>>(Kernels.Where<TC, EC, T>, (acc, k) => acc.LoadAutoGroupedStreamKernel(k))(
                Items(n, per), cond.View<TC>(), a.View<T>(), b.View<T>(), y.View<T>(), meta.View, n, per);
            backend.Accelerator.Synchronize();
        }
    }

    private readonly struct GatherLaunch(IlgpuBackend backend, IlgpuStorage x, IlgpuStorage index, IlgpuStorage y, int axisLen, int inner) : IElementKernel
    {
        public void Run<T, TElement>()
            where T : unmanaged
            where TElement : struct, IElement<T> =>
            backend.Kernel<Action<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<T>, int, int, int, int, int>>(Kernels.Gather, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                backend.ElementItems(y.Length), x.View<T>(), index.I32, y.View<T>(), axisLen, inner, index.Length, y.Length, backend.ElementsPerItem);
    }
}
