using System.Numerics;
using Repro.Engine.Numerics;

namespace Repro.Engine.Backends;

/// <summary>
/// The scalar reference backend: one thread, plain loops, each op's canonical order written out as literally as
/// possible. It defines the results that every other backend must match bit for bit, and shares no kernel code with
/// them (only the per-element semantics of <see cref="ScalarOps"/> and <see cref="Numerics"/> and the trees of
/// <see cref="Canonical"/>), so the conformance suite compares two independent implementations. Slow on purpose.
/// </summary>
public sealed class ReferenceBackend : Backend
{
    /// <summary>The shared instance.</summary>
    public static readonly ReferenceBackend Instance = new();

    private ReferenceBackend()
    {
    }

    /// <inheritdoc/>
    public override string Name => "reference";

    /// <summary>
    /// The canonical row sum, written out literally: chunks of <see cref="Canonical.ReductionChunk"/>; inside a chunk,
    /// element i goes to lane i mod <see cref="Canonical.ReductionLanes"/>, lanes start at +0; the lanes, then the
    /// chunk partials, meet in <see cref="Canonical.PairwiseTree{T}"/>. For int32 (wrapping) any order gives this sum.
    /// </summary>
    public static T CanonicalSum<T>(ReadOnlySpan<T> row)
        where T : struct, INumber<T>
    {
        int chunks = Canonical.ChunkCount(row.Length);
        var partials = new T[chunks];
        var lanes = new T[Canonical.ReductionLanes];
        for (int c = 0; c < chunks; c++)
        {
            Array.Fill(lanes, T.Zero);
            int start = c * Canonical.ReductionChunk;
            int end = Math.Min(start + Canonical.ReductionChunk, row.Length);
            for (int i = start; i < end; i++)
            {
                lanes[(i - start) % Canonical.ReductionLanes] += row[i];
            }

            partials[c] = Canonical.PairwiseTree<T>(lanes);
        }

        return Canonical.PairwiseTree<T>(partials);
    }

    /// <inheritdoc/>
    protected override Storage AllocateCore(DType dtype, int length) => new HostStorage(this, dtype, HostStorage.NewArray(dtype, length));

    /// <inheritdoc/>
    protected override Storage FromHostCore(Array data, DType dtype) => new HostStorage(this, dtype, (Array)data.Clone());

    /// <inheritdoc/>
    protected override Array ToHostCore(Storage storage) => (Array)((HostStorage)storage).Raw.Clone();

    /// <inheritdoc/>
    protected override void CopyCore(in View src, in View dst)
    {
        var s = ((HostStorage)src.Storage).Raw;
        var d = ((HostStorage)dst.Storage).Raw;
        for (int i = 0; i < ShapeUtil.Numel(dst.Shape); i++)
        {
            Array.Copy(s, ShapeUtil.OffsetOf(i, src.Shape, src.Strides, src.Offset), d, ShapeUtil.OffsetOf(i, dst.Shape, dst.Strides, dst.Offset), 1);
        }
    }

    /// <inheritdoc/>
    protected override void CastCore(Storage src, Storage dst)
    {
        for (int i = 0; i < src.Length; i++)
        {
            Write((HostStorage)dst, i, Read((HostStorage)src, i));
        }
    }

    /// <inheritdoc/>
    protected override void FillCore(Storage dst, double value)
    {
        for (int i = 0; i < dst.Length; i++)
        {
            Write((HostStorage)dst, i, value);
        }
    }

    /// <inheritdoc/>
    protected override void UnaryCore(UnaryOp op, Storage x, Storage y)
    {
        var (xs, ys) = ((HostStorage)x, (HostStorage)y);
        switch (x.DType)
        {
            case DType.Float32:
                Map(xs.F32, ys.F32, v => ScalarOps.Apply(op, v));
                break;
            case DType.Float64:
                Map(xs.F64, ys.F64, v => ScalarOps.Apply(op, v));
                break;
            default:
                Map(xs.I32, ys.I32, v => ScalarOps.Apply(op, v));
                break;
        }
    }

    /// <inheritdoc/>
    protected override void BinaryCore(BinaryOp op, in View a, in View b, Storage y, int[] shape)
    {
        switch (y.DType)
        {
            case DType.Float32:
                Zip<float>(a, b, y, shape, (u, v) => ScalarOps.Apply(op, u, v));
                break;
            case DType.Float64:
                Zip<double>(a, b, y, shape, (u, v) => ScalarOps.Apply(op, u, v));
                break;
            default:
                Zip<int>(a, b, y, shape, (u, v) => ScalarOps.Apply(op, u, v));
                break;
        }
    }

    /// <inheritdoc/>
    protected override void WhereCore(in View cond, in View a, in View b, Storage y, int[] shape)
    {
        var c = (HostStorage)cond.Storage;
        var d = ((HostStorage)y).Raw;
        for (int i = 0; i < y.Length; i++)
        {
            var pick = Read(c, ShapeUtil.OffsetOf(i, shape, cond.Strides, cond.Offset)) != 0.0 ? a : b;
            Array.Copy(((HostStorage)pick.Storage).Raw, ShapeUtil.OffsetOf(i, shape, pick.Strides, pick.Offset), d, i, 1);
        }
    }

    /// <inheritdoc/>
    protected override void ReduceCore(ReduceOp op, Storage x, int rows, int n, Storage y)
    {
        var (xs, ys) = ((HostStorage)x, (HostStorage)y);
        switch (x.DType)
        {
            case DType.Float32:
                Reduce(op, xs.F32, rows, n, ys, ScalarOps.Max, ScalarOps.Min);
                break;
            case DType.Float64:
                Reduce(op, xs.F64, rows, n, ys, ScalarOps.Max, ScalarOps.Min);
                break;
            default:
                Reduce(op, xs.I32, rows, n, ys, Math.Max, Math.Min);
                break;
        }
    }

    /// <inheritdoc/>
    protected override void MatMulCore(Storage a, Storage b, Storage y, int batch, int m, int k, int n)
    {
        var (sa, sb, ys) = ((HostStorage)a, (HostStorage)b, (HostStorage)y);
        switch (y.DType)
        {
            case DType.Float32:
                MatMul(sa.F32, sb.F32, ys.F32, batch, m, k, n, MathF.FusedMultiplyAdd);
                break;
            case DType.Float64:
                MatMul(sa.F64, sb.F64, ys.F64, batch, m, k, n, Math.FusedMultiplyAdd);
                break;
            default:
                MatMul(sa.I32, sb.I32, ys.I32, batch, m, k, n, (p, q, acc) => unchecked(acc + (p * q)));
                break;
        }
    }

    /// <inheritdoc/>
    protected override void Conv2dCore(ConvPass pass, Storage a, Storage b, Storage y, ConvGeometry g)
    {
        var result = Conv2dHost(pass, ((HostStorage)a).Raw, ((HostStorage)b).Raw, g);
        Array.Copy(result, ((HostStorage)y).Raw, result.Length);
    }

    /// <inheritdoc/>
    protected override void Pool2dCore(PoolPass pass, Storage a, Storage? b, Storage y, PoolGeometry g)
    {
        var result = Pool2dHost(pass, ((HostStorage)a).Raw, (b as HostStorage)?.Raw, g);
        Array.Copy(result, ((HostStorage)y).Raw, result.Length);
    }

    /// <summary>The definition of max_pool2d, avg_pool2d and their gradients (see <see cref="ReferencePool"/>).</summary>
    internal static Array Pool2dHost(PoolPass pass, Array a, Array? b, PoolGeometry g) => a switch
    {
        float[] fa => ReferencePool.Run(pass, fa, b as float[], g),
        double[] da => ReferencePool.Run(pass, da, b as double[], g),
        _ => throw new ArgumentException($"pool2d: expected float32 or float64 data, got {a.GetType().Name}", nameof(a)),
    };

    /// <summary>
    /// The definition of conv2d and its gradients (float32 or float64 arrays in, a new array of the same type out),
    /// one scalar fused multiply-add chain per output element starting at +0. Padding and the gaps of a stride
    /// contribute fma(.., 0, acc) terms like any other position, exactly as the im2col matrix's zeros did.
    /// Forward: y[n, o, oh, ow] over (c, ki, kj) of the group, x[n, c, oh*sh + ki*dh - top, ow*sw + kj*dw - left]
    /// times w[o, c, ki, kj]. Input gradient: dx[n, c, h, w] over (o, ki, kj) of the group, w[o, c, ki, kj] times
    /// dy[n, o, (h + top - ki*dh) / sh, (w + left - kj*dw) / sw] where both divisions are exact and in range.
    /// Weight gradient: dw[o, c, ki, kj] over (n, oh, ow), dy[n, o, oh, ow] times the forward's x element.
    /// </summary>
    internal static Array Conv2dHost(ConvPass pass, Array a, Array b, ConvGeometry g) => a switch
    {
        float[] fa => Conv2dHost(pass, fa, (float[])b, g, MathF.FusedMultiplyAdd),
        double[] da => Conv2dHost(pass, da, (double[])b, g, Math.FusedMultiplyAdd),
        _ => throw new ArgumentException($"conv2d: expected float32 or float64 data, got {a.GetType().Name}", nameof(a)),
    };

    private static T[] Conv2dHost<T>(ConvPass pass, T[] a, T[] b, ConvGeometry g, Func<T, T, T, T> fma)
        where T : struct
    {
        int kh = g.KH;
        int kw = g.KW;
        int oh = g.OH;
        int ow = g.OW;
        switch (pass)
        {
            case ConvPass.Forward:
            {
                var y = new T[g.YLength];
                for (int n = 0; n < g.N; n++)
                {
                    for (int o = 0; o < g.O; o++)
                    {
                        int grp = o / g.Og;
                        for (int i = 0; i < oh; i++)
                        {
                            for (int j = 0; j < ow; j++)
                            {
                                T acc = default;
                                for (int c = 0; c < g.Cg; c++)
                                {
                                    for (int ki = 0; ki < kh; ki++)
                                    {
                                        for (int kj = 0; kj < kw; kj++)
                                        {
                                            int ih = (i * g.StrideH) + (ki * g.DilationH) - g.PadTop;
                                            int iw = (j * g.StrideW) + (kj * g.DilationW) - g.PadLeft;
                                            T xv = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W ? a[((((n * g.C) + (grp * g.Cg) + c) * g.H) + ih) * g.W + iw] : default;
                                            acc = fma(xv, b[((((o * g.Cg) + c) * kh) + ki) * kw + kj], acc);
                                        }
                                    }
                                }

                                y[((((n * g.O) + o) * oh) + i) * ow + j] = acc;
                            }
                        }
                    }
                }

                return y;
            }

            case ConvPass.InputGrad:
            {
                var dx = new T[g.XLength];
                for (int n = 0; n < g.N; n++)
                {
                    for (int c = 0; c < g.C; c++)
                    {
                        int grp = c / g.Cg;
                        for (int h = 0; h < g.H; h++)
                        {
                            for (int w = 0; w < g.W; w++)
                            {
                                T acc = default;
                                for (int o = grp * g.Og; o < (grp + 1) * g.Og; o++)
                                {
                                    for (int ki = 0; ki < kh; ki++)
                                    {
                                        for (int kj = 0; kj < kw; kj++)
                                        {
                                            int th = h + g.PadTop - (ki * g.DilationH);
                                            int tw = w + g.PadLeft - (kj * g.DilationW);
                                            bool hit = th >= 0 && tw >= 0 && th % g.StrideH == 0 && tw % g.StrideW == 0 && th / g.StrideH < oh && tw / g.StrideW < ow;
                                            T dyv = hit ? a[((((n * g.O) + o) * oh) + (th / g.StrideH)) * ow + (tw / g.StrideW)] : default;
                                            acc = fma(b[((((o * g.Cg) + (c - (grp * g.Cg))) * kh) + ki) * kw + kj], dyv, acc);
                                        }
                                    }
                                }

                                dx[((((n * g.C) + c) * g.H) + h) * g.W + w] = acc;
                            }
                        }
                    }
                }

                return dx;
            }

            default:
            {
                var dw = new T[g.WLength];
                for (int o = 0; o < g.O; o++)
                {
                    int grp = o / g.Og;
                    for (int c = 0; c < g.Cg; c++)
                    {
                        for (int ki = 0; ki < kh; ki++)
                        {
                            for (int kj = 0; kj < kw; kj++)
                            {
                                T acc = default;
                                for (int n = 0; n < g.N; n++)
                                {
                                    for (int i = 0; i < oh; i++)
                                    {
                                        for (int j = 0; j < ow; j++)
                                        {
                                            int ih = (i * g.StrideH) + (ki * g.DilationH) - g.PadTop;
                                            int iw = (j * g.StrideW) + (kj * g.DilationW) - g.PadLeft;
                                            T xv = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W ? b[((((n * g.C) + (grp * g.Cg) + c) * g.H) + ih) * g.W + iw] : default;
                                            acc = fma(a[((((n * g.O) + o) * oh) + i) * ow + j], xv, acc);
                                        }
                                    }
                                }

                                dw[((((o * g.Cg) + c) * kh) + ki) * kw + kj] = acc;
                            }
                        }
                    }
                }

                return dw;
            }
        }
    }

    /// <inheritdoc/>
    protected override void GatherCore(Storage x, int outer, int axisLen, int inner, Storage index, Storage y)
    {
        var idx = ((HostStorage)index).I32;
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < idx.Length; i++)
            {
                Array.Copy(((HostStorage)x).Raw, ((o * axisLen) + idx[i]) * inner, ((HostStorage)y).Raw, ((o * idx.Length) + i) * inner, inner);
            }
        }
    }

    /// <inheritdoc/>
    protected override void IndexAddCore(Storage y, int outer, int axisLen, int inner, Storage index, Storage src)
    {
        var idx = ((HostStorage)index).I32;
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < idx.Length; i++)
            {
                for (int j = 0; j < inner; j++)
                {
                    AddInto(y, (((o * axisLen) + idx[i]) * inner) + j, src, (((o * idx.Length) + i) * inner) + j);
                }
            }
        }
    }

    /// <inheritdoc/>
    protected override void ScatterAddCore(Storage y, int outer, int axisLen, int inner, Storage index, Storage src, int len)
    {
        var idx = ((HostStorage)index).I32;
        for (int o = 0; o < outer; o++)
        {
            for (int l = 0; l < len; l++)
            {
                for (int j = 0; j < inner; j++)
                {
                    int si = (((o * len) + l) * inner) + j;
                    AddInto(y, (((o * axisLen) + idx[si]) * inner) + j, src, si);
                }
            }
        }
    }

    /// <inheritdoc/>
    protected override void RandomCore(RandomKind kind, Storage y, ulong seed, ulong stream)
    {
        var ys = (HostStorage)y;
        for (int i = 0; i < ys.Length; i++)
        {
            switch (kind, ys.DType)
            {
                case (RandomKind.Bits, _):
                    ys.I32[i] = unchecked((int)Philox.UInt32(seed, stream, i));
                    break;
                case (RandomKind.Uniform, DType.Float32):
                    ys.F32[i] = Philox.UniformFloat(seed, stream, i);
                    break;
                case (RandomKind.Uniform, _):
                    ys.F64[i] = Philox.UniformDouble(seed, stream, i);
                    break;
                case (_, DType.Float32):
                    ys.F32[i] = Philox.NormalFloat(seed, stream, i);
                    break;
                default:
                    ys.F64[i] = Philox.NormalDouble(seed, stream, i);
                    break;
            }
        }
    }

    /// <summary>Element i of any host buffer as a double (exact for every dtype).</summary>
    private static double Read(HostStorage s, int i) => s.DType switch
    {
        DType.Float32 => s.F32[i],
        DType.Float64 => s.F64[i],
        DType.Int32 => s.I32[i],
        DType.Float16 => HalfBits.ToFloat(s.U16[i]),
        DType.BFloat16 => (float)BFloat16.FromBits(s.U16[i]),
        _ => throw Throw.UnknownDType(s.DType),
    };

    /// <summary>
    /// Writes a double into element i with the engine's cast rules: to float32 by IEEE rounding, to int32 by truncation
    /// with saturation (NaN to 0), to float16/bfloat16 through float32 then round to nearest even.
    /// </summary>
    private static void Write(HostStorage s, int i, double v)
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

    private static void Map<T>(T[] x, T[] y, Func<T, T> f)
    {
        for (int i = 0; i < x.Length; i++)
        {
            y[i] = f(x[i]);
        }
    }

    /// <summary>y[i] = f(a[i], b[i]) with every element's position computed from the strides of its view.</summary>
    private static void Zip<T>(View a, View b, Storage y, int[] shape, Func<T, T, T> f)
    {
        var (xa, xb, ys) = ((T[])((HostStorage)a.Storage).Raw, (T[])((HostStorage)b.Storage).Raw, (T[])((HostStorage)y).Raw);
        for (int i = 0; i < ys.Length; i++)
        {
            ys[i] = f(xa[ShapeUtil.OffsetOf(i, shape, a.Strides, a.Offset)], xb[ShapeUtil.OffsetOf(i, shape, b.Strides, b.Offset)]);
        }
    }

    /// <summary>
    /// Each row of [rows, n]: the canonical sum; max and min by folding <paramref name="max"/> or <paramref name="min"/>
    /// from the first element (they are total orders, so this order is as good as any); argmax and argmin as the
    /// first index that holds the max (min) so found.
    /// </summary>
    private static void Reduce<T>(ReduceOp op, T[] x, int rows, int n, HostStorage y, Func<T, T, T> max, Func<T, T, T> min)
        where T : struct, INumber<T>
    {
        for (int r = 0; r < rows; r++)
        {
            var row = x.AsSpan(r * n, n);
            switch (op)
            {
                case ReduceOp.Sum:
                    ((T[])y.Raw)[r] = CanonicalSum<T>(row);
                    break;
                case ReduceOp.Max or ReduceOp.Min:
                    ((T[])y.Raw)[r] = Fold(row, op == ReduceOp.Max ? max : min);
                    break;
                default:
                    y.I32[r] = FirstIndexOf(row, Fold(row, op == ReduceOp.ArgMax ? max : min));
                    break;
            }
        }
    }

    /// <summary>
    /// The first position of <paramref name="best"/> in the row, a zero told apart from a zero of the other sign; when
    /// best is NaN (max and min propagate NaN, so exactly when the row holds one), the first NaN.
    /// </summary>
    private static int FirstIndexOf<T>(ReadOnlySpan<T> row, T best)
        where T : INumber<T>
    {
        int i = 0;
        while (T.IsNaN(best) ? !T.IsNaN(row[i]) : row[i] != best || T.IsNegative(row[i]) != T.IsNegative(best))
        {
            i++;
        }

        return i;
    }

    private static T Fold<T>(ReadOnlySpan<T> row, Func<T, T, T> f)
    {
        T acc = row[0];
        for (int i = 1; i < row.Length; i++)
        {
            acc = f(acc, row[i]);
        }

        return acc;
    }

    /// <summary>y[p, i, j] = acc = +0, then acc = mulAdd(a[p, i, q], b[p, q, j], acc) for q = 0..k-1 in order.</summary>
    private static void MatMul<T>(T[] a, T[] b, T[] y, int batch, int m, int k, int n, Func<T, T, T, T> mulAdd)
        where T : struct, INumber<T>
    {
        for (int p = 0; p < batch; p++)
        {
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    T acc = T.Zero;
                    for (int q = 0; q < k; q++)
                    {
                        acc = mulAdd(a[(p * m * k) + (i * k) + q], b[(p * k * n) + (q * n) + j], acc);
                    }

                    y[(p * m * n) + (i * n) + j] = acc;
                }
            }
        }
    }

    /// <summary>y[yi] += s[si] in the buffers' compute dtype (int32 wrapping).</summary>
    private static void AddInto(Storage y, int yi, Storage s, int si)
    {
        var (yh, sh) = ((HostStorage)y, (HostStorage)s);
        switch (y.DType)
        {
            case DType.Float32:
                yh.F32[yi] += sh.F32[si];
                break;
            case DType.Float64:
                yh.F64[yi] += sh.F64[si];
                break;
            default:
                yh.I32[yi] = unchecked(yh.I32[yi] + sh.I32[si]);
                break;
        }
    }
}
