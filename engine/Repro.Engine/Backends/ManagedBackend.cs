using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Repro.Engine.Numerics;

namespace Repro.Engine.Backends;

/// <summary>
/// The fast managed CPU backend: SIMD and multi-threaded over fixed work items, bit-identical to
/// <see cref="ReferenceBackend"/>. Every vector path keeps the canonical lane structure, so a CPU without a
/// vector width computes the same order in software.
/// </summary>
public class ManagedBackend : ReferenceBackend
{
    /// <summary>The shared instance.</summary>
    public static new readonly ManagedBackend Instance = new();

    /// <summary>For the shared instance, and for test backends that change one kernel on purpose.</summary>
    protected ManagedBackend()
    {
    }

    /// <inheritdoc/>
    public override string Name => "managed";

    /// <summary>
    /// Sum of one chunk (at most <see cref="Canonical.ReductionChunk"/> elements) in the canonical lane order:
    /// lane l takes elements l, l+32, l+64, ... and the 32 lanes meet in the pairwise tree. The vector paths hold
    /// the 32 lanes in 2 x 16, 4 x 8 or 8 x 4 registers; the scalar path holds them in memory. All give the same bits.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reproducibility", "RPR3002", Justification = "Every branch keeps the canonical 32-lane order (2x16, 4x8, 8x4 registers or memory); HardwareInvarianceTests compare the widths bit for bit in child processes.")]
    [SkipLocalsInit]
    public static float ChunkSum(ReadOnlySpan<float> x)
    {
        Span<float> lanes = stackalloc float[Canonical.ReductionLanes];
        ref float src = ref MemoryMarshal.GetReference(x);
        int i = 0;
        int len = x.Length;
        if (Vector512.IsHardwareAccelerated)
        {
            var a0 = Vector512<float>.Zero;
            var a1 = Vector512<float>.Zero;
            for (; i + 32 <= len; i += 32)
            {
                a0 += Vector512.LoadUnsafe(ref src, (nuint)i);
                a1 += Vector512.LoadUnsafe(ref src, (nuint)(i + 16));
            }

            a0.StoreUnsafe(ref lanes[0]);
            a1.StoreUnsafe(ref lanes[16]);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var a0 = Vector256<float>.Zero;
            var a1 = Vector256<float>.Zero;
            var a2 = Vector256<float>.Zero;
            var a3 = Vector256<float>.Zero;
            for (; i + 32 <= len; i += 32)
            {
                a0 += Vector256.LoadUnsafe(ref src, (nuint)i);
                a1 += Vector256.LoadUnsafe(ref src, (nuint)(i + 8));
                a2 += Vector256.LoadUnsafe(ref src, (nuint)(i + 16));
                a3 += Vector256.LoadUnsafe(ref src, (nuint)(i + 24));
            }

            a0.StoreUnsafe(ref lanes[0]);
            a1.StoreUnsafe(ref lanes[8]);
            a2.StoreUnsafe(ref lanes[16]);
            a3.StoreUnsafe(ref lanes[24]);
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            Span<Vector128<float>> acc = stackalloc Vector128<float>[8];
            acc.Clear();
            for (; i + 32 <= len; i += 32)
            {
                for (int v = 0; v < 8; v++)
                {
                    acc[v] += Vector128.LoadUnsafe(ref src, (nuint)(i + (4 * v)));
                }
            }

            for (int v = 0; v < 8; v++)
            {
                acc[v].StoreUnsafe(ref lanes[4 * v]);
            }
        }
        else
        {
            lanes.Clear();
        }

        for (; i < len; i++)
        {
            lanes[i & (Canonical.ReductionLanes - 1)] += x[i];
        }

        return Canonical.Tree32(lanes);
    }

    /// <summary>Float64 chunk sum with the same lanes (4 x 8, 8 x 4 or 16 x 2 registers, or memory).</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reproducibility", "RPR3002", Justification = "Every branch keeps the canonical 32-lane order (2x16, 4x8, 8x4 registers or memory); HardwareInvarianceTests compare the widths bit for bit in child processes.")]
    [SkipLocalsInit]
    public static double ChunkSum(ReadOnlySpan<double> x)
    {
        Span<double> lanes = stackalloc double[Canonical.ReductionLanes];
        ref double src = ref MemoryMarshal.GetReference(x);
        int i = 0;
        int len = x.Length;
        if (Vector512.IsHardwareAccelerated)
        {
            Span<Vector512<double>> acc = stackalloc Vector512<double>[4];
            acc.Clear();
            for (; i + 32 <= len; i += 32)
            {
                for (int v = 0; v < 4; v++)
                {
                    acc[v] += Vector512.LoadUnsafe(ref src, (nuint)(i + (8 * v)));
                }
            }

            for (int v = 0; v < 4; v++)
            {
                acc[v].StoreUnsafe(ref lanes[8 * v]);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Span<Vector256<double>> acc = stackalloc Vector256<double>[8];
            acc.Clear();
            for (; i + 32 <= len; i += 32)
            {
                for (int v = 0; v < 8; v++)
                {
                    acc[v] += Vector256.LoadUnsafe(ref src, (nuint)(i + (4 * v)));
                }
            }

            for (int v = 0; v < 8; v++)
            {
                acc[v].StoreUnsafe(ref lanes[4 * v]);
            }
        }
        else
        {
            lanes.Clear();
        }

        for (; i < len; i++)
        {
            lanes[i & (Canonical.ReductionLanes - 1)] += x[i];
        }

        return Canonical.PairwiseTree(lanes);
    }

    /// <inheritdoc/>
    protected override void ReduceCore(ReduceOp op, Storage x, int rows, int n, Storage y)
    {
        var xs = (HostStorage)x;
        var ys = (HostStorage)y;
        if (op != ReduceOp.Sum || xs.DType == DType.Int32)
        {
            Parallelism.For(rows, n, (r0, r1) =>
            {
                for (int r = r0; r < r1; r++)
                {
                    switch (xs.DType)
                    {
                        case DType.Float32:
                            ReduceRow(op, xs.F32.AsSpan(r * n, n), ys, r);
                            break;
                        case DType.Float64:
                            ReduceRow(op, xs.F64.AsSpan(r * n, n), ys, r);
                            break;
                        default:
                            ReduceRowInt(op, xs.I32.AsSpan(r * n, n), ys, r);
                            break;
                    }
                }
            });
            return;
        }

        // One work item per (row, chunk): the chunk partials land in fixed slots, then each row's tree runs in order.
        int chunks = Canonical.ChunkCount(n);
        if (chunks <= 1)
        {
            Parallelism.For(rows, n, (r0, r1) =>
            {
                for (int r = r0; r < r1; r++)
                {
                    if (xs.DType == DType.Float32)
                    {
                        ys.F32[r] = n == 0 ? 0f : ChunkSum(xs.F32.AsSpan(r * n, n));
                    }
                    else
                    {
                        ys.F64[r] = n == 0 ? 0.0 : ChunkSum(xs.F64.AsSpan(r * n, n));
                    }
                }
            });
            return;
        }

        if (xs.DType == DType.Float32)
        {
            var partials = new float[rows * chunks];
            Parallelism.For(rows * chunks, Canonical.ReductionChunk, (w0, w1) =>
            {
                for (int w = w0; w < w1; w++)
                {
                    int r = w / chunks;
                    int start = (w % chunks) * Canonical.ReductionChunk;
                    int len = Math.Min(Canonical.ReductionChunk, n - start);
                    partials[w] = ChunkSum(xs.F32.AsSpan((r * n) + start, len));
                }
            });
            for (int r = 0; r < rows; r++)
            {
                ys.F32[r] = Canonical.PairwiseTree(partials.AsSpan(r * chunks, chunks));
            }
        }
        else
        {
            var partials = new double[rows * chunks];
            Parallelism.For(rows * chunks, Canonical.ReductionChunk, (w0, w1) =>
            {
                for (int w = w0; w < w1; w++)
                {
                    int r = w / chunks;
                    int start = (w % chunks) * Canonical.ReductionChunk;
                    int len = Math.Min(Canonical.ReductionChunk, n - start);
                    partials[w] = ChunkSum(xs.F64.AsSpan((r * n) + start, len));
                }
            });
            for (int r = 0; r < rows; r++)
            {
                ys.F64[r] = Canonical.PairwiseTree(partials.AsSpan(r * chunks, chunks));
            }
        }
    }

    /// <inheritdoc/>
    protected override void UnaryCore(UnaryOp op, Storage x, Storage y)
    {
        var xs = (HostStorage)x;
        var ys = (HostStorage)y;
        Parallelism.For(xs.Length, OpTable.Of(op).Cost, (s, e) =>
        {
            switch (xs.DType)
            {
                case DType.Float32:
                    var xf = xs.F32;
                    var yf = ys.F32;
                    for (int i = s; i < e; i++)
                    {
                        yf[i] = ScalarOps.Apply(op, xf[i]);
                    }

                    break;
                case DType.Float64:
                    var xd = xs.F64;
                    var yd = ys.F64;
                    for (int i = s; i < e; i++)
                    {
                        yd[i] = ScalarOps.Apply(op, xd[i]);
                    }

                    break;
                default:
                    var xi = xs.I32;
                    var yi = ys.I32;
                    for (int i = s; i < e; i++)
                    {
                        yi[i] = ScalarOps.Apply(op, xi[i]);
                    }

                    break;
            }
        });
    }

    /// <inheritdoc/>
    protected override void BinaryCore(BinaryOp op, in View a, in View b, Storage y, int[] shape)
    {
        var ys = (HostStorage)y;
        if (op == BinaryOp.Div && ys.DType == DType.Int32)
        {
            CheckNoZeroDivisor(b, shape);
        }

        int n = ys.Length;
        if (n == 0)
        {
            return;
        }

        // Iterate rows of the last axis; each row is one inner loop with constant strides.
        int rank = shape.Length;
        int inner = rank == 0 ? 1 : shape[rank - 1];
        int rows = inner == 0 ? 0 : n / inner;
        int sa = rank == 0 ? 0 : a.Strides[rank - 1];
        int sb = rank == 0 ? 0 : b.Strides[rank - 1];
        var av = a;
        var bv = b;
        Parallelism.For(rows, inner, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                int oa = RowOffset(r, shape, av.Strides, av.Offset);
                int ob = RowOffset(r, shape, bv.Strides, bv.Offset);
                int oy = r * inner;
                switch (ys.DType)
                {
                    case DType.Float32:
                        BinaryRow(op, ((HostStorage)av.Storage).F32, oa, sa, ((HostStorage)bv.Storage).F32, ob, sb, ys.F32, oy, inner);
                        break;
                    case DType.Float64:
                        var ad = ((HostStorage)av.Storage).F64;
                        var bd = ((HostStorage)bv.Storage).F64;
                        for (int j = 0; j < inner; j++)
                        {
                            ys.F64[oy + j] = ScalarOps.Apply(op, ad[oa + (j * sa)], bd[ob + (j * sb)]);
                        }

                        break;
                    default:
                        var ai = ((HostStorage)av.Storage).I32;
                        var bi = ((HostStorage)bv.Storage).I32;
                        for (int j = 0; j < inner; j++)
                        {
                            ys.I32[oy + j] = ScalarOps.Apply(op, ai[oa + (j * sa)], bi[ob + (j * sb)]);
                        }

                        break;
                }
            }
        });
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Row by row over the last axis, like <see cref="BinaryCore"/>: a pure selection, so the result is the reference
    /// backend's bit for bit (a condition element is true when it is not zero; NaN is true, -0 is false).
    /// </remarks>
    protected override void WhereCore(in View cond, in View a, in View b, Storage y, int[] shape)
    {
        var ys = (HostStorage)y;
        int n = ys.Length;
        if (n == 0)
        {
            return;
        }

        int rank = shape.Length;
        int inner = rank == 0 ? 1 : shape[rank - 1];
        int rows = n / inner;
        int stc = rank == 0 ? 0 : cond.Strides[rank - 1];
        int sta = rank == 0 ? 0 : a.Strides[rank - 1];
        int stb = rank == 0 ? 0 : b.Strides[rank - 1];
        var cv = cond;
        var av = a;
        var bv = b;
        var cs = (HostStorage)cv.Storage;
        var @as = (HostStorage)av.Storage;
        var bs = (HostStorage)bv.Storage;
        Parallelism.For(rows, inner, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                int oc = RowOffset(r, shape, cv.Strides, cv.Offset);
                int oa = RowOffset(r, shape, av.Strides, av.Offset);
                int ob = RowOffset(r, shape, bv.Strides, bv.Offset);
                int oy = r * inner;
                switch (ys.DType)
                {
                    case DType.Float32:
                        WhereRow(cs, oc, stc, @as.F32, oa, sta, bs.F32, ob, stb, ys.F32, oy, inner);
                        break;
                    case DType.Float64:
                        WhereRow(cs, oc, stc, @as.F64, oa, sta, bs.F64, ob, stb, ys.F64, oy, inner);
                        break;
                    case DType.Int32:
                        WhereRow(cs, oc, stc, @as.I32, oa, sta, bs.I32, ob, stb, ys.I32, oy, inner);
                        break;
                    default:
                        throw Throw.UnknownDType(ys.DType);
                }
            }
        });
    }

    private static void WhereRow<T>(HostStorage c, int oc, int stc, T[] a, int oa, int sa, T[] b, int ob, int sb, T[] y, int oy, int n)
    {
        switch (c.DType)
        {
            case DType.Float32:
                var cf = c.F32;
                for (int j = 0; j < n; j++)
                {
                    y[oy + j] = cf[oc + (j * stc)] != 0f ? a[oa + (j * sa)] : b[ob + (j * sb)];
                }

                break;
            case DType.Float64:
                var cd = c.F64;
                for (int j = 0; j < n; j++)
                {
                    y[oy + j] = cd[oc + (j * stc)] != 0.0 ? a[oa + (j * sa)] : b[ob + (j * sb)];
                }

                break;
            case DType.Int32:
                var ci = c.I32;
                for (int j = 0; j < n; j++)
                {
                    y[oy + j] = ci[oc + (j * stc)] != 0 ? a[oa + (j * sa)] : b[ob + (j * sb)];
                }

                break;
            case DType.Float16:
            case DType.BFloat16:
                // Both are zero exactly when every bit but the sign is clear.
                var cu = c.U16;
                for (int j = 0; j < n; j++)
                {
                    y[oy + j] = (cu[oc + (j * stc)] & 0x7FFF) != 0 ? a[oa + (j * sa)] : b[ob + (j * sb)];
                }

                break;
            default:
                throw Throw.UnknownDType(c.DType);
        }
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

    private static void BinaryRow(BinaryOp op, float[] a, int oa, int sa, float[] b, int ob, int sb, float[] y, int oy, int n)
    {
        int j = 0;
        if (Vector256.IsHardwareAccelerated && op is BinaryOp.Add or BinaryOp.Sub or BinaryOp.Mul or BinaryOp.Div && n >= 8)
        {
            ref float ra = ref a[oa];
            ref float rb = ref b[ob];
            ref float ry = ref y[oy];
            if (sa == 1 && sb == 1)
            {
                for (; j + 8 <= n; j += 8)
                {
                    Apply(op, Vector256.LoadUnsafe(ref ra, (nuint)j), Vector256.LoadUnsafe(ref rb, (nuint)j)).StoreUnsafe(ref ry, (nuint)j);
                }
            }
            else if (sa == 1 && sb == 0)
            {
                var vb = Vector256.Create(rb);
                for (; j + 8 <= n; j += 8)
                {
                    Apply(op, Vector256.LoadUnsafe(ref ra, (nuint)j), vb).StoreUnsafe(ref ry, (nuint)j);
                }
            }
            else if (sa == 0 && sb == 1)
            {
                var va = Vector256.Create(ra);
                for (; j + 8 <= n; j += 8)
                {
                    Apply(op, va, Vector256.LoadUnsafe(ref rb, (nuint)j)).StoreUnsafe(ref ry, (nuint)j);
                }
            }
        }

        for (; j < n; j++)
        {
            y[oy + j] = ScalarOps.Apply(op, a[oa + (j * sa)], b[ob + (j * sb)]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Apply(BinaryOp op, Vector256<float> a, Vector256<float> b) => op switch
    {
        BinaryOp.Add => a + b,
        BinaryOp.Sub => a - b,
        BinaryOp.Mul => a * b,
        _ => a / b,
    };

    /// <inheritdoc/>
    protected override void CopyCore(in View src, in View dst)
    {
        int n = ShapeUtil.Numel(dst.Shape);
        if (n == 0)
        {
            return;
        }

        var s = ((HostStorage)src.Storage).Data;
        var d = ((HostStorage)dst.Storage).Data;
        int rank = dst.Shape.Length;
        int inner = rank == 0 ? 1 : dst.Shape[rank - 1];
        int rows = n / inner;
        int ss = rank == 0 ? 1 : src.Strides[rank - 1];
        int ds = rank == 0 ? 1 : dst.Strides[rank - 1];
        var sv = src;
        var dv = dst;
        Parallelism.For(rows, inner, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                int so = RowOffset(r, sv.Shape, sv.Strides, sv.Offset);
                int dof = RowOffset(r, dv.Shape, dv.Strides, dv.Offset);
                CopyRow(s, so, ss, d, dof, ds, inner);
            }
        });
    }

    private static void CopyRow(Array s, int so, int ss, Array d, int dof, int ds, int n)
    {
        if (ss == 1 && ds == 1)
        {
            Array.Copy(s, so, d, dof, n);
            return;
        }

        switch (s)
        {
            case float[] sf:
                var df = (float[])d;
                for (int j = 0; j < n; j++)
                {
                    df[dof + (j * ds)] = sf[so + (j * ss)];
                }

                break;
            case double[] sd:
                var dd = (double[])d;
                for (int j = 0; j < n; j++)
                {
                    dd[dof + (j * ds)] = sd[so + (j * ss)];
                }

                break;
            case int[] si:
                var di = (int[])d;
                for (int j = 0; j < n; j++)
                {
                    di[dof + (j * ds)] = si[so + (j * ss)];
                }

                break;
            default:
                var su = (ushort[])s;
                var du = (ushort[])d;
                for (int j = 0; j < n; j++)
                {
                    du[dof + (j * ds)] = su[so + (j * ss)];
                }

                break;
        }
    }

    /// <inheritdoc/>
    protected override void CastCore(Storage src, Storage dst)
    {
        var s = (HostStorage)src;
        var d = (HostStorage)dst;
        Parallelism.For(s.Length, OpTable.Cast.Cost, (i0, i1) =>
        {
            switch ((s.DType, d.DType))
            {
                case (DType.Float32, DType.BFloat16):
                    for (int i = i0; i < i1; i++)
                    {
                        d.U16[i] = ((BFloat16)s.F32[i]).Bits;
                    }

                    break;
                case (DType.BFloat16, DType.Float32):
                    for (int i = i0; i < i1; i++)
                    {
                        d.F32[i] = (float)BFloat16.FromBits(s.U16[i]);
                    }

                    break;
                case (DType.Float32, DType.Float16):
                    for (int i = i0; i < i1; i++)
                    {
                        d.U16[i] = HalfBits.FromFloat(s.F32[i]);
                    }

                    break;
                case (DType.Float16, DType.Float32):
                    for (int i = i0; i < i1; i++)
                    {
                        d.F32[i] = HalfBits.ToFloat(s.U16[i]);
                    }

                    break;
                default:
                    for (int i = i0; i < i1; i++)
                    {
                        WriteFromDouble(d, i, ReadAsDouble(s, i));
                    }

                    break;
            }
        });
    }

    /// <inheritdoc/>
    protected override void RandomCore(RandomKind kind, Storage y, ulong seed, ulong stream)
    {
        var ys = (HostStorage)y;
        Parallelism.For(ys.Length, OpTable.Of(kind).Cost, (i0, i1) =>
        {
            for (int i = i0; i < i1; i++)
            {
                Draw(kind, ys, i, seed, stream);
            }
        });
    }

    /// <inheritdoc/>
    protected override void GatherCore(Storage x, int outer, int axisLen, int inner, Storage index, Storage y)
    {
        var xs = ((HostStorage)x).Data;
        var idx = ((HostStorage)index).I32;
        var ys = ((HostStorage)y).Data;
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
    protected override void IndexAddCore(Storage y, int outer, int axisLen, int inner, Storage index, Storage src)
    {
        // Parallel over the columns j: each output element still receives its contributions in increasing i.
        var ys = (HostStorage)y;
        var ss = (HostStorage)src;
        var idx = ((HostStorage)index).I32;
        int count = idx.Length;
        Parallelism.For(outer * inner, count, (w0, w1) =>
        {
            for (int w = w0; w < w1; w++)
            {
                int o = w / inner;
                int j = w % inner;
                for (int i = 0; i < count; i++)
                {
                    AddInto(ys, (((o * axisLen) + idx[i]) * inner) + j, ss, (((o * count) + i) * inner) + j);
                }
            }
        });
    }

    /// <inheritdoc/>
    protected override void ScatterAddCore(Storage y, int outer, int axisLen, int inner, Storage index, Storage src, int len)
    {
        var ys = (HostStorage)y;
        var ss = (HostStorage)src;
        var idx = ((HostStorage)index).I32;
        Parallelism.For(outer * inner, len, (w0, w1) =>
        {
            for (int w = w0; w < w1; w++)
            {
                int o = w / inner;
                int j = w % inner;
                for (int l = 0; l < len; l++)
                {
                    int si = (((o * len) + l) * inner) + j;
                    AddInto(ys, (((o * axisLen) + idx[si]) * inner) + j, ss, si);
                }
            }
        });
    }

    /// <inheritdoc/>
    protected override void MatMulCore(Storage a, Storage b, Storage y, int batch, int m, int k, int n)
    {
        if (y.DType != DType.Float32)
        {
            base.MatMulCore(a, b, y, batch, m, k, n);
            return;
        }

        var af = ((HostStorage)a).F32;
        var bf = ((HostStorage)b).F32;
        var yf = ((HostStorage)y).F32;
        MatMulF32.Run(af, bf, yf, batch, m, k, n);
    }
}
