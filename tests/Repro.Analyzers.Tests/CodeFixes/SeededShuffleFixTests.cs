using Repro.Analyzers.Tests.Infrastructure;
using Verify = Repro.Analyzers.Tests.Infrastructure.CodeFixVerifier<
    Repro.Analyzers.Randomness.RandomSortKeyAnalyzer, Repro.Analyzers.CodeFixes.SeededShuffleFix>;

namespace Repro.Analyzers.Tests.CodeFixes;

public class SeededShuffleFixTests
{
    /// <summary>
    /// The generator comes from the caller's context (here a property of a training context that the program seeds):
    /// the shuffle must draw from it, not from a new Random(0) that drops the user's seed.
    /// </summary>
    [Theory]
    [MemberData(nameof(TargetFrameworkReferences.All), MemberType = typeof(TargetFrameworkReferences))]
    public Task RPR1004_reuses_the_generator_expression_of_the_key(string tfm) => Verify.VerifyAsync("""
        using System;
        using System.Collections.Generic;
        using System.Linq;
        public sealed class TrainingContext { public Random Random { get; } = new Random(7); }
        class Loader
        {
            private readonly TrainingContext _context;
            public Loader(TrainingContext context) { _context = context; }
            List<int> A(List<int> xs) => {|RPR1004:xs.OrderBy(_ => _context.Random.Next())|}.ToList();
            List<int> B(List<int> xs, TrainingContext ctx) => {|RPR1004:xs.OrderBy(_ => ctx.Random.NextDouble())|}.ToList();
        }
        """, """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        public sealed class TrainingContext { public Random Random { get; } = new Random(7); }
        class Loader
        {
            private readonly TrainingContext _context;
            public Loader(TrainingContext context) { _context = context; }
            List<int> A(List<int> xs) => SeededShuffle(xs, _context.Random).ToList();
            List<int> B(List<int> xs, TrainingContext ctx) => SeededShuffle(xs, ctx.Random).ToList();

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
        """, tfm, null);

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
