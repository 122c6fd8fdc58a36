using Repro.Engine.Backends;

namespace Repro.Engine;

/// <summary>Raised when a log or caller names an op the engine does not know.</summary>
public sealed class UnknownOpException(string op) : ArgumentException($"unknown op '{op}': expected one of {string.Join(", ", OpRegistry.Names)}")
{
    /// <summary>The unknown name.</summary>
    public string Op { get; } = op;
}

/// <summary>
/// Re-runs any recorded op from its name, attributes and inputs, as replay needs: a name-keyed front to
/// <see cref="OpTable"/>. Leaves made from host data ("from_host") are supplied by the caller.
/// </summary>
public static class OpRegistry
{
    /// <summary>Every op name the engine can emit, sorted.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. OpTable.All.Select(r => r.Name).Order(StringComparer.Ordinal)];

    /// <summary>True when <paramref name="op"/> is a known op name.</summary>
    public static bool IsKnown(string op) => OpTable.Find(op) is not null;

    /// <summary>
    /// Runs op <paramref name="op"/> on <paramref name="inputs"/>; ops without inputs create their tensor on
    /// <paramref name="backend"/>. The op is reported to the dispatcher like any other.
    /// </summary>
    /// <exception cref="UnknownOpException">The engine has no such op.</exception>
    /// <exception cref="ArgumentException">The op is a leaf (from_host), or the input count does not fit its arity.</exception>
    public static Tensor Execute(string op, OpAttributes attributes, IReadOnlyList<Tensor> inputs, Backend backend) =>
        OpTable.Get(op).Execute(attributes, inputs, backend);

    /// <summary>The fixed number of inputs an op takes, or -1 for variadic ops (concat).</summary>
    /// <exception cref="UnknownOpException">The engine has no such op.</exception>
    public static int Arity(string op) => OpTable.Get(op).Arity;
}
