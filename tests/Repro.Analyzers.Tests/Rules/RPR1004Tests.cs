using Verify = Repro.Analyzers.Tests.Infrastructure.AnalyzerVerifier<Repro.Analyzers.Randomness.RandomSortKeyAnalyzer>;

namespace Repro.Analyzers.Tests.Rules;

public class RPR1004Tests
{
    [Fact]
    public Task Random_sort_keys_are_reported() => Verify.VerifyAsync("""
        using System;
        using System.Collections.Generic;
        using System.Linq;
        class Loader
        {
            List<int> A(List<int> xs) => {|RPR1004:xs.OrderBy(_ => Guid.NewGuid())|}.ToList();
            int[] B(int[] xs, Random rng) => {|RPR1004:xs.OrderBy(_ => rng.Next())|}.ToArray();
            IEnumerable<string> C(string[] xs, Random rng) => {|RPR1004:xs.OrderBy(x => x.Length).ThenBy(_ => rng.NextDouble())|};
        }
        """);

    [Fact]
    public Task Ordinary_sort_keys_are_not_reported() => Verify.VerifyAsync("""
        using System;
        using System.Linq;
        class Loader
        {
            int[] A(int[] xs) => xs.OrderBy(x => x % 7).ToArray();
            string[] B(string[] xs, Random rng) { var k = rng.Next(); return xs.OrderBy(x => x.Length + k).ToArray(); }
        }
        """);
}
