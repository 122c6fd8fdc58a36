using System.Collections;
using System.Globalization;
using System.Numerics;
using Repro.Engine;
using Repro.Hunt.TargetLib;

namespace Repro.Hunt.Target;

/// <summary>Planted sources of nondeterminism, each feeding the engine on one marked line.</summary>
public static class Plants
{
    /// <summary>Every plant, in the order the program runs them.</summary>
    public static readonly string[] Names =
        ["dict-order", "unseeded-random", "parallel-sum", "culture", "timezone", "threads", "isa", "reflection-hidden", "hidden-lib"];

    /// <summary>The plants named by <c>--plant</c>; null on bad usage.</summary>
    public static HashSet<string>? Parse(string[] args)
    {
        if (args.Length == 0)
        {
            return [];
        }

        if (args.Length != 2 || args[0] != "--plant")
        {
            return null;
        }

        if (args[1] == "none")
        {
            return [];
        }

        if (args[1] == "all")
        {
            return [.. Names];
        }

        var set = new HashSet<string>(args[1].Split(','), StringComparer.Ordinal);
        return set.All(Names.Contains) ? set : null;
    }

    /// <summary>Ops that must not change: seeded random numbers, a matmul and softmax, a parallel loop that writes disjoint slots, a sorted dictionary.</summary>
    public static string Clean()
    {
        var g = new Generator(seed: 7);
        var x = Tensor.Randn([8, 16], g);
        var w = Tensor.Randn([16, 4], g);
        var p = Tensor.MatMul(x, w).Softmax(1);
        var squares = new float[64];
        Parallel.For(0, squares.Length, i => squares[i] = MathF.Sqrt(i) / 3f);
        var counts = new Dictionary<string, float>(StringComparer.Ordinal);
        foreach (var word in "the cat sat on the mat with the hat".Split(' '))
        {
            counts[word] = counts.GetValueOrDefault(word) + 1;
        }

        float[] ordered = [.. counts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value)];
        var s = Tensor.FromArray(squares, [64]).Sum();
        var c = Tensor.FromArray(ordered, [ordered.Length]).Mul(2.0);
        return p.Sum().Add(s).ContentHash() + " " + c.ContentHash();
    }

    /// <summary>Runs one plant; returns the hash of what it fed the engine.</summary>
    public static string Run(string name) => name switch
    {
        "dict-order" => DictOrder(),
        "unseeded-random" => UnseededRandom(),
        "parallel-sum" => ParallelSum(),
        "culture" => CultureRoundTrip(),
        "timezone" => TimeZone(),
        "threads" => ThreadChunks(),
        "isa" => VectorChunks(),
        "reflection-hidden" => ReflectionHidden(),
        "hidden-lib" => HiddenLib(),
        _ => throw new ArgumentException("unknown plant " + name),
    };

    // A vocabulary read from a Hashtable: its enumeration follows hash buckets, and string hashes are randomized
    // per process (RPR2006).
    private static string DictOrder()
    {
        var weights = new Hashtable();
        for (int i = 0; i < 24; i++)
        {
            weights["word" + i.ToString(CultureInfo.InvariantCulture)] = i + 0.5f;
        }

        float[] values = [.. weights.Values.Cast<float>()];
        var vocabulary = Tensor.FromArray(values, [values.Length]); // plant: dict-order
        return vocabulary.Mul(vocabulary).ContentHash();
    }

    // Dropout noise from an unseeded generator (RPR1001).
    private static string UnseededRandom()
    {
        var rng = new Random();
        var noise = new float[8];
        for (int i = 0; i < noise.Length; i++)
        {
            noise[i] = rng.NextSingle();
        }

        return Tensor.FromArray(noise, [8]).Mul(0.5).ContentHash(); // plant: unseeded-random
    }

    // Partial sums added to a shared total as the chunks finish, in an order that depends on scheduling (RPR2001).
    private static string ParallelSum()
    {
        var data = new float[4096];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = ((i * 7919) % 1000 - 500) / 7f * (i % 13 == 0 ? 1000f : 1f);
        }

        var totals = new float[8];
        var gate = new object();
        for (int t = 0; t < totals.Length; t++)
        {
            float total = 0;
            Parallel.For(0, 32, new ParallelOptions { MaxDegreeOfParallelism = 4 }, chunk =>
            {
                float local = 0;
                for (int i = chunk * 128; i < (chunk + 1) * 128; i++)
                {
                    local += data[i] * (t + 1);
                }

                // Chunks take uneven time, as real work does.
                Thread.Sleep(Random.Shared.Next(3));
                lock (gate)
                {
                    total += local;
                }
            });
            totals[t] = total;
        }

        return Tensor.FromArray(totals, [8]).Sum().ContentHash(); // plant: parallel-sum
    }

    // Numbers formatted with the current culture and parsed back with the invariant one: "1,5" is 15 there.
    private static string CultureRoundTrip()
    {
        float[] raw = [0.5f, 1.25f, 2.5f, 3.75f];
        float[] parsed = [.. raw.Select(v => float.Parse(v.ToString(), CultureInfo.InvariantCulture))];
        return Tensor.FromArray(parsed, [parsed.Length]).ContentHash(); // plant: culture
    }

    // The hour of day of UTC timestamps, taken in the machine's local time zone (RPR4004).
    private static string TimeZone()
    {
        var start = new DateTime(2024, 3, 9, 22, 0, 0, DateTimeKind.Utc);
        var hours = new float[6];
        for (int i = 0; i < hours.Length; i++)
        {
            hours[i] = start.AddHours(i * 5).ToLocalTime().Hour;
        }

        return Tensor.FromArray(hours, [6]).ContentHash(); // plant: timezone
    }

    // A float sum cut into as many pieces as the engine has threads: the grouping changes with REPRO_THREADS.
    private static string ThreadChunks() => Tensor.FromArray([ChunkedSum(Settings.Threads)], [1]).ContentHash(); // plant: threads

    // A float sum cut by the vector width: the grouping changes with the ISA the JIT may use (RPR3001).
    private static string VectorChunks() => Tensor.FromArray([ChunkedSum(Vector<float>.Count)], [1]).ContentHash(); // plant: isa

    private static float ChunkedSum(int pieces)
    {
        var partial = new float[pieces];
        for (int i = 0; i < 3000; i++)
        {
            partial[i % pieces] += 1f / (i + 1) + (i % 11 == 0 ? 100f : 0f);
        }

        float sum = 0;
        foreach (var p in partial)
        {
            sum += p;
        }

        return sum;
    }

    // An unseeded generator made and called through reflection: no analyzer sees a `new Random()` here.
    private static string ReflectionHidden()
    {
        var type = Type.GetType("System." + "Random")!;
        var rng = Activator.CreateInstance(type)!;
        var next = type.GetMethod("Next" + "Double", Type.EmptyTypes)!;
        var init = new float[5];
        for (int i = 0; i < init.Length; i++)
        {
            init[i] = (float)(double)next.Invoke(rng, null)!;
        }

        return Tensor.FromArray(init, [5]).ContentHash(); // plant: reflection-hidden
    }

    // Batches ordered by a library built without the analyzers (by per-process string hash).
    private static string HiddenLib()
    {
        string[] files = [.. Enumerable.Range(0, 12).Select(i => "img" + i.ToString(CultureInfo.InvariantCulture) + ".png")];
        float[] ids = [.. Batching.Spread(files).Select(f => (float)Array.IndexOf(files, f))];
        return Tensor.FromArray(ids, [ids.Length]).ContentHash(); // plant: hidden-lib
    }
}
