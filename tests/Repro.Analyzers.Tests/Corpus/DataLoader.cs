using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading.Tasks;

namespace Corpus.Data;

public sealed record Sample(string Path, float[] Features, int Label);

public sealed class ImageFolderDataset
{
    private readonly string _root;
    private readonly ConcurrentDictionary<string, int> _vocabulary = new();
    private readonly Dictionary<int, string> _byHash = new();

    public ImageFolderDataset(string root) => _root = root;

    public string[] ClassNames() => Directory.GetDirectories(_root); // expect: RPR2007

    public string[] ClassNamesSorted() => Directory.GetDirectories(_root).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    public List<Sample> Load()
    {
        var samples = new List<Sample>();
        var label = 0;
        foreach (var dir in ClassNamesSorted())
        {
            var files = Directory.GetFiles(Path.Combine(_root, dir), "*.png");
            Array.Sort(files, StringComparer.Ordinal);
            foreach (var file in files) samples.Add(new Sample(file, Decode(file), label));
            label++;
        }
        return samples;
    }

    public List<Sample> LoadUnordered(string dir)
    {
        var samples = new List<Sample>();
        foreach (var file in Directory.EnumerateFiles(dir, "*.png")) // expect: RPR2007
            samples.Add(new Sample(file, Decode(file), 0));
        return samples;
    }

    public int CountFiles(string dir) => Directory.EnumerateFiles(dir, "*.png", SearchOption.AllDirectories).Count();

    public void CleanCache(string dir)
    {
        foreach (var stale in Directory.EnumerateFiles(dir, "*.cache"))
            File.Delete(stale);
    }

    public (List<Sample> Train, List<Sample> Test) Split(List<Sample> all)
    {
        var train = new List<Sample>();
        var test = new List<Sample>();
        foreach (var s in all)
        {
            var bucket = Math.Abs(Path.GetFileName(s.Path).GetHashCode()) % 100; // expect: RPR1005
            (bucket < 80 ? train : test).Add(s);
        }
        return (train, test);
    }

    public void Remember(string path) => _byHash[path.GetHashCode()] = path;

    public int Shard(string key, int shards) => (int)((uint)key.GetHashCode() % (uint)shards); // expect: RPR1005

    public void CountTokens(IEnumerable<string> corpus) =>
        Parallel.ForEach(corpus, line =>
        {
            foreach (var token in line.Split(' ')) _vocabulary.AddOrUpdate(token, 1, (_, c) => c + 1);
        });

    public string[] Vocabulary() => _vocabulary.Keys.ToArray(); // expect: RPR2006

    public string[] VocabularySorted() => _vocabulary.Keys.Order(StringComparer.Ordinal).ToArray();

    public int Frequency(string token) => _vocabulary.TryGetValue(token, out var c) ? c : 0;

    public int VocabularySize => _vocabulary.Count;

    public List<float[]> DecodeAll(string[] files)
    {
        var decoded = new ConcurrentBag<float[]>();
        Parallel.ForEach(files, f => decoded.Add(Decode(f)));
        return decoded.ToList(); // expect: RPR2005
    }

    public float[][] DecodeAllOrdered(string[] files)
    {
        var decoded = new float[files.Length][];
        Parallel.For(0, files.Length, i => decoded[i] = Decode(files[i]));
        return decoded;
    }

    public async Task<List<float[]>> DownloadAll(IEnumerable<Task<float[]>> downloads)
    {
        var pending = downloads.ToList();
        var results = new List<float[]>();
        while (pending.Count > 0)
        {
            var finished = await Task.WhenAny(pending); // expect: RPR2004
            pending.Remove(finished);
            results.Add(await finished);
        }
        return results;
    }

    public async Task<float[][]> DownloadAllOrdered(IEnumerable<Task<float[]>> downloads) => await Task.WhenAll(downloads);

    private static float[] Decode(string path) => new float[] { path.Length };
}
