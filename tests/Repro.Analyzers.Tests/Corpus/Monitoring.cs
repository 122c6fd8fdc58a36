using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Corpus.Monitoring;

public sealed class RunLogger
{
    private readonly string _directory;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Hashtable _legacy = new();

    public RunLogger(string directory) => _directory = directory;

    public DateTime CreatedAt { get; } = DateTime.UtcNow;

    public string LogPath => Path.Combine(_directory, $"run-{DateTime.UtcNow:yyyyMMddTHHmmss}.log");

    public void Log(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss.fff}] {message}");

    public void Epoch(int epoch, double loss)
    {
        var elapsed = _clock.Elapsed;
        Log($"epoch {epoch} loss {loss:F5} after {elapsed.TotalSeconds:F1}s");
        Console.WriteLine("throughput: " + (epoch + 1) / _clock.Elapsed.TotalSeconds + " epochs/s");
    }

    public void Heartbeat(Action<string> sink, ref long lastTick)
    {
        if (Environment.TickCount64 - lastTick > 5000)
        {
            Console.WriteLine("still running");
            lastTick = Environment.TickCount64;
        }
    }

    public void Remember(string key, object value) => _legacy[key] = value;

    public object? Recall(string key) => _legacy[key];

    public int Entries => _legacy.Count;

    public List<string> DumpKeys()
    {
        var keys = new List<string>();
        foreach (DictionaryEntry entry in _legacy) // expect: RPR2006
            keys.Add((string)entry.Key);
        return keys;
    }
}

public sealed class Metric : IEquatable<Metric>
{
    public string Name { get; init; } = "";
    public string Split { get; init; } = "";

    public bool Equals(Metric? other) => other is not null && other.Name == Name && other.Split == Split;

    public override bool Equals(object? obj) => Equals(obj as Metric);

    public override int GetHashCode() => HashCode.Combine(Name.GetHashCode(), Split.GetHashCode());
}

public static class Aggregation
{
    public static double[] RowSums(double[,] m)
    {
        var rows = m.GetLength(0);
        var sums = new double[rows];
        Parallel.For(0, rows, r =>
        {
            for (var c = 0; c < m.GetLength(1); c++) sums[r] += m[r, c];
        });
        return sums;
    }

    public static double TotalInFixedOrder(double[,] m) => RowSums(m).Sum();

    public static long CountNonZero(float[] x)
    {
        long count = 0;
        Parallel.For(0, x.Length, i =>
        {
            if (x[i] != 0) Interlocked.Increment(ref count);
        });
        return count;
    }

    public static int[] Distinct(ConcurrentBag<int> seen) => seen.Distinct().Order().ToArray();

    public static double ChunkedSum(float[] x, int chunks)
    {
        var partial = new double[chunks];
        var size = (x.Length + chunks - 1) / chunks;
        Parallel.For(0, chunks, c =>
        {
            var end = Math.Min(x.Length, (c + 1) * size);
            for (var i = c * size; i < end; i++) partial[c] += x[i];
        });
        double total = 0;
        foreach (var p in partial) total += p;
        return total;
    }

    public static float[] Normalize(float[] x)
    {
        var result = new float[x.Length];
        Parallel.For(0, x.Length, i =>
        {
            var v = x[i];
            v *= 0.5f;
            result[i] = v;
        });
        return result;
    }

    public static Dictionary<string, int> Histogram(IEnumerable<string> labels)
    {
        var counts = new ConcurrentDictionary<string, int>();
        Parallel.ForEach(labels, l => counts.AddOrUpdate(l, 1, (_, n) => n + 1));
        return counts.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => kv.Value);
    }

    public static double Mean(IReadOnlyList<double> values)
    {
        var sw = Stopwatch.StartNew();
        var s = 0.0;
        for (var i = 0; i < values.Count; i++) s += values[i];
        Debug.WriteLine($"mean took {sw.Elapsed}");
        return s / values.Count;
    }
}
