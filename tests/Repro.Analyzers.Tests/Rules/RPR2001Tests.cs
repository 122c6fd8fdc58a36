using Verify = Repro.Analyzers.Tests.Infrastructure.AnalyzerVerifier<Repro.Analyzers.Ordering.ParallelFloatAccumulationAnalyzer>;

namespace Repro.Analyzers.Tests.Rules;

public class RPR2001Tests
{
    [Fact]
    public Task Shared_float_sums_in_parallel_loops_are_reported() => Verify.VerifyAsync("""
        using System.Threading.Tasks;
        class Loss
        {
            double _total;
            readonly object _gate = new();
            double A(float[] x)
            {
                double sum = 0;
                Parallel.For(0, x.Length, i => { lock (_gate) { {|RPR2001:sum += x[i]|}; } });
                return sum;
            }
            void B(float[] x) => Parallel.For(0, x.Length, () => 0.0, (i, _, local) => local + x[i],
                local => { lock (_gate) { {|RPR2001:_total += local|}; } });
            void C(float[] x, float[] acc) => Parallel.ForEach(x, v => { {|RPR2001:acc[0] = acc[0] + v|}; });
        }
        """);

    [Fact]
    public Task Disjoint_slots_locals_and_integers_are_not_reported() => Verify.VerifyAsync("""
        using System.Threading;
        using System.Threading.Tasks;
        class Loss
        {
            int _count;
            void A(float[] x, float[] y, double[] rowSums) => Parallel.For(0, x.Length, i =>
            {
                double local = 0;
                for (var j = 0; j < 4; j++) local += x[i] * j;
                y[i] += (float)local;
                rowSums[i] += local;
                Interlocked.Increment(ref _count);
            });
        }
        """);
}
