using System.Runtime.CompilerServices;

namespace Repro.Engine.Numerics;

/// <summary>
/// The two multiplications whose rounding GPU compilers would otherwise choose for us: a correctly rounded fused
/// multiply-add (IEEE 754 fusedMultiplyAdd: <c>a * b + c</c> with one rounding) and a product rounded on its own.
/// </summary>
/// <remarks>
/// <see cref="DetMath{TFma}"/> and the elementwise ops in <see cref="Backends.ScalarOps"/> take their FMA as a type
/// argument so that the same code compiles for the CPU and into GPU kernels: the runtime's
/// <see cref="Math.FusedMultiplyAdd(double, double, double)"/> is an internal call that GPU compilers (ILGPU's PTX
/// backend among them) cannot translate, so a kernel passes an implementation that emits the device's own fused
/// instruction (for PTX, <c>fma.rn</c> and <c>mul.rn</c>). Every implementation must be exactly IEEE fusedMultiplyAdd; then all
/// give the same bits, and the choice is not observable in results. Implementations are structs, so the JIT and
/// kernel compilers specialize and inline the call.
/// </remarks>
public interface IFma
{
    /// <summary>a * b + c in float32, rounded once to nearest even.</summary>
    float Fma(float a, float b, float c);

    /// <summary>a * b + c in float64, rounded once to nearest even.</summary>
    double Fma(double a, double b, double c);

    /// <summary>
    /// a * b in float64, rounded to nearest even on its own: never contracted with an addition that consumes it
    /// (on the CPU a plain multiply; on PTX <c>mul.rn</c>, which the assembler may not fuse).
    /// </summary>
    double Mul(double a, double b);
}

/// <summary>The runtime's fused multiply-add (one instruction on x64 with FMA3 and on Arm64; exact in software elsewhere).</summary>
public readonly struct HostFma : IFma
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Fma(float a, float b, float c) => MathF.FusedMultiplyAdd(a, b, c);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Fma(double a, double b, double c) => Math.FusedMultiplyAdd(a, b, c);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double Mul(double a, double b) => a * b;
}
