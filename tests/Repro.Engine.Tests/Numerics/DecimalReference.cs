namespace Repro.Engine.Tests.Numerics;

/// <summary>
/// High-precision references in System.Decimal (about 28 significant digits) for functions that .NET's Math lacks
/// (erf) or where the platform libm may be off by more than an ulp (tanh, sigmoid). Errors are measured in decimal,
/// so the double-to-decimal conversion and the comparison are exact up to about 1e-27 relative.
/// </summary>
internal static class DecimalReference
{
    // 2 / sqrt(pi) to 29 digits (mpmath).
    private const decimal TwoOverSqrtPi = 1.1283791670955125738961589031m;

    /// <summary>Exact value of a double as a decimal, for 2^-80 &lt; |x| &lt; 2^90 (rounded to 28 digits when longer).</summary>
    public static decimal ToDecimal(double x)
    {
        if (x == 0)
        {
            return 0m;
        }

        long bits = BitConverter.DoubleToInt64Bits(x);
        int exponent = (int)((bits >> 52) & 0x7FF);
        long significand = bits & 0xFFFFFFFFFFFFFL;
        if (exponent != 0)
        {
            significand |= 1L << 52;
        }
        else
        {
            exponent = 1;
        }

        int shift = exponent - 1075;
        while (shift < 0 && (significand & 1) == 0)
        {
            significand >>= 1;
            shift++;
        }

        decimal value = significand;
        while (shift > 0)
        {
            int step = Math.Min(shift, 30);
            value *= 1L << step;
            shift -= step;
        }

        if (shift < 0)
        {
            // 2^-shift is an exact decimal integer for -shift <= 95.
            decimal divisor = 1m;
            for (int i = 0; i < -shift; i++)
            {
                divisor *= 2m;
            }

            value /= divisor;
        }

        return bits < 0 ? -value : value;
    }

    // ln 2 to 29 digits (mpmath).
    private const decimal Ln2 = 0.69314718055994530941723212146m;

    /// <summary>ln(d) for d &gt; 0 in [2^-60, 2^60]: d = 2^k m with m in [0.75, 1.5), ln m by the atanh series.</summary>
    public static decimal Log(decimal d)
    {
        int k = 0;
        while (d >= 1.5m)
        {
            d /= 2m;
            k++;
        }

        while (d < 0.75m)
        {
            d *= 2m;
            k--;
        }

        decimal s = (d - 1m) / (d + 1m);
        decimal s2 = s * s;
        decimal power = s;
        decimal sum = 0m;
        for (int n = 0; n < 200 && power != 0m; n++)
        {
            sum += power / ((2 * n) + 1);
            power *= s2;
        }

        return (2m * sum) + (k * Ln2);
    }

    /// <summary>log(1 + x) for x &gt; -1 with 2^-40 &lt;= |x| &lt;= 2^60.</summary>
    public static decimal Log1p(double x)
    {
        decimal d = ToDecimal(x);
        if (Math.Abs(d) < 0.25m)
        {
            // Series in x: no rounding of 1 + x.
            decimal power = d;
            decimal sum = 0m;
            for (int n = 1; n < 200 && power != 0m; n++)
            {
                sum += power / n;
                power *= -d;
            }

            return sum;
        }

        return Log(1m + d);
    }

    /// <summary>e^x - 1 for 2^-40 &lt;= |x| &lt;= 60.</summary>
    public static decimal Expm1(double x)
    {
        decimal d = ToDecimal(x);
        if (Math.Abs(d) < 0.5m)
        {
            decimal term = d;
            decimal sum = d;
            for (int n = 2; n < 60 && term != 0m; n++)
            {
                term = term * d / n;
                sum += term;
            }

            return sum;
        }

        return Exp(d) - 1m;
    }

    /// <summary>e^a for |a| &lt;= 60.</summary>
    public static decimal Exp(decimal a)
    {
        if (a < 0)
        {
            return 1m / Exp(-a);
        }

        int halvings = 0;
        while (a > 0.25m)
        {
            a /= 2m;
            halvings++;
        }

        decimal sum = 1m;
        decimal term = 1m;
        for (int n = 1; n < 40 && term != 0m; n++)
        {
            term = term * a / n;
            sum += term;
        }

        for (int i = 0; i < halvings; i++)
        {
            sum *= sum;
        }

        return sum;
    }

    /// <summary>tanh(x) for 2^-20 &lt; |x| &lt;= 25.</summary>
    public static decimal Tanh(double x)
    {
        decimal d = ToDecimal(x);
        decimal ad = Math.Abs(d);
        decimal result;
        if (ad < 0.5m)
        {
            // e^(2x) - 1 by its series (no cancellation), then (e^2x - 1) / (e^2x - 1 + 2).
            decimal a = 2m * ad;
            decimal term = a;
            decimal em1 = a;
            for (int n = 2; n < 60 && term != 0m; n++)
            {
                term = term * a / n;
                em1 += term;
            }

            result = em1 / (em1 + 2m);
        }
        else
        {
            decimal e = Exp(2m * ad);
            result = (e - 1m) / (e + 1m);
        }

        return d < 0 ? -result : result;
    }

    /// <summary>1 / (1 + e^-x) for |x| &lt;= 60.</summary>
    public static decimal Sigmoid(double x)
    {
        decimal d = ToDecimal(x);
        return d >= 0 ? 1m / (1m + Exp(-d)) : Exp(d) / (1m + Exp(d));
    }

    /// <summary>
    /// erf(x) for 2^-20 &lt; |x| &lt;= 6 from the series erf(x) = 2/sqrt(pi) e^(-x^2) sum_n 2^n x^(2n+1) / (1 3 5 ... (2n+1)),
    /// whose terms are all positive (no cancellation).
    /// </summary>
    public static decimal Erf(double x)
    {
        decimal d = ToDecimal(x);
        decimal ad = Math.Abs(d);
        decimal x2 = ad * ad;
        decimal term = ad;
        decimal sum = ad;
        for (int n = 1; n < 400 && term != 0m; n++)
        {
            term = term * 2m * x2 / ((2 * n) + 1);
            sum += term;
        }

        decimal result = TwoOverSqrtPi * sum / Exp(x2);
        return d < 0 ? -result : result;
    }

    /// <summary>Error of a double result against a decimal reference, in ulps of the reference's binade.</summary>
    public static double UlpError(double actual, decimal reference)
    {
        double r = (double)reference;
        int exponent = Math.ILogB(r);
        double ulp = Math.ScaleB(1.0, exponent - 52);
        decimal diff = ToDecimal(actual) - reference;
        return Math.Abs((double)(diff / ToDecimal(ulp)));
    }
}
