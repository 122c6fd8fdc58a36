using System.Collections.Concurrent;

namespace Pitfalls;

public static class DataPitfalls
{
    // The shuffle order changes on every run: Random() is seeded from a per-process source.
    private static readonly Random Rng = new Random(); // expect: RPR1001

    // The seed is the time at start-up, so no two runs shuffle alike.
    public static Random SeededFromClock() => new Random(Environment.TickCount); // expect: RPR1002

    // Sorting by a GUID is not a shuffle you can replay.
    public static List<string> Shuffle(IEnumerable<string> files) => files.OrderBy(_ => Guid.NewGuid()).ToList(); // expect: RPR1004

    // string.GetHashCode() is randomized per process: the split moves between runs.
    public static (List<string> Train, List<string> Test) TrainTestSplit(IEnumerable<string> files)
    {
        var train = new List<string>();
        var test = new List<string>();
        foreach (var f in files)
            (Math.Abs(f.GetHashCode()) % 10 < 8 ? train : test).Add(f); // expect: RPR1005
        return (train, test);
    }

    // File-system order differs between machines and file systems.
    public static string[] ListImages(string dir) => Directory.GetFiles(dir, "*.png"); // expect: RPR2007

    // Decoded in parallel, collected in whatever order the workers finished.
    public static float[][] DecodeAll(string[] files)
    {
        var bag = new ConcurrentBag<float[]>();
        Parallel.ForEach(files, f => bag.Add([f.Length, Rng.NextSingle()])); // expect: RPR1009
        return bag.ToArray(); // expect: RPR2005
    }

    // Results appended as tasks complete.
    public static async Task<List<int>> FetchAll(List<Task<int>> downloads)
    {
        var results = new List<int>();
        while (downloads.Count > 0)
        {
            var done = await Task.WhenAny(downloads); // expect: RPR2004
            downloads.Remove(done);
            results.Add(await done);
        }
        return results;
    }

    // A ConcurrentDictionary enumerates in hash-bucket order.
    public static string[] Vocabulary(ConcurrentDictionary<string, int> counts) => counts.Keys.ToArray(); // expect: RPR2006
}
