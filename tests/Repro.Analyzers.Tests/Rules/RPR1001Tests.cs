using Repro.Analyzers.Randomness;
using Verify = Repro.Analyzers.Tests.Infrastructure.AnalyzerVerifier<Repro.Analyzers.Randomness.UnseededRandomAnalyzer>;

namespace Repro.Analyzers.Tests.Rules;

public class RPR1001Tests
{
    [Fact]
    public Task Unseeded_constructor_and_shared_instance_are_reported() => Verify.VerifyAsync("""
        using System;
        using System.Threading;
        class Loader
        {
            readonly Random _rng = {|RPR1001:new Random()|};
            ThreadLocal<Random> _perThread = new(() => {|RPR1001:new Random()|});
            int Pick(int n) => {|RPR1001:Random.Shared|}.Next(n);
            void Mix(int[] items) => {|RPR1001:Random.Shared|}.Shuffle(items);
        }
        """);

    [Fact]
    public Task Seeded_random_and_user_type_named_Random_are_not_reported() => Verify.VerifyAsync("""
        namespace App
        {
            class Random { public int Next() => 4; }
            class Sampler
            {
                readonly System.Random _rng = new System.Random(1234);
                readonly Random _own = new Random();
                int Draw(int seed) => new System.Random(seed).Next() + _own.Next() + _rng.Next();
            }
        }
        """);
}
