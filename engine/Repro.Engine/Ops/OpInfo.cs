using Repro.Engine.Backends;

namespace Repro.Engine;

/// <summary>The groups of the op table, one per kind of work an op does.</summary>
public enum OpKind
{
    /// <summary>Makes a tensor from attributes or host data (full, arange, from_host).</summary>
    Creation,

    /// <summary>Draws from the counter-based generator (rand, randn, randperm).</summary>
    Random,

    /// <summary>Re-describes storage without arithmetic (reshape, permute, slice, expand); observers see these as views.</summary>
    View,

    /// <summary>Moves or copies values without arithmetic on them (contiguous, cast, to_backend, assign, concat, pad).</summary>
    Copy,

    /// <summary>One input, one output element per input element.</summary>
    Unary,

    /// <summary>Two broadcast inputs, elementwise.</summary>
    Binary,

    /// <summary>Elementwise choice between two broadcast inputs (where).</summary>
    Select,

    /// <summary>Reduces axes (sum, max, min, argmax, argmin).</summary>
    Reduction,

    /// <summary>Matrix products, convolutions and window pooling.</summary>
    Linalg,

    /// <summary>Gathers or accumulates along an axis by an int32 index (index_select, index_add, scatter_add).</summary>
    Index,
}

/// <summary>A set of dtypes, for what an op's input accepts or what it can produce.</summary>
[Flags]
public enum DTypeSet
{
    /// <summary>No dtype.</summary>
    None = 0,

    /// <summary>float32.</summary>
    Float32 = 1 << (int)DType.Float32,

    /// <summary>float64.</summary>
    Float64 = 1 << (int)DType.Float64,

    /// <summary>int32.</summary>
    Int32 = 1 << (int)DType.Int32,

    /// <summary>float16.</summary>
    Float16 = 1 << (int)DType.Float16,

    /// <summary>bfloat16.</summary>
    BFloat16 = 1 << (int)DType.BFloat16,

    /// <summary>Every floating-point dtype.</summary>
    Floats = Float32 | Float64 | Float16 | BFloat16,

    /// <summary>Every dtype.</summary>
    All = Floats | Int32,
}

/// <summary>Where an op's output dtype comes from.</summary>
public enum OutputDType
{
    /// <summary>The dtype of the first input.</summary>
    FirstInput,

    /// <summary>The dtype of the second input (where: the values, not the condition).</summary>
    SecondInput,

    /// <summary>Always int32 (indices).</summary>
    Int32,

    /// <summary>The op's "dtype" attribute (creation, random draws, cast); replay at another dtype rewrites it.</summary>
    Attribute,
}

/// <summary>Runs one op from its recorded attributes and inputs, creating its result on a backend when it has no inputs.</summary>
internal delegate Tensor OpExecutor(OpAttributes attributes, IReadOnlyList<Tensor> inputs, Backend backend);

/// <summary>An op's backward rule: one gradient per input (null where an input gets none or does not need one).</summary>
internal delegate Tensor?[] BackwardRule(GradContext c);

/// <summary>
/// How many terms are summed into each output element, from the op's input shapes and attributes: 1 for elementwise
/// ops and copies, K for matmul, the reduced extent for sums. The differ derives its tolerances from it.
/// </summary>
/// <param name="inputShapes">The shapes of the op's inputs, in order.</param>
/// <param name="attributes">The op's attributes as recorded.</param>
public delegate long ReductionLengthRule(IReadOnlyList<IReadOnlyList<int>> inputShapes, OpAttributes attributes);

/// <summary>An op's gradient decision: a backward rule, or none (its outputs never carry gradients).</summary>
public sealed class OpGradient
{
    private OpGradient(BackwardRule? rule) => Rule = rule;

    /// <summary>The outputs carry no gradient: comparisons, indices, random draws, constants, in-place copies.</summary>
    public static OpGradient None { get; } = new(null);

    /// <summary>True when the op has a backward rule.</summary>
    public bool Exists => Rule is not null;

    internal BackwardRule? Rule { get; }

    internal static OpGradient By(BackwardRule rule) => new(rule);
}

/// <summary>
/// One row of the op table: every fact about an op that replay, autograd, the differ's tolerances, the log decoder
/// and thread splitting need. Rows are made only in <see cref="OpTable"/>.
/// </summary>
public sealed class OpInfo
{
    /// <summary>The arity of ops that take any number of inputs.</summary>
    public const int Variadic = -1;

    private readonly OpExecutor replay;

    internal OpInfo(
        string name,
        OpKind kind,
        int arity,
        DTypeSet[] inputs,
        OutputDType output,
        DTypeSet produces,
        OpExecutor replay,
        OpGradient gradient,
        ReductionLengthRule reductionLength,
        int cost,
        string order,
        bool hostData = false)
    {
        Name = name;
        Kind = kind;
        Arity = arity;
        Inputs = inputs;
        Output = output;
        Produces = produces;
        this.replay = replay;
        Gradient = gradient;
        ReductionLengthRule = reductionLength;
        Cost = cost;
        CanonicalOrder = order;
        HostData = hostData;
    }

    /// <summary>The name in logs and error messages ("matmul").</summary>
    public string Name { get; }

    /// <summary>The table group the op belongs to.</summary>
    public OpKind Kind { get; }

    /// <summary>The number of inputs, or <see cref="Variadic"/>.</summary>
    public int Arity { get; }

    /// <summary>The dtypes each input accepts, by position (variadic ops: one entry for every input).</summary>
    public IReadOnlyList<DTypeSet> Inputs { get; }

    /// <summary>Where the output dtype comes from.</summary>
    public OutputDType Output { get; }

    /// <summary>The dtypes the output can have.</summary>
    public DTypeSet Produces { get; }

    /// <summary>The gradient decision.</summary>
    public OpGradient Gradient { get; }

    /// <summary>The rule for the number of terms summed per output element (see <see cref="ReductionLength"/>).</summary>
    public ReductionLengthRule ReductionLengthRule { get; }

    /// <summary>
    /// Relative work per element, for splitting a kernel over threads (1: a copy or an add; 16: a transcendental).
    /// It only chooses how many threads share the work, never a result.
    /// </summary>
    public int Cost { get; }

    /// <summary>The op's canonical evaluation order, in one line: what every backend computes, in which order.</summary>
    public string CanonicalOrder { get; }

    /// <summary>True when the output's values come from the log (host data), not from an executor.</summary>
    public bool HostData { get; }

    /// <summary>True for views: the output shares the input's storage.</summary>
    public bool IsView => Kind == OpKind.View;

    /// <summary>True when outputs of this op link into autograd's graph.</summary>
    public bool IsDifferentiable => Gradient.Exists;

    internal OpExecutor Replay => replay;

    /// <summary>True when input <paramref name="position"/> accepts <paramref name="dtype"/>.</summary>
    public bool Accepts(int position, DType dtype) =>
        Inputs.Count > 0 && Inputs[Math.Min(position, Inputs.Count - 1)].Contains(dtype);

    /// <summary>True when <paramref name="count"/> inputs fit the arity (variadic ops check their own count).</summary>
    public bool TakesInputs(int count) => Arity == Variadic || count == Arity;

    /// <summary>The number of terms summed into each output element (at least 1).</summary>
    public long ReductionLength(IReadOnlyList<IReadOnlyList<int>> inputShapes, OpAttributes attributes) =>
        Math.Max(1, ReductionLengthRule(inputShapes, attributes));

    /// <summary>Runs the op on <paramref name="inputs"/>, reporting it to the dispatcher like any other call.</summary>
    /// <exception cref="ArgumentException">The op is a leaf made from host data, or the input count does not fit its arity.</exception>
    public Tensor Execute(OpAttributes attributes, IReadOnlyList<Tensor> inputs, Backend backend)
    {
        if (HostData)
        {
            throw new ArgumentException($"{Name} is a leaf: its data comes from the log, not from an executor", nameof(attributes));
        }

        if (!TakesInputs(inputs.Count))
        {
            throw new ArgumentException($"{Name}: expected {Arity} inputs, got {inputs.Count}", nameof(inputs));
        }

        return replay(attributes, inputs, backend);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>Membership tests on <see cref="DTypeSet"/>.</summary>
public static class DTypeSets
{
    /// <summary>The set holding only <paramref name="dtype"/>.</summary>
    public static DTypeSet Of(DType dtype) => (DTypeSet)(1 << (int)dtype);

    /// <summary>True when <paramref name="set"/> holds <paramref name="dtype"/>.</summary>
    public static bool Contains(this DTypeSet set, DType dtype) => (set & Of(dtype)) != 0;
}
