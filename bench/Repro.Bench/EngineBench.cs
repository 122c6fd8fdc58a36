using System.Diagnostics;
using Tensor = Repro.Engine.Tensor;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.Intrinsics;
using Repro.Engine;
using Repro.Engine.Backends;

namespace Repro.Bench;

/// <summary>
/// Deterministic sum of 16M float32 against TensorPrimitives.Sum (fast, but its order depends on the CPU), and
/// float32 matmul against a naive triple loop and the machine's peak, all measured in the same run.
/// </summary>
[Bench("engine", "sum of 16M float32 vs TensorPrimitives.Sum; matmul 512^3 and 1024^3 GFLOP/s vs naive and peak (args: [GHz] [--sum-only])")]
public static class EngineBench
{
    public static int Run(string[] args)
    {
        bool sumOnly = args.Contains("--sum-only");
        args = [.. args.Where(a => a != "--sum-only")];
        double ghz = args.Length > 0 && double.TryParse(args[0], System.Globalization.CultureInfo.InvariantCulture, out var g) ? g : CpuGhz();
        int cores = Environment.ProcessorCount;
        int width = Vector512.IsHardwareAccelerated ? 16 : (Vector256.IsHardwareAccelerated ? 8 : 4);
        Console.WriteLine($"machine: {cores} cores, {Cpu()}, clock {ghz:F2} GHz (from /proc/cpuinfo unless given), vector width used: {width} floats");
        Console.WriteLine($"  Vector512 accelerated: {Vector512.IsHardwareAccelerated} (set DOTNET_PreferredVectorBitWidth=512 to use it)");
        Sum(cores);
        if (sumOnly)
        {
            return 0;
        }

        foreach (int n in new[] { 512, 1024 })
        {
            MatMul(n, ghz, width);
        }

        return 0;
    }

    private static void Sum(int cores)
    {
        const int N = 16 << 20;
        var data = Tensor.Randn([N], new Generator(1));
        var host = data.ToFloatArray();
        double tp = Time(() => TensorPrimitives.Sum<float>(host), 20);
        Console.WriteLine($"sum 16M float32: TensorPrimitives.Sum {Gbs(N, tp):F2} GB/s ({tp * 1e3:F2} ms)");
        var storage = data.Storage;
        var outS = ManagedBackend.Instance.Allocate(DType.Float32, 1);
        foreach (int t in new[] { 1, 2, cores }.Distinct())
        {
            using var scope = Settings.UseThreads(t);
            double kernel = Time(() => ManagedBackend.Instance.Reduce(ReduceOp.Sum, storage, 1, N, outS), 20);
            double full = Time(() => data.Sum(), 20);
            Console.WriteLine($"  Repro sum, {t} thread(s): kernel {Gbs(N, kernel):F2} GB/s = {tp / kernel:F2}x TensorPrimitives; through the tensor API {tp / full:F2}x");
        }
    }

    private static void MatMul(int n, double ghz, int width)
    {
        var a = Tensor.Randn([n, n], new Generator(2));
        var b = Tensor.Randn([n, n], new Generator(3));
        double flops = 2.0 * n * n * n;
        var af = a.ToFloatArray();
        var bf = b.ToFloatArray();
        var y = new float[n * n];
        double naive = Time(() => Naive(af, bf, y, n), 1);
        Console.WriteLine($"matmul {n}^3 float32: naive triple loop (i-j-k, 1 thread) {flops / naive / 1e9:F2} GFLOP/s");
        foreach (int t in new[] { 1, 2 })
        {
            using var scope = Settings.UseThreads(t);
            double s = Time(() => Tensor.MatMul(a, b), 3);
            double peak = t * 2 * width * 2 * ghz;
            Console.WriteLine($"  Repro, {t} thread(s): {flops / s / 1e9:F1} GFLOP/s = {flops / s / 1e9 / peak * 100:F0}% of peak {peak:F0} GFLOP/s ({t} cores x 2 FMA units x {width} lanes x 2 flops x {ghz:F2} GHz); {naive / s:F1}x naive");
        }
    }

    private static void Naive(float[] a, float[] b, float[] y, int n)
    {
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float acc = 0f;
                for (int k = 0; k < n; k++)
                {
                    acc = MathF.FusedMultiplyAdd(a[(i * n) + k], b[(k * n) + j], acc);
                }

                y[(i * n) + j] = acc;
            }
        }
    }

    private static double Gbs(int n, double seconds) => n * 4.0 / seconds / 1e9;

    /// <summary>Median seconds of <paramref name="reps"/> runs after one warm-up.</summary>
    internal static double Time(Action f, int reps)
    {
        f();
        var times = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            var sw = Stopwatch.StartNew();
            f();
            times[r] = sw.Elapsed.TotalSeconds;
        }

        Array.Sort(times);
        return times[reps / 2];
    }

    private static string Cpu() =>
        File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':')[1].Trim() ?? "unknown CPU"
            : "unknown CPU";

    private static double CpuGhz()
    {
        if (!File.Exists("/proc/cpuinfo"))
        {
            return 3.0;
        }

        var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("cpu MHz", StringComparison.Ordinal));
        return line is not null && double.TryParse(line.Split(':')[1].Trim(), System.Globalization.CultureInfo.InvariantCulture, out var mhz) ? mhz / 1000 : 3.0;
    }
}
