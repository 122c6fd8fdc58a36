using ILGPU;
using ILGPU.Runtime;
using Repro.Engine;
using Repro.Engine.Backends;
using Repro.Engine.Numerics;

namespace Repro.Backends.Ilgpu;

/// <summary>The primitive ops: host-side dispatch to the kernels of <see cref="Kernels"/>.</summary>
public sealed partial class IlgpuBackend
{
    /// <inheritdoc/>
    protected override void CopyCore(in View src, in View dst)
    {
        int n = ShapeUtil.Numel(dst.Shape);
        if (n == 0)
        {
            return;
        }

        lock (gate)
        {
            using var meta = Accelerator.Allocate1D(Layout(dst.Shape, src, dst));
            var s = (IlgpuStorage)src.Storage;
            var d = (IlgpuStorage)dst.Storage;
            switch (s.DType)
            {
                case DType.Float32:
                    CopyTyped(s.F32, d.F32, meta.View, n);
                    break;
                case DType.Float64:
                    CopyTyped(s.F64, d.F64, meta.View, n);
                    break;
                case DType.Int32:
                    CopyTyped(s.I32, d.I32, meta.View, n);
                    break;
                default:
                    CopyTyped(s.U16, d.U16, meta.View, n);
                    break;
            }

            Accelerator.Synchronize();
        }
    }

    /// <inheritdoc/>
    protected override void CastCore(Storage src, Storage dst)
    {
        if (src.Length == 0)
        {
            return;
        }

        lock (gate)
        {
            var s = (IlgpuStorage)src;
            var d = (IlgpuStorage)dst;
            switch (s.DType)
            {
                case DType.Float32:
                    CastFrom<float, F32Element>(s.F32, d);
                    break;
                case DType.Float64:
                    CastFrom<double, F64Element>(s.F64, d);
                    break;
                case DType.Int32:
                    CastFrom<int, I32Element>(s.I32, d);
                    break;
                case DType.Float16:
                    CastFrom<ushort, F16Element>(s.U16, d);
                    break;
                default:
                    CastFrom<ushort, BF16Element>(s.U16, d);
                    break;
            }

            Accelerator.Synchronize();
        }
    }

    /// <inheritdoc/>
    protected override void FillCore(Storage dst, double value)
    {
        if (dst.Length == 0)
        {
            return;
        }

        lock (gate)
        {
            var d = (IlgpuStorage)dst;
            switch (d.DType)
            {
                case DType.Float32:
                    FillTyped<float, F32Element>(d.F32, value, d.Length);
                    break;
                case DType.Float64:
                    FillTyped<double, F64Element>(d.F64, value, d.Length);
                    break;
                case DType.Int32:
                    FillTyped<int, I32Element>(d.I32, value, d.Length);
                    break;
                case DType.Float16:
                    FillTyped<ushort, F16Element>(d.U16, value, d.Length);
                    break;
                default:
                    FillTyped<ushort, BF16Element>(d.U16, value, d.Length);
                    break;
            }

            Accelerator.Synchronize();
        }
    }

    /// <inheritdoc/>
    protected override void UnaryCore(UnaryOp op, Storage x, Storage y)
    {
        int n = x.Length;
        if (n == 0)
        {
            return;
        }

        lock (gate)
        {
            var xs = (IlgpuStorage)x;
            var ys = (IlgpuStorage)y;
            int items = Items(n, ElementsPerItem);
            switch (xs.DType)
            {
                case DType.Float32:
                    Kernel<Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>>(ByFma(Kernels.UnaryF32<PtxFma>, Kernels.UnaryF32<OpenClFma>, Kernels.UnaryF32<HostFma>), (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                        items, xs.F32, ys.F32, (int)op, n, ElementsPerItem);
                    break;
                case DType.Float64:
                    Kernel<Action<Index1D, ArrayView<double>, ArrayView<double>, int, int, int>>(ByFma(Kernels.UnaryF64<PtxFma>, Kernels.UnaryF64<OpenClFma>, Kernels.UnaryF64<HostFma>), (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                        items, xs.F64, ys.F64, (int)op, n, ElementsPerItem);
                    break;
                default:
                    Kernel<Action<Index1D, ArrayView<int>, ArrayView<int>, int, int, int>>(Kernels.UnaryI32, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                        items, xs.I32, ys.I32, (int)op, n, ElementsPerItem);
                    break;
            }

            Accelerator.Synchronize();
        }
    }

    /// <inheritdoc/>
    protected override void BinaryCore(BinaryOp op, in View a, in View b, Storage y, int[] shape)
    {
        int n = y.Length;
        if (op == BinaryOp.Div && y.DType == DType.Int32)
        {
            CheckNoZeroDivisor(b, shape);
        }

        if (n == 0)
        {
            return;
        }

        lock (gate)
        {
            using var meta = Accelerator.Allocate1D(Layout(shape, a, b));
            var sa = (IlgpuStorage)a.Storage;
            var sb = (IlgpuStorage)b.Storage;
            var ys = (IlgpuStorage)y;
            int items = Items(n, ElementsPerItem);
            switch (ys.DType)
            {
                case DType.Float32:
                    Kernel<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, int>>(
                        ByFma(Kernels.BinaryF32<PtxFma>, Kernels.BinaryF32<OpenClFma>, Kernels.BinaryF32<HostFma>), (acc, k) => acc.LoadAutoGroupedStreamKernel(k))(items, sa.F32, sb.F32, ys.F32, meta.View, (int)op, n, ElementsPerItem);
                    break;
                case DType.Float64:
                    Kernel<Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<int>, int, int, int>>(
                        ByFma(Kernels.BinaryF64<PtxFma>, Kernels.BinaryF64<OpenClFma>, Kernels.BinaryF64<HostFma>), (acc, k) => acc.LoadAutoGroupedStreamKernel(k))(items, sa.F64, sb.F64, ys.F64, meta.View, (int)op, n, ElementsPerItem);
                    break;
                default:
                    Kernel<Action<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, ArrayView<int>, int, int, int>>(
                        Kernels.BinaryI32, (acc, k) => acc.LoadAutoGroupedStreamKernel(k))(items, sa.I32, sb.I32, ys.I32, meta.View, (int)op, n, ElementsPerItem);
                    break;
            }

            Accelerator.Synchronize();
        }
    }

    /// <inheritdoc/>
    protected override void WhereCore(in View cond, in View a, in View b, Storage y, int[] shape)
    {
        int n = y.Length;
        if (n == 0)
        {
            return;
        }

        lock (gate)
        {
            using var meta = Accelerator.Allocate1D(Layout(shape, cond, a, b));
            var c = (IlgpuStorage)cond.Storage;
            var v = ((IlgpuStorage)a.Storage, (IlgpuStorage)b.Storage, (IlgpuStorage)y);
            switch (c.DType)
            {
                case DType.Float32:
                    WhereFrom<float, F32Element>(c.F32, v, meta.View, n);
                    break;
                case DType.Float64:
                    WhereFrom<double, F64Element>(c.F64, v, meta.View, n);
                    break;
                case DType.Int32:
                    WhereFrom<int, I32Element>(c.I32, v, meta.View, n);
                    break;
                case DType.Float16:
                    WhereFrom<ushort, F16Element>(c.U16, v, meta.View, n);
                    break;
                default:
                    WhereFrom<ushort, BF16Element>(c.U16, v, meta.View, n);
                    break;
            }

            Accelerator.Synchronize();
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

        lock (gate)
        {
            var xs = (IlgpuStorage)x;
            var ys = (IlgpuStorage)y;
            int rowItems = Items(rows, RowsPerItem);
            if (xs.DType == DType.Int32)
            {
                Kernel<Action<Index1D, ArrayView<int>, ArrayView<int>, int, int, int, int>>(Kernels.ReduceI32, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                    rowItems, xs.I32, ys.I32, (int)op, n, rows, RowsPerItem);
            }
            else if (op == ReduceOp.Sum)
            {
                SumRows(xs, ys, rows, n);
            }
            else if (op is ReduceOp.Max or ReduceOp.Min)
            {
                int max = op == ReduceOp.Max ? 1 : 0;
                if (xs.DType == DType.Float32)
                {
                    Kernel<Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int>>(Kernels.MaxMinF32, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                        rowItems, xs.F32, ys.F32, max, n, rows, RowsPerItem);
                }
                else
                {
                    Kernel<Action<Index1D, ArrayView<double>, ArrayView<double>, int, int, int, int>>(Kernels.MaxMinF64, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                        rowItems, xs.F64, ys.F64, max, n, rows, RowsPerItem);
                }
            }
            else
            {
                int max = op == ReduceOp.ArgMax ? 1 : 0;
                if (xs.DType == DType.Float32)
                {
                    Kernel<Action<Index1D, ArrayView<float>, ArrayView<int>, int, int, int, int>>(Kernels.ArgF32, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                        rowItems, xs.F32, ys.I32, max, n, rows, RowsPerItem);
                }
                else
                {
                    Kernel<Action<Index1D, ArrayView<double>, ArrayView<int>, int, int, int, int>>(Kernels.ArgF64, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                        rowItems, xs.F64, ys.I32, max, n, rows, RowsPerItem);
                }
            }

            Accelerator.Synchronize();
        }
    }

    /// <inheritdoc/>
    protected override void MatMulCore(Storage a, Storage b, Storage y, int batch, int m, int k, int n)
    {
        if (y.Length == 0)
        {
            return;
        }

        lock (gate)
        {
            var sa = (IlgpuStorage)a;
            var sb = (IlgpuStorage)b;
            var ys = (IlgpuStorage)y;
            int cols = Math.Min(MatMulColumns, n);
            int items = checked(batch * m * Items(n, cols));
            switch (ys.DType)
            {
                case DType.Float32:
                    Kernel<Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>>(ByFma(Kernels.MatMulF32<PtxFma>, Kernels.MatMulF32<OpenClFma>, Kernels.MatMulF32<HostFma>), (acc, kk) => acc.LoadAutoGroupedStreamKernel(kk))(
                        items, sa.F32, sb.F32, ys.F32, m, k, n, cols);
                    break;
                case DType.Float64:
                    Kernel<Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<double>, int, int, int, int>>(ByFma(Kernels.MatMulF64<PtxFma>, Kernels.MatMulF64<OpenClFma>, Kernels.MatMulF64<HostFma>), (acc, kk) => acc.LoadAutoGroupedStreamKernel(kk))(
                        items, sa.F64, sb.F64, ys.F64, m, k, n, cols);
                    break;
                default:
                    Kernel<Action<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, int, int, int, int>>(Kernels.MatMulI32, (acc, kk) => acc.LoadAutoGroupedStreamKernel(kk))(
                        items, sa.I32, sb.I32, ys.I32, m, k, n, cols);
                    break;
            }

            Accelerator.Synchronize();
        }
    }

    /// <inheritdoc/>
    protected override void GatherCore(Storage x, int outer, int axisLen, int inner, Storage index, Storage y)
    {
        int n = y.Length;
        if (n == 0)
        {
            return;
        }

        lock (gate)
        {
            var xs = (IlgpuStorage)x;
            var idx = ((IlgpuStorage)index).I32;
            var ys = (IlgpuStorage)y;
            int count = index.Length;
            switch (xs.DType)
            {
                case DType.Float32:
                    GatherTyped(xs.F32, idx, ys.F32, axisLen, inner, count, n);
                    break;
                case DType.Float64:
                    GatherTyped(xs.F64, idx, ys.F64, axisLen, inner, count, n);
                    break;
                case DType.Int32:
                    GatherTyped(xs.I32, idx, ys.I32, axisLen, inner, count, n);
                    break;
                default:
                    GatherTyped(xs.U16, idx, ys.U16, axisLen, inner, count, n);
                    break;
            }

            Accelerator.Synchronize();
        }
    }

    /// <inheritdoc/>
    protected override void IndexAddCore(Storage y, int outer, int axisLen, int inner, Storage index, Storage src)
    {
        int columns = outer * inner;
        if (columns == 0 || index.Length == 0)
        {
            return;
        }

        lock (gate)
        {
            var ys = (IlgpuStorage)y;
            var ss = (IlgpuStorage)src;
            var idx = ((IlgpuStorage)index).I32;
            int items = Items(columns, ColumnsPerItem);
            int count = index.Length;
            switch (ys.DType)
            {
                case DType.Float32:
                    Kernel<Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int, int, int>>(Kernels.IndexAddF32, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                        items, ys.F32, idx, ss.F32, axisLen, inner, count, columns, ColumnsPerItem);
                    break;
                case DType.Float64:
                    Kernel<Action<Index1D, ArrayView<double>, ArrayView<int>, ArrayView<double>, int, int, int, int, int>>(Kernels.IndexAddF64, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                        items, ys.F64, idx, ss.F64, axisLen, inner, count, columns, ColumnsPerItem);
                    break;
                default:
                    Kernel<Action<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, int, int, int, int, int>>(Kernels.IndexAddI32, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                        items, ys.I32, idx, ss.I32, axisLen, inner, count, columns, ColumnsPerItem);
                    break;
            }

            Accelerator.Synchronize();
        }
    }

    /// <inheritdoc/>
    protected override void ScatterAddCore(Storage y, int outer, int axisLen, int inner, Storage index, Storage src, int len)
    {
        int columns = outer * inner;
        if (columns == 0 || len == 0)
        {
            return;
        }

        lock (gate)
        {
            var ys = (IlgpuStorage)y;
            var ss = (IlgpuStorage)src;
            var idx = ((IlgpuStorage)index).I32;
            int items = Items(columns, ColumnsPerItem);
            switch (ys.DType)
            {
                case DType.Float32:
                    Kernel<Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int, int, int>>(Kernels.ScatterAddF32, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                        items, ys.F32, idx, ss.F32, axisLen, inner, len, columns, ColumnsPerItem);
                    break;
                case DType.Float64:
                    Kernel<Action<Index1D, ArrayView<double>, ArrayView<int>, ArrayView<double>, int, int, int, int, int>>(Kernels.ScatterAddF64, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                        items, ys.F64, idx, ss.F64, axisLen, inner, len, columns, ColumnsPerItem);
                    break;
                default:
                    Kernel<Action<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, int, int, int, int, int>>(Kernels.ScatterAddI32, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                        items, ys.I32, idx, ss.I32, axisLen, inner, len, columns, ColumnsPerItem);
                    break;
            }

            Accelerator.Synchronize();
        }
    }

    /// <inheritdoc/>
    protected override void RandomCore(RandomKind kind, Storage y, ulong seed, ulong stream)
    {
        int n = y.Length;
        if (n == 0)
        {
            return;
        }

        lock (gate)
        {
            var ys = (IlgpuStorage)y;
            int items = Items(n, ElementsPerItem);
            int normal = kind == RandomKind.Normal ? 1 : 0;
            if (kind == RandomKind.Bits)
            {
                Kernel<Action<Index1D, ArrayView<int>, ulong, ulong, int, int>>(Kernels.RandomBits, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                    items, ys.I32, seed, stream, n, ElementsPerItem);
            }
            else if (ys.DType == DType.Float32)
            {
                Kernel<Action<Index1D, ArrayView<float>, ulong, ulong, int, int, int>>(ByFma(Kernels.RandomF32<PtxFma>, Kernels.RandomF32<OpenClFma>, Kernels.RandomF32<HostFma>), (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                    items, ys.F32, seed, stream, normal, n, ElementsPerItem);
            }
            else
            {
                Kernel<Action<Index1D, ArrayView<double>, ulong, ulong, int, int, int>>(ByFma(Kernels.RandomF64<PtxFma>, Kernels.RandomF64<OpenClFma>, Kernels.RandomF64<HostFma>), (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                    items, ys.F64, seed, stream, normal, n, ElementsPerItem);
            }

            Accelerator.Synchronize();
        }
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

    private ArrayView<T> Scratch<T>(ref MemoryBuffer1D<T, Stride1D.Dense>? buffer, int length)
        where T : unmanaged => Scratch(Accelerator, ref buffer, length);

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

    private void SumRows(IlgpuStorage xs, IlgpuStorage ys, int rows, int n)
    {
        int chunks = Canonical.ChunkCount(n);
        int globalChunks = checked(rows * chunks);
        int laneCount = checked(globalChunks * Canonical.ReductionLanes);
        int laneItems = Items(laneCount, LanesPerItem);
        int chunkItems = Items(globalChunks, ChunksPerItem);
        int rowItems = Items(rows, RowsPerItem);
        if (xs.DType == DType.Float32)
        {
            var lanes = Scratch(ref lanes32, laneCount);
            var partials = Scratch(ref partials32, globalChunks);
            Kernel<Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int>>(Kernels.SumLanesF32, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                laneItems, xs.F32, lanes, n, chunks, laneCount, LanesPerItem);
            Kernel<Action<Index1D, ArrayView<float>, ArrayView<float>, int, int>>(Kernels.LaneTreeF32, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                chunkItems, lanes, partials, globalChunks, ChunksPerItem);
            if (RowTreeByLevels)
            {
                var spare = Scratch(ref spare32, checked(rows * ((chunks + 1) / 2)));
                var level = Kernel<Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int, int>>(Kernels.TreeLevelF32, (a, k) => a.LoadAutoGroupedStreamKernel(k));
                TreeLevels(partials, spare, ys.F32, chunks, rows, (src, dst, m, srcStride, dstStride, count) =>
                    level(Items(count, ElementsPerItem), src, dst, m, srcStride, dstStride, count, ElementsPerItem));
            }
            else
            {
                Kernel<Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>>(Kernels.RowTreeF32, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                    rowItems, partials, ys.F32, chunks, rows, RowsPerItem);
            }

            Accelerator.Synchronize();
        }
        else
        {
            var lanes = Scratch(ref lanes64, laneCount);
            var partials = Scratch(ref partials64, globalChunks);
            Kernel<Action<Index1D, ArrayView<double>, ArrayView<double>, int, int, int, int>>(Kernels.SumLanesF64, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                laneItems, xs.F64, lanes, n, chunks, laneCount, LanesPerItem);
            Kernel<Action<Index1D, ArrayView<double>, ArrayView<double>, int, int>>(Kernels.LaneTreeF64, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                chunkItems, lanes, partials, globalChunks, ChunksPerItem);
            if (RowTreeByLevels)
            {
                var spare = Scratch(ref spare64, checked(rows * ((chunks + 1) / 2)));
                var level = Kernel<Action<Index1D, ArrayView<double>, ArrayView<double>, int, int, int, int, int>>(Kernels.TreeLevelF64, (a, k) => a.LoadAutoGroupedStreamKernel(k));
                TreeLevels(partials, spare, ys.F64, chunks, rows, (src, dst, m, srcStride, dstStride, count) =>
                    level(Items(count, ElementsPerItem), src, dst, m, srcStride, dstStride, count, ElementsPerItem));
            }
            else
            {
                Kernel<Action<Index1D, ArrayView<double>, ArrayView<double>, int, int, int>>(Kernels.RowTreeF64, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
                    rowItems, partials, ys.F64, chunks, rows, RowsPerItem);
            }

            Accelerator.Synchronize();
        }
    }

    private void CheckNoZeroDivisor(in View b, int[] shape)
    {
        var values = (int[])ToHostCore(b.Storage);
        int n = ShapeUtil.Numel(shape);
        for (int i = 0; i < n; i++)
        {
            if (values[ShapeUtil.OffsetOf(i, shape, b.Strides, b.Offset)] == 0)
            {
                throw new DivideByZeroException($"div: integer division by zero at output element {i}");
            }
        }
    }

    private void CopyTyped<T>(ArrayView<T> src, ArrayView<T> dst, ArrayView<int> meta, int n)
        where T : unmanaged =>
        Kernel<Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<int>, int, int>>(Kernels.Copy, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
            Items(n, ElementsPerItem), src, dst, meta, n, ElementsPerItem);

    private void CastFrom<TS, ES>(ArrayView<TS> src, IlgpuStorage d)
        where TS : unmanaged
        where ES : struct, IElement<TS>
    {
        switch (d.DType)
        {
            case DType.Float32:
                CastTyped<TS, ES, float, F32Element>(src, d.F32, d.Length);
                break;
            case DType.Float64:
                CastTyped<TS, ES, double, F64Element>(src, d.F64, d.Length);
                break;
            case DType.Int32:
                CastTyped<TS, ES, int, I32Element>(src, d.I32, d.Length);
                break;
            case DType.Float16:
                CastTyped<TS, ES, ushort, F16Element>(src, d.U16, d.Length);
                break;
            default:
                CastTyped<TS, ES, ushort, BF16Element>(src, d.U16, d.Length);
                break;
        }
    }

    private void CastTyped<TS, ES, TD, ED>(ArrayView<TS> src, ArrayView<TD> dst, int n)
        where TS : unmanaged
        where ES : struct, IElement<TS>
        where TD : unmanaged
        where ED : struct, IElement<TD> =>
        Kernel<Action<Index1D, ArrayView<TS>, ArrayView<TD>, int, int>>(Kernels.Cast<TS, ES, TD, ED>, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
            Items(n, ElementsPerItem), src, dst, n, ElementsPerItem);

    private void FillTyped<TD, ED>(ArrayView<TD> dst, double value, int n)
        where TD : unmanaged
        where ED : struct, IElement<TD> =>
        Kernel<Action<Index1D, ArrayView<TD>, double, int, int>>(Kernels.Fill<TD, ED>, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
            Items(n, ElementsPerItem), dst, value, n, ElementsPerItem);

    private void WhereFrom<TC, EC>(ArrayView<TC> cond, (IlgpuStorage A, IlgpuStorage B, IlgpuStorage Y) v, ArrayView<int> meta, int n)
        where TC : unmanaged
        where EC : struct, IElement<TC>
    {
        switch (v.Y.DType)
        {
            case DType.Float32:
                WhereTyped<TC, EC, float>(cond, v.A.F32, v.B.F32, v.Y.F32, meta, n);
                break;
            case DType.Float64:
                WhereTyped<TC, EC, double>(cond, v.A.F64, v.B.F64, v.Y.F64, meta, n);
                break;
            default:
                WhereTyped<TC, EC, int>(cond, v.A.I32, v.B.I32, v.Y.I32, meta, n);
                break;
        }
    }

    private void WhereTyped<TC, EC, T>(ArrayView<TC> cond, ArrayView<T> a, ArrayView<T> b, ArrayView<T> y, ArrayView<int> meta, int n)
        where TC : unmanaged
        where EC : struct, IElement<TC>
        where T : unmanaged =>
        Kernel<Action<Index1D, ArrayView<TC>, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<int>, int, int>>(Kernels.Where<TC, EC, T>, (acc, k) => acc.LoadAutoGroupedStreamKernel(k))(
            Items(n, ElementsPerItem), cond, a, b, y, meta, n, ElementsPerItem);

    private void GatherTyped<T>(ArrayView<T> x, ArrayView<int> index, ArrayView<T> y, int axisLen, int inner, int count, int n)
        where T : unmanaged =>
        Kernel<Action<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<T>, int, int, int, int, int>>(Kernels.Gather, (a, k) => a.LoadAutoGroupedStreamKernel(k))(
            Items(n, ElementsPerItem), x, index, y, axisLen, inner, count, n, ElementsPerItem);
}
