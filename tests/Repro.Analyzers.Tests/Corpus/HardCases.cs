using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;

namespace Corpus.HardCases;

// Shapes seen in real code that are harder to judge: some are findings that need data flow across statements,
// some are look-alikes that must stay silent, and a few are known limits of the rules (marked "known miss" or
// "known false positive" in the comment above them, and counted as such in the figures).
public sealed class EnsembleEvaluator
{
    private readonly ConcurrentBag<double> _scores = new();
    private int _seed;

    public void Configure() => _seed = Environment.TickCount; // expect: RPR1002

    public Random MakeRng() => new Random(_seed);

    public double EvaluateAll(Func<int, double>[] models)
    {
        var total = 0.0;
        Parallel.Invoke(
            () => total += models[0](1), // expect: RPR2001
            () => total += models[1](2)); // expect: RPR2001
        return total;
    }

    public async Task<double> EvaluateAsync(Func<double> model)
    {
        var sum = 0.0;
        await Task.Run(() => { sum += model(); }); // expect: RPR2001
        return sum;
    }

    public List<double> Drain(float[] inputs)
    {
        var queue = new ConcurrentQueue<double>();
        Parallel.ForEach(inputs, v => queue.Enqueue(Math.Sqrt(v)));
        var results = new List<double>();
        while (queue.TryDequeue(out var item)) results.Add(item); // expect: RPR2005
        return results;
    }

    // Filled by workers in Collect, enumerated here: the rules look within one method. (known miss)
    public double[] Scores() => _scores.ToArray(); // expect: RPR2005

    public void Collect(double[] xs) => Parallel.ForEach(xs, x => _scores.Add(x * x));

    // The loop stops at the first lock file; the answer is the same in any order. (known false positive)
    public bool HasLockFile(string dir)
    {
        foreach (var file in Directory.EnumerateFiles(dir))
            if (file.EndsWith(".lock", StringComparison.Ordinal)) return true;
        return false;
    }

    public string[] Shards(string dir)
    {
        var shards = Directory.GetFiles(dir, "shard-*.bin"); // expect: RPR2007
        return Normalize(shards); // the listing is handed to code that keeps its order
    }

    public string[] ShardsSortedLater(string dir)
    {
        var shards = Directory.GetFiles(dir, "shard-*.bin");
        Array.Sort(shards, StringComparer.Ordinal);
        return shards;
    }

    public bool Slow(Stopwatch sw, TimeSpan limit)
    {
        var elapsed = sw.Elapsed; // expect: RPR4002
        return elapsed > limit;
    }

    public void ReportSlow(Stopwatch sw)
    {
        if (sw.Elapsed > TimeSpan.FromSeconds(30))
            Console.WriteLine("evaluation is slow");
    }

    public int Bucket(Guid id) => id.GetHashCode() % 16;

    public IEnumerable<string> Ordered(ConcurrentDictionary<string, double> d) =>
        from kv in d orderby kv.Key select kv.Key;

    private static string[] Normalize(string[] paths) => paths.Select(Path.GetFullPath).ToArray();
}
