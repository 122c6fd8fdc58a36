using Verify = Repro.Analyzers.Tests.Infrastructure.AnalyzerVerifier<Repro.Analyzers.FloatingPoint.EstimateApiAnalyzer>;

namespace Repro.Analyzers.Tests.Rules;

public class RPR3003Tests
{
    [Fact]
    public Task Estimate_apis_are_reported() => Verify.VerifyAsync("""
        using System;
        using System.Runtime.Intrinsics;
        static class Norm
        {
            public static float A(float x) => {|RPR3003:MathF.ReciprocalSqrtEstimate(x)|};
            public static double B(double a, double b, double c) => {|RPR3003:double.MultiplyAddEstimate(a, b, c)|};
            public static float C(float x) => {|RPR3003:float.ReciprocalEstimate(x)|};
            public static Vector128<float> D(Vector128<float> a, Vector128<float> b, Vector128<float> c) => {|RPR3003:Vector128.MultiplyAddEstimate(a, b, c)|};
        }
        """);

    [Fact]
    public Task Exact_operations_are_not_reported() => Verify.VerifyAsync("""
        using System;
        static class Norm
        {
            public static float A(float x) => 1f / MathF.Sqrt(x);
            public static double B(double a, double b, double c) => Math.FusedMultiplyAdd(a, b, c);
            static float ReciprocalEstimate(float x) => 1f / x;
            public static float C(float x) => ReciprocalEstimate(x);
        }
        """);
}
