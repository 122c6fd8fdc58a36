using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Repro.Engine.Numerics;

namespace Repro.Engine.Backends;

/// <summary>
/// The fast managed CPU backend: SIMD and multi-threaded over fixed work items, bit-identical to
/// <see cref="ReferenceBackend"/>, with which it shares no kernel code (only the scalar semantics of
/// <see cref="ScalarOps"/> and <see cref="Numerics"/>). Its kernels are written once, generic over the element type
/// and the struct operators of <see cref="INumberOps{T}"/> and <see cref="IElement{T}"/>; every vector path keeps the
/// canonical lane structure, so a CPU without a vector width computes the same order in software.
/// </summary>
public class ManagedBackend : Backend
{
    /// <summary>The shared instance.</summary>
    public static readonly ManagedBackend Instance = new();

    /// <summary>For the shared instance, and for test backends that change one kernel on purpose.</summary>
    protected ManagedBackend()
    {
    }

    /// <inheritdoc/>
    public override string Name => "managed";

    /// <summary>
    /// Sum of one chunk (at most <see cref="Canonical.ReductionChunk"/> elements) in the canonical lane order:
    /// lane l takes elements l, l+32, l+64, ... and the 32 lanes meet in the pairwise tree. The vector paths hold
    /// the 32 lanes in 32 / width registers (2 x 16, 4 x 8, 8 x 4); without vectors of at least 4 elements they stay
    /// in memory. All give the same bits.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reproducibility", "RPR3002", Justification = "Every branch keeps the canonical 32-lane order (registers or memory); HardwareInvarianceTests compare the widths bit for bit in child processes.")]
    [SkipLocalsInit]
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static T ChunkSum<T>(ReadOnlySpan<T> x)
        where T : unmanaged, INumber<T>
    {
        Span<T> lanes = stackalloc T[Canonical.ReductionLanes];
        int i;
        if (Vector512.IsHardwareAccelerated && Simd.Count<Vector512<T>, T>() >= MinLaneWidth)
        {
            i = LaneSums<Vector512<T>, T>(x, lanes);
        }
        else if (Vector256.IsHardwareAccelerated && Simd.Count<Vector256<T>, T>() >= MinLaneWidth)
        {
            i = LaneSums<Vector256<T>, T>(x, lanes);
        }
        else if (Vector128.IsHardwareAccelerated && Simd.Count<Vector128<T>, T>() >= MinLaneWidth)
        {
            i = LaneSums<Vector128<T>, T>(x, lanes);
        }
        else
        {
            lanes.Clear();
            i = 0;
        }

        for (; i < x.Length; i++)
        {
            lanes[i & (Canonical.ReductionLanes - 1)] += x[i];
        }

        return Canonical.Tree32<T>(lanes);
    }

    /// <inheritdoc/>
    protected override Storage AllocateCore(DType dtype, int length) => new HostStorage(this, dtype, HostStorage.NewArray(dtype, length));

    // Outputs that a kernel overwrites whole skip zero-filling, and large ones reuse the arrays of collected outputs
    // (BufferCache): a fresh multi-megabyte array costs more than most kernels that write it (on the dev VM each first
    // touch of a page costs about 15 us).
    private protected override Storage AllocateOutputCore(DType dtype, int length) =>
        length >= BufferCache.MinElements ? BufferCache.Rent(this, dtype, length) : new HostStorage(this, dtype, HostStorage.NewUninitializedArray(dtype, length));

    /// <inheritdoc/>
    protected override Storage FromHostCore(Array data, DType dtype) => new HostStorage(this, dtype, (Array)data.Clone());

    /// <inheritdoc/>
    protected override Array ToHostCore(Storage storage) => (Array)((HostStorage)storage).Raw.Clone();

    /// <inheritdoc/>
    protected override void CopyCore(in View src, in View dst)
    {
        if (ShapeUtil.Numel(dst.Shape) > 0)
        {
            ElementTypes.Run(src.Storage.DType, new CopyKernel(src, dst));
        }
    }

    /// <inheritdoc/>
    protected override void CastCore(Storage src, Storage dst) => ElementTypes.Run(src.DType, new CastFromKernel((HostStorage)src, (HostStorage)dst));

    /// <inheritdoc/>
    protected override void FillCore(Storage dst, double value) => ElementTypes.Run(dst.DType, new FillKernel((HostStorage)dst, value));

    /// <inheritdoc/>
    protected override void UnaryCore(UnaryOp op, Storage x, Storage y) => ComputeTypes.Run<UnaryKernel, HostFma>(x.DType, new UnaryKernel(op, (HostStorage)x, (HostStorage)y));

    /// <inheritdoc/>
    protected override void BinaryCore(BinaryOp op, in View a, in View b, Storage y, int[] shape)
    {
        if (y.Length > 0)
        {
            ComputeTypes.Run<BinaryKernel, HostFma>(y.DType, new BinaryKernel(op, a, b, (HostStorage)y, shape));
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Row by row over the last axis, like <see cref="BinaryCore"/>: a pure selection, so the result is the reference
    /// backend's bit for bit (a condition element is true when it is not zero; NaN is true, -0 is false).
    /// </remarks>
    protected override void WhereCore(in View cond, in View a, in View b, Storage y, int[] shape)
    {
        if (y.Length > 0)
        {
            ElementTypes.Run(cond.Storage.DType, new WhereKernel(cond, a, b, (HostStorage)y, shape));
        }
    }

    /// <inheritdoc/>
    protected override void ReduceCore(ReduceOp op, Storage x, int rows, int n, Storage y) =>
        ComputeTypes.Run<ReduceKernel, HostFma>(x.DType, new ReduceKernel(op, (HostStorage)x, rows, n, (HostStorage)y));

    /// <inheritdoc/>
    protected override void Conv2dCore(ConvPass pass, Storage a, Storage b, Storage y, ConvGeometry g) =>
        ComputeTypes.Run<ConvKernel, HostFma>(y.DType, new ConvKernel(pass, (HostStorage)a, (HostStorage)b, (HostStorage)y, g));

    /// <inheritdoc/>
    protected override void Pool2dCore(PoolPass pass, Storage a, Storage? b, Storage y, PoolGeometry g) =>
        ManagedPool.Run(pass, ((HostStorage)a).Raw, (b as HostStorage)?.Raw, ((HostStorage)y).Raw, g);

    /// <inheritdoc/>
    protected override void MatMulCore(Storage a, Storage b, Storage y, int batch, int m, int k, int n) =>
        ComputeTypes.Run<MatMulKernel, HostFma>(y.DType, new MatMulKernel((HostStorage)a, (HostStorage)b, (HostStorage)y, batch, m, k, n));

    /// <inheritdoc/>
    protected override void GatherCore(Storage x, int outer, int axisLen, int inner, Storage index, Storage y)
    {
        var xs = ((HostStorage)x).Raw;
        var idx = ((HostStorage)index).I32;
        var ys = ((HostStorage)y).Raw;
        int count = idx.Length;
        Parallelism.For(outer * count, inner, (w0, w1) =>
        {
            for (int w = w0; w < w1; w++)
            {
                int o = w / count;
                int i = w % count;
                Array.Copy(xs, ((o * axisLen) + idx[i]) * inner, ys, w * inner, inner);
            }
        });
    }

    /// <inheritdoc/>
    protected override void IndexAddCore(Storage y, int outer, int axisLen, int inner, Storage index, Storage src) =>
        ComputeTypes.Run<AccumulateKernel, HostFma>(y.DType, new AccumulateKernel((HostStorage)y, outer, axisLen, inner, ((HostStorage)index).I32, (HostStorage)src, false, index.Length));

    /// <inheritdoc/>
    protected override void ScatterAddCore(Storage y, int outer, int axisLen, int inner, Storage index, Storage src, int len) =>
        ComputeTypes.Run<AccumulateKernel, HostFma>(y.DType, new AccumulateKernel((HostStorage)y, outer, axisLen, inner, ((HostStorage)index).I32, (HostStorage)src, true, len));

    /// <inheritdoc/>
    protected override void RandomCore(RandomKind kind, Storage y, ulong seed, ulong stream)
    {
        var ys = (HostStorage)y;
        bool normal = kind == RandomKind.Normal;
        switch (y.DType)
        {
            case DType.Int32:
                Draw<int, Int32Draw>(ys.I32, normal, seed, stream);
                break;
            case DType.Float32:
                Draw<float, Float32Draw<HostFma>>(ys.F32, normal, seed, stream);
                break;
            default:
                Draw<double, Float64Draw<HostFma>>(ys.F64, normal, seed, stream);
                break;
        }
    }

    // Vectors narrower than 4 lanes would need more than 8 registers for the 32 lanes; those widths sum in memory.
    private const int MinLaneWidth = 4;

    /// <summary>
    /// The whole 32-element blocks of a chunk into the 32 lanes, in 32 / width vector registers (register r holds lanes
    /// r * width ..); returns how many elements it consumed. The register count is a constant per instantiation, so the
    /// unused accumulators and their branches compile away.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int LaneSums<TVec, T>(ReadOnlySpan<T> x, Span<T> lanes)
        where TVec : unmanaged
        where T : unmanaged, INumber<T>
    {
        int w = Simd.Count<TVec, T>();
        ref T src = ref MemoryMarshal.GetReference(x);
        TVec a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        int i = 0;
        for (; i + Canonical.ReductionLanes <= x.Length; i += Canonical.ReductionLanes)
        {
            a0 = Add(a0, Simd.Load<TVec, T>(ref src, i));
            a1 = Add(a1, Simd.Load<TVec, T>(ref src, i + w));
            if (w <= 8)
            {
                a2 = Add(a2, Simd.Load<TVec, T>(ref src, i + (2 * w)));
                a3 = Add(a3, Simd.Load<TVec, T>(ref src, i + (3 * w)));
            }

            if (w <= 4)
            {
                a4 = Add(a4, Simd.Load<TVec, T>(ref src, i + (4 * w)));
                a5 = Add(a5, Simd.Load<TVec, T>(ref src, i + (5 * w)));
                a6 = Add(a6, Simd.Load<TVec, T>(ref src, i + (6 * w)));
                a7 = Add(a7, Simd.Load<TVec, T>(ref src, i + (7 * w)));
            }
        }

        ref T dst = ref MemoryMarshal.GetReference(lanes);
        Simd.Store(a0, ref dst, 0);
        Simd.Store(a1, ref dst, w);
        if (w <= 8)
        {
            Simd.Store(a2, ref dst, 2 * w);
            Simd.Store(a3, ref dst, 3 * w);
        }

        if (w <= 4)
        {
            Simd.Store(a4, ref dst, 4 * w);
            Simd.Store(a5, ref dst, 5 * w);
            Simd.Store(a6, ref dst, 6 * w);
            Simd.Store(a7, ref dst, 7 * w);
        }

        return i;

        static TVec Add(TVec a, TVec b) => Simd.Invoke<AddOp<T>, TVec, T>(a, b);
    }

    /// <summary>The canonical sum of each row: one work item per (row, chunk) into fixed slots, then each row's tree in order.</summary>
    private static void SumRows<T>(T[] x, int rows, int n, T[] y)
        where T : unmanaged, INumber<T>
    {
        int chunks = Canonical.ChunkCount(n);
        if (chunks <= 1)
        {
            Parallelism.For(rows, n, (r0, r1) =>
            {
                for (int r = r0; r < r1; r++)
                {
                    y[r] = n == 0 ? T.Zero : ChunkSum<T>(x.AsSpan(r * n, n));
                }
            });
            return;
        }

        var partials = new T[rows * chunks];
        Parallelism.For(rows * chunks, Canonical.ReductionChunk, (w0, w1) =>
        {
            for (int w = w0; w < w1; w++)
            {
                int r = w / chunks;
                int start = (w % chunks) * Canonical.ReductionChunk;
                partials[w] = ChunkSum<T>(x.AsSpan((r * n) + start, Math.Min(Canonical.ReductionChunk, n - start)));
            }
        });
        for (int r = 0; r < rows; r++)
        {
            y[r] = Canonical.PairwiseTree(partials.AsSpan(r * chunks, chunks));
        }
    }

    /// <summary>Index of the first maximum (minimum) of a row, or of its first NaN, in one pass.</summary>
    private static int ArgBest<T>(ReadOnlySpan<T> row, bool max)
        where T : INumber<T>
    {
        int best = 0;
        for (int i = 0; i < row.Length; i++)
        {
            if (T.IsNaN(row[i]))
            {
                return i;
            }

            if (ScalarOps.Beats(row[i], row[best], max))
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>Offset of the first element of row r (all axes but the last) in a strided view.</summary>
    private static int RowOffset(int r, int[] shape, int[] strides, int offset)
    {
        int off = offset;
        for (int d = shape.Length - 2; d >= 0; d--)
        {
            int extent = shape[d];
            off += r % extent * strides[d];
            r /= extent;
        }

        return off;
    }

    /// <summary>Stride of the last axis (0-d views: <paramref name="scalar"/>).</summary>
    private static int LastStride(in View v, int scalar) => v.Shape.Length == 0 ? scalar : v.Strides[^1];

    private static void Draw<T, TDraw>(T[] y, bool normal, ulong seed, ulong stream)
        where TDraw : struct, IDraw<T> =>
        Parallelism.For(y.Length, OpTable.Of(normal ? RandomKind.Normal : RandomKind.Uniform).Cost, (i0, i1) =>
        {
            for (int i = i0; i < i1; i++)
            {
                y[i] = default(TDraw).Draw(normal, seed, stream, i);
            }
        });

    /// <summary>
    /// y = op(a, b) over rows of the last axis, each one inner loop with constant strides. Add, sub, mul and div of
    /// floats run whole vectors where the operands are contiguous or broadcast: one IEEE operation per element, so the
    /// same bits as the scalar loop at any width.
    /// </summary>
    private readonly struct BinaryKernel(BinaryOp op, View a, View b, HostStorage y, int[] shape) : IComputeKernel
    {
        public void Run<T, TOps>()
            where T : unmanaged, INumber<T>
            where TOps : struct, INumberOps<T>
        {
            var (av, bv, dims, binary) = (a, b, shape, op);
            var (xa, xb, ys) = ((T[])((HostStorage)a.Storage).Raw, (T[])((HostStorage)b.Storage).Raw, (T[])y.Raw);
            int rank = dims.Length;
            int inner = rank == 0 ? 1 : dims[rank - 1];
            int rows = inner == 0 ? 0 : ys.Length / inner;
            int sa = LastStride(av, 0);
            int sb = LastStride(bv, 0);
            Parallelism.For(rows, inner, (r0, r1) =>
            {
                for (int r = r0; r < r1; r++)
                {
                    Row<T, TOps>(binary, xa, RowOffset(r, dims, av.Strides, av.Offset), sa, xb, RowOffset(r, dims, bv.Strides, bv.Offset), sb, ys, r * inner, inner);
                }
            });
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Row<T, TOps>(BinaryOp op, T[] a, int oa, int sa, T[] b, int ob, int sb, T[] y, int oy, int n)
            where T : unmanaged, INumber<T>
            where TOps : struct, INumberOps<T>
        {
            int j = 0;
            if (typeof(T) == typeof(float) || typeof(T) == typeof(double))
            {
                j = op switch
                {
                    BinaryOp.Add => Widest<AddOp<T>, T>(a, oa, sa, b, ob, sb, y, oy, n),
                    BinaryOp.Sub => Widest<SubOp<T>, T>(a, oa, sa, b, ob, sb, y, oy, n),
                    BinaryOp.Mul => Widest<MulOp<T>, T>(a, oa, sa, b, ob, sb, y, oy, n),
                    BinaryOp.Div => Widest<DivOp<T>, T>(a, oa, sa, b, ob, sb, y, oy, n),
                    _ => 0,
                };
            }

            for (; j < n; j++)
            {
                y[oy + j] = default(TOps).Binary(op, a[oa + (j * sa)], b[ob + (j * sb)]);
            }
        }

        // The whole vectors of a row, at the widest width this CPU runs; returns how many elements it wrote.
        [System.Diagnostics.CodeAnalysis.SuppressMessage("Reproducibility", "RPR3002", Justification = "Elementwise: each output is one IEEE operation on its own operands at any width; no reduction order exists.")]
        private static int Widest<TOp, T>(T[] a, int oa, int sa, T[] b, int ob, int sb, T[] y, int oy, int n)
            where TOp : IVectorOp<T>
            where T : unmanaged
        {
            if (Vector512.IsHardwareAccelerated)
            {
                return VectorRow<TOp, Vector512<T>, T>(a, oa, sa, b, ob, sb, y, oy, n);
            }

            if (Vector256.IsHardwareAccelerated)
            {
                return VectorRow<TOp, Vector256<T>, T>(a, oa, sa, b, ob, sb, y, oy, n);
            }

            return Vector128.IsHardwareAccelerated ? VectorRow<TOp, Vector128<T>, T>(a, oa, sa, b, ob, sb, y, oy, n) : 0;
        }

        // The whole vectors of a row whose operands are contiguous (stride 1), or one of them broadcast (stride 0); returns
        // how many elements it wrote (0 for other strides). One loop per stride pattern keeps the loops branch-free.
        private static int VectorRow<TOp, TVec, T>(T[] a, int oa, int sa, T[] b, int ob, int sb, T[] y, int oy, int n)
            where TOp : IVectorOp<T>
            where TVec : unmanaged
            where T : unmanaged
        {
            int w = Simd.Count<TVec, T>();
            if ((uint)sa > 1 || (uint)sb > 1 || (sa | sb) == 0 || n < w)
            {
                return 0;
            }

            ref T ra = ref a[oa];
            ref T rb = ref b[ob];
            ref T ry = ref y[oy];
            int j = 0;
            if (sa == sb)
            {
                for (; j + w <= n; j += w)
                {
                    Simd.Store(Simd.Invoke<TOp, TVec, T>(Simd.Load<TVec, T>(ref ra, j), Simd.Load<TVec, T>(ref rb, j)), ref ry, j);
                }
            }
            else if (sa == 1)
            {
                var vb = Simd.BroadcastAt<TVec, T>(ref rb, 0);
                for (; j + w <= n; j += w)
                {
                    Simd.Store(Simd.Invoke<TOp, TVec, T>(Simd.Load<TVec, T>(ref ra, j), vb), ref ry, j);
                }
            }
            else
            {
                var va = Simd.BroadcastAt<TVec, T>(ref ra, 0);
                for (; j + w <= n; j += w)
                {
                    Simd.Store(Simd.Invoke<TOp, TVec, T>(va, Simd.Load<TVec, T>(ref rb, j)), ref ry, j);
                }
            }

            return j;
        }
    }

    private readonly struct UnaryKernel(UnaryOp op, HostStorage x, HostStorage y) : IComputeKernel
    {
        public void Run<T, TOps>()
            where T : unmanaged, INumber<T>
            where TOps : struct, INumberOps<T>
        {
            var (xs, ys, unary) = ((T[])x.Raw, (T[])y.Raw, op);
            Parallelism.For(xs.Length, OpTable.Of(op).Cost, (s, e) => Map<T, TOps>(unary, xs, ys, s, e));
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Map<T, TOps>(UnaryOp op, T[] x, T[] y, int start, int end)
            where T : unmanaged, INumber<T>
            where TOps : struct, INumberOps<T>
        {
            int i = start;
            if ((typeof(T) == typeof(float) || typeof(T) == typeof(double)) && VectorMath.Covers(op))
            {
                // Whole vectors of the transcendentals: the scalar functions' operations per lane (same bits).
                i += VectorMath.Map<T>(op, x.AsSpan(start, end - start), y.AsSpan(start, end - start));
            }

            for (; i < end; i++)
            {
                y[i] = default(TOps).Unary(op, x[i]);
            }
        }
    }

    private readonly struct ReduceKernel(ReduceOp op, HostStorage x, int rows, int n, HostStorage y) : IComputeKernel
    {
        public void Run<T, TOps>()
            where T : unmanaged, INumber<T>
            where TOps : struct, INumberOps<T>
        {
            var xs = (T[])x.Raw;
            int len = n;
            bool max = op is ReduceOp.Max or ReduceOp.ArgMax;
            if (op == ReduceOp.Sum)
            {
                SumRows(xs, rows, len, (T[])y.Raw);
            }
            else if (op is ReduceOp.Max or ReduceOp.Min)
            {
                var ys = (T[])y.Raw;
                Parallelism.For(rows, len, (r0, r1) =>
                {
                    for (int r = r0; r < r1; r++)
                    {
                        var row = xs.AsSpan(r * len, len);
                        T m = row[0];
                        foreach (var v in row[1..])
                        {
                            m = max ? default(TOps).Max(m, v) : default(TOps).Min(m, v);
                        }

                        ys[r] = m;
                    }
                });
            }
            else
            {
                var ys = (int[])y.Raw;
                Parallelism.For(rows, len, (r0, r1) =>
                {
                    for (int r = r0; r < r1; r++)
                    {
                        ys[r] = ArgBest<T>(xs.AsSpan(r * len, len), max);
                    }
                });
            }
        }
    }

    private readonly struct ConvKernel(ConvPass pass, HostStorage a, HostStorage b, HostStorage y, ConvGeometry g) : IComputeKernel
    {
        public void Run<T, TOps>()
            where T : unmanaged, INumber<T>
            where TOps : struct, INumberOps<T> => ManagedConv.Run((int)pass, (T[])a.Raw, (T[])b.Raw, (T[])y.Raw, g);
    }

    private readonly struct MatMulKernel(HostStorage a, HostStorage b, HostStorage y, int batch, int m, int k, int n) : IComputeKernel
    {
        public void Run<T, TOps>()
            where T : unmanaged, INumber<T>
            where TOps : struct, INumberOps<T> => ManagedMatMul.Run((T[])a.Raw, (T[])b.Raw, (T[])y.Raw, batch, m, k, n);
    }

    /// <summary>
    /// index_add (src position i adds into index[i]) and scatter_add (src element (o, l, j) has an index of its own),
    /// over <paramref name="steps"/> positions i or l. Parallel over the columns (o, j): each output element receives its
    /// contributions in increasing position, whatever the thread count.
    /// </summary>
    private readonly struct AccumulateKernel(HostStorage y, int outer, int axisLen, int inner, int[] index, HostStorage src, bool scatter, int steps) : IComputeKernel
    {
        public void Run<T, TOps>()
            where T : unmanaged, INumber<T>
            where TOps : struct, INumberOps<T>
        {
            var (ys, ss, idx) = ((T[])y.Raw, (T[])src.Raw, index);
            var (axis, cols, perIndex, count) = (axisLen, inner, scatter, steps);
            Parallelism.For(outer * cols, count, (w0, w1) =>
            {
                for (int w = w0; w < w1; w++)
                {
                    int o = w / cols;
                    int j = w % cols;
                    for (int i = 0; i < count; i++)
                    {
                        int si = (((o * count) + i) * cols) + j;
                        ys[(((o * axis) + idx[perIndex ? si : i]) * cols) + j] += ss[si];
                    }
                }
            });
        }
    }

    private readonly struct CopyKernel(View src, View dst) : IElementKernel
    {
        public void Run<T, TElement>()
            where T : unmanaged
            where TElement : struct, IElement<T>
        {
            var (sv, dv) = (src, dst);
            var (s, d) = ((T[])((HostStorage)src.Storage).Raw, (T[])((HostStorage)dst.Storage).Raw);
            int n = ShapeUtil.Numel(dv.Shape);
            int inner = dv.Shape.Length == 0 ? 1 : dv.Shape[^1];
            int ss = LastStride(sv, 1);
            int ds = LastStride(dv, 1);
            Parallelism.For(n / inner, inner, (r0, r1) =>
            {
                for (int r = r0; r < r1; r++)
                {
                    int so = RowOffset(r, sv.Shape, sv.Strides, sv.Offset);
                    int dof = RowOffset(r, dv.Shape, dv.Strides, dv.Offset);
                    if (ss == 1 && ds == 1)
                    {
                        Array.Copy(s, so, d, dof, inner);
                        continue;
                    }

                    for (int j = 0; j < inner; j++)
                    {
                        d[dof + (j * ds)] = s[so + (j * ss)];
                    }
                }
            });
        }
    }

    private readonly struct CastFromKernel(HostStorage src, HostStorage dst) : IElementKernel
    {
        public void Run<TS, ES>()
            where TS : unmanaged
            where ES : struct, IElement<TS> => ElementTypes.Run(dst.DType, new CastKernel<TS, ES>((TS[])src.Raw, dst));
    }

    /// <summary>dst[i] = the source element converted through double (exact) with the destination's rounding rule.</summary>
    private readonly struct CastKernel<TS, ES>(TS[] src, HostStorage dst) : IElementKernel
        where TS : unmanaged
        where ES : struct, IElement<TS>
    {
        public void Run<TD, ED>()
            where TD : unmanaged
            where ED : struct, IElement<TD>
        {
            var (s, d) = (src, (TD[])dst.Raw);
            Parallelism.For(s.Length, OpTable.Cast.Cost, (i0, i1) =>
            {
                for (int i = i0; i < i1; i++)
                {
                    d[i] = default(ED).FromDouble(default(ES).ToDouble(s[i]));
                }
            });
        }
    }

    private readonly struct FillKernel(HostStorage dst, double value) : IElementKernel
    {
        public void Run<T, TElement>()
            where T : unmanaged
            where TElement : struct, IElement<T> => Array.Fill((T[])dst.Raw, default(TElement).FromDouble(value));
    }

    /// <summary>Reads the condition through its element type (true when not zero, as a double), then selects per value dtype.</summary>
    private readonly struct WhereKernel(View cond, View a, View b, HostStorage y, int[] shape) : IElementKernel
    {
        public void Run<TC, EC>()
            where TC : unmanaged
            where EC : struct, IElement<TC> => ElementTypes.Run(y.DType, new SelectKernel<TC, EC>(cond, a, b, y, shape));
    }

    private readonly struct SelectKernel<TC, EC>(View cond, View a, View b, HostStorage y, int[] shape) : IElementKernel
        where TC : unmanaged
        where EC : struct, IElement<TC>
    {
        public void Run<T, TElement>()
            where T : unmanaged
            where TElement : struct, IElement<T>
        {
            var (cv, av, bv, dims) = (cond, a, b, shape);
            var (c, xa, xb, ys) = ((TC[])((HostStorage)cond.Storage).Raw, (T[])((HostStorage)a.Storage).Raw, (T[])((HostStorage)b.Storage).Raw, (T[])y.Raw);
            int inner = dims.Length == 0 ? 1 : dims[^1];
            var (sc, sa, sb) = (LastStride(cv, 0), LastStride(av, 0), LastStride(bv, 0));
            Parallelism.For(ys.Length / inner, inner, (r0, r1) =>
            {
                for (int r = r0; r < r1; r++)
                {
                    int oc = RowOffset(r, dims, cv.Strides, cv.Offset);
                    int oa = RowOffset(r, dims, av.Strides, av.Offset);
                    int ob = RowOffset(r, dims, bv.Strides, bv.Offset);
                    for (int j = 0; j < inner; j++)
                    {
                        ys[(r * inner) + j] = default(EC).ToDouble(c[oc + (j * sc)]) != 0.0 ? xa[oa + (j * sa)] : xb[ob + (j * sb)];
                    }
                }
            });
        }
    }
}
