using System.Diagnostics;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics.X86;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Pitfalls;

[AttributeUsage(AttributeTargets.All)]
public sealed class BitExactAttribute : Attribute { }

public static class NumericPitfalls
{
    private static readonly object Gate = new();

    // Workers add into one sum in scheduling order; float addition is not associative.
    public static double Mean(float[] x)
    {
        double sum = 0;
        Parallel.For(0, x.Length, i => { lock (Gate) sum += x[i]; }); // expect: RPR2001
        return sum / x.Length;
    }

    // PLINQ combines partial sums in a grouping that depends on the thread pool.
    public static double Energy(double[] x) => x.AsParallel().Sum(v => v * v); // expect: RPR2003

    // The block width is 4, 8 or 16 lanes depending on the CPU.
    public static float Dot(float[] a, float[] b)
    {
        var acc = Vector<float>.Zero;
        var i = 0;
        for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count) // expect: RPR3001
            acc += new Vector<float>(a, i) * new Vector<float>(b, i);
        var s = Vector.Sum(acc);
        for (; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    // FMA rounds once, the fallback twice.
    public static float MulAdd(float a, float b, float c) =>
        Fma.IsSupported ? MathF.FusedMultiplyAdd(a, b, c) : a * b + c; // expect: RPR3004

    // Estimates differ between CPU vendors.
    public static float InvSqrt(float x) => MathF.ReciprocalSqrtEstimate(x); // expect: RPR3003

    // TensorPrimitives reductions vary by OS and architecture, but this is a golden reference.
    [BitExact]
    public static float GoldenNorm(float[] x) => TensorPrimitives.Norm(x); // expect: RPR3005

    // A time-budgeted loop does a different number of steps on every machine.
    public static int TrainFor(TimeSpan budget)
    {
        var sw = Stopwatch.StartNew();
        var steps = 0;
        while (sw.Elapsed < budget) steps++; // expect: RPR4002
        return steps;
    }

    // Atomic float adds on a GPU land in arrival order.
    public static void SumKernel(Index1D i, ArrayView<float> x, ArrayView<float> total) =>
        Atomic.Add(ref total[0], x[i]); // expect: RPR5001

    // GPU transcendentals are approximations, and a*b+c may be fused by the GPU assembler.
    public static void ActivationKernel(Index1D i, ArrayView<float> x, float scale, float shift) =>
        x[i] = XMath.Exp(x[i]) * scale + shift; // expect: RPR5002, RPR5003
}
