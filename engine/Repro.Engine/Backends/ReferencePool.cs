using System.Numerics;

namespace Repro.Engine.Backends;

/// <summary>
/// The definition of 2-D pooling and its gradients, written out literally, one output element at a time (see
/// <see cref="OpTable.MaxPool2d"/> and <see cref="OpTable.AvgPool2d"/> for the orders). Taps outside the input are
/// skipped by max and read as +0 terms by the average's sum.
/// </summary>
internal static class ReferencePool
{
    public static T[] Run<T>(PoolPass pass, T[] a, T[]? b, PoolGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (pass)
        {
            case PoolPass.Max:
            case PoolPass.Avg:
            {
                var y = new T[g.YLength];
                var row = new T[g.KH * g.KW];
                for (int p = 0; p < g.Planes; p++)
                {
                    for (int oh = 0; oh < g.OH; oh++)
                    {
                        for (int ow = 0; ow < g.OW; ow++)
                        {
                            y[(((p * g.OH) + oh) * g.OW) + ow] = pass == PoolPass.Max
                                ? Max(a, p, oh, ow, g)
                                : Sum(a, p, oh, ow, g, row) / T.CreateTruncating(g.Count(oh, ow));
                        }
                    }
                }

                return y;
            }

            default:
            {
                // dx[p, h, w]: acc = +0, then acc += term(oh, ow) over the windows having (h, w) as a tap, in increasing (oh, ow).
                var dx = new T[g.XLength];
                for (int p = 0; p < g.Planes; p++)
                {
                    for (int h = 0; h < g.H; h++)
                    {
                        for (int w = 0; w < g.W; w++)
                        {
                            T acc = T.Zero;
                            for (int oh = 0; oh < g.OH; oh++)
                            {
                                int ki = Tap(h, oh, g.StrideH, g.PadTop, g.DilationH, g.KH);
                                for (int ow = 0; ki >= 0 && ow < g.OW; ow++)
                                {
                                    int kj = Tap(w, ow, g.StrideW, g.PadLeft, g.DilationW, g.KW);
                                    if (kj < 0)
                                    {
                                        continue;
                                    }

                                    T dy = a[(((p * g.OH) + oh) * g.OW) + ow];
                                    if (pass == PoolPass.AvgGrad)
                                    {
                                        acc += dy / T.CreateTruncating(g.Count(oh, ow));
                                    }
                                    else if (ArgMax(b!, p, oh, ow, g) == (h * g.W) + w)
                                    {
                                        acc += dy;
                                    }
                                }
                            }

                            dx[(((p * g.H) + h) * g.W) + w] = acc;
                        }
                    }
                }

                return dx;
            }
        }
    }

    /// <summary>The tap index k with o * stride + k * dilation - pad == i, or -1 when i is not a tap of window o.</summary>
    private static int Tap(int i, int o, int stride, int pad, int dilation, int k)
    {
        int d = i + pad - (o * stride);
        return d >= 0 && d % dilation == 0 && d / dilation < k ? d / dilation : -1;
    }

    /// <summary>The window's input taps in row-major (ki, kj) order: the NaN if any tap is NaN, else the largest with +0 above -0.</summary>
    private static T Max<T>(T[] x, int p, int oh, int ow, PoolGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool any = false;
        T m = T.Zero;
        for (int ki = 0; ki < g.KH; ki++)
        {
            for (int kj = 0; kj < g.KW; kj++)
            {
                if (Inside(p, oh, ow, ki, kj, g, out int at))
                {
                    m = any ? ScalarOps.Max(m, x[at]) : x[at];
                    any = true;
                }
            }
        }

        return T.IsNaN(m) ? T.NaN : m;
    }

    /// <summary>The plane offset (h * W + w) of the first maximum in row-major (ki, kj) order: the first NaN if any.</summary>
    private static int ArgMax<T>(T[] x, int p, int oh, int ow, PoolGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int best = -1;
        T m = T.Zero;
        for (int ki = 0; ki < g.KH; ki++)
        {
            for (int kj = 0; kj < g.KW; kj++)
            {
                if (!Inside(p, oh, ow, ki, kj, g, out int at))
                {
                    continue;
                }

                T v = x[at];
                if (best < 0 || (!T.IsNaN(m) && (T.IsNaN(v) || ScalarOps.Beats(v, m, max: true))))
                {
                    best = at - (p * g.H * g.W);
                    m = v;
                }
            }
        }

        return best;
    }

    /// <summary>The window's kh*kw taps in row-major (ki, kj) order, outside ones as +0, in the canonical sum order.</summary>
    private static T Sum<T>(T[] x, int p, int oh, int ow, PoolGeometry g, T[] row)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int ki = 0; ki < g.KH; ki++)
        {
            for (int kj = 0; kj < g.KW; kj++)
            {
                row[(ki * g.KW) + kj] = Inside(p, oh, ow, ki, kj, g, out int at) ? x[at] : T.Zero;
            }
        }

        return ReferenceBackend.CanonicalSum<T>(row);
    }

    private static bool Inside(int p, int oh, int ow, int ki, int kj, PoolGeometry g, out int at)
    {
        int ih = (oh * g.StrideH) + (ki * g.DilationH) - g.PadTop;
        int iw = (ow * g.StrideW) + (kj * g.DilationW) - g.PadLeft;
        bool inside = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W;
        at = inside ? (((p * g.H) + ih) * g.W) + iw : -1;
        return inside;
    }
}
