using Repro.Engine.Numerics;

namespace Repro.Engine.Backends;

/// <summary>
/// The scalar reference backend: one thread, plain loops, each canonical order written out literally. It defines
/// the semantics that every other backend must match bit for bit; it is slow on purpose.
/// </summary>
public class ReferenceBackend : Backend
{
    /// <summary>The shared instance.</summary>
    public static readonly ReferenceBackend Instance = new();

    /// <inheritdoc/>
    public override string Name => "reference";

    /// <summary>Reads element i of any host buffer as a double (exact for every dtype).</summary>
    protected static double ReadAsDouble(HostStorage s, int i) => s.DType switch
    {
        DType.Float32 => s.F32[i],
        DType.Float64 => s.F64[i],
        DType.Int32 => s.I32[i],
        DType.Float16 => HalfBits.ToFloat(s.U16[i]),
        DType.BFloat16 => (float)BFloat16.FromBits(s.U16[i]),
        _ => throw Throw.UnknownDType(s.DType),
    };

    /// <summary>
    /// Writes a double into element i, converting with the engine's cast rules: to float32 by IEEE rounding, to int32
    /// by truncation with saturation (NaN to 0), to float16/bfloat16 through float32 then round to nearest even.
    /// </summary>
    protected static void WriteFromDouble(HostStorage s, int i, double v)
    {
        switch (s.DType)
        {
            case DType.Float32:
                s.F32[i] = (float)v;
                break;
            case DType.Float64:
                s.F64[i] = v;
                break;
            case DType.Int32:
                s.I32[i] = ScalarOps.ToInt(v);
                break;
            case DType.Float16:
                s.U16[i] = HalfBits.FromFloat((float)v);
                break;
            case DType.BFloat16:
                s.U16[i] = ((BFloat16)(float)v).Bits;
                break;
            default:
                throw Throw.UnknownDType(s.DType);
        }
    }

    /// <summary>The canonical float32 row sum, written out literally (chunks of 1024, 32 lanes, pairwise trees).</summary>
    public static float CanonicalSum(ReadOnlySpan<float> row)
    {
        int chunks = Canonical.ChunkCount(row.Length);
        var partials = new float[chunks];
        Span<float> lanes = stackalloc float[Canonical.ReductionLanes];
        for (int c = 0; c < chunks; c++)
        {
            lanes.Clear();
            int start = c * Canonical.ReductionChunk;
            int end = Math.Min(start + Canonical.ReductionChunk, row.Length);
            for (int i = start; i < end; i++)
            {
                lanes[(i - start) % Canonical.ReductionLanes] += row[i];
            }

            partials[c] = Canonical.PairwiseTree(lanes);
        }

        return Canonical.PairwiseTree<float>(partials);
    }

    /// <summary>The canonical float64 row sum (same chunks, lanes and trees as float32).</summary>
    public static double CanonicalSum(ReadOnlySpan<double> row)
    {
        int chunks = Canonical.ChunkCount(row.Length);
        var partials = new double[chunks];
        Span<double> lanes = stackalloc double[Canonical.ReductionLanes];
        for (int c = 0; c < chunks; c++)
        {
            lanes.Clear();
            int start = c * Canonical.ReductionChunk;
            int end = Math.Min(start + Canonical.ReductionChunk, row.Length);
            for (int i = start; i < end; i++)
            {
                lanes[(i - start) % Canonical.ReductionLanes] += row[i];
            }

            partials[c] = Canonical.PairwiseTree(lanes);
        }

        return Canonical.PairwiseTree<double>(partials);
    }

    /// <inheritdoc/>
    protected override Storage AllocateCore(DType dtype, int length) => new HostStorage(this, dtype, HostStorage.NewArray(dtype, length));

    /// <inheritdoc/>
    protected override Storage FromHostCore(Array data, DType dtype) => new HostStorage(this, dtype, (Array)data.Clone());

    /// <inheritdoc/>
    protected override Array ToHostCore(Storage storage) => (Array)((HostStorage)storage).Data.Clone();

    /// <inheritdoc/>
    protected override void CopyCore(in View src, in View dst)
    {
        var s = ((HostStorage)src.Storage).Data;
        var d = ((HostStorage)dst.Storage).Data;
        int n = ShapeUtil.Numel(dst.Shape);
        int elem = src.Storage.DType.SizeOf();
        for (int i = 0; i < n; i++)
        {
            int so = ShapeUtil.OffsetOf(i, src.Shape, src.Strides, src.Offset);
            int dof = ShapeUtil.OffsetOf(i, dst.Shape, dst.Strides, dst.Offset);
            Buffer.BlockCopy(s, so * elem, d, dof * elem, elem);
        }
    }

    /// <inheritdoc/>
    protected override void CastCore(Storage src, Storage dst)
    {
        var s = (HostStorage)src;
        var d = (HostStorage)dst;
        for (int i = 0; i < s.Length; i++)
        {
            WriteFromDouble(d, i, ReadAsDouble(s, i));
        }
    }

    /// <inheritdoc/>
    protected override void FillCore(Storage dst, double value)
    {
        var d = (HostStorage)dst;
        for (int i = 0; i < d.Length; i++)
        {
            WriteFromDouble(d, i, value);
        }
    }

    /// <inheritdoc/>
    protected override void UnaryCore(UnaryOp op, Storage x, Storage y)
    {
        var xs = (HostStorage)x;
        var ys = (HostStorage)y;
        for (int i = 0; i < xs.Length; i++)
        {
            switch (xs.DType)
            {
                case DType.Float32:
                    ys.F32[i] = ScalarOps.Apply(op, xs.F32[i]);
                    break;
                case DType.Float64:
                    ys.F64[i] = ScalarOps.Apply(op, xs.F64[i]);
                    break;
                default:
                    ys.I32[i] = ScalarOps.Apply(op, xs.I32[i]);
                    break;
            }
        }
    }

    /// <inheritdoc/>
    protected override void BinaryCore(BinaryOp op, in View a, in View b, Storage y, int[] shape)
    {
        var sa = (HostStorage)a.Storage;
        var sb = (HostStorage)b.Storage;
        var ys = (HostStorage)y;
        if (op == BinaryOp.Div && sb.DType == DType.Int32)
        {
            CheckNoZeroDivisor(b, shape);
        }

        int n = ys.Length;
        for (int i = 0; i < n; i++)
        {
            int ia = ShapeUtil.OffsetOf(i, shape, a.Strides, a.Offset);
            int ib = ShapeUtil.OffsetOf(i, shape, b.Strides, b.Offset);
            switch (ys.DType)
            {
                case DType.Float32:
                    ys.F32[i] = ScalarOps.Apply(op, sa.F32[ia], sb.F32[ib]);
                    break;
                case DType.Float64:
                    ys.F64[i] = ScalarOps.Apply(op, sa.F64[ia], sb.F64[ib]);
                    break;
                default:
                    ys.I32[i] = ScalarOps.Apply(op, sa.I32[ia], sb.I32[ib]);
                    break;
            }
        }
    }

    /// <summary>Rejects integer division by zero with an error naming the position.</summary>
    protected static void CheckNoZeroDivisor(in View b, int[] shape)
    {
        var sb = (HostStorage)b.Storage;
        int n = ShapeUtil.Numel(shape);
        for (int i = 0; i < n; i++)
        {
            if (sb.I32[ShapeUtil.OffsetOf(i, shape, b.Strides, b.Offset)] == 0)
            {
                throw new DivideByZeroException($"div: integer division by zero at output element {i}");
            }
        }
    }

    /// <inheritdoc/>
    protected override void WhereCore(in View cond, in View a, in View b, Storage y, int[] shape)
    {
        var sc = (HostStorage)cond.Storage;
        var sa = (HostStorage)a.Storage;
        var sb = (HostStorage)b.Storage;
        var ys = (HostStorage)y;
        for (int i = 0; i < ys.Length; i++)
        {
            bool c = ReadAsDouble(sc, ShapeUtil.OffsetOf(i, shape, cond.Strides, cond.Offset)) != 0.0;
            var src = c ? sa : sb;
            var v = c ? a : b;
            Array.Copy(src.Data, ShapeUtil.OffsetOf(i, shape, v.Strides, v.Offset), ys.Data, i, 1);
        }
    }

    /// <inheritdoc/>
    protected override void ReduceCore(ReduceOp op, Storage x, int rows, int n, Storage y)
    {
        var xs = (HostStorage)x;
        var ys = (HostStorage)y;
        for (int r = 0; r < rows; r++)
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
    }

    /// <summary>One float32 row of a reduction.</summary>
    protected static void ReduceRow(ReduceOp op, ReadOnlySpan<float> row, HostStorage y, int r)
    {
        switch (op)
        {
            case ReduceOp.Sum:
                y.F32[r] = CanonicalSum(row);
                break;
            case ReduceOp.Max or ReduceOp.Min:
                float m = row[0];
                for (int i = 1; i < row.Length; i++)
                {
                    m = op == ReduceOp.Max ? ScalarOps.Max(m, row[i]) : ScalarOps.Min(m, row[i]);
                }

                y.F32[r] = m;
                break;
            default:
                y.I32[r] = ArgBest(op == ReduceOp.ArgMax, row);
                break;
        }
    }

    /// <summary>One float64 row of a reduction.</summary>
    protected static void ReduceRow(ReduceOp op, ReadOnlySpan<double> row, HostStorage y, int r)
    {
        switch (op)
        {
            case ReduceOp.Sum:
                y.F64[r] = CanonicalSum(row);
                break;
            case ReduceOp.Max or ReduceOp.Min:
                double m = row[0];
                for (int i = 1; i < row.Length; i++)
                {
                    m = op == ReduceOp.Max ? ScalarOps.Max(m, row[i]) : ScalarOps.Min(m, row[i]);
                }

                y.F64[r] = m;
                break;
            default:
                y.I32[r] = ArgBest(op == ReduceOp.ArgMax, row);
                break;
        }
    }

    /// <summary>One int32 row of a reduction (wrapping sum; order does not matter for integers).</summary>
    protected static void ReduceRowInt(ReduceOp op, ReadOnlySpan<int> row, HostStorage y, int r)
    {
        switch (op)
        {
            case ReduceOp.Sum:
                int s = 0;
                foreach (int v in row)
                {
                    s = unchecked(s + v);
                }

                y.I32[r] = s;
                break;
            case ReduceOp.Max:
                int mx = int.MinValue;
                foreach (int v in row)
                {
                    mx = Math.Max(mx, v);
                }

                y.I32[r] = mx;
                break;
            case ReduceOp.Min:
                int mn = int.MaxValue;
                foreach (int v in row)
                {
                    mn = Math.Min(mn, v);
                }

                y.I32[r] = mn;
                break;
            default:
                int best = 0;
                for (int i = 1; i < row.Length; i++)
                {
                    if (op == ReduceOp.ArgMax ? row[i] > row[best] : row[i] < row[best])
                    {
                        best = i;
                    }
                }

                y.I32[r] = best;
                break;
        }
    }

    /// <summary>First index of the maximum (or minimum); the first NaN wins if there is one.</summary>
    protected static int ArgBest(bool max, ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 0; i < row.Length; i++)
        {
            float v = row[i];
            if (float.IsNaN(v))
            {
                return i;
            }

            float cur = row[best];
            bool better = max
                ? v > cur || (v == cur && float.IsNegative(cur) && !float.IsNegative(v))
                : v < cur || (v == cur && !float.IsNegative(cur) && float.IsNegative(v));
            if (better)
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>First index of the maximum (or minimum) of a float64 row; the first NaN wins.</summary>
    protected static int ArgBest(bool max, ReadOnlySpan<double> row)
    {
        int best = 0;
        for (int i = 0; i < row.Length; i++)
        {
            double v = row[i];
            if (double.IsNaN(v))
            {
                return i;
            }

            double cur = row[best];
            bool better = max
                ? v > cur || (v == cur && double.IsNegative(cur) && !double.IsNegative(v))
                : v < cur || (v == cur && !double.IsNegative(cur) && double.IsNegative(v));
            if (better)
            {
                best = i;
            }
        }

        return best;
    }

    /// <inheritdoc/>
    protected override void MatMulCore(Storage a, Storage b, Storage y, int batch, int m, int k, int n)
    {
        var sa = (HostStorage)a;
        var sb = (HostStorage)b;
        var ys = (HostStorage)y;
        for (int p = 0; p < batch; p++)
        {
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    int ao = (p * m * k) + (i * k);
                    int bo = (p * k * n) + j;
                    int yo = (p * m * n) + (i * n) + j;
                    switch (ys.DType)
                    {
                        case DType.Float32:
                            float accF = 0f;
                            for (int q = 0; q < k; q++)
                            {
                                accF = MathF.FusedMultiplyAdd(sa.F32[ao + q], sb.F32[bo + (q * n)], accF);
                            }

                            ys.F32[yo] = accF;
                            break;
                        case DType.Float64:
                            double accD = 0.0;
                            for (int q = 0; q < k; q++)
                            {
                                accD = Math.FusedMultiplyAdd(sa.F64[ao + q], sb.F64[bo + (q * n)], accD);
                            }

                            ys.F64[yo] = accD;
                            break;
                        default:
                            int accI = 0;
                            for (int q = 0; q < k; q++)
                            {
                                accI = unchecked(accI + (sa.I32[ao + q] * sb.I32[bo + (q * n)]));
                            }

                            ys.I32[yo] = accI;
                            break;
                    }
                }
            }
        }
    }

    /// <inheritdoc/>
    protected override void GatherCore(Storage x, int outer, int axisLen, int inner, Storage index, Storage y)
    {
        var xs = ((HostStorage)x).Data;
        var idx = ((HostStorage)index).I32;
        var ys = ((HostStorage)y).Data;
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < idx.Length; i++)
            {
                Array.Copy(xs, ((o * axisLen) + idx[i]) * inner, ys, ((o * idx.Length) + i) * inner, inner);
            }
        }
    }

    /// <inheritdoc/>
    protected override void IndexAddCore(Storage y, int outer, int axisLen, int inner, Storage index, Storage src)
    {
        var ys = (HostStorage)y;
        var ss = (HostStorage)src;
        var idx = ((HostStorage)index).I32;
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < idx.Length; i++)
            {
                for (int j = 0; j < inner; j++)
                {
                    AddInto(ys, (((o * axisLen) + idx[i]) * inner) + j, ss, (((o * idx.Length) + i) * inner) + j);
                }
            }
        }
    }

    /// <inheritdoc/>
    protected override void ScatterAddCore(Storage y, int outer, int axisLen, int inner, Storage index, Storage src, int len)
    {
        var ys = (HostStorage)y;
        var ss = (HostStorage)src;
        var idx = ((HostStorage)index).I32;
        for (int o = 0; o < outer; o++)
        {
            for (int l = 0; l < len; l++)
            {
                for (int j = 0; j < inner; j++)
                {
                    int si = (((o * len) + l) * inner) + j;
                    AddInto(ys, (((o * axisLen) + idx[si]) * inner) + j, ss, si);
                }
            }
        }
    }

    /// <summary>y[yi] += s[si] in the buffers' compute dtype.</summary>
    protected static void AddInto(HostStorage y, int yi, HostStorage s, int si)
    {
        switch (y.DType)
        {
            case DType.Float32:
                y.F32[yi] += s.F32[si];
                break;
            case DType.Float64:
                y.F64[yi] += s.F64[si];
                break;
            default:
                y.I32[yi] = unchecked(y.I32[yi] + s.I32[si]);
                break;
        }
    }

    /// <inheritdoc/>
    protected override void RandomCore(RandomKind kind, Storage y, ulong seed, ulong stream)
    {
        var ys = (HostStorage)y;
        for (int i = 0; i < ys.Length; i++)
        {
            Draw(kind, ys, i, seed, stream);
        }
    }

    /// <summary>Element i of a random draw.</summary>
    protected static void Draw(RandomKind kind, HostStorage y, int i, ulong seed, ulong stream)
    {
        switch (kind)
        {
            case RandomKind.Bits:
                y.I32[i] = unchecked((int)Philox.UInt32(seed, stream, i));
                break;
            case RandomKind.Uniform when y.DType == DType.Float32:
                y.F32[i] = Philox.UniformFloat(seed, stream, i);
                break;
            case RandomKind.Uniform:
                y.F64[i] = Philox.UniformDouble(seed, stream, i);
                break;
            case RandomKind.Normal when y.DType == DType.Float32:
                y.F32[i] = Philox.NormalFloat(seed, stream, i);
                break;
            default:
                y.F64[i] = Philox.NormalDouble(seed, stream, i);
                break;
        }
    }
}
