using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using Repro.Engine;
using Repro.Engine.Backends;
using Repro.Engine.Numerics;
using Repro.Nn;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Repro.Bench;

/// <summary>
/// Elementwise transcendentals and fused row kernels against the fast libraries a user would run instead, in one
/// process, alternating rounds, medians and ratios:
/// <list type="bullet">
/// <item>each transcendental over 4M float32 on 1 thread: the managed backend's unary kernel (VectorMath where it covers
/// the function) against TensorPrimitives (System.Numerics.Tensors 10.0; not correctly rounded), with the scalar
/// DetMath loop for reference;</item>
/// <item>softmax and layer norm at [2048, 1000] and [4096, 768] on 1 and 2 threads: the tensor API (inference: no
/// recorder, no gradient, so the fused row kernel runs) and the composition it replaces, against ONNX Runtime one-node
/// models (Softmax, LayerNormalization; opset 17; intra-op threads set).</item>
/// </list>
/// Usage: <c>kernels-rows [--rounds N] [--only transcendentals|rows|phases]</c> (phases, not part of the default run: the
/// fused softmax kernel on bare arrays and its exp, max and sum steps, 2048 x 1000, 1 thread).
/// </summary>
[Bench("kernels-rows", "transcendentals (4M float32, 1 thread) vs TensorPrimitives; softmax and layer norm vs ONNX Runtime (1 and 2 threads)")]
public static class RowKernelsBench
{
    public static int Run(string[] args)
    {
        int rounds = 7;
        int at = Array.IndexOf(args, "--rounds");
        if (at >= 0 && at + 1 < args.Length)
        {
            rounds = int.Parse(args[at + 1], CultureInfo.InvariantCulture);
        }

        int onlyAt = Array.IndexOf(args, "--only");
        string only = onlyAt >= 0 && onlyAt + 1 < args.Length ? args[onlyAt + 1] : "all";
        string width = Vector512.IsHardwareAccelerated ? "Vector512" : Vector256.IsHardwareAccelerated ? "Vector256" : Vector128.IsHardwareAccelerated ? "Vector128" : "scalar";
        Console.WriteLine($"kernels-rows: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}, widest vector {width}; {rounds} alternating rounds, medians");
        if (only is "all" or "transcendentals")
        {
            Transcendentals(rounds);
        }

        if (only is "all" or "rows")
        {
            Rows(rounds);
        }

        if (only == "phases")
        {
            Phases();
        }

        return 0;
    }

    private sealed record Function(string Name, UnaryOp? Op, float Lo, float Hi, Action<float[], float[]>? Baseline, Func<float, float> Scalar);

    private static void Transcendentals(int rounds)
    {
        const int N = 4 << 20;
        Console.WriteLine();
        Console.WriteLine($"Transcendentals, {N / (1 << 20)}M float32, 1 thread (Melem/s; ratio = Repro / TensorPrimitives)");
        Console.WriteLine("function  Repro kernel  TensorPrimitives  ratio   scalar DetMath loop  vectorized");
        Function[] functions =
        [
            new("exp", UnaryOp.Exp, -80f, 80f, (x, y) => TensorPrimitives.Exp(x, y), DetMath.Exp),
            new("log", UnaryOp.Log, 1e-30f, 1e30f, (x, y) => TensorPrimitives.Log(x, y), DetMath.Log),
            new("tanh", UnaryOp.Tanh, -10f, 10f, (x, y) => TensorPrimitives.Tanh(x, y), DetMath.Tanh),
            new("sigmoid", UnaryOp.Sigmoid, -20f, 20f, (x, y) => TensorPrimitives.Sigmoid(x, y), DetMath.Sigmoid),
            new("erf", UnaryOp.Erf, -4f, 4f, null, DetMath.Erf),
            new("gelu", UnaryOp.Gelu, -5f, 5f, null, x => ScalarOps.Apply(UnaryOp.Gelu, x)),
            new("sin", UnaryOp.Sin, -100f, 100f, (x, y) => TensorPrimitives.Sin(x, y), DetMath.Sin),
            new("cos", UnaryOp.Cos, -100f, 100f, (x, y) => TensorPrimitives.Cos(x, y), DetMath.Cos),
            new("expm1", null, -5f, 5f, null, DetMath.Expm1),
            new("log1p", null, -0.9f, 10f, null, DetMath.Log1p),
        ];

        using var threads = Settings.UseThreads(1);
        foreach (var f in functions)
        {
            var xs = Uniform(N, f.Lo, f.Hi, 11);
            var ys = new float[N];
            var x = ManagedBackend.Instance.FromHost(xs, DType.Float32);
            var y = ManagedBackend.Instance.Allocate(DType.Float32, N);
            var ours = new List<double>();
            var baseline = new List<double>();
            var scalar = new List<double>();
            for (int r = 0; r < rounds; r++)
            {
                if (f.Op is { } op)
                {
                    ours.Add(Seconds(() => ManagedBackend.Instance.Unary(op, x, y)));
                }

                if (f.Baseline is { } b)
                {
                    baseline.Add(Seconds(() => b(xs, ys)));
                }

                if (r < 3)
                {
                    scalar.Add(Seconds(() =>
                    {
                        for (int i = 0; i < xs.Length; i++)
                        {
                            ys[i] = f.Scalar(xs[i]);
                        }
                    }));
                }
            }

            double o = ours.Count > 0 ? N / Median(ours) / 1e6 : double.NaN;
            double t = baseline.Count > 0 ? N / Median(baseline) / 1e6 : double.NaN;
            double s = N / Median(scalar) / 1e6;
            string vectorized = f.Op is { } u && VectorMath.Covers(u) ? "yes" : "no";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{f.Name,-9} {Num(o),12}  {Num(t),16}  {Ratio(o, t),6}   {s,19:F0}  {vectorized}"));
        }
    }

    private static void Rows(int rounds)
    {
        Console.WriteLine();
        Console.WriteLine("Row kernels, float32 (ms per call: median over rounds of the mean of 5 calls; composition: 3 single calls; ratio = ONNX Runtime time / Repro time, > 1 means Repro is faster)");
        Console.WriteLine("op          shape        threads  Repro fused  composition  ONNX Runtime  ratio");
        foreach (var (rows, n) in new[] { (2048, 1000), (4096, 768) })
        {
            var data = Uniform(rows * n, -6f, 6f, rows + n);
            var x = Tensor.FromArray(data, [rows, n]);
            var gamma = Uniform(n, 0.5f, 1.5f, 3);
            var beta = Uniform(n, -0.2f, 0.2f, 4);
            var norm = new LayerNorm(n);
            using (Autograd.NoGrad())
            {
                norm.Gamma.Value.Assign(Tensor.FromArray(gamma, [n]));
                norm.Beta.Value.Assign(Tensor.FromArray(beta, [n]));
            }

            foreach (int t in new[] { 1, 2 })
            {
                using var threads = Settings.UseThreads(t);
                using var noGrad = Autograd.NoGrad();
                using (var ort = OrtOneNode.Create("Softmax", t, [("x", data, [rows, n])], [rows, n], OrtOneNode.Int("axis", -1)))
                {
                    Check("softmax", x.Softmax(-1).ToFloatArray(), ort.RunOnce());
                    Line("softmax", rows, n, t, rounds, () => x.Softmax(-1), ort.Run);
                }

                using (var ort = OrtOneNode.Create("LayerNormalization", t, [("x", data, [rows, n]), ("scale", gamma, [n]), ("bias", beta, [n])], [rows, n], OrtOneNode.Int("axis", -1)))
                {
                    Check("layer_norm", norm.Forward(x).ToFloatArray(), ort.RunOnce());
                    Line("layer_norm", rows, n, t, rounds, () => norm.Forward(x), ort.Run);
                }
            }
        }
    }

    // Where a fused softmax's time goes: the kernel on arrays, and exp over the rows one by one against one call.
    private static void Phases()
    {
        const int rows = 2048, n = 1000;
        var x = Uniform(rows * n, -6f, 6f, 1);
        var y = new float[rows * n];
        using var threads = Settings.UseThreads(1);
        for (int round = 0; round < 3; round++)
        {
            double kernel = Seconds(() => RowKernels.Softmax(x, y, rows, n));
            double whole = Seconds(() => VectorMath.Map<float>(UnaryOp.Exp, x, y));
            double perRow = Seconds(() =>
            {
                for (int r = 0; r < rows; r++)
                {
                    VectorMath.Map<float>(UnaryOp.Exp, x.AsSpan(r * n, n), y.AsSpan(r * n, n));
                }
            });
            double max = Seconds(() =>
            {
                for (int r = 0; r < rows; r++)
                {
                    _ = RowKernels.RowMax<float>(x.AsSpan(r * n, n));
                }
            });
            double sum = Seconds(() =>
            {
                for (int r = 0; r < rows; r++)
                {
                    _ = RowKernels.RowSum<float>(x.AsSpan(r * n, n));
                }
            });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"softmax kernel {kernel * 1e3:F2} ms; exp one call {whole * 1e3:F2} ms, per row {perRow * 1e3:F2} ms; row max {max * 1e3:F2} ms; row sum {sum * 1e3:F2} ms"));
        }
    }

    private static void Line(string op, int rows, int n, int threads, int rounds, Func<Tensor> repro, Action ort)
    {
        var fused = new List<double>();
        var composed = new List<double>();
        var baseline = new List<double>();
        const int calls = 5;
        for (int r = 0; r < rounds + 1; r++)
        {
            double f = Seconds(() => Repeat(calls, () => repro())) / calls;
            double o = Seconds(() => Repeat(calls, ort)) / calls;
            RowFastPath.Off = true;
            double c = r < 3 ? Seconds(() => repro()) : double.NaN;
            RowFastPath.Off = false;
            if (r == 0)
            {
                continue; // warm-up
            }

            fused.Add(f);
            baseline.Add(o);
            if (!double.IsNaN(c))
            {
                composed.Add(c);
            }
        }

        double mf = Median(fused) * 1e3, mc = Median(composed) * 1e3, mo = Median(baseline) * 1e3;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{op,-11} [{rows},{n}]  {threads,7}  {mf,11:F2}  {mc,11:F2}  {mo,12:F2}  {mo / mf,5:F2}x"));
    }

    // The largest difference between Repro's result and ONNX Runtime's, as a sanity check that both compute the same op.
    private static void Check(string op, float[] ours, float[] theirs)
    {
        double worst = 0;
        for (int i = 0; i < ours.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(ours[i] - theirs[i]));
        }

        if (ours.Length != theirs.Length || worst > 1e-4)
        {
            throw new InvalidOperationException($"{op}: Repro and ONNX Runtime disagree (max |difference| {worst})");
        }
    }

    private static void Repeat(int times, Action action)
    {
        for (int i = 0; i < times; i++)
        {
            action();
        }
    }

    private static double Seconds(Action action)
    {
        var sw = Stopwatch.StartNew();
        action();
        return sw.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Num(double v) => double.IsNaN(v) ? "-" : v.ToString("F0", CultureInfo.InvariantCulture);

    private static string Ratio(double a, double b) => double.IsNaN(a) || double.IsNaN(b) ? "-" : (a / b).ToString("F2", CultureInfo.InvariantCulture) + "x";

    private static float[] Uniform(int n, float lo, float hi, int seed)
    {
        var random = new Random(seed);
        var xs = new float[n];
        for (int i = 0; i < n; i++)
        {
            xs[i] = lo + ((hi - lo) * (float)random.NextDouble());
        }

        return xs;
    }
}
