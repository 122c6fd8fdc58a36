using System.Diagnostics;
using System.Globalization;
using Repro.Engine.Backends;
using Repro.Engine.Numerics;

namespace Repro.Bench;

/// <summary>
/// Accuracy and speed of <see cref="DetMath"/>'s float functions.
/// <para>(a) Accuracy: every one of the 2^32 float inputs (Pow: a 2-D sample), multithreaded. The reference is the double
/// result of the platform libm (Math.*; for erf an all-positive series evaluated in double), which is within about 2^-52
/// relative of the true value, i.e. exact to about 2^-29 float ulp. Reported: the max error in float ulps (fractional,
/// measured against the double reference), how many results are more than 0.5 ulp off (not correctly rounded, up to the
/// reference's own 2^-29 ulp uncertainty), and the max integer ulp distance to the reference rounded to float.
/// Also HalfBits.FromFloat against System.Half over all 2^32 inputs.</para>
/// <para>(b) Speed: elements per second of each DetMath float function next to its MathF counterpart, single thread,
/// same run, best of several passes over 1M inputs.</para>
/// <para>(c) <c>vector</c> (not part of <c>all</c>): the vectorized evaluation (VectorMath, the managed backend's path at
/// this CPU's widest width) against the scalar function, bit for bit, over every float input.</para>
/// Usage: <c>transcendentals [accuracy|speed|all|vector] [--stride N] [--only Exp,Log,...,Pow,HalfBits]</c> (stride N checks every
/// N-th float, for quick runs; --only restricts the accuracy part to the named functions).
/// </summary>
[Bench("transcendentals", "DetMath float functions: exhaustive ulp error over all 2^32 inputs, HalfBits vs System.Half, speed vs MathF")]
public static class TranscendentalBench
{
    private sealed record FloatFunction(string Name, Func<float, float> Ours, Func<double, double> Reference, Func<float, float>? Baseline, float Lo, float Hi);

    private static readonly FloatFunction[] Functions =
    [
        new("Exp", DetMath.Exp, Math.Exp, MathF.Exp, -80f, 80f),
        new("Log", DetMath.Log, Math.Log, MathF.Log, 1e-30f, 1e30f),
        new("Expm1", DetMath.Expm1, Expm1Reference, x => MathF.Exp(x) - 1f, -5f, 5f),
        new("Log1p", DetMath.Log1p, Log1pReference, x => MathF.Log(1f + x), -0.9f, 10f),
        new("Tanh", DetMath.Tanh, Math.Tanh, MathF.Tanh, -10f, 10f),
        new("Sigmoid", DetMath.Sigmoid, x => 1.0 / (1.0 + Math.Exp(-x)), x => 1f / (1f + MathF.Exp(-x)), -20f, 20f),
        new("Erf", DetMath.Erf, ErfReference, null, -4f, 4f),
        new("Sin", DetMath.Sin, Math.Sin, MathF.Sin, -100f, 100f),
        new("Cos", DetMath.Cos, Math.Cos, MathF.Cos, -100f, 100f),
    ];

    /// <summary>Entry point used by Program.cs for <c>transcendentals</c>.</summary>
    public static int Run(string[] args)
    {
        string mode = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal) && a != "transcendentals") ?? "all";
        int stride = 1;
        int strideAt = Array.IndexOf(args, "--stride");
        if (strideAt >= 0 && strideAt + 1 < args.Length)
        {
            stride = int.Parse(args[strideAt + 1], CultureInfo.InvariantCulture);
        }

        int onlyAt = Array.IndexOf(args, "--only");
        string[]? only = onlyAt >= 0 && onlyAt + 1 < args.Length ? args[onlyAt + 1].Split(',') : null;
        Console.WriteLine($"DetMath numerics benchmark: {Environment.ProcessorCount} threads, {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        if (mode is "all" or "accuracy")
        {
            Accuracy(stride, only);
        }

        if (mode is "all" or "speed")
        {
            Speed();
        }

        if (mode == "vector")
        {
            VectorAgreement(stride, only);
        }

        return 0;
    }

    private sealed class Stats
    {
        public double MaxUlp;
        public float Worst;
        public long OverHalf;
        public long MaxDistance;
        public long Count;

        public void Merge(Stats o)
        {
            lock (this)
            {
                if (o.MaxUlp > MaxUlp)
                {
                    MaxUlp = o.MaxUlp;
                    Worst = o.Worst;
                }

                OverHalf += o.OverHalf;
                MaxDistance = Math.Max(MaxDistance, o.MaxDistance);
                Count += o.Count;
            }
        }
    }

    private static void Accuracy(int stride, string[]? only)
    {
        bool Selected(string name) => only?.Contains(name, StringComparer.OrdinalIgnoreCase) != false;

        Console.WriteLine();
        Console.WriteLine(stride == 1 ? "Accuracy over all 2^32 float inputs" : $"Accuracy over every {stride}-th float input");
        Console.WriteLine("function  range            max ulp     worst input        > 0.5 ulp   max |ulp dist| to RN(ref)   inputs     seconds");
        foreach (var f in Functions.Where(f => Selected(f.Name)))
        {
            Report(f.Name, "all", Scan(f, stride, _ => true));
        }

        var sw = Stopwatch.StartNew();
        if (Selected("Pow"))
        {
            var pow = PowSample(1 << 26);
            Report("Pow", "2^26 pairs", pow, sw.Elapsed.TotalSeconds);
        }

        if (!Selected("HalfBits"))
        {
            return;
        }

        sw.Restart();
        long mismatches = 0;
        long total = 0;
        Parallel.For(0, 256, () => (0L, 0L), (chunk, _, acc) =>
        {
            uint start = (uint)chunk << 24;
            for (uint i = 0; i < (1u << 24); i += (uint)stride)
            {
                float x = BitConverter.UInt32BitsToSingle(start + i);
                if (HalfBits.FromFloat(x) != BitConverter.HalfToUInt16Bits((Half)x))
                {
                    acc.Item1++;
                }

                acc.Item2++;
            }

            return acc;
        }, acc =>
        {
            Interlocked.Add(ref mismatches, acc.Item1);
            Interlocked.Add(ref total, acc.Item2);
        });
        Console.WriteLine($"HalfBits.FromFloat vs (Half)float: {mismatches} mismatches over {total} inputs ({sw.Elapsed.TotalSeconds:F1} s)");
    }

    private static void VectorAgreement(int stride, string[]? only)
    {
        Console.WriteLine();
        Console.WriteLine($"Vector path vs scalar path, bit for bit, {(stride == 1 ? "all 2^32 float inputs" : $"every {stride}-th float input")} (widths: {System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated switch { true => "Vector512", false => System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated ? "Vector256" : "Vector128" }})");
        Console.WriteLine("function  mismatches  inputs        vector-mapped  seconds");
        foreach (var op in new[] { UnaryOp.Exp, UnaryOp.Log, UnaryOp.Tanh, UnaryOp.Sigmoid, UnaryOp.Erf, UnaryOp.Gelu, UnaryOp.Sin, UnaryOp.Cos })
        {
            if (only?.Contains(op.ToString(), StringComparer.OrdinalIgnoreCase) == false)
            {
                continue;
            }

            var sw = Stopwatch.StartNew();
            long mismatches = 0, total = 0, mapped = 0;
            string firstBad = "";
            Parallel.For(0, 256, chunk =>
            {
                const int block = 1 << 16;
                var xs = new float[block];
                var ys = new float[block];
                long count = 0, vec = 0;
                for (long start = 0; start < (1L << 24); start += (long)block * stride)
                {
                    int n = 0;
                    for (long i = start; i < Math.Min(start + ((long)block * stride), 1L << 24); i += stride)
                    {
                        xs[n++] = BitConverter.UInt32BitsToSingle((uint)(((long)chunk << 24) + i));
                    }

                    int done = VectorMath.Map<float>(op, xs.AsSpan(0, n), ys.AsSpan(0, n));
                    vec += done;
                    for (int j = 0; j < n; j++)
                    {
                        float scalar = ScalarOps.Apply(op, xs[j]);
                        if (j < done && BitConverter.SingleToUInt32Bits(scalar) != BitConverter.SingleToUInt32Bits(ys[j]))
                        {
                            if (Interlocked.Increment(ref mismatches) == 1)
                            {
                                firstBad = $"first: x = {xs[j]:R} vector {ys[j]:R} scalar {scalar:R}";
                            }
                        }
                    }

                    count += n;
                }

                Interlocked.Add(ref total, count);
                Interlocked.Add(ref mapped, vec);
            });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{op,-9} {mismatches,10}  {total,12}  {mapped,13}  {sw.Elapsed.TotalSeconds,7:F1}  {firstBad}"));
        }
    }

    private static double sweepSeconds;

    private static void Report(string name, string range, Stats s, double? seconds = null)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-9} {range,-16} {s.MaxUlp,10:F4}  {s.Worst,-17:R}  {s.OverHalf,10}   {s.MaxDistance,10}                  {s.Count,11}  {seconds ?? sweepSeconds,6:F1}"));
    }

    private static Stats Scan(FloatFunction f, int stride, Func<float, bool> include)
    {
        var sw = Stopwatch.StartNew();
        var total = new Stats();
        Parallel.For(0, 256, () => new Stats(), (chunk, _, s) =>
        {
            uint start = (uint)chunk << 24;
            for (uint i = 0; i < (1u << 24); i += (uint)stride)
            {
                float x = BitConverter.UInt32BitsToSingle(start + i);
                if (!include(x))
                {
                    continue;
                }

                Accumulate(s, x, f.Ours(x), f.Reference(x));
            }

            return s;
        }, total.Merge);
        sweepSeconds = sw.Elapsed.TotalSeconds;
        return total;
    }

    private static void Accumulate(Stats s, float x, float ours, double reference)
    {
        s.Count++;
        float rounded = (float)reference;
        if (float.IsNaN(ours) || float.IsNaN(rounded))
        {
            if (float.IsNaN(ours) != float.IsNaN(rounded))
            {
                s.MaxUlp = double.PositiveInfinity;
                s.Worst = x;
                s.OverHalf++;
                s.MaxDistance = long.MaxValue;
            }

            return;
        }

        long distance = Math.Abs(Ordered(ours) - Ordered(rounded));
        s.MaxDistance = Math.Max(s.MaxDistance, distance);
        double err;
        if (float.IsInfinity(ours) || float.IsInfinity(rounded))
        {
            err = ours == rounded ? 0.0 : double.PositiveInfinity;
        }
        else
        {
            err = Math.Abs(ours - reference) / FloatUlp(reference);
        }

        if (err > 0.5)
        {
            s.OverHalf++;
        }

        if (err > s.MaxUlp)
        {
            s.MaxUlp = err;
            s.Worst = x;
        }
    }

    /// <summary>The spacing of floats at the magnitude of v (the subnormal spacing below 2^-126).</summary>
    private static double FloatUlp(double v)
    {
        double a = Math.Abs(v);
        if (a < 1.1754943508222875e-38)
        {
            return 1.401298464324817e-45;
        }

        // Floats in [2^e, 2^(e+1)) are spaced 2^(e-23); e is read from the double's exponent field.
        long e = (BitConverter.DoubleToInt64Bits(a) >> 52) & 0x7FF;
        return BitConverter.Int64BitsToDouble((e - 23) << 52);
    }

    private static long Ordered(float v)
    {
        int bits = BitConverter.SingleToInt32Bits(v);
        return bits < 0 ? -(long)(bits & 0x7FFFFFFF) : bits;
    }

    private static Stats PowSample(int count)
    {
        var total = new Stats();
        const int chunks = 64;
        Parallel.For(0, chunks, () => new Stats(), (chunk, _, s) =>
        {
            var random = new Random(1000 + chunk);
            for (int i = 0; i < count / chunks; i++)
            {
                float x = BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32));
                float y;
                switch (i & 3)
                {
                    case 0:
                        y = BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32));
                        break;
                    case 1:
                        y = random.Next(-300, 301);
                        break;
                    case 2:
                        double l2 = Math.Log2(Math.Abs(x));
                        y = l2 == 0 || !double.IsFinite(l2) ? 2f : (float)(((random.NextDouble() * 320) - 160) / l2);
                        break;
                    default:
                        x = (float)(random.NextDouble() * 3);
                        y = (float)((random.NextDouble() * 400) - 200);
                        break;
                }

                Accumulate(s, x, DetMath.Pow(x, y), Math.Pow(x, y));
            }

            return s;
        }, total.Merge);
        return total;
    }

    private static void Speed()
    {
        const int n = 1 << 20;
        Console.WriteLine();
        Console.WriteLine($"Throughput, single thread, {n} inputs per pass, best of 7 passes (Melem/s; ratio = DetMath / MathF)");
        Console.WriteLine("function   DetMath     MathF      ratio   MathF counterpart");
        var output = new float[n];
        foreach (var f in Functions)
        {
            float[] xs = Inputs(n, f.Lo, f.Hi, 5);
            double ours = Rate(xs, output, f.Ours);
            double baseline = f.Baseline is null ? double.NaN : Rate(xs, output, f.Baseline);
            string counterpart = f.Name switch
            {
                "Expm1" => "MathF.Exp(x) - 1",
                "Log1p" => "MathF.Log(1 + x)",
                "Sigmoid" => "1 / (1 + MathF.Exp(-x))",
                "Erf" => "none in .NET",
                _ => "MathF." + f.Name,
            };
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{f.Name,-9} {ours,8:F1}  {baseline,8:F1}   {ours / baseline,7:F2}   {counterpart}"));
        }

        float[] px = Inputs(n, 0.01f, 10f, 6);
        float[] py = Inputs(n, -8f, 8f, 7);
        double oursPow = Rate2(px, py, output, DetMath.Pow);
        double basePow = Rate2(px, py, output, MathF.Pow);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"Pow",-9} {oursPow,8:F1}  {basePow,8:F1}   {oursPow / basePow,7:F2}   MathF.Pow"));
    }

    private static float[] Inputs(int n, float lo, float hi, int seed)
    {
        var random = new Random(seed);
        var xs = new float[n];
        for (int i = 0; i < n; i++)
        {
            xs[i] = lo + ((hi - lo) * (float)random.NextDouble());
        }

        return xs;
    }

    private static double Rate(float[] xs, float[] output, Func<float, float> f)
    {
        double best = 0;
        for (int pass = 0; pass < 7; pass++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < xs.Length; i++)
            {
                output[i] = f(xs[i]);
            }

            best = Math.Max(best, xs.Length / sw.Elapsed.TotalSeconds / 1e6);
        }

        return best;
    }

    private static double Rate2(float[] xs, float[] ys, float[] output, Func<float, float, float> f)
    {
        double best = 0;
        for (int pass = 0; pass < 7; pass++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < xs.Length; i++)
            {
                output[i] = f(xs[i], ys[i]);
            }

            best = Math.Max(best, xs.Length / sw.Elapsed.TotalSeconds / 1e6);
        }

        return best;
    }

    /// <summary>e^x - 1 without cancellation: 2t / (1 - t) with t = tanh(x/2) for |x| &lt; 1 (a few double ulps).</summary>
    private static double Expm1Reference(double x)
    {
        if (Math.Abs(x) < 1)
        {
            double t = Math.Tanh(x * 0.5);
            return 2 * t / (1 - t);
        }

        return Math.Exp(x) - 1;
    }

    /// <summary>log(1 + x) as log(u) + (x - (u - 1)) / u with u = RN(1 + x) (a few double ulps).</summary>
    private static double Log1pReference(double x)
    {
        double u = 1 + x;
        if (u == 1)
        {
            return x;
        }

        if (u == 0 || double.IsInfinity(u))
        {
            // x = -1 or x = +Inf: the correction term below would be 0/0 or Inf/Inf.
            return Math.Log(u);
        }

        return Math.Log(u) + ((x - (u - 1)) / u);
    }

    private static double ErfReference(double x)
    {
        if (double.IsNaN(x))
        {
            return x;
        }

        double ax = Math.Abs(x);
        if (ax >= 6)
        {
            return Math.CopySign(1.0, x);
        }

        if (ax < 1e-10)
        {
            return x * 1.1283791670955126;
        }

        double term = ax;
        double sum = ax;
        for (int n = 1; n < 300 && term > sum * 1e-18; n++)
        {
            term = term * 2 * ax * ax / ((2 * n) + 1);
            sum += term;
        }

        return Math.CopySign(1.1283791670955126 * sum * Math.Exp(-ax * ax), x);
    }
}
