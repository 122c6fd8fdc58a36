using Repro.Analyzers.Tests.Infrastructure;

namespace Repro.Analyzers.Tests.Rules;

/// <summary>
/// False alarms found on real code (issue 23), each with a true-negative test and a look-alike that is still reported.
/// </summary>
public class PrecisionTests
{
    [Fact]
    public Task RPR1004_a_sort_keyed_by_a_visibly_seeded_generator_is_not_reported_an_unseeded_one_is() =>
        AnalyzerVerifier<Repro.Analyzers.Randomness.RandomSortKeyAnalyzer>.VerifyAsync("""
            using System;
            using System.Collections.Generic;
            using System.Linq;
            class Loader
            {
                private readonly Random _rng;
                private readonly Random _unseeded = new Random();
                public Loader(int seed) { _rng = new Random(seed); }
                List<int> A(List<int> xs, int seed) { var rng = new Random(seed); return xs.OrderBy(_ => rng.Next()).ToList(); }
                List<int> B(List<int> xs) => xs.OrderBy(_ => _rng.NextDouble()).ToList();
                List<int> C(List<int> xs) { var rng = new Random(); return {|RPR1004:xs.OrderBy(_ => rng.Next())|}.ToList(); }
                List<int> D(List<int> xs) => {|RPR1004:xs.OrderBy(_ => _unseeded.Next())|}.ToList();
                List<int> E(List<int> xs) { var rng = new Random(Environment.TickCount); return {|RPR1004:xs.OrderBy(_ => rng.Next())|}.ToList(); }
                List<int> F(List<int> xs, int seed) { var rng = new Random(seed); return {|RPR1004:xs.AsParallel().OrderBy(_ => rng.Next())|}.ToList(); }
            }
            """);

    [Fact]
    public Task RPR2001_disjoint_slots_through_a_permutation_or_row_offsets_are_not_reported_a_label_array_is() =>
        AnalyzerVerifier<Repro.Analyzers.Ordering.ParallelFloatAccumulationAnalyzer>.VerifyAsync("""
            using System.Threading.Tasks;
            static class Sparse
            {
                public static void SpMV(int[] rowPtr, int[] cols, double[] vals, double[] x, double[] y) =>
                    Parallel.For(0, y.Length, i =>
                    {
                        for (var k = rowPtr[i]; k < rowPtr[i + 1]; k++)
                            y[i] += vals[k] * x[cols[k]];
                    });
                public static void Scatter(int[] perm, double[] x, double[] y) =>
                    Parallel.For(0, x.Length, i => { y[perm[i]] += x[i]; });
                public static void Scale(int[] rowStart, double[] vals, double s) =>
                    Parallel.For(0, rowStart.Length - 1, r =>
                    {
                        for (var k = rowStart[r]; k < rowStart[r + 1]; k++) vals[k] *= s;
                    });
                public static void ClusterSums(int[] labels, double[] x, double[] sums) =>
                    Parallel.For(0, x.Length, i => { {|RPR2001:sums[labels[i]] += x[i]|}; });
            }
            """);

    [Fact]
    public Task RPR2002_whole_number_increments_are_not_reported_fractional_ones_are() =>
        AnalyzerVerifier<Repro.Analyzers.Ordering.FloatCompareExchangeAnalyzer>.VerifyAsync("""
            using System.Threading;
            static class Counters
            {
                public static void Increment(ref double count)
                {
                    double initial, next;
                    do { initial = count; next = initial + 1.0; }
                    while (Interlocked.CompareExchange(ref count, next, initial) != initial);
                }
                public static void AddItems(ref double total, int items)
                {
                    double initial;
                    do { initial = total; }
                    while (Interlocked.CompareExchange(ref total, initial + items, initial) != initial);
                }
                public static void Add(ref double total, double value)
                {
                    double initial;
                    do { initial = total; }
                    while ({|RPR2002:Interlocked.CompareExchange(ref total, initial + value, initial)|} != initial);
                }
            }
            """);

    [Fact]
    public Task RPR2006_GetEnumerator_forwarding_and_per_key_updates_are_not_reported_accumulation_is() =>
        AnalyzerVerifier<Repro.Analyzers.Ordering.UnorderedCollectionAnalyzer>.VerifyAsync("""
            using System.Collections;
            using System.Collections.Concurrent;
            using System.Collections.Generic;
            class Counts : IEnumerable<KeyValuePair<string, double>>
            {
                private readonly ConcurrentDictionary<string, double> _counts = new();
                public IEnumerator<KeyValuePair<string, double>> GetEnumerator() => _counts.GetEnumerator();
                IEnumerator IEnumerable.GetEnumerator() { foreach (var kv in _counts) yield return kv; }
                public void Normalize(Dictionary<string, double> into, double total)
                {
                    foreach (var kv in _counts) into[kv.Key] = kv.Value / total;
                    foreach (var kv in _counts) into.TryAdd(kv.Key + "#", kv.Value);
                }
                public void Merge(double[] byId, ConcurrentDictionary<int, double> parts)
                {
                    foreach (var kv in parts) byId[kv.Key] += kv.Value;
                }
                public double Total()
                {
                    double total = 0;
                    foreach (var kv in {|RPR2006:_counts|}) total += kv.Value;
                    return total;
                }
            }
            """);

    [Fact]
    public Task RPR4001_a_nullable_clock_value_tested_for_presence_is_not_reported_its_value_is() =>
        AnalyzerVerifier<Repro.Analyzers.Time.WallClockAnalyzer>.VerifyAsync("""
            using System;
            class Job
            {
                private DateTime? _started;
                public void Start() { _started = DateTime.UtcNow; }
                public bool Idle()
                {
                    DateTime? last = DateTime.UtcNow;
                    if (!last.HasValue) return true;
                    DateTime? seen = DateTime.Now;
                    return seen == null;
                }
                public bool Late()
                {
                    DateTime? now = {|RPR4001:DateTime.Now|};
                    return now.Value.Hour > 17;
                }
            }
            """);

    [Fact]
    public Task RPR4002_a_stopwatch_that_only_formats_a_log_line_is_not_reported_a_budget_is() =>
        AnalyzerVerifier<Repro.Analyzers.Time.StopwatchControlFlowAnalyzer>.VerifyAsync("""
            using System;
            using System.Diagnostics;
            class Trainer
            {
                public string Took(Stopwatch sw) =>
                    sw.ElapsedMilliseconds > 1000 ? $"{sw.Elapsed.TotalSeconds:F1} s" : $"{sw.ElapsedMilliseconds} ms";
                public void Report(Stopwatch sw, ILog log)
                {
                    if (sw.ElapsedMilliseconds > 5000) log.Warn("slow step");
                }
                public int Train(Stopwatch sw, TimeSpan budget)
                {
                    var steps = 0;
                    while ({|RPR4002:sw.Elapsed|} < budget) steps++;
                    return steps;
                }
            }
            interface ILog { void Warn(string message); }
            """);

    [Fact]
    public Task RPR5002_Rcp_and_double_Rsqrt_are_not_reported_float_Rsqrt_is() =>
        AnalyzerVerifier<Repro.Analyzers.Gpu.KernelAnalyzer>.VerifyAsync("""
            using ILGPU;
            using ILGPU.Algorithms;
            using ILGPU.Runtime;
            static class Kernels
            {
                public static void Normalize(Index1D i, ArrayView<float> x, ArrayView<double> d)
                {
                    x[i] = XMath.Rcp(x[i]);
                    d[i] = XMath.Rsqrt(d[i]) + XMath.Rcp(d[i]);
                    x[i] = {|RPR5002:XMath.Rsqrt(x[i])|};
                }
            }
            """, Stubs.Ilgpu);

    [Fact]
    public Task RPR3002_a_NaN_probe_summed_as_x_minus_x_is_not_reported_a_float_sum_is() =>
        AnalyzerVerifier<Repro.Analyzers.FloatingPoint.HardwareBranchAnalyzer>.VerifyAsync("""
            using System.Numerics;
            static class Checks
            {
                public static bool AllFinite(float[] x)
                {
                    if (Vector.IsHardwareAccelerated)
                    {
                        var acc = Vector<float>.Zero;
                        for (var i = 0; i + Vector<float>.Count <= x.Length; i += Vector<float>.Count)
                        {
                            var v = new Vector<float>(x, i);
                            acc += v - v;
                        }
                        return Vector.EqualsAll(acc, Vector<float>.Zero);
                    }
                    var s = 0f;
                    foreach (var v in x) s = s + (v - v);
                    return s == 0;
                }
                public static bool SmallNorm(float[] x)
                {
                    if ({|RPR3002:Vector.IsHardwareAccelerated|})
                    {
                        var acc = Vector<float>.Zero;
                        for (var i = 0; i + Vector<float>.Count <= x.Length; i += Vector<float>.Count)
                        {
                            var v = new Vector<float>(x, i);
                            acc += v * v;
                        }
                        return Vector.Sum(acc) < 1;
                    }
                    return false;
                }
            }
            """);

    [Fact]
    public Task RPR1001_security_values_are_left_to_CA5394_cosmetic_ones_are_RPR1006_results_stay_RPR1001() =>
        AnalyzerVerifier<Repro.Analyzers.Randomness.UnseededRandomAnalyzer>.VerifyAsync("""
            using System;
            class Session
            {
                public string NewToken() => new Random().Next().ToString("x8");
                public byte[] Salt() { var salt = new byte[16]; new Random().NextBytes(salt); return salt; }
                public int Draw() { var apiKey = Random.Shared.Next(); return apiKey; }
                public int PickHue() => {|RPR1006:new Random()|}.Next(360);
                public TimeSpan Backoff(int attempt) { var jitter = {|RPR1006:Random.Shared|}.Next(100); return TimeSpan.FromMilliseconds(100 * attempt + jitter); }
                public int Sample(int n) => {|RPR1001:new Random()|}.Next(n);
                public int Keyed(int n) { var sortKey = {|RPR1001:new Random()|}.Next(n); return sortKey; }
            }
            """);
}
