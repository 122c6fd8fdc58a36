using Onnx;
using Repro.Engine;

namespace Repro.Onnx.Ops;

/// <summary>
/// Resize (opset 10 and 11+) in modes nearest and linear, separably one axis at a time: source coordinates and
/// weights are computed on the host in float32 (as ONNX's reference defines them), the values gathered with
/// index_select and blended with engine ops.
/// </summary>
internal static class OnnxResize
{
    public static string? Validate(NodeProto p, long _)
    {
        string Attr(string name, string fallback) => p.Attribute.FirstOrDefault(a => a.Name == name)?.S.ToStringUtf8() ?? fallback;
        string mode = Attr("mode", "nearest");
        if (mode is not ("nearest" or "linear"))
        {
            return $"attribute 'mode' value '{mode}' is not supported (nearest, linear)";
        }

        string ct = Attr("coordinate_transformation_mode", "half_pixel");
        if (ct is not ("half_pixel" or "asymmetric" or "align_corners" or "pytorch_half_pixel" or "half_pixel_symmetric"))
        {
            return $"attribute 'coordinate_transformation_mode' value '{ct}' is not supported";
        }

        string nm = Attr("nearest_mode", "round_prefer_floor");
        if (nm is not ("round_prefer_floor" or "round_prefer_ceil" or "floor" or "ceil"))
        {
            return $"attribute 'nearest_mode' value '{nm}' is not supported";
        }

        return p.Attribute.FirstOrDefault(a => a.Name == "exclude_outside") is { I: not 0 } ? "attribute 'exclude_outside' = 1 is not supported" : null;
    }

    public static OnnxValue[] Run(OnnxNode n)
    {
        var x = n.Float(0);
        int r = x.Rank;
        float[]? scales = null;
        long[]? sizes = null;
        if (n.Opset < 11)
        {
            scales = [.. n.In(1).AsTensor(DType.Float32).ToFloatArray()];
        }
        else
        {
            if (n.Optional(3) is { Numel: > 0 } s)
            {
                sizes = s.AsInts();
            }
            else if (n.Optional(2) is { Numel: > 0 } sc)
            {
                scales = sc.AsTensor(DType.Float32).ToFloatArray();
            }
        }

        if ((scales?.Length ?? sizes?.Length) != r)
        {
            throw n.Error($"expected {r} scales or sizes for input {x.ShapeString}");
        }

        string mode = n.String("mode", "nearest");
        string ct = n.String("coordinate_transformation_mode", n.Opset < 11 ? "asymmetric" : "half_pixel");
        string nm = n.String("nearest_mode", "round_prefer_floor");
        var y = x;
        for (int axis = 0; axis < r; axis++)
        {
            int inSize = x.Shape[axis];
            int outSize = sizes is not null ? checked((int)sizes[axis]) : (int)Math.Floor(inSize * scales![axis]);
            float scale = sizes is not null ? (float)outSize / inSize : scales![axis];
            if (outSize <= 0 || outSize > ShapeOps.MaxElements / Math.Max(1, x.Numel / Math.Max(1, inSize)))
            {
                throw n.Error($"output extent {outSize} for axis {axis} is not usable");
            }

            if (outSize == inSize && scale == 1f)
            {
                continue;
            }

            var src = new float[outSize];
            for (int o = 0; o < outSize; o++)
            {
                src[o] = ct switch
                {
                    "asymmetric" => o / scale,
                    "align_corners" => outSize == 1 ? 0 : o * (float)(inSize - 1) / (outSize - 1),
                    "pytorch_half_pixel" => outSize > 1 ? ((o + 0.5f) / scale) - 0.5f : 0,
                    _ => ((o + 0.5f) / scale) - 0.5f,
                };
            }

            y = mode == "nearest" ? Nearest(y, axis, src, inSize, nm) : Linear(y, axis, src, inSize, r);
        }

        return [OnnxValue.Of(y)];
    }

    private static Tensor Nearest(Tensor x, int axis, float[] src, int inSize, string nm)
    {
        var idx = src.Select(v =>
        {
            double f = Math.Floor(v);
            int i = nm switch
            {
                "floor" => (int)f,
                "ceil" => (int)Math.Ceiling(v),
                "round_prefer_ceil" => v - f >= 0.5 ? (int)f + 1 : (int)f,
                _ => v - f > 0.5 ? (int)f + 1 : (int)f,
            };
            return Math.Clamp(i, 0, inSize - 1);
        }).ToArray();
        return x.IndexSelect(axis, Tensor.FromArray(idx, [idx.Length]));
    }

    private static Tensor Linear(Tensor x, int axis, float[] src, int inSize, int rank)
    {
        var i0 = new int[src.Length];
        var i1 = new int[src.Length];
        var w0 = new float[src.Length];
        var w1 = new float[src.Length];
        for (int o = 0; o < src.Length; o++)
        {
            float v = Math.Clamp(src[o], 0, inSize - 1);
            int f = (int)MathF.Floor(v);
            i0[o] = f;
            i1[o] = Math.Min(f + 1, inSize - 1);
            w1[o] = v - f;
            w0[o] = 1 - w1[o];
        }

        var shape = Enumerable.Repeat(1, rank).ToArray();
        shape[axis] = src.Length;
        var a = x.IndexSelect(axis, Tensor.FromArray(i0, [i0.Length])).Mul(Tensor.FromArray(w0, shape, x.DType));
        var b = x.IndexSelect(axis, Tensor.FromArray(i1, [i1.Length])).Mul(Tensor.FromArray(w1, shape, x.DType));
        return a.Add(b);
    }
}
