using Verify = Repro.Analyzers.Tests.Infrastructure.AnalyzerVerifier<Repro.Analyzers.Randomness.VolatileSeedAnalyzer>;

namespace Repro.Analyzers.Tests.Rules;

public class RPR1002Tests
{
    [Fact]
    public Task Seeds_from_clock_guid_and_thread_id_are_reported() => Verify.VerifyAsync("""
        using System;
        using System.Threading;
        class Trainer
        {
            public int Seed { get; set; }
            Random A() => new Random({|RPR1002:Environment.TickCount|});
            Random B() => new Random({|RPR1002:(int)DateTime.Now.Ticks|});
            Random C() => new Random({|RPR1002:Guid.NewGuid().GetHashCode()|});
            Random D(int baseSeed) => new Random({|RPR1002:baseSeed ^ Environment.CurrentManagedThreadId|});
            void E()
            {
                var t = DateTime.UtcNow.Ticks;
                var rng = new Random({|RPR1002:(int)t|});
                Seed = {|RPR1002:Thread.CurrentThread.ManagedThreadId|};
                Init(seed: {|RPR1002:Environment.TickCount|});
            }
            void Init(int seed) { }
        }
        """);

    [Fact]
    public Task Seeds_from_configuration_are_not_reported() => Verify.VerifyAsync("""
        using System;
        class Trainer
        {
            const int BaseSeed = 17;
            Random A(int epoch) => new Random(BaseSeed + epoch);
            void B(int seed)
            {
                var derived = seed * 31 + 7;
                var rng = new Random(derived);
                Console.WriteLine(DateTime.Now.Ticks);
                Init(seed: derived, when: Environment.TickCount);
            }
            void Init(int seed, int when) { }
        }
        """);
}
