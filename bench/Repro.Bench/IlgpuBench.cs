using System.Diagnostics;
using ILGPU.Runtime;
using Repro.Backends.Ilgpu;
using Repro.Engine;
using Repro.Engine.Backends;

namespace Repro.Bench;

/// <summary>
/// ILGPU backend next to the managed backend, same run: matmul GFLOP/s (canonical sequential-k FMA) and row-sum GB/s
/// (canonical chunked lanes), with a bit-identity check of each result. On CUDA (when a device exists) also matmul
/// 4096^3 and a 256 MiB sum. Usage: ilgpu [matmul-size] [sum-elements].
/// </summary>
[Bench("ilgpu", "ILGPU backend vs managed: matmul GFLOP/s and sum GB/s (CPU accelerator; CUDA when present)")]
public static class IlgpuBench
{
    public static int Run(string[] args)
    {
        int size = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 512;
        int sumN = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 16 << 20;
        Console.WriteLine($"threads={Settings.Threads} cores={Environment.ProcessorCount}");
        var backends = new List<Backend> { ManagedBackend.Instance, IlgpuBackends.Cpu };
        if (IlgpuBackends.HasDevice(AcceleratorType.Cuda))
        {
            backends.Add(IlgpuBackends.Cuda);
        }

        // Hashes of the managed results, by matmul size and sum length: every backend is compared at the same sizes.
        var managedHashes = new Dictionary<string, string>(StringComparer.Ordinal);
        string Managed(string key, Func<string> compute) => managedHashes.TryGetValue(key, out var h) ? h : managedHashes[key] = compute();
        foreach (var backend in backends)
        {
            bool gpu = backend is IlgpuBackend { Accelerator.AcceleratorType: AcceleratorType.Cuda };
            Console.WriteLine($"{backend.Name,-10} {backend.DeviceName}");
            foreach (int n in gpu ? new[] { size, Math.Max(size, 4096) }.Distinct() : [size])
            {
                var (gflops, mh) = MatMul(backend, n);
                bool same = mh == Managed("matmul" + n, () => MatMul(ManagedBackend.Instance, n).Hash);
                Console.WriteLine($"  matmul {n}^3 float32: {gflops,9:F2} GFLOP/s   bits identical to managed: {same}");
            }

            var (gbs, sh) = Sum(backend, sumN);
            bool sumSame = sh == Managed("sum", () => Sum(ManagedBackend.Instance, sumN).Hash);
            Console.WriteLine($"  sum {sumN} float32:   {gbs,9:F2} GB/s   bits identical to managed: {sumSame}");
        }

        return 0;
    }

    private static (double GFlops, string Hash) MatMul(Backend backend, int n)
    {
        var a = backend.FromHost(Data(n * n, 1), DType.Float32);
        var b = backend.FromHost(Data(n * n, 2), DType.Float32);
        var y = backend.Allocate(DType.Float32, n * n);
        backend.MatMul(a, b, y, 1, n, n, n);
        var sw = Stopwatch.StartNew();
        const int reps = 3;
        for (int r = 0; r < reps; r++)
        {
            backend.MatMul(a, b, y, 1, n, n, n);
        }

        double seconds = sw.Elapsed.TotalSeconds / reps;
        return (2.0 * n * n * n / seconds / 1e9, Hash(backend.ToHost(y)));
    }

    private static (double GBs, string Hash) Sum(Backend backend, int n)
    {
        var x = backend.FromHost(Data(n, 3), DType.Float32);
        var y = backend.Allocate(DType.Float32, 1);
        backend.Reduce(ReduceOp.Sum, x, 1, n, y);
        var sw = Stopwatch.StartNew();
        const int reps = 20;
        for (int r = 0; r < reps; r++)
        {
            backend.Reduce(ReduceOp.Sum, x, 1, n, y);
        }

        double seconds = sw.Elapsed.TotalSeconds / reps;
        return (4.0 * n / seconds / 1e9, Hash(backend.ToHost(y)));
    }

    private static float[] Data(int n, int seed)
    {
        var rng = new Random(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++)
        {
            v[i] = (float)(rng.NextDouble() - 0.5);
        }

        return v;
    }

    private static string Hash(Array data)
    {
        var bytes = new byte[Buffer.ByteLength(data)];
        Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
        return Convert.ToHexString(System.IO.Hashing.XxHash128.Hash(bytes));
    }
}
