using System;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace Corpus.Gpu;

public static class Kernels
{
    public static void SumKernel(Index1D i, ArrayView<float> x, ArrayView<float> total) =>
        Atomic.Add(ref total[0], x[i]); // expect: RPR5001

    public static void HistogramKernel(Index1D i, ArrayView<int> values, ArrayView<int> bins) =>
        Atomic.Add(ref bins[values[i] & 255], 1);

    public static void PartialSums(Index1D i, ArrayView<float> x, ArrayView<float> partial, int chunk)
    {
        var s = 0f;
        for (var k = 0; k < chunk; k++) s += x[i * chunk + k];
        partial[i] = s;
    }

    public static void SoftplusKernel(Index1D i, ArrayView<float> x) =>
        x[i] = XMath.Log(1f + XMath.Exp(x[i])); // expect: RPR5002

    public static void ReluKernel(Index1D i, ArrayView<float> x) => x[i] = XMath.Max(x[i], 0f);

    public static void AxpyKernel(Index1D i, float alpha, ArrayView<float> x, ArrayView<float> y) =>
        y[i] = alpha * x[i] + y[i]; // expect: RPR5003

    public static void AxpyFused(Index1D i, float alpha, ArrayView<float> x, ArrayView<float> y) =>
        y[i] = MathF.FusedMultiplyAdd(alpha, x[i], y[i]);

    public static void IndexMath(Index1D i, ArrayView<int> output, int stride) => output[i] = i * stride + 3;

    public static float HostAxpy(float alpha, float x, float y) => alpha * x + y;

    public static float HostSoftplus(float x) => MathF.Log(1 + MathF.Exp(x));
}
