#!/usr/bin/env python3
"""Writes a C# project of about N lines of numeric/ML-style code for the analyzer benchmark.

usage: generate.py OUT_DIR [LINES]
The project lives outside the repository (so Directory.Build.props does not apply) and loads the analyzer
assemblies named by -p:BenchAnalyzers=a.dll;b.dll when it is built.
"""
import os, sys

out = sys.argv[1]
target_lines = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
os.makedirs(out, exist_ok=True)

open(os.path.join(out, "Generated.csproj"), "w").write(f"""<Project Sdk="Microsoft.NET.Sdk">
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

# One class of about 100 lines; every method mixes the shapes the rules look at (seeded Random, parallel loops
# writing disjoint slots, sorted listings, LINQ, dictionaries, stopwatches used for logging, SIMD loops), so the
# analyzers do real work but report nothing.
TEMPLATE = """using System.Collections.Concurrent;
using System.Diagnostics;
using System.Numerics;

namespace Generated.N{n};

public sealed class Model{n}
{{
    private readonly float[] _weights = new float[64];
    private readonly Dictionary<string, int> _index = new();
    private readonly ConcurrentDictionary<int, double> _cache = new();
    private readonly Random _rng;

    public Model{n}(int seed) => _rng = new Random(seed + {n});

    public float Dot(ReadOnlySpan<float> x)
    {{
        var acc = 0f;
        for (var i = 0; i < x.Length && i < _weights.Length; i++)
            acc += _weights[i] * x[i];
        return acc;
    }}

    public void Scale(float[] x, float s)
    {{
        var i = 0;
        for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            (new Vector<float>(x, i) * s).CopyTo(x, i);
        for (; i < x.Length; i++) x[i] *= s;
    }}

    public double[] RowNorms(float[][] rows)
    {{
        var norms = new double[rows.Length];
        Parallel.For(0, rows.Length, r =>
        {{
            double s = 0;
            foreach (var v in rows[r]) s += v * v;
            norms[r] = Math.Sqrt(s);
        }});
        return norms;
    }}

    public int[] Batch(int n)
    {{
        var order = Enumerable.Range(0, n).ToArray();
        _rng.Shuffle(order);
        return order.Take(Math.Min(32, n)).ToArray();
    }}

    public string[] Files(string dir) => Directory.GetFiles(dir, "*.bin").Order(StringComparer.Ordinal).ToArray();

    public int Lookup(string key)
    {{
        if (_index.TryGetValue(key, out var id)) return id;
        id = _index.Count;
        _index[key] = id;
        _cache.TryAdd(id, id * 0.5);
        return id;
    }}

    public double Train(float[][] x, float[] y, int epochs)
    {{
        var sw = Stopwatch.StartNew();
        double loss = 0;
        for (var e = 0; e < epochs; e++)
        {{
            loss = 0;
            for (var k = 0; k < x.Length; k++)
            {{
                var err = Dot(x[k]) - y[k];
                loss += 0.5 * err * err;
                for (var j = 0; j < _weights.Length && j < x[k].Length; j++)
                    _weights[j] -= 0.01f * err * x[k][j];
            }}
            if (e % 10 == 0) Console.WriteLine($"epoch {{e}} loss {{loss:F4}} {{sw.Elapsed.TotalSeconds:F1}}s");
        }}
        return loss;
    }}

    public IEnumerable<(string Name, double Score)> Top(IReadOnlyDictionary<string, double> scores) =>
        scores.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(5)
            .Select(kv => (kv.Key, kv.Value));

    public override string ToString() => $"Model{n}({{_weights.Length}} weights, {{DateTime.UtcNow:O}})";
}}
"""
per_file = TEMPLATE.count("\n")
files = max(1, target_lines // per_file)
for n in range(files):
    open(os.path.join(out, f"Model{n}.cs"), "w").write(TEMPLATE.format(n=n))
print(f"{files} files, {files * per_file} lines in {out}")
