using System.Runtime.CompilerServices;
using Repro.Engine.Backends;
using Repro.Engine.Numerics;

namespace Repro.Backends.Ilgpu;

/// <summary>
/// The op dispatch of <see cref="ScalarOps"/>.Apply, in a form ILGPU can compile: ScalarOps' switches end in a
/// <c>throw</c> arm, and ILGPU 1.5.3 rejects the Throw IL instruction ("Not supported IL instruction of type
/// 'Throw'"), so the kernels cannot call ScalarOps.Apply itself. Each arm is the same expression as ScalarOps'
/// and calls the same shared functions (<see cref="DetMath"/>, <see cref="ScalarOps.Max(float, float)"/>,
/// <see cref="ScalarOps.Gelu"/>, <see cref="ScalarOps.IntPow"/>); the conformance suite checks every op against
/// the managed backend. Unknown op codes give NaN (or 0): the engine validates ops before any kernel runs.
/// </summary>
internal static class DeviceOps
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(UnaryOp op, float x) => op switch
    {
        UnaryOp.Neg => -x,
        UnaryOp.Abs => MathF.Abs(x),
        UnaryOp.Exp => DetMath.Exp(x),
        UnaryOp.Log => DetMath.Log(x),
        UnaryOp.Sqrt => MathF.Sqrt(x),
        UnaryOp.Rsqrt => 1f / MathF.Sqrt(x),
        UnaryOp.Tanh => DetMath.Tanh(x),
        UnaryOp.Sigmoid => DetMath.Sigmoid(x),
        UnaryOp.Relu => x > 0f ? x : (float.IsNaN(x) ? x : 0f),
        UnaryOp.Gelu => (float)ScalarOps.Gelu(x),
        UnaryOp.Erf => DetMath.Erf(x),
        UnaryOp.Sin => DetMath.Sin(x),
        UnaryOp.Cos => DetMath.Cos(x),
        UnaryOp.Sign => x > 0f ? 1f : (x < 0f ? -1f : x),
        _ => float.NaN,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Apply(UnaryOp op, double x) => op switch
    {
        UnaryOp.Neg => -x,
        UnaryOp.Abs => Math.Abs(x),
        UnaryOp.Exp => DetMath.Exp(x),
        UnaryOp.Log => DetMath.Log(x),
        UnaryOp.Sqrt => Math.Sqrt(x),
        UnaryOp.Rsqrt => 1.0 / Math.Sqrt(x),
        UnaryOp.Tanh => DetMath.Tanh(x),
        UnaryOp.Sigmoid => DetMath.Sigmoid(x),
        UnaryOp.Relu => x > 0.0 ? x : (double.IsNaN(x) ? x : 0.0),
        UnaryOp.Gelu => ScalarOps.Gelu(x),
        UnaryOp.Erf => DetMath.Erf(x),
        UnaryOp.Sin => DetMath.Sin(x),
        UnaryOp.Cos => DetMath.Cos(x),
        UnaryOp.Sign => x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : x),
        _ => double.NaN,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Apply(UnaryOp op, int x) => op switch
    {
        UnaryOp.Neg => unchecked(-x),
        UnaryOp.Abs => x < 0 ? unchecked(-x) : x,
        UnaryOp.Relu => x > 0 ? x : 0,
        UnaryOp.Sign => x > 0 ? 1 : (x < 0 ? -1 : 0),
        _ => 0,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Apply(BinaryOp op, float a, float b) => op switch
    {
        BinaryOp.Add => a + b,
        BinaryOp.Sub => a - b,
        BinaryOp.Mul => a * b,
        BinaryOp.Div => a / b,
        BinaryOp.Pow => DetMath.Pow(a, b),
        BinaryOp.Maximum => ScalarOps.Max(a, b),
        BinaryOp.Minimum => ScalarOps.Min(a, b),
        BinaryOp.Eq => a == b ? 1f : 0f,
        BinaryOp.Ne => a != b ? 1f : 0f,
        BinaryOp.Lt => a < b ? 1f : 0f,
        BinaryOp.Le => a <= b ? 1f : 0f,
        BinaryOp.Gt => a > b ? 1f : 0f,
        BinaryOp.Ge => a >= b ? 1f : 0f,
        _ => float.NaN,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Apply(BinaryOp op, double a, double b) => op switch
    {
        BinaryOp.Add => a + b,
        BinaryOp.Sub => a - b,
        BinaryOp.Mul => a * b,
        BinaryOp.Div => a / b,
        BinaryOp.Pow => DetMath.Pow(a, b),
        BinaryOp.Maximum => ScalarOps.Max(a, b),
        BinaryOp.Minimum => ScalarOps.Min(a, b),
        BinaryOp.Eq => a == b ? 1.0 : 0.0,
        BinaryOp.Ne => a != b ? 1.0 : 0.0,
        BinaryOp.Lt => a < b ? 1.0 : 0.0,
        BinaryOp.Le => a <= b ? 1.0 : 0.0,
        BinaryOp.Gt => a > b ? 1.0 : 0.0,
        BinaryOp.Ge => a >= b ? 1.0 : 0.0,
        _ => double.NaN,
    };

    /// <summary>Int32 binary op, wrapping; the caller has rejected division by zero.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Apply(BinaryOp op, int a, int b) => op switch
    {
        BinaryOp.Add => unchecked(a + b),
        BinaryOp.Sub => unchecked(a - b),
        BinaryOp.Mul => unchecked(a * b),
        BinaryOp.Div => b == -1 ? unchecked(-a) : a / b,
        BinaryOp.Pow => ScalarOps.IntPow(a, b),
        BinaryOp.Maximum => Math.Max(a, b),
        BinaryOp.Minimum => Math.Min(a, b),
        BinaryOp.Eq => a == b ? 1 : 0,
        BinaryOp.Ne => a != b ? 1 : 0,
        BinaryOp.Lt => a < b ? 1 : 0,
        BinaryOp.Le => a <= b ? 1 : 0,
        BinaryOp.Gt => a > b ? 1 : 0,
        BinaryOp.Ge => a >= b ? 1 : 0,
        _ => 0,
    };
}
