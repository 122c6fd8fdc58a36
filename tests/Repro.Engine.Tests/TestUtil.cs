using Repro.Engine;

namespace Repro.Engine.Tests;

internal static class TestUtil
{
    /// <summary>Canonical bytes (NaNs canonicalized) with shape and dtype, for bitwise comparison.</summary>
    public static string Fingerprint(Tensor t) => $"{t.DType.Name()}{t.ShapeString}:{Convert.ToHexString(t.ToBytes(canonicalNaN: true))}";

    /// <summary>Runs every suite case and hashes each result.</summary>
    public static Dictionary<string, string> RunSuite(Func<string, bool>? filter = null)
    {
        var result = new Dictionary<string, string>();
        foreach (var (name, run) in OpSuite.Cases())
        {
            if (filter is null || filter(name))
            {
                var t = run();
                result[name] = $"{t.DType.Name()}{t.ShapeString}:{t.ContentHash()}";
            }
        }

        return result;
    }

    /// <summary>Asserts two suite runs agree on every case, naming the first case that differs.</summary>
    public static void AssertSame(IReadOnlyDictionary<string, string> expected, IReadOnlyDictionary<string, string> actual, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (name, hash) in expected)
        {
            Assert.True(actual.TryGetValue(name, out var other), $"{what}: case '{name}' is missing");
            Assert.True(hash == other, $"{what}: case '{name}' differs: {hash} vs {other}");
        }
    }
}
