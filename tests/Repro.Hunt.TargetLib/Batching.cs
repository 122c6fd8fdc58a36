namespace Repro.Hunt.TargetLib;

/// <summary>A data-loading helper as a third-party package might ship it.</summary>
public static class Batching
{
    /// <summary>
    /// The items in a "spread out" order: by their string hash, which .NET randomizes per process, so the order
    /// changes on every run (what RPR1005 reports where it can see the source).
    /// </summary>
    public static IReadOnlyList<string> Spread(IEnumerable<string> items) =>
        [.. items.OrderBy(s => s.GetHashCode()).ThenBy(s => s, StringComparer.Ordinal)];
}
