using Repro.Engine;
using Repro.Engine.Numerics;

namespace Repro.Diffing;

/// <summary>How far one op's output in run B is from the same output in run A.</summary>
/// <param name="Count">Elements compared.</param>
/// <param name="MaxAbs">Largest |a - b| (NaN/Inf mismatches count as +Inf).</param>
/// <param name="MaxRel">Largest |a - b| / max(|a|, tiny).</param>
/// <param name="MaxUlp">Largest distance in units in the last place of the coarser dtype.</param>
/// <param name="OverTolerance">Elements outside the tolerance.</param>
/// <param name="WorstIndex">Flat index of the element with the largest error relative to its tolerance (-1 when none).</param>
/// <param name="NonFiniteMismatches">Elements where exactly one side is NaN or infinite, or the infinities differ.</param>
/// <param name="MaxScore">The largest error relative to the tolerance (1 at the limit; +Inf for a non-finite mismatch).</param>
public sealed record ErrorMetrics(long Count, double MaxAbs, double MaxRel, double MaxUlp, long OverTolerance, long WorstIndex, long NonFiniteMismatches, double MaxScore)
{
    /// <summary>Share of elements over tolerance (0 for empty outputs).</summary>
    public double ShareOverTolerance => Count == 0 ? 0 : (double)OverTolerance / Count;

    /// <summary>True when no element is over tolerance.</summary>
    public bool WithinTolerance => OverTolerance == 0;

    /// <summary>Compares element by element. Both arrays hold the exact values (widened to double) in row-major order.</summary>
    public static ErrorMetrics Compare(ReadOnlySpan<double> a, ReadOnlySpan<double> b, DType ulpDType, Tolerance tolerance)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"compare: expected outputs of one length, got {a.Length} and {b.Length}");
        }

        double maxAbs = 0;
        double maxRel = 0;
        double maxUlp = 0;
        long over = 0;
        long worst = -1;
        double worstScore = 0;
        long nonFinite = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double x = a[i];
            double y = b[i];
            double abs;
            double rel;
            double ulp;
            if (double.IsNaN(x) && double.IsNaN(y))
            {
                continue;
            }

            if (!double.IsFinite(x) || !double.IsFinite(y))
            {
                if (x.Equals(y))
                {
                    continue;
                }

                nonFinite++;
                abs = double.PositiveInfinity;
                rel = double.PositiveInfinity;
                ulp = double.PositiveInfinity;
            }
            else
            {
                abs = Math.Abs(x - y);
                rel = abs / Math.Max(Math.Abs(x), double.Epsilon);
                ulp = Ulps.Distance(x, y, ulpDType);
            }

            maxAbs = Math.Max(maxAbs, abs);
            maxRel = Math.Max(maxRel, abs == 0 ? 0 : rel);
            maxUlp = Math.Max(maxUlp, ulp);
            double score = tolerance.Score(x, abs, ulp);
            if (score > 1)
            {
                over++;
            }

            if (score > worstScore)
            {
                worstScore = score;
                worst = i;
            }
        }

        return new ErrorMetrics(a.Length, maxAbs, maxRel, maxUlp, over, worst, nonFinite, worstScore);
    }
}

/// <summary>Units in the last place.</summary>
public static class Ulps
{
    /// <summary>
    /// The number of representable values of <paramref name="dtype"/> between a and b, both rounded to that dtype
    /// first (so a float32 run compared against a bfloat16 run counts bfloat16 steps). Int32 gives |a - b|.
    /// </summary>
    public static double Distance(double a, double b, DType dtype)
    {
        switch (dtype)
        {
            case DType.Float64:
                return Math.Abs((double)(Ordered64(a) - Ordered64(b)));
            case DType.Int32:
                return Math.Abs(a - b);
            case DType.Float16:
                return Math.Abs(Ordered16(unchecked((short)HalfBits.FromFloat((float)a))) - Ordered16(unchecked((short)HalfBits.FromFloat((float)b))));
            case DType.BFloat16:
                return Math.Abs(Ordered16(unchecked((short)BFloat16.RoundToBits((float)a))) - Ordered16(unchecked((short)BFloat16.RoundToBits((float)b))));
            default:
                return Math.Abs((double)Ordered32((float)a) - Ordered32((float)b));
        }
    }

    // Maps float bit patterns onto a line where adjacent floats differ by 1 and -0 meets +0.
    private static long Ordered32(float f)
    {
        int bits = BitConverter.SingleToInt32Bits(f);
        return bits < 0 ? int.MinValue - (long)bits : bits;
    }

    private static long Ordered64(double d)
    {
        long bits = BitConverter.DoubleToInt64Bits(d);
        return bits < 0 ? long.MinValue - bits : bits;
    }

    private static int Ordered16(short bits) => bits < 0 ? short.MinValue - bits : bits;
}
