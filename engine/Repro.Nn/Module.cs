using System.IO.Hashing;
using System.Runtime.CompilerServices;
using Repro.Engine;

namespace Repro.Nn;

/// <summary>
/// A trainable tensor. Optimizers never mutate its buffer: they compute the new value with recorded ops (outside
/// grad mode) and rebind <see cref="Value"/> to it, so a replay is pure dataflow with no hidden in-place writes.
/// </summary>
public sealed class Parameter
{
    private Tensor value;

    /// <summary>Wraps <paramref name="value"/> (a leaf) and marks it as requiring grad.</summary>
    public Parameter(Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        value.RequiresGrad = true;
        this.value = value;
    }

    /// <summary>The current value: a leaf that requires grad.</summary>
    public Tensor Value
    {
        get => value;
        set
        {
            ArgumentNullException.ThrowIfNull(value);

            // Under a precision policy (Autocast.Use) an update computed in another dtype is taken as it is, as replay
            // of the same policy does: the next op that reads the parameter converts it to its own dtype.
            bool policyDType = value.DType != this.value.DType && Autocast.Current is { } policy
                && (value.DType == DType.Float32 || value.DType == policy.LowDType) && (this.value.DType == DType.Float32 || this.value.DType == policy.LowDType);
            if (!value.Shape.SequenceEqual(this.value.Shape) || (value.DType != this.value.DType && !policyDType))
            {
                throw new ArgumentException($"parameter: expected a value of shape {this.value.ShapeString} {this.value.DType.Name()}, got {value.ShapeString} {value.DType.Name()}", nameof(value));
            }

            value.RequiresGrad = true;
            this.value = value;
        }
    }

    /// <summary>The gradient accumulated by the last backward passes (null when none).</summary>
    public Tensor? Grad => value.Grad;

    /// <summary>
    /// The parameter's dotted name from the outermost module it is registered in ("0.weight", "block1.attn.qkv.bias"),
    /// as <see cref="Module.NamedParameters"/> lists it there; null for a parameter no module registered.
    /// </summary>
    public string? Name => Owner is null ? null : Owner.PathFromRoot() + LocalName;

    /// <summary>The module that registered the parameter, and its name there.</summary>
    internal Module? Owner { get; set; }

    internal string? LocalName { get; set; }

    /// <summary>Replaces the value without the shape and dtype check (for <see cref="Module.To(DType)"/>).</summary>
    internal void Rebind(Tensor v)
    {
        v.RequiresGrad = true;
        value = v;
    }
}

/// <summary>
/// A layer or model. Parameters and child modules are registered by name in construction order, and every listing
/// (parameters, state, hashes) follows that order, so it never depends on reflection or hashing.
/// </summary>
public abstract class Module
{
    private readonly List<KeyValuePair<string, Parameter>> parameters = [];
    private readonly List<KeyValuePair<string, Module>> children = [];

    // The name this module was first registered under in a parent ("fc1", "0"); null for the outermost module.
    private string? registeredName;
    private Module? parent;

    /// <summary>True in training mode (dropout active), false after <see cref="Eval"/>.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Applies the module. Callers: prefer <see cref="Call"/>, which also locates the ops without a stack walk.</summary>
    public abstract Tensor Forward(Tensor x);

    /// <summary>
    /// Applies the module (runs <see cref="Forward"/>) inside its module scope (<see cref="Dispatcher.Module"/>: the
    /// name it was registered under in its parent, and its type), so every op it issues, and their backward ops, carry
    /// its module path ("encoder.block1.attn (MultiHeadSelfAttention)") beside their source line. When the module
    /// runs only this library's code (a built-in layer, or a <see cref="Sequential"/> of them), it also locates all its
    /// ops at this call from the caller information, where calling <see cref="Forward"/> directly costs a stack walk
    /// while an observer wants source locations. A user's module is run as it is, so the ops it issues are located at
    /// its own lines. Call child modules with <see cref="Call"/> too: a direct <see cref="Forward"/> call opens no
    /// module scope, so its ops are counted to the enclosing module.
    /// </summary>
    /// <remarks>The caller-information parameters are filled in by the compiler; leave them out.</remarks>
    public Tensor Call(Tensor x, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        using var scope = Dispatcher.IsObserved ? Dispatcher.Module(registeredName ?? string.Empty, TypeName) : default;
        using var site = RunsOnlyLibraryCode ? Dispatcher.Site(file, line, member) : default;
        return Forward(x);
    }

    /// <summary>The name of the module's type as reports show it ("Linear"; a generic type without its arity).</summary>
    public string TypeName
    {
        get
        {
            var name = GetType().Name;
            int tick = name.IndexOf('`', StringComparison.Ordinal);
            return tick < 0 ? name : name[..tick];
        }
    }

    /// <summary>The name this module was first registered under in a parent module ("fc1", "0"); null when it has no parent.</summary>
    public string? Name => registeredName;

    /// <summary>True when <see cref="Forward"/> runs no user code: a built-in (sealed) layer, or a chain of them.</summary>
    internal virtual bool RunsOnlyLibraryCode => GetType().Assembly == typeof(Module).Assembly;

    /// <summary>Parameters with dotted names ("0.weight", "blocks.1.attn.qkv.bias"), in registration order.</summary>
    public IReadOnlyList<KeyValuePair<string, Parameter>> NamedParameters()
    {
        var list = new List<KeyValuePair<string, Parameter>>();
        Collect(string.Empty, list);
        return list;
    }

    /// <summary>Parameters in registration order.</summary>
    public IReadOnlyList<Parameter> Parameters() => [.. NamedParameters().Select(p => p.Value)];

    /// <summary>Number of scalar parameters.</summary>
    public int ParameterCount() => Parameters().Sum(p => p.Value.Numel);

    /// <summary>Sets training mode here and in every child.</summary>
    public Module Train(bool on = true)
    {
        Training = on;
        foreach (var c in children)
        {
            c.Value.Train(on);
        }

        return this;
    }

    /// <summary>Sets evaluation mode (dropout off).</summary>
    public Module Eval() => Train(false);

    /// <summary>Clears every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters())
        {
            p.Value.Grad = null;
        }
    }

    /// <summary>Converts every parameter to <paramref name="dtype"/> (a recorded cast), e.g. to train in bfloat16.</summary>
    public Module To(DType dtype)
    {
        using var noGrad = Autograd.NoGrad();
        foreach (var p in Parameters())
        {
            if (p.Value.DType != dtype)
            {
                p.Rebind(p.Value.To(dtype));
            }
        }

        return this;
    }

    /// <summary>The parameters as an ordered (name, tensor) list, for <see cref="StateFile"/>.</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> StateDict() =>
        [.. NamedParameters().Select(p => new KeyValuePair<string, Tensor>(p.Key, p.Value.Value))];

    /// <summary>Loads parameters by name; every parameter must be present with its shape and dtype.</summary>
    public void LoadStateDict(IReadOnlyList<KeyValuePair<string, Tensor>> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        foreach (var (name, p) in NamedParameters())
        {
            var found = state.FirstOrDefault(s => s.Key == name);
            if (found.Value is null)
            {
                throw new KeyNotFoundException($"load_state_dict: parameter '{name}' is missing from the state (has: {string.Join(", ", state.Select(s => s.Key))})");
            }

            using var noGrad = Autograd.NoGrad();
            p.Value = found.Value.Detach();
        }
    }

    /// <summary>XxHash128 of every parameter's canonical bytes (NaNs canonicalized), in parameter order, as 32 hex digits.</summary>
    public string ParameterHash() => HashTensors(Parameters().Select(p => p.Value));

    /// <summary>XxHash128 over the canonical bytes of <paramref name="tensors"/>, in order.</summary>
    public static string HashTensors(IEnumerable<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var h = new XxHash128();
        foreach (var t in tensors)
        {
            h.Append(t.ToBytes(canonicalNaN: true));
        }

        return Convert.ToHexStringLower(h.GetCurrentHash());
    }

    /// <summary>Registers a parameter; its name must be unique within this module.</summary>
    protected Parameter AddParameter(string name, Tensor value)
    {
        CheckName(name);
        var p = new Parameter(value) { Owner = this, LocalName = name };
        parameters.Add(new(name, p));
        return p;
    }

    /// <summary>Registers a child module; its parameters are listed under "name.".</summary>
    protected T AddModule<T>(string name, T module)
        where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        CheckName(name);
        children.Add(new(name, module));
        if (module.registeredName is null)
        {
            module.registeredName = name;
            module.parent = this;
        }
        return module;
    }

    /// <summary>The dotted path of this module below the outermost one, with a trailing '.' ("block1.attn."; empty for the outermost).</summary>
    internal string PathFromRoot()
    {
        var path = string.Empty;
        for (var m = this; m.parent is not null; m = m.parent)
        {
            path = m.registeredName + "." + path;
        }

        return path;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.') || parameters.Exists(p => p.Key == name) || children.Exists(c => c.Key == name))
        {
            throw new ArgumentException($"module: parameter or child name '{name}' is empty, dotted or already used", nameof(name));
        }
    }

    private void Collect(string prefix, List<KeyValuePair<string, Parameter>> into)
    {
        foreach (var (name, p) in parameters)
        {
            into.Add(new(prefix + name, p));
        }

        foreach (var (name, c) in children)
        {
            c.Collect(prefix + name + ".", into);
        }
    }
}
