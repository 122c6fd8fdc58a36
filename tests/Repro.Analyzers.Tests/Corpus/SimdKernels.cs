using System;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Corpus.Simd;

[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class BitExactAttribute : Attribute { }

public static class Blas
{
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var acc = Vector<float>.Zero;
        var i = 0;
        var width = Vector<float>.Count; // expect: RPR3001
        for (; i <= a.Length - width; i += width)
            acc += new Vector<float>(a.Slice(i)) * new Vector<float>(b.Slice(i));
        var sum = Vector.Dot(acc, Vector<float>.One);
        for (; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    public static float Sum(float[] x)
    {
        if (Vector.IsHardwareAccelerated && x.Length >= 64) // expect: RPR3002
            return SumVectorized(x);
        var s = 0f;
        foreach (var v in x) s += v;
        return s;
    }

    public static void Add(float[] a, float[] b, float[] dst)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count)
                (new Vector<float>(a, i) + new Vector<float>(b, i)).CopyTo(dst, i);
        }
        for (; i < a.Length; i++) dst[i] = a[i] + b[i];
    }

    public static Vector256<float> MulAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c) =>
        Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : Avx.Add(Avx.Multiply(a, b), c); // expect: RPR3004

    public static float InvNorm(float sumSquares) => MathF.ReciprocalSqrtEstimate(sumSquares); // expect: RPR3003

    public static float InvNormExact(float sumSquares) => 1f / MathF.Sqrt(sumSquares);

    public static float FixedWidthSum(ReadOnlySpan<float> x)
    {
        var acc = Vector128<float>.Zero;
        var i = 0;
        for (; i + Vector128<float>.Count <= x.Length; i += Vector128<float>.Count)
            acc += Vector128.Create(x.Slice(i, 4));
        var s = Vector128.Sum(acc);
        for (; i < x.Length; i++) s += x[i];
        return s;
    }

    private static float SumVectorized(float[] x) => TensorPrimitives.Sum(x);
}

[BitExact]
public static class GoldenReference
{
    public static float CrossEntropy(float[] logits, int target)
    {
        var max = TensorPrimitives.Max(logits);
        var sum = 0.0;
        foreach (var l in logits) sum += Math.Exp(l - max); // expect: RPR3006
        return (float)(Math.Log(sum) - (logits[target] - max)); // expect: RPR3006
    }

    public static float Norm(float[] x) => TensorPrimitives.Norm(x); // expect: RPR3005

    public static float L2(float[] x)
    {
        var s = 0.0;
        foreach (var v in x) s += (double)v * v;
        return (float)Math.Sqrt(s);
    }
}
