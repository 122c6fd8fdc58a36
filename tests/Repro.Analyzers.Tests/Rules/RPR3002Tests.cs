using Verify = Repro.Analyzers.Tests.Infrastructure.AnalyzerVerifier<Repro.Analyzers.FloatingPoint.HardwareBranchAnalyzer>;

namespace Repro.Analyzers.Tests.Rules;

public class RPR3002Tests
{
    [Fact]
    public Task Acceleration_branches_in_float_reductions_are_reported() => Verify.VerifyAsync("""
        using System;
        using System.Numerics;
        using System.Runtime.Intrinsics;
        static class Reduce
        {
            public static float Sum(float[] x) => {|RPR3002:Vector.IsHardwareAccelerated|} ? SumSimd(x) : SumScalar(x);
            public static double Dot(double[] a, double[] b)
            {
                double s = 0;
                if ({|RPR3002:Vector256.IsHardwareAccelerated|})
                {
                    for (var i = 0; i < a.Length; i += 4) s += Vector256.Dot(Vector256.Create(a, i), Vector256.Create(b, i));
                    return s;
                }
                for (var i = 0; i < a.Length; i++) s += a[i] * b[i];
                return s;
            }
            static float SumSimd(float[] x) => 0;
            static float SumScalar(float[] x) => 0;
        }
        """);

    [Fact]
    public Task Acceleration_branches_without_float_reduction_are_not_reported() => Verify.VerifyAsync("""
        using System;
        using System.Numerics;
        static class Copy
        {
            public static void Add(float[] a, float[] b, float[] d)
            {
                if (Vector.IsHardwareAccelerated)
                {
                    for (var i = 0; i < a.Length; i += Vector<float>.Count)
                        (new Vector<float>(a, i) + new Vector<float>(b, i)).CopyTo(d, i);
                }
                else
                {
                    for (var i = 0; i < a.Length; i++) d[i] = a[i] + b[i];
                }
            }
            public static int CountPositive(int[] x) => Vector.IsHardwareAccelerated ? x.Length : 0;
        }
        """);
}
