using Verify = Repro.Analyzers.Tests.Infrastructure.CodeFixVerifier<
    Repro.Analyzers.Randomness.UnseededRandomAnalyzer, Repro.Analyzers.CodeFixes.SeedParameterFix>;

namespace Repro.Analyzers.Tests.CodeFixes;

public class SeedParameterFixTests
{
    [Fact]
    public Task RPR1001_uses_seed_in_scope_adds_parameter_once_and_falls_back_to_constant() => Verify.VerifyAsync("""
        using System;
        class Loader
        {
            readonly Random _rng = {|RPR1001:new Random()|};
            int A(int seed) => {|RPR1001:new Random()|}.Next();
            int B(int n)
            {
                var a = {|RPR1001:new Random()|};
                var b = {|RPR1001:new Random()|};
                return a.Next(n) + b.Next(n);
            }
        }
        """, """
        using System;
        class Loader
        {
            readonly Random _rng = new Random(0);
            int A(int seed) => new Random(seed).Next();
            int B(int n, int seed = 0)
            {
                var a = new Random(seed);
                var b = new Random(seed);
                return a.Next(n) + b.Next(n);
            }
        }
        """);
}
