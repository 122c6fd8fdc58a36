using System.Runtime.CompilerServices;

namespace Repro.Engine.Numerics;

/// <summary>
/// Deterministic transcendental functions on the CPU: <see cref="DetMath{TFma}"/> with the runtime's fused
/// multiply-add (<see cref="HostFma"/>). The same bits on every CPU, OS and SIMD width, and the same bits as the GPU
/// kernels, which use <see cref="DetMath{TFma}"/> with their device's FMA.
/// </summary>
public static class DetMath
{
    /// <inheritdoc cref="DetMath{TFma}.Exp(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Exp(float x) => DetMath<HostFma>.Exp(x);

    /// <inheritdoc cref="DetMath{TFma}.Exp(double)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Exp(double x) => DetMath<HostFma>.Exp(x);

    /// <inheritdoc cref="DetMath{TFma}.Expm1(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Expm1(float x) => DetMath<HostFma>.Expm1(x);

    /// <inheritdoc cref="DetMath{TFma}.Expm1(double)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Expm1(double x) => DetMath<HostFma>.Expm1(x);

    /// <inheritdoc cref="DetMath{TFma}.Log(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Log(float x) => DetMath<HostFma>.Log(x);

    /// <inheritdoc cref="DetMath{TFma}.Log(double)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Log(double x) => DetMath<HostFma>.Log(x);

    /// <inheritdoc cref="DetMath{TFma}.Log1p(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Log1p(float x) => DetMath<HostFma>.Log1p(x);

    /// <inheritdoc cref="DetMath{TFma}.Log1p(double)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Log1p(double x) => DetMath<HostFma>.Log1p(x);

    /// <inheritdoc cref="DetMath{TFma}.Tanh(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Tanh(float x) => DetMath<HostFma>.Tanh(x);

    /// <inheritdoc cref="DetMath{TFma}.Tanh(double)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Tanh(double x) => DetMath<HostFma>.Tanh(x);

    /// <inheritdoc cref="DetMath{TFma}.Sigmoid(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sigmoid(float x) => DetMath<HostFma>.Sigmoid(x);

    /// <inheritdoc cref="DetMath{TFma}.Sigmoid(double)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sigmoid(double x) => DetMath<HostFma>.Sigmoid(x);

    /// <inheritdoc cref="DetMath{TFma}.Erf(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Erf(float x) => DetMath<HostFma>.Erf(x);

    /// <inheritdoc cref="DetMath{TFma}.Erf(double)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Erf(double x) => DetMath<HostFma>.Erf(x);

    /// <inheritdoc cref="DetMath{TFma}.Sin(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sin(float x) => DetMath<HostFma>.Sin(x);

    /// <inheritdoc cref="DetMath{TFma}.Sin(double)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sin(double x) => DetMath<HostFma>.Sin(x);

    /// <inheritdoc cref="DetMath{TFma}.Cos(float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Cos(float x) => DetMath<HostFma>.Cos(x);

    /// <inheritdoc cref="DetMath{TFma}.Cos(double)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Cos(double x) => DetMath<HostFma>.Cos(x);

    /// <inheritdoc cref="DetMath{TFma}.Pow(float, float)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Pow(float x, float y) => DetMath<HostFma>.Pow(x, y);

    /// <inheritdoc cref="DetMath{TFma}.Pow(double, double)"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Pow(double x, double y) => DetMath<HostFma>.Pow(x, y);
}
