using Repro.Engine;

namespace Repro.Diffing;

/// <summary>
/// When two values count as agreeing: |a - b| &lt;= Atol + Rtol * |a|, or (when <see cref="Ulp"/> &gt; 0) at most
/// <see cref="Ulp"/> units in the last place apart. <see cref="Exact"/> accepts only equal values.
/// </summary>
/// <param name="Atol">Absolute tolerance.</param>
/// <param name="Rtol">Relative tolerance.</param>
/// <param name="Ulp">Ulp tolerance (0: not used).</param>
public sealed record Tolerance(double Atol, double Rtol, double Ulp)
{
    /// <summary>Bit-exact: any difference is over tolerance.</summary>
    public static readonly Tolerance Exact = new(0, 0, 0);

    /// <summary>Unit roundoff (half an ulp of 1) of a dtype: 2^-24 for float32, 2^-8 for bfloat16, 2^-11 for float16, 2^-53 for float64.</summary>
    public static double UnitRoundoff(DType dtype) => dtype switch
    {
        DType.Float64 => Math.ScaleB(1, -53),
        DType.Float16 => Math.ScaleB(1, -11),
        DType.BFloat16 => Math.ScaleB(1, -8),
        DType.Int32 => 0,
        _ => Math.ScaleB(1, -24),
    };

    /// <summary>The coarser of two dtypes (the one with the larger unit roundoff).</summary>
    public static DType Coarser(DType a, DType b) => UnitRoundoff(a) >= UnitRoundoff(b) ? a : b;

    /// <summary>
    /// The default budget for comparing one op's output across two runs, derived from the coarser dtype's unit
    /// roundoff u: elementwise ops get Rtol = 4u (the rounding of the inputs and of the result, with slack);
    /// reductions of length n (sum, mean, matmul over K, softmax denominators) get Rtol = u (4 + 2 sqrt(n)), the
    /// usual statistical growth of rounding error in a sum. Atol is the same budget times
    /// <paramref name="inputScale"/> (the largest input magnitude), so that results near zero from cancellation
    /// are judged against the size of what was summed, not against themselves. Same dtypes: exact.
    /// </summary>
    public static Tolerance For(DType a, DType b, long reductionLength = 1, double inputScale = 1.0)
    {
        if (a == b)
        {
            return Exact;
        }

        var coarse = Coarser(a, b);
        if (coarse == DType.Int32)
        {
            return Exact;
        }

        double u = UnitRoundoff(coarse);
        double budget = u * (4 + (2 * Math.Sqrt(Math.Max(reductionLength, 1))));
        double scale = double.IsFinite(inputScale) && inputScale > 0 ? inputScale : 1.0;
        return new Tolerance(budget * scale, budget, 0);
    }

    /// <summary>Error relative to this tolerance: &lt;= 1 agrees, &gt; 1 is over; 0 for equal values (exact: 1 + ulps).</summary>
    public double Score(double reference, double absError, double ulpError)
    {
        if (absError == 0)
        {
            return 0;
        }

        if (Atol == 0 && Rtol == 0 && Ulp == 0)
        {
            // Exact: any difference is over; rank differences by their distance in ulps.
            return 1 + ulpError;
        }

        double byAbs = absError / (Atol + (Rtol * Math.Abs(reference)));
        double byUlp = Ulp > 0 ? ulpError / Ulp : double.PositiveInfinity;
        return Math.Min(double.IsNaN(byAbs) ? double.PositiveInfinity : byAbs, byUlp);
    }

    /// <summary>
    /// The default budget for one op's output (see <see cref="For"/>), with the reduction length taken from the op's row
    /// in <see cref="OpTable"/>: the terms summed into each output element, from the op's input shapes and attributes.
    /// <paramref name="inputScale"/> (the largest input magnitude) scales Atol only for reductions.
    /// </summary>
    public static Tolerance ForOp(OpInfo op, IReadOnlyList<IReadOnlyList<int>> inputShapes, OpAttributes attributes, DType a, DType b, double inputScale = 1.0)
    {
        long n = op.ReductionLength(inputShapes, attributes);
        return For(a, b, n, n > 1 ? inputScale : 1.0);
    }
}
