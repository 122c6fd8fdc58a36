using Repro.Analyzers.Tests.Infrastructure;

namespace Repro.Analyzers.Tests.Rules;

/// <summary>Patterns real code uses that the rules missed (issue 23): a true positive and a look-alike true negative each.</summary>
public class RecallTests
{
    /// <summary>The foreach bug: a loop body without braces (a bare yield return) was never looked at.</summary>
    [Fact]
    public Task RPR2007_a_listing_yielded_by_a_braceless_foreach_is_reported_a_sorted_one_is_not() =>
        AnalyzerVerifier<Repro.Analyzers.Ordering.DirectoryOrderAnalyzer>.VerifyAsync("""
            using System;
            using System.Collections.Generic;
            using System.IO;
            using System.Linq;
            static class Files
            {
                public static IEnumerable<string> All(string dir)
                {
                    foreach (var f in {|RPR2007:Directory.EnumerateFiles(dir)|})
                        yield return f;
                }
                public static void Collect(string dir, List<string> into)
                {
                    foreach (var f in {|RPR2007:Directory.GetFiles(dir)|}) into.Add(f);
                }
                public static IEnumerable<string> Sorted(string dir)
                {
                    foreach (var f in Directory.EnumerateFiles(dir).OrderBy(f => f, StringComparer.Ordinal))
                        yield return f;
                }
                public static void Print(string dir)
                {
                    foreach (var f in Directory.EnumerateFiles(dir)) Console.WriteLine(f);
                }
            }
            """);

    [Fact]
    public Task RPR1002_a_seed_from_a_helper_that_reads_the_clock_or_a_crypto_generator_is_reported_a_constant_helper_is_not() =>
        AnalyzerVerifier<Repro.Analyzers.Randomness.VolatileSeedAnalyzer>.VerifyAsync("""
            using System;
            using System.Security.Cryptography;
            static class Seeding
            {
                public static Random FromClock() => new Random({|RPR1002:MakeSeed()|});
                public static Random FromCrypto() => new Random({|RPR1002:CryptoSeed()|});
                public static Random FromConfig() => new Random(ConfiguredSeed());
                static int MakeSeed() => (int)(DateTime.Now.Ticks & 0x7fffffff);
                static int CryptoSeed()
                {
                    var value = RandomNumberGenerator.GetInt32(int.MaxValue);
                    return value;
                }
                static int ConfiguredSeed() => 1234;
                public static Random FromBuffer() => new Random({|RPR1002:Robust()|});
                public static Random FromFixedBuffer() => new Random(Fixed());
                static readonly RandomNumberGenerator Master = RandomNumberGenerator.Create();
                static int Robust()
                {
                    var bytes = new byte[4];
                    Master.GetBytes(bytes);
                    return BitConverter.ToInt32(bytes, 0);
                }
                static int Fixed()
                {
                    var bytes = new byte[4];
                    bytes[0] = 7;
                    return BitConverter.ToInt32(bytes, 0);
                }
            }
            """);

    [Fact]
    public Task RPR2001_accumulation_through_a_local_alias_of_shared_storage_is_reported_a_worker_local_array_is_not() =>
        AnalyzerVerifier<Repro.Analyzers.Ordering.ParallelFloatAccumulationAnalyzer>.VerifyAsync("""
            using System.Threading.Tasks;
            static class Stats
            {
                public static void Totals(double[] x, double[] totals) =>
                    Parallel.For(0, x.Length, i => { var acc = totals; {|RPR2001:acc[0] += x[i]|}; });
                public static void Centroids(int[] labels, double[][] x, double[][] sums) =>
                    Parallel.For(0, x.Length, i =>
                    {
                        var row = sums[labels[i]];
                        for (var d = 0; d < row.Length; d++) {|RPR2001:row[d] += x[i][d]|};
                    });
                public static void Local(double[] x, double[] output) =>
                    Parallel.For(0, x.Length, i =>
                    {
                        var scratch = new double[4];
                        scratch[0] += x[i];
                        var mine = output;
                        mine[i] += scratch[0];
                    });
            }
            """);

    [Fact]
    public Task RPR2005_partial_sums_from_a_parallel_helper_and_ties_in_a_sorted_bag_are_reported_look_alikes_are_not() =>
        AnalyzerVerifier<Repro.Analyzers.Ordering.ConcurrentCollectionOrderAnalyzer>.VerifyAsync("""
            using System;
            using System.Collections.Concurrent;
            using System.Collections.Generic;
            using System.Linq;
            using System.Threading.Tasks;
            static class ParallelHelper
            {
                public static void For(int count, Action<int> body) => Parallel.For(0, count, body);
            }
            record Result(int Id, double Score);
            static class Reduce
            {
                public static double Total(double[][] chunks)
                {
                    var partials = new List<double>();
                    var gate = new object();
                    ParallelHelper.For(chunks.Length, c => { var s = chunks[c].Sum(); lock (gate) partials.Add(s); });
                    return {|RPR2005:partials|}.Sum();
                }
                public static double Sequential(double[][] chunks)
                {
                    var partials = new List<double>();
                    foreach (var chunk in chunks) partials.Add(chunk.Sum());
                    return partials.Sum();
                }
                public static List<Result> Best(int n)
                {
                    var bag = new ConcurrentBag<Result>();
                    Parallel.For(0, n, i => bag.Add(new Result(i, i % 3)));
                    return {|RPR2005:bag|}.OrderBy(r => r.Score).ToList();
                }
                public static List<Result> ById(int n)
                {
                    var bag = new ConcurrentBag<Result>();
                    Parallel.For(0, n, i => bag.Add(new Result(i, i % 3)));
                    return bag.OrderBy(r => r.Id).ToList();
                }
                public static List<Result> Broken(int n)
                {
                    var bag = new ConcurrentBag<Result>();
                    Parallel.For(0, n, i => bag.Add(new Result(i, i % 3)));
                    return bag.OrderBy(r => r.Score).ThenBy(r => r.Id).ToList();
                }
            }
            """);

    [Fact]
    public Task RPR5002_LibDevice_transcendentals_in_kernels_are_reported_exact_LibDevice_functions_are_not() =>
        AnalyzerVerifier<Repro.Analyzers.Gpu.KernelAnalyzer>.VerifyAsync("""
            using ILGPU;
            using ILGPU.Runtime;
            using ILGPU.Runtime.Cuda;
            static class Kernels
            {
                public static void Act(Index1D i, ArrayView<float> x, ArrayView<double> d)
                {
                    x[i] = {|RPR5002:LibDevice.Exp(x[i])|};
                    d[i] = {|RPR5002:LibDevice.Erf(d[i])|};
                    x[i] = LibDevice.Sqrt(x[i]);
                    x[i] = LibDevice.Fma(x[i], x[i], 1f);
                }
            }
            """, Stubs.Ilgpu);

    /// <summary>Found on real code (an optimizer's simplex built in Parallel.For from the optimizer's own Random).</summary>
    [Fact]
    public Task RPR1009_a_generator_shared_by_parallel_workers_is_reported_one_per_item_is_not() =>
        AnalyzerVerifier<Repro.Analyzers.Ordering.ParallelFloatAccumulationAnalyzer>.VerifyAsync("""
            using System;
            using System.Threading.Tasks;
            class Optimizer
            {
                private readonly Random _random = new Random(42);
                private readonly int _seed = 42;
                public void Simplex(double[] step)
                {
                    Parallel.For(0, step.Length, i => { step[i] = 0.02 + (0.08 * {|RPR1009:_random|}.NextDouble()); step[i] += _random.NextDouble(); });
                }
                public void Captured(double[] noise, Random rng)
                {
                    Parallel.For(0, noise.Length, i => noise[i] = {|RPR1009:rng|}.NextDouble());
                }
                public void PerItem(double[] noise)
                {
                    Parallel.For(0, noise.Length, i => { var rng = new Random(_seed + i); noise[i] = rng.NextDouble(); });
                }
                public void Sequential(double[] noise)
                {
                    for (var i = 0; i < noise.Length; i++) noise[i] = _random.NextDouble();
                }
                private readonly System.Threading.ThreadLocal<Random> _local = new(() => new Random(7));
                [ThreadStatic] private static Random t_random;
                public void PerThread(double[] noise)
                {
                    Parallel.For(0, noise.Length, i => noise[i] = _local.Value!.NextDouble() + t_random.NextDouble());
                }
            }
            """);

    /// <summary>A library's own parallel helper (CommonParallel.For) runs workers like Parallel.For does.</summary>
    [Fact]
    public Task RPR1009_and_RPR2001_see_workers_of_a_parallel_helper_of_the_program_s_own() =>
        AnalyzerVerifier<Repro.Analyzers.Ordering.ParallelFloatAccumulationAnalyzer>.VerifyAsync("""
            using System;
            using System.Threading.Tasks;
            static class CommonParallel
            {
                public static void For(int from, int to, int rangeSize, Action<int, int> body) => body(from, to);
            }
            static class Sampling
            {
                public static void Samples(Random rnd, double[] values, double[] total) =>
                    CommonParallel.For(0, values.Length, 4096, (a, b) =>
                    {
                        for (var i = a; i < b; i++)
                        {
                            values[i] = {|RPR1009:rnd|}.NextDouble();
                            {|RPR2001:total[0] += values[i]|};
                        }
                    });
                public static void Pregenerated(Random rnd, double[] values)
                {
                    for (var i = 0; i < values.Length; i++) values[i] = rnd.NextDouble();
                    CommonParallel.For(0, values.Length, 4096, (a, b) =>
                    {
                        for (var i = a; i < b; i++) values[i] = Math.Sqrt(values[i]);
                    });
                }
            }
            """);

    /// <summary>A generic map-reduce helper whose partial results arrive in completion order (a float reduce changes with it).</summary>
    [Fact]
    public Task RPR2005_partial_results_of_a_generic_helper_collected_in_completion_order_are_reported() =>
        AnalyzerVerifier<Repro.Analyzers.Ordering.ConcurrentCollectionOrderAnalyzer>.VerifyAsync("""
            using System;
            using System.Collections.Concurrent;
            using System.Collections.Generic;
            using System.Threading.Tasks;
            static class Helpers
            {
                public static T Aggregate<T>(int n, Func<int, T> select, Func<T[], T> reduce)
                {
                    var intermediate = new List<T>();
                    var gate = new object();
                    Parallel.ForEach(Partitioner.Create(0, n), () => new List<T>(),
                        (range, _, local) => { for (var i = range.Item1; i < range.Item2; i++) local.Add(select(i)); return local; },
                        local => { lock (gate) intermediate.Add(reduce(local.ToArray())); });
                    return reduce({|RPR2005:intermediate|}.ToArray());
                }
                public static T Ordered<T>(int n, Func<int, T> select, Func<T[], T> reduce)
                {
                    var parts = new T[n];
                    Parallel.For(0, n, i => parts[i] = select(i));
                    var list = new List<T>(parts);
                    return reduce(list.ToArray());
                }
            }
            """);
}
