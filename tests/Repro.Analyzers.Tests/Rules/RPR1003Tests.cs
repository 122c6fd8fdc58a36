using Verify = Repro.Analyzers.Tests.Infrastructure.AnalyzerVerifier<Repro.Analyzers.Randomness.UnseededRandomAnalyzer>;

namespace Repro.Analyzers.Tests.Rules;

public class RPR1003Tests
{
    [Fact]
    public Task Random_created_per_thread_is_reported() => Verify.VerifyAsync("""
        using System;
        using System.Threading;
        using System.Threading.Tasks;
        class Augmenter
        {
            int _next;
            ThreadLocal<Random> _rng;
            Augmenter(int seed) => _rng = new ThreadLocal<Random>(() => {|RPR1003:new Random(seed + Interlocked.Increment(ref _next))|});
            void Run(float[] data, int seed) => Parallel.For(0, data.Length, () => {|RPR1003:new Random(seed)|},
                (i, _, rng) => { data[i] += (float)rng.NextDouble(); return rng; }, _ => { });
        }
        """);

    [Fact]
    public Task Seeded_random_per_item_is_not_reported() => Verify.VerifyAsync("""
        using System;
        using System.Threading.Tasks;
        class Augmenter
        {
            void Run(float[] data, int seed) => Parallel.For(0, data.Length, i =>
            {
                var rng = new Random(seed * 1_000_003 + i);
                data[i] += (float)rng.NextDouble();
            });
        }
        """);
}
