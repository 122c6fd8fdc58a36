using Verify = Repro.Analyzers.Tests.Infrastructure.AnalyzerVerifier<Repro.Analyzers.Ordering.PlinqFloatReductionAnalyzer>;

namespace Repro.Analyzers.Tests.Rules;

public class RPR2003Tests
{
    [Fact]
    public Task Plinq_float_reductions_are_reported() => Verify.VerifyAsync("""
        using System.Linq;
        class Stats
        {
            double A(double[] x) => {|RPR2003:x.AsParallel().Sum()|};
            float B(float[] x) => {|RPR2003:x.AsParallel().Select(v => v * v).Sum()|};
            double C(int[] x) => {|RPR2003:x.AsParallel().Average(v => v * 0.5)|};
            double D(double[] x) => {|RPR2003:x.AsParallel().Aggregate(0.0, (a, v) => a + v)|};
        }
        """);

    [Fact]
    public Task Integer_and_sequential_reductions_are_not_reported() => Verify.VerifyAsync("""
        using System.Linq;
        class Stats
        {
            long A(int[] x) => x.AsParallel().Sum(v => (long)v);
            double B(int[] x) => x.AsParallel().Average();
            double C(double[] x) => x.Sum();
        }
        """);
}
