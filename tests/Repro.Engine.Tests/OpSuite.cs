using Repro.Engine;

namespace Repro.Engine.Tests;

/// <summary>
/// A fixed suite of ops over fixed-seed inputs, shared by the backend, thread and hardware invariance tests and by
/// the child-process probe. Each case builds its inputs on the current default backend and returns one result.
/// </summary>
public static class OpSuite
{
    /// <summary>Lengths that cross every vector width and the chunk boundaries.</summary>
    public static readonly int[] SumLengths = [.. Enumerable.Range(0, 258), 1023, 1024, 1025, 2047, 4097, 70_001];

    /// <summary>Values that stress edge cases, mixed into unary inputs.</summary>
    public static readonly float[] Specials =
    [
        0f, -0f, 1f, -1f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, -float.Epsilon,
        1e-38f, 88.5f, -103f, 89f, -88f, 1e30f, -1e30f, 0.5f, 3.1415927f, 20f, -20f, 1e-7f, 15.9f,
    ];

    /// <summary>Normal draws scaled by <paramref name="scale"/> with the special values at the front.</summary>
    /// <summary>conv2d's input or weight gradient through autograd, for a random upstream gradient.</summary>
    public static Tensor ConvGrad(int[] x, int[] w, int[] stride, int[] pads, int[] dilation, int groups, ulong seed, bool input)
    {
        var xt = Input(x, seed).RequireGrad();
        var wt = Input(w, seed + 1).RequireGrad();
        var y = Tensor.Conv2d(xt, wt, null, stride, pads, dilation, groups);
        y.Backward(Input([.. y.Shape], seed + 2));
        return (input ? xt.Grad : wt.Grad) ?? throw new InvalidOperationException("no gradient");
    }

    /// <summary>A pooling's input gradient through autograd, for a random upstream gradient (max: ties made likely by rounding).</summary>
    public static Tensor PoolGrad(int[] x, ulong seed, bool max, Func<Tensor, Tensor> pool)
    {
        var xt = (max ? Tied(x, seed) : Input(x, seed)).RequireGrad();
        var y = pool(xt);
        y.Backward(Input([.. y.Shape], seed + 1));
        return xt.Grad ?? throw new InvalidOperationException("no gradient");
    }

    /// <summary>Small integers (-2..2, and -0 in place of 0 every other time) and a NaN every 41: windows with tied maxima.</summary>
    public static Tensor Tied(int[] shape, ulong seed)
    {
        var data = new float[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < data.Length; i++)
        {
            int v = (int)(((ulong)i * 7919UL + (seed * 31UL)) % 5UL) - 2;
            data[i] = i % 41 == 40 ? float.NaN : v == 0 && i % 2 == 1 ? -0f : v;
        }

        return Tensor.FromArray(data, shape);
    }

    public static Tensor Input(int[] shape, ulong seed, double scale = 1.0, bool specials = false, DType dtype = DType.Float32)
    {
        var t = Tensor.Randn(shape, new Generator(seed)) * scale;
        if (specials && t.Numel > 0)
        {
            var data = t.ToFloatArray();
            for (int i = 0; i < Math.Min(Specials.Length, data.Length); i++)
            {
                data[i] = Specials[i];
            }

            t = Tensor.FromArray(data, shape);
        }

        return dtype == DType.Float32 ? t : t.To(dtype);
    }

    /// <summary>All cases, in a fixed order, each with a unique name.</summary>
    public static IEnumerable<(string Name, Func<Tensor> Run)> Cases()
    {
        foreach (int n in SumLengths)
        {
            yield return ($"sum[{n}]", () => Input([n], (ulong)n, 10).Sum());
        }

        foreach (var dtype in new[] { DType.Float64, DType.BFloat16, DType.Float16, DType.Int32 })
        {
            yield return ($"sum[3000]:{dtype.Name()}", () => Input([3000], 7, 5, dtype: dtype).Sum());
        }

        yield return ("sum[37,1100] axis1", () => Input([37, 1100], 11).Sum(1));
        yield return ("sum[5,6,7] axes0,2 keep", () => Input([5, 6, 7], 12).Sum([0, 2], keepdim: true));
        yield return ("sum[0,4] axis0", () => Input([0, 4], 13).Sum(0));
        yield return ("mean[9,300] axis1", () => Input([9, 300], 14).Mean(1));
        yield return ("var[9,300] axis1", () => Input([9, 300], 15).Var([1]));
        yield return ("max[5,6,7] axis1", () => Input([5, 6, 7], 16, specials: true).Max(1));
        yield return ("min[5,6,7] axis2", () => Input([5, 6, 7], 17, specials: true).Min(2));
        yield return ("argmax[5,60] axis1", () => Input([5, 60], 18).ArgMax(1));
        yield return ("argmin[5,60] axis0", () => Input([5, 60], 19).ArgMin(0));
        yield return ("logsumexp[7,33]", () => Input([7, 33], 20, 30).LogSumExp(1));
        yield return ("softmax[7,33]", () => Input([7, 33], 21, 5).Softmax(-1));
        yield return ("log_softmax[7,33]", () => Input([7, 33], 22, 5).LogSoftmax(-1));
        yield return ("softmax[4,10]:bf16", () => Input([4, 10], 23, 3, dtype: DType.BFloat16).Softmax(-1));

        // Rows long enough for the fused row kernels' vector loops and several sum chunks, with special values in the rows.
        yield return ("softmax[5,1000] specials", () => Input([5, 1000], 24, 8, specials: true).Softmax(-1));
        yield return ("softmax[3,2500]", () => Input([3, 2500], 25, 8).Softmax(1));
        yield return ("softmax[2,3,1025]:f64", () => Input([2, 3, 1025], 26, 8, dtype: DType.Float64).Softmax(-1));
        yield return ("log_softmax[4,777] specials", () => Input([4, 777], 27, 20, specials: true).LogSoftmax(-1));
        yield return ("log_softmax[3,2049]:f64", () => Input([3, 2049], 28, 20, dtype: DType.Float64).LogSoftmax(-1));
        yield return ("logsumexp[6,1100]", () => Input([6, 1100], 29, 30, specials: true).LogSumExp(-1));
        yield return ("logsumexp[6,130] keep", () => Input([6, 130], 30, 30).LogSumExp(1, keepdim: true));
        yield return ("softmax[3,64] -inf rows", () => Tensor.Concat([Tensor.Full([1, 64], double.NegativeInfinity), Input([1, 64], 31), Tensor.Full([1, 64], -0.0)], 0).Softmax(-1));
        yield return ("log_softmax[3,64] -inf rows", () => Tensor.Concat([Tensor.Full([1, 64], double.NegativeInfinity), Input([1, 64], 32), Tensor.Full([1, 64], 0.0)], 0).LogSoftmax(-1));

        foreach (var u in new (string Name, Func<Tensor, Tensor> F, double Scale)[]
        {
            ("neg", x => x.Neg(), 3), ("abs", x => x.Abs(), 3), ("exp", x => x.Exp(), 20), ("log", x => x.Abs().Log(), 10),
            ("sqrt", x => x.Abs().Sqrt(), 10), ("rsqrt", x => x.Rsqrt(), 10), ("tanh", x => x.Tanh(), 5), ("sigmoid", x => x.Sigmoid(), 10),
            ("relu", x => x.Relu(), 3), ("gelu", x => x.Gelu(), 5), ("erf", x => x.Erf(), 3), ("softplus", x => x.Softplus(), 3), ("sin", x => x.Sin(), 10),
            ("cos", x => x.Cos(), 10), ("sign", x => x.Sign(), 3),
        })
        {
            foreach (int n in new[] { 0, 1, 7, 257 })
            {
                yield return ($"{u.Name}[{n}]", () => u.F(Input([n], (ulong)(100 + n), u.Scale, specials: true)));
            }

            yield return ($"{u.Name}[300]:f64", () => u.F(Input([300], 31, u.Scale, dtype: DType.Float64)));
            yield return ($"{u.Name}[4099]", () => u.F(Input([4099], 33, u.Scale * 4, specials: true)));
            yield return ($"{u.Name}[300]:bf16", () => u.F(Input([300], 32, u.Scale, dtype: DType.BFloat16)));
        }

        foreach (var b in new (string Name, Func<Tensor, Tensor, Tensor> F)[]
        {
            ("add", (x, y) => x + y), ("sub", (x, y) => x - y), ("mul", (x, y) => x * y), ("div", (x, y) => x / y),
            ("pow", (x, y) => x.Abs().Pow(y)), ("maximum", (x, y) => x.Maximum(y)), ("minimum", (x, y) => x.Minimum(y)),
            ("eq", (x, y) => x.Eq(y)), ("lt", (x, y) => x.Lt(y)), ("ge", (x, y) => x.Ge(y)),
        })
        {
            yield return ($"{b.Name}[257]", () => b.F(Input([257], 40, 3, specials: true), Input([257], 41, 3)));
            yield return ($"{b.Name}[3,1,5]x[4,1]", () => b.F(Input([3, 1, 5], 42, 3), Input([4, 1], 43, 3)));
            yield return ($"{b.Name}[6,9]x[9]", () => b.F(Input([6, 9], 44, 3), Input([9], 45, 3)));
            yield return ($"{b.Name}[6,9]T", () => b.F(Input([9, 6], 46, 3).Transpose(), Input([6, 9], 47, 3)));
            yield return ($"{b.Name}[40]:f16", () => b.F(Input([40], 48, 3, dtype: DType.Float16), Input([40], 49, 3, dtype: DType.Float16)));
        }

        yield return ("add[5]:int32", () => Tensor.Arange(5) + Tensor.Arange(5));
        yield return ("where", () => Tensor.Where(Input([4, 5], 50).Gt(0), Input([4, 5], 51), Input([5], 52)));

        // Conditions that are not 0/1 masks: NaN counts as true and -0 as false, in every dtype.
        yield return ("where[cond specials]", () => Tensor.Where(Input([3, 12], 54, specials: true), Input([3, 12], 55), Input([12], 56)));
        foreach (var dtype in new[] { DType.Float64, DType.Float16, DType.BFloat16, DType.Int32 })
        {
            yield return ($"where[cond:{dtype.Name()}]", () => Tensor.Where(Input([5, 7], 57, 2, specials: true, dtype: dtype), Input([5, 7], 58), Input([7], 59)));
            yield return ($"where[values:{dtype.Name()}]", () => Tensor.Where(Input([5, 7], 64).Gt(0), Input([5, 7], 65, 4, dtype: dtype), Input([1, 7], 66, 4, dtype: dtype)));
        }

        yield return ("where[broadcast cond, transposed values]", () => Tensor.Where(Input([6, 1], 67).Gt(0), Input([8, 6], 68).Transpose(), Input([6, 8], 69)));
        yield return ("where[scalar]", () => Tensor.Where(Input([], 70).Gt(0), Input([], 71), Input([], 72)));
        yield return ("clamp", () => Input([50], 53, 3, specials: true).Clamp(-1, 1));

        foreach (var (a, b) in new (int[] A, int[] B)[]
        {
            ([0, 3], [3, 2]), ([1, 1], [1, 1]), ([3, 0], [0, 4]), ([7, 13], [13, 9]), ([33, 65], [65, 47]), ([64, 130], [130, 70]),
            ([2, 3, 4, 5], [5, 6]), ([2, 1, 4, 5], [3, 5, 6]), ([5], [5, 3]), ([4, 5], [5]), ([5], [5]),
        })
        {
            yield return ($"matmul{ShapeText(a)}x{ShapeText(b)}", () => Tensor.MatMul(Input(a, 60, 2), Input(b, 61, 2)));
        }

        // Edges of the blocked kernel: K = 0 and 1, K across the 256-step panels (each element's partial sum is
        // reloaded and continued), rows around the 6-row micro-tile and the 144-row work item, columns around the
        // 2-vector panel (32 float32 at 512 bits, 16 at 256) and the 8-panel work item.
        foreach (var (m, k, n) in new (int M, int K, int N)[]
        {
            (5, 0, 7), (6, 1, 33), (7, 257, 31), (13, 513, 17), (73, 300, 129), (12, 64, 257), (1, 520, 300), (145, 3, 65),
        })
        {
            yield return ($"matmul-edge[{m},{k}]x[{k},{n}]", () => Tensor.MatMul(Input([m, k], 80, 2), Input([k, n], 81, 2)));
        }

        yield return ("matmul-edge[transposed a and b]", () => Tensor.MatMul(Input([270, 19], 82, 2).Transpose(), Input([35, 270], 83, 2).Transpose()));
        yield return ("matmul-edge[strided a]", () => Tensor.MatMul(Input([40, 90], 84, 2).Slice(1, 3, 90, 2), Input([44, 21], 85, 2)));
        yield return ("matmul-edge[attention 8x[33,17]x[17,40]]", () => Tensor.MatMul(Input([8, 33, 17], 86, 2), Input([8, 17, 40], 87, 2)));
        yield return ("matmul-edge[300,260]x[260,70]:f64", () => Tensor.MatMul(Input([300, 260], 88, dtype: DType.Float64), Input([260, 70], 89, dtype: DType.Float64)));
        yield return ("matmul-edge[20,300]x[300,37]:int32", () => Tensor.MatMul(Input([20, 300], 90, 4, dtype: DType.Int32), Input([300, 37], 91, 4, dtype: DType.Int32)));
        // Convolution and its two gradients: padding (also asymmetric), stride, dilation, groups (depthwise), 1x1,
        // and a case past the kernel's tiles (more than 96 output channels, 256 output positions and 256 K steps).
        foreach (var (name, x, w, stride, pads, dilation, groups) in new (string, int[], int[], int[], int[], int[], int)[]
        {
            ("3x3 pad 1", [2, 3, 7, 6], [4, 3, 3, 3], [1, 1], [1, 1, 1, 1], [1, 1], 1),
            ("stride 2", [1, 5, 9, 8], [7, 5, 3, 3], [2, 2], [1, 1, 1, 1], [1, 1], 1),
            ("asymmetric", [2, 2, 6, 7], [3, 2, 2, 3], [1, 2], [0, 1, 2, 0], [1, 1], 1),
            ("dilation 2", [1, 3, 9, 9], [2, 3, 3, 3], [1, 1], [2, 2, 2, 2], [2, 2], 1),
            ("depthwise", [2, 6, 8, 8], [6, 1, 3, 3], [1, 1], [1, 1, 1, 1], [1, 1], 6),
            ("groups 2", [1, 4, 5, 5], [6, 2, 3, 3], [2, 1], [1, 0, 1, 0], [1, 1], 2),
            ("1x1", [3, 8, 5, 4], [5, 8, 1, 1], [1, 1], [0, 0, 0, 0], [1, 1], 1),
            ("tiles", [2, 30, 17, 17], [100, 30, 3, 3], [1, 1], [1, 1, 1, 1], [1, 1], 1),
        })
        {
            ulong seed = (ulong)(100 + x[1] + w[0]);
            yield return ($"conv2d[{name}]", () => Tensor.Conv2d(Input(x, seed), Input(w, seed + 1), null, stride, pads, dilation, groups));
            yield return ($"conv2d-input-grad[{name}]", () => ConvGrad(x, w, stride, pads, dilation, groups, seed, input: true));
            yield return ($"conv2d-weight-grad[{name}]", () => ConvGrad(x, w, stride, pads, dilation, groups, seed, input: false));
        }

        yield return ("conv2d[f64]", () => Tensor.Conv2d(Input([1, 3, 6, 6], 120, dtype: DType.Float64), Input([2, 3, 3, 3], 121, dtype: DType.Float64), padding: [1]));
        yield return ("conv2d[bf16]", () => Tensor.Conv2d(Input([1, 3, 6, 6], 122, dtype: DType.BFloat16), Input([2, 3, 3, 3], 123, dtype: DType.BFloat16), padding: [1]));
        // Pooling and its gradients: ResNet's 3x3 stride 2 pad 1, non-overlapping, asymmetric pads with dilation,
        // ceil_mode, windows past 32 taps (lanes) and past 1024 taps (chunks), specials (NaN, infinities, signed zeros).
        foreach (var (name, x, k, stride, pads, dilation, ceil) in new (string, int[], int[], int[], int[], int[], bool)[]
        {
            ("3x3 s2 p1", [2, 5, 11, 10], [3, 3], [2, 2], [1, 1, 1, 1], [1, 1], false),
            ("2x2", [3, 2, 8, 6], [2, 2], [2, 2], [0, 0, 0, 0], [1, 1], false),
            ("asymmetric dilated", [1, 3, 9, 8], [2, 3], [1, 2], [0, 1, 1, 2], [2, 1], false),
            ("ceil", [2, 2, 7, 8], [3, 2], [2, 3], [1, 0, 0, 1], [1, 1], true),
            ("7x7 global", [2, 4, 7, 7], [7, 7], [1, 1], [0, 0, 0, 0], [1, 1], false),
            ("41x40 chunks", [1, 2, 41, 40], [41, 40], [1, 1], [0, 0, 0, 0], [1, 1], false),
            ("wide 3x3 s2 p1", [2, 3, 9, 61], [3, 3], [2, 2], [1, 1, 1, 1], [1, 1], false),
            ("wide 3x3 s1 p1", [1, 2, 6, 45], [3, 3], [1, 1], [1, 1, 1, 1], [1, 1], false),
            ("wide 2x5 s2 dilated ceil", [1, 2, 7, 70], [2, 5], [1, 2], [0, 3, 1, 2], [1, 2], true),
        })
        {
            ulong seed = (ulong)(130 + x[2] + k[1]);
            yield return ($"max_pool2d[{name}]", () => Tensor.MaxPool2d(Input(x, seed, specials: true), k, stride, pads, dilation, ceil));
            yield return ($"avg_pool2d[{name}]", () => Tensor.AvgPool2d(Input(x, seed, 3, specials: true), k, stride, pads, ceil, countIncludePad: true, dilation));
            yield return ($"avg_pool2d-exclude-pad[{name}]", () => Tensor.AvgPool2d(Input(x, seed), k, stride, pads, ceil, countIncludePad: false, dilation));
            yield return ($"max_pool2d-grad[{name}]", () => PoolGrad(x, seed, max: true, t => Tensor.MaxPool2d(t, k, stride, pads, dilation, ceil)));
            yield return ($"avg_pool2d-grad[{name}]", () => PoolGrad(x, seed, max: false, t => Tensor.AvgPool2d(t, k, stride, pads, ceil, countIncludePad: false, dilation)));
        }

        yield return ("max_pool2d[f64]", () => Tensor.MaxPool2d(Input([1, 3, 6, 6], 140, specials: true, dtype: DType.Float64), [3], [2], [1]));
        yield return ("avg_pool2d[f64]", () => Tensor.AvgPool2d(Input([1, 3, 6, 6], 141, dtype: DType.Float64), [3], [2], [1]));
        yield return ("max_pool2d[bf16]", () => Tensor.MaxPool2d(Input([1, 3, 6, 6], 142, dtype: DType.BFloat16), [3], [2], [1]));
        yield return ("avg_pool2d[f16]", () => Tensor.AvgPool2d(Input([1, 3, 6, 6], 143, dtype: DType.Float16), [3], [2], [1]));
        yield return ("matmul[9,20]x[20,11]:f64", () => Tensor.MatMul(Input([9, 20], 62, dtype: DType.Float64), Input([20, 11], 63, dtype: DType.Float64)));
        yield return ("matmul[9,20]x[20,11]:bf16", () => Tensor.MatMul(Input([9, 20], 64, dtype: DType.BFloat16), Input([20, 11], 65, dtype: DType.BFloat16)));
        yield return ("matmul[3,4]x[4,5]:int32", () => Tensor.MatMul(Tensor.Arange(12).Reshape([3, 4]), Tensor.Arange(20).Reshape([4, 5])));

        yield return ("index_select", () => Input([6, 5], 70).IndexSelect(0, Tensor.FromArray(new[] { 5, 0, 0, 3 }, [4])));
        yield return ("index_add", () => Input([6, 5], 71).IndexAdd(0, Tensor.FromArray(new[] { 1, 1, 4, 1 }, [4]), Input([4, 5], 72)));
        yield return ("scatter_add", () => Input([3, 4], 73).ScatterAdd(1, Tensor.FromArray(new[] { 0, 0, 3, 1, 2, 2, 2, 2, 3, 0, 1, 3 }, [3, 4]), Input([3, 4], 74)));
        yield return ("one_hot", () => Tensor.OneHot(Tensor.FromArray(new[] { 3, 0, 9, 3 }, [4]), 10));
        yield return ("concat", () => Tensor.Concat([Input([2, 3], 75), Input([4, 3], 76).Slice(0, 1, 4), Input([1, 3], 77)], 0));
        yield return ("stack", () => Tensor.Stack([Input([2, 3], 78), Input([2, 3], 79)], 1));
        yield return ("pad", () => Input([2, 3], 80).Pad([1, 0, 2, 1], -7));
        yield return ("permute-contiguous", () => Input([2, 3, 4], 81).Permute([2, 0, 1]).Contiguous());
        yield return ("slice-step", () => Input([20], 82).Slice(0, 1, 19, 3) * 2.0);
        yield return ("expand", () => Input([3, 1], 83).Expand([3, 4]) + 0.0);

        yield return ("rand[1000]", () => Tensor.Rand([1000], new Generator(90)));
        yield return ("randn[1001]", () => Tensor.Randn([1001], new Generator(91)));
        yield return ("randn[64]:f64", () => Tensor.Randn([64], new Generator(92), DType.Float64));
        yield return ("bernoulli[500]", () => Tensor.Bernoulli([500], 0.3, new Generator(93)));
        yield return ("randperm[100]", () => Tensor.Permutation(100, new Generator(94)));

        foreach (var from in DTypes.Values)
        {
            foreach (var to in DTypes.Values)
            {
                yield return ($"cast {from.Name()}->{to.Name()}", () => Input([64], 95, 1000, specials: true, dtype: from).To(to));
            }
        }
    }

    private static string ShapeText(int[] s) => "[" + string.Join(",", s) + "]";
}
