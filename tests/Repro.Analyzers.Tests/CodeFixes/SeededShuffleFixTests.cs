using Verify = Repro.Analyzers.Tests.Infrastructure.CodeFixVerifier<
    Repro.Analyzers.Randomness.RandomSortKeyAnalyzer, Repro.Analyzers.CodeFixes.SeededShuffleFix>;

namespace Repro.Analyzers.Tests.CodeFixes;

public class SeededShuffleFixTests
{
    [Fact]
    public Task RPR1004_replaces_random_sorts_with_one_seeded_shuffle_helper() => Verify.VerifyAsync("""
        using System;
        using System.Collections.Generic;
        using System.Linq;
        class Loader
        {
            List<int> A(List<int> xs, Random rng) => {|RPR1004:xs.OrderBy(_ => rng.Next())|}.ToList();
            int[] B(int[] xs, int seed) => {|RPR1004:xs.OrderBy(_ => Guid.NewGuid())|}.ToArray();
        }
        """, """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        class Loader
        {
            List<int> A(List<int> xs, Random rng) => SeededShuffle(xs, rng).ToList();
            int[] B(int[] xs, int seed) => SeededShuffle(xs, new Random(seed)).ToArray();

            private static T[] SeededShuffle<T>(IEnumerable<T> source, Random rng)
            {
                var items = source.ToArray();
                for (var i = items.Length - 1; i > 0; i--)
                {
                    var j = rng.Next(i + 1);
                    (items[i], items[j]) = (items[j], items[i]);
                }

                return items;
            }
        }
        """);
}
