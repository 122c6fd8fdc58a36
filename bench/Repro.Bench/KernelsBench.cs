using System.Diagnostics;
using System.Globalization;
using Repro.Engine;

namespace Repro.Bench;

/// <summary>
/// Repro's matmul and convolution kernels against ONNX Runtime one-node models (MatMul, Conv, MaxPool) on the same
/// inputs in the same process: each case alternates rounds (Repro, then ONNX Runtime) and prints both medians and
/// their ratio, on 1 and 2 threads (Repro's thread setting and ONNX Runtime's IntraOpNumThreads).
/// Usage: <c>kernels [matmul|conv|pool|all] [--rounds N] [--threads 1,2]</c>.
/// </summary>
[Bench("kernels", "matmul, conv2d and pooling vs ONNX Runtime one-node models, 1 and 2 threads (args: [matmul|conv|pool|all] [--rounds N] [--threads 1,2])")]
public static class KernelsBench
{
    public static int Run(string[] args)
    {
        string which = "all";
        int rounds = 7;
        int[] threadCounts = [1, 2];
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--rounds" && i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int r) && r > 0)
            {
                rounds = r;
                i++;
            }
            else if (args[i] == "--threads" && i + 1 < args.Length)
            {
                threadCounts = [.. args[i + 1].Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture))];
                i++;
            }
            else if (args[i] is "matmul" or "conv" or "pool" or "all")
            {
                which = args[i];
            }
            else
            {
                Console.Error.WriteLine($"kernels: unexpected argument '{args[i]}' (expected matmul, conv, pool, all, --rounds N, --threads 1,2)");
                return 2;
            }
        }

        Console.WriteLine($"kernels: {rounds} alternating rounds per case, medians; backend {Settings.DefaultBackend.Name}; {Environment.ProcessorCount} logical CPUs; ONNX Runtime {OrtVersion()}");
        Console.WriteLine("| case | threads | Repro ms | ORT ms | Repro GFLOP/s | ORT GFLOP/s | ratio (ORT time / Repro time) |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (int t in threadCounts)
        {
            if (which is "matmul" or "all")
            {
                foreach (int n in new[] { 256, 512, 1024 })
                {
                    MatMul($"matmul {n}^3", 1, n, n, n, t, rounds);
                }

                MatMul("matmul attention 8x[128x64]x[64x128]", 8, 128, 64, 128, t, rounds);
                MatMul("matmul attention 8x[128x128]x[128x64]", 8, 128, 128, 64, t, rounds);
            }

            if (which is "conv" or "all")
            {
                foreach (int batch in new[] { 1, 8 })
                {
                    foreach (var (c, hw) in new[] { (64, 56), (128, 28), (256, 14), (512, 7) })
                    {
                        Conv(batch, c, hw, 3, t, rounds);
                        Conv(batch, c, hw, 1, t, rounds);
                    }
                }

                Conv(4, 64, 56, 3, t, rounds);
            }

            if (which is "pool" or "all")
            {
                // ResNet-18's stem max pool (3x3, stride 2, pad 1) and its global average pool (7x7 to 1x1), and a 3x3
                // stride 1 average pool; GFLOP/s here counts one operation per window tap.
                MaxPool(1, t, rounds, composition: true);
                MaxPool(8, t, rounds, composition: false);
                GlobalAvgPool(1, t, rounds);
                GlobalAvgPool(8, t, rounds);
                AvgPool3x3(t, rounds);
            }
        }

        return 0;
    }

    private static void MatMul(string name, int batch, int m, int k, int n, int threads, int rounds)
    {
        int[] aShape = batch == 1 ? [m, k] : [batch, m, k];
        int[] bShape = batch == 1 ? [k, n] : [batch, k, n];
        int[] yShape = batch == 1 ? [m, n] : [batch, m, n];
        var a = Tensor.Randn(aShape, new Generator(2));
        var b = Tensor.Randn(bShape, new Generator(3));
        using var ort = OrtOneNode.Create("MatMul", threads, [("a", a.ToFloatArray(), aShape), ("b", b.ToFloatArray(), bShape)], yShape);
        Compare(name, 2.0 * batch * m * k * n, threads, rounds, () => Tensor.MatMul(a, b), ort);
    }

    private static void Conv(int batch, int channels, int hw, int kernel, int threads, int rounds)
    {
        int pad = kernel / 2;
        int[] xShape = [batch, channels, hw, hw];
        int[] wShape = [channels, channels, kernel, kernel];
        int[] yShape = [batch, channels, hw, hw];
        var x = Tensor.Randn(xShape, new Generator(4));
        var w = Tensor.Randn(wShape, new Generator(5));
        using var ort = OrtOneNode.Create(
            "Conv",
            threads,
            [("x", x.ToFloatArray(), xShape), ("w", w.ToFloatArray(), wShape)],
            yShape,
            OrtOneNode.Ints("pads", pad, pad, pad, pad),
            OrtOneNode.Ints("kernel_shape", kernel, kernel));
        double flops = 2.0 * batch * channels * hw * hw * channels * kernel * kernel;
        Compare($"conv {batch}x{channels}x{hw}x{hw} {kernel}x{kernel}", flops, threads, rounds, () => ConvRepro(x, w, pad), ort);
    }

    private static Tensor ConvRepro(Tensor x, Tensor w, int pad) => Tensor.Conv2d(x, w, padding: [pad]);

    private static void MaxPool(int batch, int threads, int rounds, bool composition)
    {
        int[] xShape = [batch, 64, 112, 112];
        var x = Tensor.Randn(xShape, new Generator(6));
        using var ort = OrtOneNode.MaxPool(threads, x.ToFloatArray(), xShape, kernel: 3, stride: 2, pad: 1);
        double taps = (double)batch * 64 * 56 * 56 * 9;
        string name = $"maxpool {batch}x64x112x112 3x3 s2 p1";
        Compare(name, taps, threads, rounds, () => Tensor.MaxPool2d(x, [3], [2], [1]), ort);

        // The kernel alone, into an output allocated once: what the op costs beyond allocating its 0.8 MB per image.
        var g = Engine.Backends.PoolGeometry.Create("max_pool2d", xShape, [3, 3], [2, 2], [1, 1, 1, 1], [1, 1], [0, 0, 0, 0]);
        var xs = OpCore.ComputeStorage(x);
        var ys = x.Backend.Allocate(DType.Float32, g.YLength);
        Compare(name + " (kernel only)", taps, threads, rounds, () =>
        {
            x.Backend.Pool2d(Engine.Backends.PoolPass.Max, xs, null, ys, g);
            return x;
        }, ort);
        if (composition)
        {
            // What Repro.Nn and the ONNX importer ran before the max_pool2d op: nine strided views stacked, then max.
            Compare(name + " (before: stacked views + max)", taps, threads, rounds, () => StackedMax(x), ort);
        }
    }

    private static Tensor StackedMax(Tensor x)
    {
        var p = x.Pad([0, 0, 0, 0, 1, 1, 1, 1], double.NegativeInfinity);
        var views = new Tensor[9];
        for (int ki = 0; ki < 3; ki++)
        {
            for (int kj = 0; kj < 3; kj++)
            {
                views[(ki * 3) + kj] = p.Slice(2, ki, ki + 111, 2).Slice(3, kj, kj + 111, 2);
            }
        }

        return Tensor.Stack(views, 2).Max(2);
    }

    private static void GlobalAvgPool(int batch, int threads, int rounds)
    {
        int[] xShape = [batch, 512, 7, 7];
        var x = Tensor.Randn(xShape, new Generator(7));
        using var ort = OrtOneNode.GlobalAveragePool(threads, x.ToFloatArray(), xShape);
        Compare($"global avgpool {batch}x512x7x7", (double)batch * 512 * 49, threads, rounds, () => Tensor.AvgPool2d(x, [7]), ort);
    }

    private static void AvgPool3x3(int threads, int rounds)
    {
        int[] xShape = [1, 64, 56, 56];
        var x = Tensor.Randn(xShape, new Generator(8));
        using var ort = OrtOneNode.AveragePool(threads, x.ToFloatArray(), xShape, kernel: 3, stride: 1, pad: 1, countIncludePad: false);
        Compare("avgpool 1x64x56x56 3x3 s1 p1", 64.0 * 56 * 56 * 9, threads, rounds, () => Tensor.AvgPool2d(x, [3], [1], [1], countIncludePad: false), ort);
    }

    private static void Compare(string name, double flops, int threads, int rounds, Func<Tensor> repro, OrtOneNode ort)
    {
        using var scope = Settings.UseThreads(threads);
        var rt = new double[rounds];
        var ot = new double[rounds];
        // Short cases repeat within a round (about 0.2 GFLOP per round), so timer resolution and one-off stalls weigh less.
        int reps = (int)Math.Clamp(2e8 / flops, 1, 200);

        // One unmeasured round of each first (at least 10 calls): compiled code, ONNX Runtime's arena and Repro's
        // buffer cache all settle in the first calls of a shape.
        _ = Seconds(() => repro(), Math.Max(reps, 10));
        _ = Seconds(ort.Run, Math.Max(reps, 10));
        for (int r = 0; r < rounds; r++)
        {
            rt[r] = Seconds(() => repro(), reps);
            ot[r] = Seconds(ort.Run, reps);
        }

        double rm = Median(rt);
        double om = Median(ot);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {threads} | {rm * 1e3:F3} | {om * 1e3:F3} | {flops / rm / 1e9:F1} | {flops / om / 1e9:F1} | {om / rm:F2}x |"));
    }

    private static double Seconds(Action f, int reps)
    {
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < reps; i++)
        {
            f();
        }

        return sw.Elapsed.TotalSeconds / reps;
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static string OrtVersion() => typeof(Microsoft.ML.OnnxRuntime.InferenceSession).Assembly.GetName().Version?.ToString() ?? "unknown";
}
