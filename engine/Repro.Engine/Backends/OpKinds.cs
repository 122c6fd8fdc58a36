namespace Repro.Engine.Backends;

/// <summary>Elementwise one-input primitives. Float semantics are in <see cref="ScalarOps"/>.</summary>
public enum UnaryOp
{
    /// <summary>-x (flips the sign bit, also of 0 and NaN).</summary>
    Neg,

    /// <summary>|x| (clears the sign bit).</summary>
    Abs,

    /// <summary>e^x, by <see cref="Numerics.DetMath"/>.</summary>
    Exp,

    /// <summary>Natural logarithm, by <see cref="Numerics.DetMath"/>.</summary>
    Log,

    /// <summary>IEEE square root (correctly rounded).</summary>
    Sqrt,

    /// <summary>1 / sqrt(x): two correctly rounded operations, never a hardware estimate.</summary>
    Rsqrt,

    /// <summary>Hyperbolic tangent, by <see cref="Numerics.DetMath"/>.</summary>
    Tanh,

    /// <summary>1 / (1 + e^-x), by <see cref="Numerics.DetMath"/>.</summary>
    Sigmoid,

    /// <summary>max(x, 0) with relu(NaN) = NaN and relu(-0) = +0.</summary>
    Relu,

    /// <summary>x * Phi(x) in the erf form: 0.5 x (1 + erf(x / sqrt 2)), evaluated in double, rounded once.</summary>
    Gelu,

    /// <summary>Error function, by <see cref="Numerics.DetMath"/>.</summary>
    Erf,

    /// <summary>Sine, by <see cref="Numerics.DetMath"/>.</summary>
    Sin,

    /// <summary>Cosine, by <see cref="Numerics.DetMath"/>.</summary>
    Cos,

    /// <summary>-1, 0 or +1 (sign(NaN) = NaN, sign(-0) = -0).</summary>
    Sign,

    /// <summary>log(1 + e^x) as max(x, 0) + log1p(e^-|x|), evaluated in double, rounded once.</summary>
    Softplus,
}

/// <summary>Elementwise two-input primitives, broadcasting.</summary>
public enum BinaryOp
{
    /// <summary>a + b.</summary>
    Add,

    /// <summary>a - b.</summary>
    Sub,

    /// <summary>a * b.</summary>
    Mul,

    /// <summary>a / b (integers: truncating; division by zero is an error).</summary>
    Div,

    /// <summary>a ^ b, by <see cref="Numerics.DetMath.Pow(float, float)"/>.</summary>
    Pow,

    /// <summary>The larger; NaN if either is NaN; +0 is larger than -0.</summary>
    Maximum,

    /// <summary>The smaller; NaN if either is NaN; -0 is smaller than +0.</summary>
    Minimum,

    /// <summary>1 where a == b, else 0 (IEEE: NaN equals nothing).</summary>
    Eq,

    /// <summary>1 where a != b, else 0.</summary>
    Ne,

    /// <summary>1 where a &lt; b, else 0.</summary>
    Lt,

    /// <summary>1 where a &lt;= b, else 0.</summary>
    Le,

    /// <summary>1 where a &gt; b, else 0.</summary>
    Gt,

    /// <summary>1 where a &gt;= b, else 0.</summary>
    Ge,
}

/// <summary>Reductions over the last axis of a contiguous [rows, n] buffer.</summary>
public enum ReduceOp
{
    /// <summary>Sum in the canonical chunked-lane order (see <see cref="Canonical"/>).</summary>
    Sum,

    /// <summary>Maximum (NaN-propagating, +0 above -0); order-free because it is a total order. Empty rows are an error.</summary>
    Max,

    /// <summary>Minimum (NaN-propagating, -0 below +0).</summary>
    Min,

    /// <summary>Index of the first maximum (the first NaN if there is one); int32 output.</summary>
    ArgMax,

    /// <summary>Index of the first minimum (the first NaN if there is one); int32 output.</summary>
    ArgMin,
}

/// <summary>What a random primitive draws for element i from (seed, stream, i) with Philox4x32-10.</summary>
public enum RandomKind
{
    /// <summary>Uniform in [0, 1).</summary>
    Uniform,

    /// <summary>Standard normal (Box-Muller).</summary>
    Normal,

    /// <summary>Raw 32-bit words (int32 output), for permutations and integer draws.</summary>
    Bits,
}
