using Repro.Engine;

namespace Repro.Onnx.Ops;

/// <summary>
/// The operators the importer runs, each a composition of existing engine ops (so each is deterministic by
/// construction: the engine fixes every op's order), and the attributes each accepts.
/// </summary>
public static class OnnxOps
{
    private static readonly Dictionary<string, OnnxOp> Table = Build();

    /// <summary>Every supported operator by name.</summary>
    public static IReadOnlyDictionary<string, OnnxOp> All => Table;

    /// <summary>The lowest and highest default-domain opset versions supported.</summary>
    public static (long Min, long Max) Opsets => (7, 17);

    private static Dictionary<string, OnnxOp> Build()
    {
        var ops = new List<OnnxOp>
        {
            Unary("Relu", x => x.Relu()),
            Unary("Sigmoid", x => x.Sigmoid()),
            Unary("Tanh", x => x.Tanh()),
            Unary("Erf", x => x.Erf()),
            Unary("Sqrt", x => x.Sqrt()),
            Unary("Exp", x => x.Exp()),
            Unary("Log", x => x.Log()),
            Unary("Neg", x => x.Neg()),
            Unary("Abs", x => x.Abs()),
            Unary("Reciprocal", x => 1.0 / x),
            new("LeakyRelu", ["alpha"], n =>
            {
                var x = n.Float(0);
                return [Of(Tensor.Where(x.Lt(0.0), x.Mul(n.Float("alpha", 0.01f)), x))];
            }),
            new("HardSigmoid", ["alpha", "beta"], n => [Of(n.Float(0).Mul(n.Float("alpha", 0.2f)).Add(n.Float("beta", 0.5f)).Clamp(0, 1))]),
            new("HardSwish", [], n =>
            {
                var x = n.Float(0);
                return [Of(x.Mul(x.Mul(1.0f / 6.0f).Add(0.5).Clamp(0, 1)))];
            }),
            new("Clip", ["min", "max"], Clip),
            Binary("Add", (a, b) => a.Add(b), (a, b) => a + b),
            Binary("Sub", (a, b) => a.Sub(b), (a, b) => a - b),
            Binary("Mul", (a, b) => a.Mul(b), (a, b) => a * b),
            Binary("Div", (a, b) => a.Div(b), (a, b) => b == 0 ? throw new OnnxException("Div: integer division by zero") : a / b),
            new("Pow", [], Pow),
            new("MatMul", [], n => [Of(n.Float(0).MatMul(n.Float(1)))]),
            new("Gemm", ["alpha", "beta", "transA", "transB"], Gemm),
            new("BatchNormalization", ["epsilon", "momentum", "spatial"], BatchNorm, (p, _) => p.Output.Count > 1 ? "training-mode outputs (mean, var) are not supported" : null),
            new("LayerNormalization", ["axis", "epsilon", "stash_type"], LayerNorm, (p, _) => p.Output.Count > 1 ? "outputs Mean and InvStdDev are not supported" : null),
            new("Softmax", ["axis"], Softmax),
            new("ReduceMean", ["axes", "keepdims", "noop_with_empty_axes"], n => Reduce(n, (x, axes, keep) => x.Mean(axes, keep))),
            new("ReduceSum", ["axes", "keepdims", "noop_with_empty_axes"], n => Reduce(n, (x, axes, keep) => x.Sum(axes, keep))),
            new("ReduceMax", ["axes", "keepdims"], n => Reduce(n, (x, axes, keep) => x.Max(axes, keep))),
            // 2-D global pools are one pooling op over the whole plane (the average: the same bits as the mean over the
            // spatial axes, sum then one division); other ranks reduce the spatial axes.
            new("GlobalAveragePool", [], n =>
            {
                var x = n.Float(0);
                return [Of(x.Rank == 4 && x.Numel > 0 ? Tensor.AvgPool2d(x, [x.Shape[2], x.Shape[3]], [1]) : x.Mean([.. Enumerable.Range(2, x.Rank - 2)], true))];
            }),
            new("GlobalMaxPool", [], n =>
            {
                var x = n.Float(0);
                return [Of(x.Rank == 4 && x.Numel > 0 ? Tensor.MaxPool2d(x, [x.Shape[2], x.Shape[3]], [1]) : x.Max([.. Enumerable.Range(2, x.Rank - 2)], true))];
            }),
            new("Conv", ["kernel_shape", "pads", "strides", "dilations", "group", "auto_pad"], OnnxConv.Run, OnnxConv.ValidateAutoPad),
            new("ConvTranspose", ["kernel_shape", "pads", "strides", "dilations", "group", "output_padding", "auto_pad"], OnnxConv.RunTranspose, (p, o) =>
                p.Attribute.Any(a => a.Name == "output_shape") ? "attribute 'output_shape' is not supported" : OnnxConv.ValidateAutoPad(p, o)),
            new("MaxPool", ["kernel_shape", "pads", "strides", "dilations", "ceil_mode", "auto_pad", "storage_order"], n => OnnxPool.Run(n, max: true), (p, o) =>
                p.Output.Count > 1 ? "output Indices is not supported" : OnnxConv.ValidateAutoPad(p, o)),
            new("AveragePool", ["kernel_shape", "pads", "strides", "ceil_mode", "auto_pad", "count_include_pad"], n => OnnxPool.Run(n, max: false), OnnxConv.ValidateAutoPad),
            new("Resize", ["mode", "coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a", "exclude_outside", "extrapolation_value"], OnnxResize.Run, OnnxResize.Validate),
            new("Flatten", ["axis"], Flatten),
            new("Reshape", ["allowzero"], Reshape),
            new("Transpose", ["perm"], Transpose),
            new("Concat", ["axis"], Concat),
            new("Squeeze", ["axes"], Squeeze),
            new("Unsqueeze", ["axes"], Unsqueeze),
            new("Gather", ["axis"], Gather),
            new("Slice", ["starts", "ends", "axes"], Slice),
            new("Shape", ["start", "end"], ShapeOf),
            new("Constant", ["value", "value_float", "value_floats", "value_int", "value_ints"], Constant),
            new("Identity", [], n => [n.In(0)]),
            new("Dropout", ["ratio", "seed", "is_test"], Dropout),
            new("Cast", ["to", "saturate"], Cast),
            new("Split", ["axis", "split", "num_outputs"], Split),
        };
        return ops.ToDictionary(o => o.Name, StringComparer.Ordinal);
    }

    private static OnnxValue Of(Tensor t) => OnnxValue.Of(t);

    private static OnnxOp Unary(string name, Func<Tensor, Tensor> f) => new(name, [], n => [Of(f(n.Float(0)))]);

    private static OnnxOp Binary(string name, Func<Tensor, Tensor, Tensor> f, Func<long, long, long> ints) => new(name, [], n =>
    {
        var a = n.In(0);
        var b = n.In(1);
        if (!a.IsFloat && !b.IsFloat)
        {
            return [HostInts.Binary(a, b, ints, $"node '{n.Name}' ({n.OpType})")];
        }

        return [Of(f(a.AsTensor(n.DType), b.AsTensor(n.DType)))];
    });

    private static OnnxValue[] Clip(OnnxNode n)
    {
        var x = n.Float(0);
        double lo = n.Opset < 11 ? n.Float("min", float.NegativeInfinity) : n.Optional(1) is { } mn ? Scalar(mn, n, "min") : double.NegativeInfinity;
        double hi = n.Opset < 11 ? n.Float("max", float.PositiveInfinity) : n.Optional(2) is { } mx ? Scalar(mx, n, "max") : double.PositiveInfinity;
        if (double.IsNegativeInfinity(lo))
        {
            return [Of(double.IsPositiveInfinity(hi) ? x : x.Minimum(hi))];
        }

        return [Of(double.IsPositiveInfinity(hi) ? x.Maximum(lo) : x.Clamp(lo, hi))];
    }

    private static double Scalar(OnnxValue v, OnnxNode n, string what)
    {
        if (v.Numel != 1)
        {
            throw n.Error($"{what} must be a scalar, got shape {ShapeOps.Fmt(v.Shape)}");
        }

        return v.IsFloat ? v.Tensor!.Item() : v.Ints![0];
    }

    private static OnnxValue[] Pow(OnnxNode n)
    {
        var x = n.Float(0);
        var y = n.In(1);
        return [Of(y.Numel == 1 && y.Shape.Length == 0 || (y.Numel == 1 && !y.IsFloat) ? x.Pow(Scalar(y, n, "exponent")) : x.Pow(y.AsTensor(n.DType)))];
    }

    private static OnnxValue[] Gemm(OnnxNode n)
    {
        var a = n.Float(0);
        var b = n.Float(1);
        if (n.Int("transA", 0) != 0)
        {
            a = a.Transpose();
        }

        if (n.Int("transB", 0) != 0)
        {
            b = b.Transpose();
        }

        var y = a.MatMul(b);
        float alpha = n.Float("alpha", 1f);
        if (alpha != 1f)
        {
            y = y.Mul(alpha);
        }

        if (n.Optional(2) is { } c)
        {
            float beta = n.Float("beta", 1f);
            var ct = c.AsTensor(n.DType);
            y = y.Add(beta == 1f ? ct : ct.Mul(beta));
        }

        return [Of(y)];
    }

    /// <summary>A per-channel parameter [C] shaped to broadcast over x [N, C, ...].</summary>
    private static Tensor Channel(Tensor p, int rank) => p.Reshape([p.Numel, .. Enumerable.Repeat(1, rank - 2)]);

    private static OnnxValue[] BatchNorm(OnnxNode n)
    {
        var x = n.Float(0);
        int r = x.Rank;
        var scale = Channel(n.Float(1), r);
        var bias = Channel(n.Float(2), r);
        var mean = Channel(n.Float(3), r);
        var variance = Channel(n.Float(4), r);
        var inv = scale.Div(variance.Add(n.Float("epsilon", 1e-5f)).Sqrt());
        return [Of(x.Sub(mean).Mul(inv).Add(bias))];
    }

    private static OnnxValue[] LayerNorm(OnnxNode n)
    {
        var x = n.Float(0);
        int axis = ShapeOps.Axis(n.Int("axis", -1), x.Rank, $"node '{n.Name}'");
        int[] axes = [.. Enumerable.Range(axis, x.Rank - axis)];
        var d = x.Sub(x.Mean(axes, true));
        var variance = d.Mul(d).Mean(axes, true);
        var y = d.Div(variance.Add(n.Float("epsilon", 1e-5f)).Sqrt()).Mul(n.Float(1));
        if (n.Optional(2) is { } b)
        {
            y = y.Add(b.AsTensor(n.DType));
        }

        return [Of(y)];
    }

    private static OnnxValue[] Softmax(OnnxNode n)
    {
        var x = n.Float(0);
        if (n.Opset >= 13)
        {
            return [Of(x.Softmax((int)n.Int("axis", -1)))];
        }

        // Before opset 13 Softmax works on the input coerced to 2-D at the axis.
        int axis = ShapeOps.Axis(n.Int("axis", 1), x.Rank, $"node '{n.Name}'");
        int outer = x.Shape.Take(axis).Aggregate(1, (a, d) => a * d);
        return [Of(x.Reshape([outer, x.Numel / Math.Max(outer, 1)]).Softmax(-1).Reshape([.. x.Shape]))];
    }

    private static OnnxValue[] Reduce(OnnxNode n, Func<Tensor, int[], bool, Tensor> f)
    {
        var x = n.Float(0);
        long[]? axes = n.Ints("axes") ?? n.Optional(1)?.AsInts();
        bool keep = n.Int("keepdims", 1) != 0;
        if (axes is null || axes.Length == 0)
        {
            if (n.Int("noop_with_empty_axes", 0) != 0)
            {
                return [Of(x)];
            }

            axes = [.. Enumerable.Range(0, x.Rank).Select(i => (long)i)];
        }

        return [Of(f(x, [.. axes.Select(a => ShapeOps.Axis(a, x.Rank, $"node '{n.Name}'")).Distinct().Order()], keep))];
    }

    private static OnnxValue Reshaped(OnnxValue x, int[] shape) =>
        x.IsFloat ? OnnxValue.Of(x.Tensor!.Reshape(shape)) : OnnxValue.OfInts(x.Ints!, shape, x.IsBool);

    private static OnnxValue[] Flatten(OnnxNode n)
    {
        var x = n.In(0);
        long axisRaw = n.Int("axis", 1);
        int axis = axisRaw == x.Shape.Length ? x.Shape.Length : ShapeOps.Axis(axisRaw, x.Shape.Length, $"node '{n.Name}'");
        int outer = x.Shape.Take(axis).Aggregate(1, (a, d) => a * d);
        int inner = x.Shape.Skip(axis).Aggregate(1, (a, d) => a * d);
        return [Reshaped(x, [outer, inner])];
    }

    private static OnnxValue[] Reshape(OnnxNode n)
    {
        var x = n.In(0);
        var target = n.In(1).AsInts();
        bool allowZero = n.Int("allowzero", 0) != 0;
        var shape = new long[target.Length];
        int infer = -1;
        long known = 1;
        for (int i = 0; i < target.Length; i++)
        {
            long d = target[i];
            if (d == 0 && !allowZero)
            {
                d = i < x.Shape.Length ? x.Shape[i] : throw n.Error($"shape {ShapeOps.Fmt(target)} copies axis {i} of an input of rank {x.Shape.Length}");
            }

            if (d == -1)
            {
                if (infer >= 0)
                {
                    throw n.Error($"shape {ShapeOps.Fmt(target)} has more than one -1");
                }

                infer = i;
                continue;
            }

            if (d < 0)
            {
                throw n.Error($"shape {ShapeOps.Fmt(target)} has a negative extent");
            }

            shape[i] = d;
            known = d == 0 ? 0 : known > ShapeOps.MaxElements / d ? throw n.Error($"shape {ShapeOps.Fmt(target)} has more than {ShapeOps.MaxElements} elements") : known * d;
        }

        if (infer >= 0)
        {
            shape[infer] = known == 0 ? 0 : x.Numel / known;
        }

        var s = ShapeOps.Checked(shape, $"node '{n.Name}' ({n.OpType})");
        if (ShapeOps.Numel(s) != x.Numel)
        {
            throw n.Error($"cannot reshape {ShapeOps.Fmt(x.Shape)} ({x.Numel} elements) to {ShapeOps.Fmt(target)}");
        }

        return [Reshaped(x, s)];
    }

    private static OnnxValue[] Transpose(OnnxNode n)
    {
        var x = n.In(0);
        int r = x.Shape.Length;
        int[] perm = n.Ints("perm") is { } p ? [.. p.Select(a => ShapeOps.Axis(a, r, $"node '{n.Name}'"))] : [.. Enumerable.Range(0, r).Reverse()];
        if (perm.Length != r || perm.Distinct().Count() != r)
        {
            throw n.Error($"perm {ShapeOps.Fmt(perm)} is not a permutation of {r} axes");
        }

        if (!x.IsFloat)
        {
            if (r > 1 && !perm.Select((a, i) => a == i).All(b => b))
            {
                throw n.Error("transposing an integer tensor of rank > 1 is not supported");
            }

            return [x];
        }

        return [Of(x.Tensor!.Permute(perm))];
    }

    private static OnnxValue[] Concat(OnnxNode n)
    {
        var parts = n.Inputs.Select((v, i) => v ?? throw n.Error($"input {i} is missing")).ToArray();
        int axis = ShapeOps.Axis(n.Int("axis", 0), parts[0].Shape.Length, $"node '{n.Name}'");
        if (parts.All(p => !p.IsFloat))
        {
            return [HostInts.Concat(parts, axis)];
        }

        return [Of(Tensor.Concat([.. parts.Select(p => p.AsTensor(n.DType))], axis))];
    }

    private static long[]? AxesOf(OnnxNode n) => n.Opset >= 13 ? n.Optional(1)?.AsInts() : n.Ints("axes");

    private static OnnxValue[] Squeeze(OnnxNode n)
    {
        var x = n.In(0);
        var axes = AxesOf(n);
        var drop = axes is null
            ? [.. Enumerable.Range(0, x.Shape.Length).Where(i => x.Shape[i] == 1)]
            : axes.Select(a => ShapeOps.Axis(a, x.Shape.Length, $"node '{n.Name}'")).ToHashSet();
        foreach (int a in drop)
        {
            if (x.Shape[a] != 1)
            {
                throw n.Error($"cannot squeeze axis {a} of extent {x.Shape[a]}");
            }
        }

        return [Reshaped(x, [.. x.Shape.Where((_, i) => !drop.Contains(i))])];
    }

    private static OnnxValue[] Unsqueeze(OnnxNode n)
    {
        var x = n.In(0);
        var axes = AxesOf(n) ?? throw n.Error("axes are missing");
        int r = x.Shape.Length + axes.Length;
        var add = axes.Select(a => ShapeOps.Axis(a, r, $"node '{n.Name}'")).ToHashSet();
        var shape = new List<int>();
        int k = 0;
        for (int i = 0; i < r; i++)
        {
            shape.Add(add.Contains(i) ? 1 : x.Shape[k++]);
        }

        return [Reshaped(x, [.. shape])];
    }

    private static OnnxValue[] Gather(OnnxNode n)
    {
        var data = n.In(0);
        var indices = n.In(1);
        int axis = ShapeOps.Axis(n.Int("axis", 0), data.Shape.Length, $"node '{n.Name}'");
        int len = data.Shape[axis];
        var idx = indices.AsInts().Select(i => i < -len || i >= len ? throw n.Error($"index {i} is out of range for axis {axis} of extent {len}") : i < 0 ? i + len : i).ToArray();
        if (!data.IsFloat)
        {
            return [HostInts.Gather(data, axis, idx, indices.Shape)];
        }

        var x = data.Tensor!;
        var index = Tensor.FromArray([.. idx.Select(i => (int)i)], [idx.Length]);
        var y = x.IndexSelect(axis, index);
        int[] shape = [.. data.Shape[..axis], .. indices.Shape, .. data.Shape[(axis + 1)..]];
        return [Of(y.Reshape(shape))];
    }

    private static OnnxValue[] Slice(OnnxNode n)
    {
        var x = n.In(0);
        long[] starts;
        long[] ends;
        long[]? axes;
        long[]? steps = null;
        if (n.Opset < 10)
        {
            starts = n.Ints("starts") ?? throw n.Error("attribute 'starts' is missing");
            ends = n.Ints("ends") ?? throw n.Error("attribute 'ends' is missing");
            axes = n.Ints("axes");
        }
        else
        {
            starts = n.In(1).AsInts();
            ends = n.In(2).AsInts();
            axes = n.Optional(3)?.AsInts();
            steps = n.Optional(4)?.AsInts();
        }

        axes ??= [.. Enumerable.Range(0, starts.Length).Select(i => (long)i)];
        steps ??= [.. Enumerable.Repeat(1L, starts.Length)];
        if (ends.Length != starts.Length || axes.Length != starts.Length || steps.Length != starts.Length)
        {
            throw n.Error("starts, ends, axes and steps differ in length");
        }

        var y = x;
        for (int i = 0; i < starts.Length; i++)
        {
            int a = ShapeOps.Axis(axes[i], x.Shape.Length, $"node '{n.Name}'");
            long dim = y.Shape[a];
            long step = steps[i];
            if (step == 0)
            {
                throw n.Error("a step of 0");
            }

            long s = starts[i] < 0 ? starts[i] + dim : starts[i];
            long e = ends[i] < 0 ? ends[i] + dim : ends[i];
            s = step > 0 ? Math.Clamp(s, 0, dim) : Math.Clamp(s, 0, dim - 1);
            e = step > 0 ? Math.Clamp(e, 0, dim) : Math.Clamp(e, -1, dim - 1);
            int count = (int)(step > 0 ? Math.Max(0, (e - s + step - 1) / step) : Math.Max(0, (s - e + (-step) - 1) / -step));
            if (!y.IsFloat)
            {
                y = HostInts.Slice(y, a, (int)s, (int)step, count);
            }
            else if (step > 0)
            {
                y = OnnxValue.Of(y.Tensor!.Slice(a, (int)s, (int)e, (int)step));
            }
            else
            {
                var index = Tensor.FromArray([.. Enumerable.Range(0, count).Select(k => (int)(s + (k * step)))], [count]);
                y = OnnxValue.Of(y.Tensor!.IndexSelect(a, index));
            }
        }

        return [y];
    }

    private static OnnxValue[] ShapeOf(OnnxNode n)
    {
        var x = n.In(0);
        int r = x.Shape.Length;
        long start = n.Int("start", 0);
        long end = n.Int("end", r);
        int s = (int)Math.Clamp(start < 0 ? start + r : start, 0, r);
        int e = (int)Math.Clamp(end < 0 ? end + r : end, 0, r);
        var dims = x.Shape[s..Math.Max(s, e)].Select(d => (long)d).ToArray();
        return [OnnxValue.OfInts(dims, [dims.Length])];
    }

    private static OnnxValue[] Constant(OnnxNode n)
    {
        if (n.Attribute("value") is { } v)
        {
            return [OnnxTensors.Decode(v.T, $"node '{n.Name}' (Constant): attribute 'value'", null).ToValue(n.DType)];
        }

        if (n.Attribute("value_float") is { } f)
        {
            return [OnnxValue.Of(Tensor.FromArray([f.F], [], n.DType))];
        }

        if (n.Attribute("value_floats") is { } fs)
        {
            return [OnnxValue.Of(Tensor.FromArray([.. fs.Floats], [fs.Floats.Count], n.DType))];
        }

        if (n.Attribute("value_int") is { } i)
        {
            return [OnnxValue.OfInts([i.I], [])];
        }

        if (n.Attribute("value_ints") is { } ints)
        {
            return [OnnxValue.OfInts([.. ints.Ints], [ints.Ints.Count])];
        }

        throw n.Error("no value attribute");
    }

    private static OnnxValue[] Dropout(OnnxNode n)
    {
        var x = n.In(0);
        if (n.OutputCount < 2)
        {
            return [x];
        }

        return [x, OnnxValue.OfInts(new long[x.Numel].Select(_ => 1L).ToArray(), x.Shape, isBool: true)];
    }

    private static OnnxValue[] Split(OnnxNode n)
    {
        var x = n.In(0);
        int axis = ShapeOps.Axis(n.Int("axis", 0), x.Shape.Length, $"node '{n.Name}'");
        int len = x.Shape[axis];
        long[] parts = (n.Opset >= 13 ? n.Optional(1)?.AsInts() : n.Ints("split"))
            ?? [.. Enumerable.Range(0, n.OutputCount).Select(i => (long)((len / n.OutputCount) + (i < len % n.OutputCount ? 1 : 0)))];
        if (parts.Length != n.OutputCount || parts.Sum() != len || parts.Any(v => v < 0))
        {
            throw n.Error($"split {ShapeOps.Fmt(parts)} does not divide axis {axis} of extent {len} into {n.OutputCount} outputs");
        }

        var outs = new OnnxValue[parts.Length];
        int start = 0;
        for (int i = 0; i < parts.Length; i++)
        {
            int count = (int)parts[i];
            outs[i] = x.IsFloat ? OnnxValue.Of(x.Tensor!.Slice(axis, start, start + count)) : HostInts.Slice(x, axis, start, 1, count);
            start += count;
        }

        return outs;
    }

    private static OnnxValue[] Cast(OnnxNode n)
    {
        var x = n.In(0);
        var to = (OnnxTensors.ElementType)n.Int("to", 0);
        if (OnnxTensors.IsFloat(to))
        {
            // Every floating-point value is computed in the run's dtype.
            return [OnnxValue.Of(x.AsTensor(n.DType))];
        }

        if (OnnxTensors.SizeOf(to) == 0)
        {
            throw n.Error($"cast to element type {to} is not supported");
        }

        var ints = x.AsInts();
        return [OnnxValue.OfInts(to == OnnxTensors.ElementType.Bool ? [.. ints.Select(v => v != 0 ? 1L : 0L)] : ints, x.Shape, to == OnnxTensors.ElementType.Bool)];
    }
}
