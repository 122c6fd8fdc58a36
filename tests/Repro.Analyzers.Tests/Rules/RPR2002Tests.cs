using Verify = Repro.Analyzers.Tests.Infrastructure.AnalyzerVerifier<Repro.Analyzers.Ordering.FloatCompareExchangeAnalyzer>;

namespace Repro.Analyzers.Tests.Rules;

public class RPR2002Tests
{
    [Fact]
    public Task Float_compare_exchange_loop_is_reported() => Verify.VerifyAsync("""
        using System.Threading;
        static class AtomicDouble
        {
            public static void Add(ref double target, double value)
            {
                double seen, next;
                do
                {
                    seen = Volatile.Read(ref target);
                    next = seen + value;
                }
                while ({|RPR2002:Interlocked.CompareExchange(ref target, next, seen)|} != seen);
            }
        }
        """);

    [Fact]
    public Task Integer_atomics_and_single_exchange_are_not_reported() => Verify.VerifyAsync("""
        using System.Threading;
        static class Counters
        {
            public static void Add(ref long target, long value)
            {
                long seen;
                do { seen = target; } while (Interlocked.CompareExchange(ref target, seen + value, seen) != seen);
            }
            public static double Reset(ref double value) => Interlocked.CompareExchange(ref value, 0.0, value);
        }
        """);
}
