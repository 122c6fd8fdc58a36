using Repro.Engine;
using Repro.Nn;
using Repro.Recorder;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Repro.Precision.Tests;

/// <summary>Small float32 programs with one deliberately sensitive op or module, recorded in the test.</summary>
internal static class Planted
{
    /// <summary>Values from a fixed generator as host data (from_host: inputs keep float32 under a policy).</summary>
    private static float[] Values(int n, ulong seed, Func<float, float> map)
    {
        var g = new Generator(seed);
        using (Settings.UseThreads(1))
        {
            return [.. Tensor.Rand([n], g).ToFloatArray().Select(map)];
        }
    }

    /// <summary>
    /// relu, square, sum over 64 values of 60..120: each square fits float16 (at most 14,400), the sum (about
    /// 560,000) does not (float16 tops out at 65,504). Returns the sum's sequence number.
    /// </summary>
    public static long SumOfSquares(string log)
    {
        var data = Values(64, 1, v => 60 + (60 * v));
        using (Recorder.Recorder.Start(log))
        {
            var x = Tensor.FromArray(data, [64]);
            var r = x.Relu();
            var y = r * r;
            var s = y.Sum();
            return s.CreatedBy;
        }
    }

    /// <summary>
    /// A layer norm over activations of 1000 + N(0, 1)-ish noise: rounding them to bfloat16 (a step of 4 near 1000)
    /// erases the noise the layer norm is meant to scale up. A linear layer and a mean of squares follow.
    /// </summary>
    public static void LayerNormOverLargeActivations(string log)
    {
        var data = Values(4 * 64, 2, v => 1000 + (4 * v) - 2);
        var wdata = Values(64 * 8, 3, v => v - 0.5f);
        using (Recorder.Recorder.Start(log))
        {
            var h = Tensor.FromArray(data, [4, 64]);
            var w = Tensor.FromArray(wdata, [64, 8]);
            var ln = new LayerNorm(64);
            var n = ln.Call(h);
            var o = n.MatMul(w);
            var loss = o.Square().Mean();
            _ = loss;
        }
    }

    /// <summary>A softmax over 512 logits of 500 + U(0, 8): bfloat16's step of 2 at 500 moves every probability by a factor of up to e.</summary>
    public static void SoftmaxOverWideLogits(string log)
    {
        var data = Values(2 * 512, 4, v => 500 + (8 * v));
        using (Recorder.Recorder.Start(log))
        {
            var z = Tensor.FromArray(data, [2, 512]);
            var p = z.Softmax(1);
            var q = p * p;
            var loss = q.Sum();
            _ = loss;
        }
    }
}
