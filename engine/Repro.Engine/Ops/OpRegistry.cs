using Repro.Engine.Backends;

namespace Repro.Engine;

/// <summary>Raised when a log or caller names an op the engine does not know.</summary>
public sealed class UnknownOpException(string op) : ArgumentException($"unknown op '{op}': expected one of {string.Join(", ", OpRegistry.Names)}")
{
    /// <summary>The unknown name.</summary>
    public string Op { get; } = op;
}

/// <summary>
/// Re-runs any recorded op from its name, attributes and inputs, as replay needs. Every op the engine emits has
/// an entry here, and a test checks that; leaves made from host data ("from_host") are supplied by the caller.
/// </summary>
public static class OpRegistry
{
    private static readonly Dictionary<string, Func<OpAttributes, IReadOnlyList<Tensor>, Backend, Tensor>> Table = Build();

    /// <summary>Every op name the engine can emit, sorted.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Table.Keys.Append("from_host").Order(StringComparer.Ordinal)];

    /// <summary>True when <paramref name="op"/> is a known op name.</summary>
    public static bool IsKnown(string op) => op == "from_host" || Table.ContainsKey(op);

    /// <summary>
    /// Runs op <paramref name="op"/> on <paramref name="inputs"/>; ops without inputs create their tensor on
    /// <paramref name="backend"/>. The op is reported to the dispatcher like any other.
    /// </summary>
    public static Tensor Execute(string op, OpAttributes attributes, IReadOnlyList<Tensor> inputs, Backend backend)
    {
        if (op == "from_host")
        {
            throw new ArgumentException("from_host is a leaf: its data comes from the log, not from an executor", nameof(op));
        }

        if (!Table.TryGetValue(op, out var run))
        {
            throw new UnknownOpException(op);
        }

        int want = Arity(op);
        if (want >= 0 && inputs.Count != want)
        {
            throw new ArgumentException($"{op}: expected {want} inputs, got {inputs.Count}", nameof(inputs));
        }

        return run(attributes, inputs, backend);
    }

    /// <summary>The fixed number of inputs an op takes, or -1 for variadic ops (concat).</summary>
    public static int Arity(string op) => op switch
    {
        "full" or "arange" or "rand" or "randn" or "randperm" or "from_host" => 0,
        "concat" => -1,
        "where" or "index_add" or "scatter_add" => 3,
        "index_select" or "matmul" or "assign" => 2,
        _ when Enum.TryParse<BinaryOp>(op, ignoreCase: true, out _) || op is "maximum" or "minimum" => 2,
        _ => 1,
    };

    private static Dictionary<string, Func<OpAttributes, IReadOnlyList<Tensor>, Backend, Tensor>> Build()
    {
        var t = new Dictionary<string, Func<OpAttributes, IReadOnlyList<Tensor>, Backend, Tensor>>(StringComparer.Ordinal)
        {
            ["full"] = (a, _, b) => OpCore.Full(a.Ints("shape"), a.Double("value"), DTypes.Parse(a.String("dtype")), b),
            ["arange"] = (a, _, b) => OpCore.Arange(a.Int("n"), DTypes.Parse(a.String("dtype")), b),
            ["rand"] = (a, _, b) => OpCore.Random(RandomKind.Uniform, a.Ints("shape"), DTypes.Parse(a.String("dtype")), (ulong)a.Long("seed"), (ulong)a.Long("stream"), b),
            ["randn"] = (a, _, b) => OpCore.Random(RandomKind.Normal, a.Ints("shape"), DTypes.Parse(a.String("dtype")), (ulong)a.Long("seed"), (ulong)a.Long("stream"), b),
            ["randperm"] = (a, _, b) => OpCore.Permutation(a.Int("n"), (ulong)a.Long("seed"), (ulong)a.Long("stream"), b),
            ["reshape"] = (a, x, _) => OpCore.Reshape(x[0], a.Ints("shape")),
            ["permute"] = (a, x, _) => OpCore.Permute(x[0], a.Ints("dims")),
            ["slice"] = (a, x, _) => OpCore.Slice(x[0], a.Int("axis"), a.Int("start"), a.Int("end"), a.Int("step")),
            ["expand"] = (a, x, _) => OpCore.Expand(x[0], a.Ints("shape")),
            ["contiguous"] = (_, x, _) => OpCore.Contiguous(x[0]),
            ["cast"] = (a, x, _) => OpCore.Cast(x[0], DTypes.Parse(a.String("dtype"))),
            ["to_backend"] = (a, x, _) => x[0].To(Settings.GetBackend(a.String("backend"))),
            ["where"] = (_, x, _) => OpCore.Where(x[0], x[1], x[2]),
            ["assign"] = (_, x, _) => OpCore.Assign(x[0], x[1]),
            ["matmul"] = (_, x, _) => OpCore.MatMul(x[0], x[1]),
            ["index_select"] = (a, x, _) => OpCore.IndexSelect(x[0], a.Int("axis"), x[1]),
            ["index_add"] = (a, x, _) => OpCore.IndexAdd(x[0], a.Int("axis"), x[1], x[2]),
            ["scatter_add"] = (a, x, _) => OpCore.ScatterAdd(x[0], a.Int("axis"), x[1], x[2]),
            ["concat"] = (a, x, _) => OpCore.Concat([.. x], a.Int("axis")),
            ["pad"] = (a, x, _) => OpCore.Pad(x[0], a.Ints("pads"), a.Double("value")),
        };
        foreach (var op in Enum.GetValues<UnaryOp>())
        {
            t[OpCore.NameOf(op)] = (_, x, _) => OpCore.Unary(op, x[0]);
        }

        foreach (var op in Enum.GetValues<BinaryOp>())
        {
            t[OpCore.NameOf(op)] = (_, x, _) => OpCore.Binary(op, x[0], x[1]);
        }

        foreach (var op in Enum.GetValues<ReduceOp>())
        {
            t[op.ToString().ToLowerInvariant()] = (a, x, _) => OpCore.Reduce(op, x[0], a.Ints("axes"), a.Bool("keepdim"));
        }

        return t;
    }
}
