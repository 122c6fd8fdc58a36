#!/usr/bin/env python3
"""Writes a C# project of about N lines of ML/numeric-library-style code for the analyzer benchmark.

usage: generate.py OUT_DIR [LINES] [--mix realistic|model]

The project lives outside the repository (so Directory.Build.props does not apply) and loads the analyzer
assemblies named by -p:BenchAnalyzers=a.dll;b.dll when it is built.

--mix realistic (default) rotates through six kinds of file, each about 100 lines, shaped like the code of a
training library and the application around it:
  model      a linear model: seeded Random, Parallel.For writing disjoint slots, Vector<float>.Count element-wise
             loops, a sorted directory listing, a ConcurrentDictionary cache, a Stopwatch used for progress output
  loader     a data loader: ordered file listings, async reads, Task.WhenAll, CSV parsing, a vocabulary keyed by
             string hashes, a seeded Fisher-Yates shuffle, batching with yield return
  kernels    SIMD kernels: Vector128/256 and Vector<T> loops, IsHardwareAccelerated branches in element-wise code,
             fixed-width pairwise sums, FusedMultiplyAdd, MathF transcendentals, spans and stackalloc
  metrics    evaluation: LINQ (GroupBy, Zip, Aggregate), records, Parallel.ForEach into slots, Interlocked on
             integers, ConcurrentDictionary.GetOrAdd, timestamps in log lines
  service    application code: options, validation, interfaces, generics, pattern matching, exceptions,
             string formatting, async/await, dictionaries
  pitfalls   like model, plus genuine findings (one of each of eight rules), one file in 25
so the rules do real work on most files, as in a real code base, and report a known number of findings.
--mix model writes only the model file, the worst case that earlier figures in BENCHMARKS.md were measured on.
"""
import os, sys

args = [a for a in sys.argv[1:] if not a.startswith("--")]
mix = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--mix=")), "realistic")
out = args[0]
target_lines = int(args[1]) if len(args) > 1 else 100_000
os.makedirs(out, exist_ok=True)

open(os.path.join(out, "Generated.csproj"), "w").write("""<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <NoWarn>$(NoWarn);CS0168;CS0219;CS8618;CA1822</NoWarn>
    <Deterministic>true</Deterministic>
  </PropertyGroup>
  <ItemGroup Condition="'$(BenchAnalyzers)' != ''">
    <Analyzer Include="$(BenchAnalyzers)" />
  </ItemGroup>
</Project>
""")

MODEL = """using System.Collections.Concurrent;
using System.Diagnostics;
using System.Numerics;

namespace Generated.N__N__;

public sealed class Model__N__
{
    private readonly float[] _weights = new float[64];
    private readonly Dictionary<string, int> _index = new();
    private readonly ConcurrentDictionary<int, double> _cache = new();
    private readonly Random _rng;

    public Model__N__(int seed) => _rng = new Random(seed + __N__);

    public float Dot(ReadOnlySpan<float> x)
    {
        var acc = 0f;
        for (var i = 0; i < x.Length && i < _weights.Length; i++)
            acc += _weights[i] * x[i];
        return acc;
    }

    public void Scale(float[] x, float s)
    {
        var i = 0;
        for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            (new Vector<float>(x, i) * s).CopyTo(x, i);
        for (; i < x.Length; i++) x[i] *= s;
    }

    public double[] RowNorms(float[][] rows)
    {
        var norms = new double[rows.Length];
        Parallel.For(0, rows.Length, r =>
        {
            double s = 0;
            foreach (var v in rows[r]) s += v * v;
            norms[r] = Math.Sqrt(s);
        });
        return norms;
    }

    public int[] Batch(int n)
    {
        var order = Enumerable.Range(0, n).ToArray();
        _rng.Shuffle(order);
        return order.Take(Math.Min(32, n)).ToArray();
    }

    public string[] Files(string dir) => Directory.GetFiles(dir, "*.bin").Order(StringComparer.Ordinal).ToArray();

    public int Lookup(string key)
    {
        if (_index.TryGetValue(key, out var id)) return id;
        id = _index.Count;
        _index[key] = id;
        _cache.TryAdd(id, id * 0.5);
        return id;
    }

    public double Train(float[][] x, float[] y, int epochs)
    {
        var sw = Stopwatch.StartNew();
        double loss = 0;
        for (var e = 0; e < epochs; e++)
        {
            loss = 0;
            for (var k = 0; k < x.Length; k++)
            {
                var err = Dot(x[k]) - y[k];
                loss += 0.5 * err * err;
                for (var j = 0; j < _weights.Length && j < x[k].Length; j++)
                    _weights[j] -= 0.01f * err * x[k][j];
            }
            if (e % 10 == 0) Console.WriteLine($"epoch {e} loss {loss:F4} {sw.Elapsed.TotalSeconds:F1}s");
        }
        return loss;
    }

    public IEnumerable<(string Name, double Score)> Top(IReadOnlyDictionary<string, double> scores) =>
        scores.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(5)
            .Select(kv => (kv.Key, kv.Value));

    public override string ToString() => $"Model__N__({_weights.Length} weights, {DateTime.UtcNow:O})";
}
"""

LOADER = """using System.Globalization;
using System.Text;

namespace Generated.N__N__;

public sealed record Example__N__(string Path, float[] Features, int Label);

public sealed class Loader__N__
{
    private readonly string _root;
    private readonly Dictionary<string, int> _vocabulary = new(StringComparer.Ordinal);
    private readonly Dictionary<int, List<string>> _byHash = new();
    private readonly int _seed;

    public Loader__N__(string root, int seed)
    {
        _root = root ?? throw new ArgumentNullException(nameof(root));
        _seed = seed;
    }

    public IReadOnlyList<string> Classes() =>
        Directory.GetDirectories(_root).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();

    public async Task<List<Example__N__>> LoadAsync(CancellationToken token)
    {
        var classes = Classes();
        var tasks = new List<Task<Example__N__[]>>();
        for (var label = 0; label < classes.Count; label++)
        {
            var files = Directory.EnumerateFiles(Path.Combine(_root, classes[label]), "*.csv").ToArray();
            Array.Sort(files, StringComparer.Ordinal);
            tasks.Add(ReadAllAsync(files, label, token));
        }
        var parts = await Task.WhenAll(tasks).ConfigureAwait(false);
        return parts.SelectMany(p => p).ToList();
    }

    private static async Task<Example__N__[]> ReadAllAsync(string[] files, int label, CancellationToken token)
    {
        var result = new Example__N__[files.Length];
        for (var i = 0; i < files.Length; i++)
        {
            var text = await File.ReadAllTextAsync(files[i], token).ConfigureAwait(false);
            result[i] = new Example__N__(files[i], Parse(text), label);
        }
        return result;
    }

    public static float[] Parse(string line)
    {
        var fields = line.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var values = new float[fields.Length];
        for (var i = 0; i < fields.Length; i++)
        {
            if (!float.TryParse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
                throw new FormatException($"field {i} of '{line}' is not a number");
        }
        return values;
    }

    public int Token(string word)
    {
        if (_vocabulary.TryGetValue(word, out var id)) return id;
        id = _vocabulary.Count;
        _vocabulary.Add(word, id);
        var hash = word.GetHashCode();
        if (!_byHash.TryGetValue(hash, out var bucket)) _byHash[hash] = bucket = new List<string>();
        bucket.Add(word);
        return id;
    }

    public int[] Shuffled(int count, int epoch)
    {
        var order = new int[count];
        for (var i = 0; i < count; i++) order[i] = i;
        var rng = new Random(unchecked(_seed * 31 + epoch));
        for (var i = count - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    public IEnumerable<Example__N__[]> Batches(IReadOnlyList<Example__N__> data, int[] order, int size)
    {
        for (var start = 0; start < order.Length; start += size)
        {
            var batch = new Example__N__[Math.Min(size, order.Length - start)];
            for (var i = 0; i < batch.Length; i++) batch[i] = data[order[start + i]];
            yield return batch;
        }
    }

    public string Describe()
    {
        var sb = new StringBuilder();
        sb.Append("loader ").Append(_root).Append(" with ").Append(_vocabulary.Count).AppendLine(" tokens");
        foreach (var (word, id) in _vocabulary.OrderBy(kv => kv.Value)) sb.Append(id).Append('=').AppendLine(word);
        return sb.ToString();
    }
}
"""

KERNELS = """using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Generated.N__N__;

public static class Kernels__N__
{
    public static void Add(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> result)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count)
                (new Vector<float>(a.Slice(i)) + new Vector<float>(b.Slice(i))).CopyTo(result.Slice(i));
        }
        for (; i < a.Length; i++) result[i] = a[i] + b[i];
    }

    public static void Relu(Span<float> x)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= x.Length - Vector256<float>.Count; i += Vector256<float>.Count)
                Vector256.Max(Vector256.Create(x.Slice(i)), Vector256<float>.Zero).CopyTo(x.Slice(i));
        }
        for (; i < x.Length; i++) x[i] = MathF.Max(x[i], 0f);
    }

    /// <summary>Sum in eight fixed lanes, then a fixed tree: the same order on every CPU.</summary>
    public static float Sum(ReadOnlySpan<float> x)
    {
        var acc = Vector128<float>.Zero;
        var acc2 = Vector128<float>.Zero;
        var i = 0;
        for (; i + 8 <= x.Length; i += 8)
        {
            acc += Vector128.Create(x.Slice(i, 4));
            acc2 += Vector128.Create(x.Slice(i + 4, 4));
        }
        var lanes = acc + acc2;
        var total = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
        for (; i < x.Length; i++) total += x[i];
        return total;
    }

    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = 0f;
        for (var i = 0; i < a.Length; i++) sum = MathF.FusedMultiplyAdd(a[i], b[i], sum);
        return sum;
    }

    public static void Softmax(ReadOnlySpan<float> logits, Span<float> probs)
    {
        var max = float.NegativeInfinity;
        foreach (var v in logits) max = MathF.Max(max, v);
        var sum = 0f;
        for (var i = 0; i < logits.Length; i++)
        {
            probs[i] = MathF.Exp(logits[i] - max);
            sum += probs[i];
        }
        var inv = 1f / sum;
        for (var i = 0; i < probs.Length; i++) probs[i] *= inv;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Gelu(float x) => 0.5f * x * (1f + MathF.Tanh(0.7978846f * (x + 0.044715f * x * x * x)));

    public static void MatVec(ReadOnlySpan<float> m, ReadOnlySpan<float> v, Span<float> result, int rows, int cols)
    {
        Span<float> row = cols <= 256 ? stackalloc float[cols] : new float[cols];
        for (var r = 0; r < rows; r++)
        {
            m.Slice(r * cols, cols).CopyTo(row);
            result[r] = Dot(row, v);
        }
    }

    public static int ArgMax(ReadOnlySpan<float> x)
    {
        var best = 0;
        for (var i = 1; i < x.Length; i++)
            if (x[i] > x[best]) best = i;
        return best;
    }

    public static void Clip(Span<double> x, double bound)
    {
        for (var i = 0; i < x.Length; i++)
            x[i] = Math.Clamp(x[i], -bound, bound);
    }
}
"""

METRICS = """using System.Collections.Concurrent;
using System.Diagnostics;

namespace Generated.N__N__;

public sealed record Prediction__N__(int Id, int Label, int Predicted, double Confidence);

public sealed class Metrics__N__
{
    private readonly ConcurrentDictionary<string, double> _memo = new(StringComparer.Ordinal);
    private int _evaluated;

    public double Accuracy(IReadOnlyList<Prediction__N__> predictions) =>
        predictions.Count == 0 ? 0 : predictions.Count(p => p.Label == p.Predicted) / (double)predictions.Count;

    public Dictionary<int, (int Tp, int Fp, int Fn)> Confusion(IEnumerable<Prediction__N__> predictions)
    {
        var table = new Dictionary<int, (int Tp, int Fp, int Fn)>();
        foreach (var p in predictions)
        {
            table.TryGetValue(p.Label, out var l);
            table.TryGetValue(p.Predicted, out var q);
            if (p.Label == p.Predicted) table[p.Label] = (l.Tp + 1, l.Fp, l.Fn);
            else
            {
                table[p.Label] = (l.Tp, l.Fp, l.Fn + 1);
                table[p.Predicted] = (q.Tp, q.Fp + 1, q.Fn);
            }
        }
        return table;
    }

    public double MacroF1(IEnumerable<Prediction__N__> predictions) =>
        Confusion(predictions).OrderBy(kv => kv.Key).Select(kv => kv.Value)
            .Select(c => c.Tp == 0 ? 0.0 : 2.0 * c.Tp / (2.0 * c.Tp + c.Fp + c.Fn))
            .DefaultIfEmpty(0).Average();

    public double[] PerBatchLoss(float[][] outputs, int[] labels)
    {
        var losses = new double[outputs.Length];
        Parallel.ForEach(Partitioner.Create(0, outputs.Length), range =>
        {
            for (var i = range.Item1; i < range.Item2; i++)
            {
                var o = outputs[i];
                losses[i] = -Math.Log(Math.Max(1e-12, o[labels[i]]));
                Interlocked.Increment(ref _evaluated);
            }
        });
        return losses;
    }

    public double Memoized(string key, Func<string, double> compute) => _memo.GetOrAdd(key, compute);

    public IEnumerable<string> Report(IReadOnlyList<Prediction__N__> predictions)
    {
        var sw = Stopwatch.StartNew();
        var byLabel = predictions.GroupBy(p => p.Label).OrderBy(g => g.Key);
        foreach (var group in byLabel)
        {
            var mean = group.Average(p => p.Confidence);
            yield return $"{DateTime.UtcNow:O} label {group.Key}: {group.Count()} items, mean confidence {mean:F3}";
        }
        yield return $"report took {sw.ElapsedMilliseconds} ms, {_evaluated} losses so far";
    }

    public double Calibration(IReadOnlyList<Prediction__N__> predictions, int bins)
    {
        var counts = new int[bins];
        var hits = new int[bins];
        foreach (var p in predictions)
        {
            var b = Math.Min(bins - 1, (int)(p.Confidence * bins));
            counts[b]++;
            if (p.Label == p.Predicted) hits[b]++;
        }
        return counts.Zip(hits, (c, h) => c == 0 ? 0.0 : h / (double)c).Aggregate(0.0, (acc, x) => acc + x) / bins;
    }

    public static string Histogram(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return "empty";
        var median = sorted[sorted.Length / 2];
        return string.Join(" ", new[] { sorted[0], median, sorted[^1] }.Select(v => v.ToString("F3")));
    }
}
"""

SERVICE = """using System.Text;
using System.Text.RegularExpressions;

namespace Generated.N__N__;

public interface IStore__N__<TKey, TValue> where TKey : notnull
{
    bool TryGet(TKey key, out TValue value);
    void Put(TKey key, TValue value);
    int Count { get; }
}

public sealed class MemoryStore__N__<TKey, TValue> : IStore__N__<TKey, TValue> where TKey : notnull
{
    private readonly Dictionary<TKey, TValue> _items = new();
    public int Count => _items.Count;
    public bool TryGet(TKey key, out TValue value) => _items.TryGetValue(key, out value!);
    public void Put(TKey key, TValue value) => _items[key] = value;
}

public sealed class TrainingOptions__N__
{
    public int Epochs { get; set; } = 10;
    public double LearningRate { get; set; } = 0.01;
    public int BatchSize { get; set; } = 32;
    public string OutputDirectory { get; set; } = "runs";
    public string? Name { get; set; }

    public IEnumerable<string> Validate()
    {
        if (Epochs <= 0) yield return "Epochs must be positive";
        if (LearningRate is <= 0 or > 1) yield return $"LearningRate {LearningRate} is outside (0, 1]";
        if (BatchSize <= 0) yield return "BatchSize must be positive";
        if (string.IsNullOrWhiteSpace(OutputDirectory)) yield return "OutputDirectory is required";
    }
}

public sealed class RunService__N__
{
    private readonly IStore__N__<string, TrainingOptions__N__> _store;
    private readonly List<string> _log = new();

    public RunService__N__(IStore__N__<string, TrainingOptions__N__> store) => _store = store;

    public string Register(TrainingOptions__N__ options)
    {
        var errors = options.Validate().ToList();
        if (errors.Count > 0)
            throw new ArgumentException(string.Join("; ", errors), nameof(options));
        var name = options.Name ?? $"run-{_store.Count + 1:D4}";
        if (!NamePattern().IsMatch(name))
            throw new ArgumentException($"'{name}' is not a valid run name", nameof(options));
        _store.Put(name, options);
        _log.Add($"{DateTime.Now:yyyy-MM-dd HH:mm:ss} registered {name}");
        return name;
    }

    public string Describe(string name) => _store.TryGet(name, out var o) switch
    {
        true when o.Epochs > 100 => $"{name}: long run ({o.Epochs} epochs)",
        true => $"{name}: {o.Epochs} epochs, lr {o.LearningRate}, batch {o.BatchSize}",
        false => $"{name}: unknown",
    };

    public async Task<int> ExportAsync(string path, CancellationToken token)
    {
        var sb = new StringBuilder();
        foreach (var line in _log) sb.AppendLine(line);
        await File.WriteAllTextAsync(path, sb.ToString(), token).ConfigureAwait(false);
        return _log.Count;
    }

    public static object Parse(string text) => text.Trim() switch
    {
        "" => throw new FormatException("empty"),
        var t when int.TryParse(t, out var i) => i,
        var t when double.TryParse(t, out var d) => d,
        var t when t.StartsWith('"') && t.EndsWith('"') => t[1..^1],
        var t => t,
    };

    public static string Slug(string title)
    {
        var sb = new StringBuilder(title.Length);
        foreach (var c in title.ToLowerInvariant())
            sb.Append(char.IsLetterOrDigit(c) ? c : '-');
        return sb.ToString().Trim('-');
    }

    private static readonly Regex Names = new("^[a-z0-9-]{1,64}$", RegexOptions.CultureInvariant);

    private static Regex NamePattern() => Names;
}
"""

# The model file plus one genuine finding for each of eight rules (RPR1001, RPR1004, RPR2001, RPR2003, RPR2007,
# RPR3001, RPR4001, RPR4002): the reporting paths run too, and the counts check that a change finds the same.
PITFALLS = MODEL.replace("public override string ToString()", """public double[] Init(int n)
    {
        var rng = new Random();
        return Enumerable.Range(0, n).Select(_ => rng.NextDouble()).ToArray();
    }

    public List<int> Shuffle(List<int> items) => items.OrderBy(_ => _rng.Next()).ToList();

    public double SumSquares(double[] x)
    {
        double total = 0;
        var gate = new object();
        Parallel.For(0, x.Length, i => { lock (gate) total += x[i] * x[i]; });
        return total;
    }

    public double Mean(double[] x) => x.AsParallel().Sum() / x.Length;

    public List<string> Inputs(string dir) => Directory.GetFiles(dir, "*.csv").ToList();

    public float SimdSum(float[] x)
    {
        var acc = Vector<float>.Zero;
        var i = 0;
        for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count) acc += new Vector<float>(x, i);
        var total = Vector.Sum(acc);
        for (; i < x.Length; i++) total += x[i];
        return total;
    }

    public void TrainFor(TimeSpan budget, float[][] x, float[] y)
    {
        var deadline = DateTime.UtcNow + budget;
        while (DateTime.UtcNow < deadline) Train(x, y, 1);
        var sw = Stopwatch.StartNew();
        while (sw.ElapsedMilliseconds < 1000) Train(x, y, 1);
    }

    public override string ToString()""").replace("Model__N__", "Pitfalls__N__")

if mix == "model":
    kinds = [MODEL]
elif mix == "realistic":
    kinds = [MODEL, LOADER, KERNELS, METRICS, SERVICE]
else:
    sys.exit(f"unknown mix {mix}")

files = []
n = 0
lines = 0
while lines < target_lines:
    text = PITFALLS if mix == "realistic" and n % 25 == 24 else kinds[n % len(kinds)]
    text = text.replace("__N__", str(n))
    files.append(text)
    lines += text.count("\n")
    n += 1
for i, text in enumerate(files):
    open(os.path.join(out, f"File{i}.cs"), "w").write(text)
pitfall_files = sum(1 for t in files if "Pitfalls" in t)
print(f"{len(files)} files, {lines} lines in {out} ({mix}; {pitfall_files} files with 9 planted findings of 8 rules)")
