using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Corpus.Samplers;

public sealed class WeightedSampler
{
    private readonly double[] _cumulative;
    private readonly Random _rng;

    public WeightedSampler(double[] weights, int seed)
    {
        _rng = new Random(seed);
        _cumulative = new double[weights.Length];
        double total = 0;
        for (var i = 0; i < weights.Length; i++)
        {
            total += weights[i];
            _cumulative[i] = total;
        }
    }

    public int Next()
    {
        var u = _rng.NextDouble() * _cumulative[^1];
        var index = Array.BinarySearch(_cumulative, u);
        return index < 0 ? ~index : index;
    }
}

public static class Reservoir
{
    public static T[] Sample<T>(IEnumerable<T> stream, int k)
    {
        var reservoir = new T[k];
        var seen = 0;
        foreach (var item in stream)
        {
            if (seen < k) reservoir[seen] = item;
            else
            {
                var j = Random.Shared.Next(seen + 1); // expect: RPR1001
                if (j < k) reservoir[j] = item;
            }
            seen++;
        }
        return reservoir;
    }
}

public sealed class Dropout
{
    private readonly Random _rng = new Random(); // expect: RPR1001
    private readonly float _p;

    public Dropout(float p) => _p = p;

    public void Apply(Span<float> activations)
    {
        for (var i = 0; i < activations.Length; i++)
            activations[i] = _rng.NextSingle() < _p ? 0f : activations[i] / (1 - _p);
    }
}

public static class Shuffling
{
    public static List<T> QuickShuffle<T>(IEnumerable<T> items) => items.OrderBy(_ => Guid.NewGuid()).ToList(); // expect: RPR1004

    public static T[] SortShuffle<T>(T[] items, Random rng) => items.OrderBy(_ => rng.Next()).ToArray(); // expect: RPR1004

    public static void FisherYates<T>(T[] items, int seed)
    {
        var rng = new Random(seed);
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    public static int[] Permutation(int n, int seed)
    {
        var order = Enumerable.Range(0, n).ToArray();
        new Random(seed).Shuffle(order);
        return order;
    }

    public static void InPlace(int[] order) => Random.Shared.Shuffle(order); // expect: RPR1001

    public static int[] ByScore(int[] ids, float[] scores) => ids.OrderBy(i => scores[i]).ThenBy(i => i).ToArray();
}

public sealed class NoiseInjector
{
    private int _streams;
    private readonly ThreadLocal<Random> _local;

    public NoiseInjector(int seed)
    {
        _local = new ThreadLocal<Random>(() => new Random(seed + Interlocked.Increment(ref _streams))); // expect: RPR1003
    }

    public void AddNoise(float[] x) => Parallel.For(0, x.Length, i => x[i] += (float)_local.Value!.NextDouble());

    public static void AddNoiseDeterministic(float[] x, int seed) => Parallel.For(0, x.Length, i =>
    {
        var rng = new Random(HashCombine(seed, i));
        x[i] += (float)rng.NextDouble();
    });

    private static int HashCombine(int a, int b) => unchecked(a * 486187739 + b);
}

public static class SeedSources
{
    public static Random FromClock() => new Random(Environment.TickCount); // expect: RPR1002

    public static Random FromGuid() => new Random(Guid.NewGuid().GetHashCode()); // expect: RPR1002

    public static Random PerWorker(int baseSeed)
    {
        var seed = baseSeed ^ Environment.CurrentManagedThreadId;
        return new Random(seed); // expect: RPR1002
    }

    public static Random FromConfig(int configuredSeed, int epoch) => new Random(configuredSeed * 7919 + epoch);

    public static Random FromTime()
    {
        long ticks = DateTime.UtcNow.Ticks;
        return new Random((int)(ticks & 0x7fffffff)); // expect: RPR1002
    }
}
