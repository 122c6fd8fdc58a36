using Verify = Repro.Analyzers.Tests.Infrastructure.AnalyzerVerifier<Repro.Analyzers.FloatingPoint.VectorWidthAnalyzer>;

namespace Repro.Analyzers.Tests.Rules;

public class RPR3001Tests
{
    [Fact]
    public Task Vector_count_in_a_float_reduction_is_reported_once() => Verify.VerifyAsync("""
        using System;
        using System.Numerics;
        static class Kernels
        {
            public static float Sum(ReadOnlySpan<float> x)
            {
                var acc = Vector<float>.Zero;
                var i = 0;
                for (; i <= x.Length - {|RPR3001:Vector<float>.Count|}; i += Vector<float>.Count)
                    acc += new Vector<float>(x.Slice(i));
                var total = Vector.Sum(acc);
                for (; i < x.Length; i++) total += x[i];
                return total;
            }
        }
        """);

    [Fact]
    public Task Element_wise_loops_and_fixed_width_vectors_are_not_reported() => Verify.VerifyAsync("""
        using System;
        using System.Numerics;
        using System.Runtime.Intrinsics;
        static class Kernels
        {
            public static void Scale(Span<float> x, float s)
            {
                var i = 0;
                for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
                    (new Vector<float>(x.Slice(i)) * s).CopyTo(x.Slice(i));
                for (; i < x.Length; i++) x[i] *= s;
            }
            public static float Sum(ReadOnlySpan<float> x)
            {
                var acc = Vector128<float>.Zero;
                for (var i = 0; i + Vector128<float>.Count <= x.Length; i += Vector128<float>.Count)
                    acc += Vector128.Create(x.Slice(i));
                return Vector128.Sum(acc);
            }
        }
        """);
}
