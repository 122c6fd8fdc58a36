namespace Repro.Engine.Tests.Numerics;

/// <summary>Helpers for measuring errors in units in the last place and for building input samples.</summary>
internal static class UlpMeasure
{
    /// <summary>Maps a float to an integer that is monotone in the float's value (-0 and +0 both map to 0).</summary>
    public static long OrderedFloat(float value)
    {
        int bits = BitConverter.SingleToInt32Bits(value);
        return bits < 0 ? -(long)(bits & 0x7FFFFFFF) : bits;
    }

    /// <summary>Maps a double to an integer that is monotone in the double's value.</summary>
    public static Int128 OrderedDouble(double value)
    {
        long bits = BitConverter.DoubleToInt64Bits(value);
        return bits < 0 ? -(Int128)(bits & long.MaxValue) : bits;
    }

    /// <summary>Distance in float ulps between two results; 0 when both are NaN, long.MaxValue when only one is.</summary>
    public static long UlpDistance(float actual, float expected)
    {
        if (float.IsNaN(actual) || float.IsNaN(expected))
        {
            return float.IsNaN(actual) && float.IsNaN(expected) ? 0 : long.MaxValue;
        }

        return Math.Abs(OrderedFloat(actual) - OrderedFloat(expected));
    }

    /// <summary>Distance in double ulps between two results; 0 when both are NaN, long.MaxValue when only one is.</summary>
    public static long UlpDistance(double actual, double expected)
    {
        if (double.IsNaN(actual) || double.IsNaN(expected))
        {
            return double.IsNaN(actual) && double.IsNaN(expected) ? 0 : long.MaxValue;
        }

        Int128 d = OrderedDouble(actual) - OrderedDouble(expected);
        if (d < 0)
        {
            d = -d;
        }

        return d > long.MaxValue ? long.MaxValue : (long)d;
    }

    /// <summary>
    /// Float inputs covering every binary exponent (subnormals included) for both signs: <paramref name="perExponent"/>
    /// random significands per exponent plus the significand edge patterns, plus ±0, ±Inf and NaN.
    /// </summary>
    public static float[] FloatSample(int perExponent, int seed)
    {
        var random = new Random(seed);
        uint[] edges = [0u, 1u, 2u, 0x7FFFFFu, 0x7FFFFEu, 0x400000u, 0x3FFFFFu, 0x000FFFu, 0x001000u, 0x001001u];
        var list = new List<float>((256 * (perExponent + edges.Length) * 2) + 8);
        for (uint exponent = 0; exponent < 255; exponent++)
        {
            for (int i = 0; i < perExponent + edges.Length; i++)
            {
                uint significand = i < edges.Length ? edges[i] : (uint)random.Next(0, 1 << 23);
                uint bits = (exponent << 23) | significand;
                list.Add(BitConverter.UInt32BitsToSingle(bits));
                list.Add(BitConverter.UInt32BitsToSingle(bits | 0x80000000u));
            }
        }

        list.AddRange([0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, float.Epsilon, -float.Epsilon, float.MaxValue, float.MinValue]);
        return [.. list];
    }

    /// <summary>Uniform random doubles in [lo, hi).</summary>
    public static double[] Uniform(int count, double lo, double hi, int seed)
    {
        var random = new Random(seed);
        var result = new double[count];
        for (int i = 0; i < count; i++)
        {
            result[i] = lo + ((hi - lo) * random.NextDouble());
        }

        return result;
    }

    /// <summary>Doubles whose binary exponent is uniform in [minExp, maxExp] with random significands and signs.</summary>
    public static double[] LogUniform(int count, int minExp, int maxExp, bool bothSigns, int seed)
    {
        var random = new Random(seed);
        var result = new double[count];
        for (int i = 0; i < count; i++)
        {
            long exponent = random.Next(minExp, maxExp + 1) + 1023L;
            long significand = random.NextInt64(0, 1L << 52);
            long sign = bothSigns && random.Next(2) == 1 ? long.MinValue : 0L;
            result[i] = BitConverter.Int64BitsToDouble(sign | (exponent << 52) | significand);
        }

        return result;
    }

    /// <summary>Max ulp distance of a float function against a reference over the inputs, with the worst input.</summary>
    public static (long MaxUlp, float WorstInput) MaxUlp(float[] inputs, Func<float, float> actual, Func<float, float> reference)
    {
        long max = 0;
        float worst = 0f;
        foreach (float x in inputs)
        {
            long d = UlpDistance(actual(x), reference(x));
            if (d > max)
            {
                max = d;
                worst = x;
            }
        }

        return (max, worst);
    }

    /// <summary>Max ulp distance of a double function against a reference over the inputs, with the worst input.</summary>
    public static (long MaxUlp, double WorstInput) MaxUlp(double[] inputs, Func<double, double> actual, Func<double, double> reference)
    {
        long max = 0;
        double worst = 0.0;
        foreach (double x in inputs)
        {
            long d = UlpDistance(actual(x), reference(x));
            if (d > max)
            {
                max = d;
                worst = x;
            }
        }

        return (max, worst);
    }
}
