namespace Repro.Engine;

/// <summary>Whether an op ran in the forward pass or in the backward pass of an earlier forward op.</summary>
public enum OpPhase
{
    /// <summary>A forward op (everything the user's program calls directly).</summary>
    Forward,

    /// <summary>An op run by autograd to compute gradients for a forward op.</summary>
    Backward,
}

/// <summary>Where in the user's source an op was called.</summary>
/// <param name="File">Source file path as the compiler saw it (empty when unknown).</param>
/// <param name="Line">1-based line (0 when unknown).</param>
/// <param name="Member">Calling member name.</param>
public readonly record struct SourceLocation(string File, int Line, string Member)
{
    /// <summary>No location known.</summary>
    public static readonly SourceLocation Unknown = new(string.Empty, 0, string.Empty);

    /// <summary>True when a file is known.</summary>
    public bool IsKnown => File.Length > 0;

    /// <summary>
    /// True when the line was found from the stack in optimized code (a Release build): the JIT keeps IL offsets
    /// only where the evaluation stack is empty, so an operator or a library call in the middle of several
    /// statements maps to the first of them, a line or more early. Ops called through the API with caller
    /// information, and any code built without optimization, get exact lines.
    /// </summary>
    public bool Approximate { get; init; }

    /// <summary>"file.cs:42 (Member)" ("file.cs:~42 (Member)" when approximate), or "unknown".</summary>
    public override string ToString() => IsKnown ? $"{Path.GetFileName(File)}:{(Approximate ? "~" : string.Empty)}{Line} ({Member})" : "unknown";
}

/// <summary>
/// The module (layer) an op ran in: its dotted path from the outermost module the program called, PyTorch-style
/// ("2", "encoder.block1.attn"; empty for the outermost module itself), and its type ("Linear"). Opened with
/// <see cref="Dispatcher.Module"/>; backward ops carry their forward op's module.
/// </summary>
/// <param name="Path">Names joined with '.', each as the module was registered in its parent ("fc1", "0"); empty for the outermost module.</param>
/// <param name="Type">The module's type name ("Linear", "TransformerBlock").</param>
public sealed record OpModule(string Path, string Type)
{
    /// <summary>"fc1 (Linear)", or the type alone for the outermost module ("Mlp").</summary>
    public override string ToString() => Path.Length > 0 ? $"{Path} ({Type})" : Type;

    /// <summary>The path of a module named <paramref name="name"/> inside this one (an empty name adds nothing).</summary>
    internal string Child(string name) => name.Length == 0 ? Path : Path.Length == 0 ? name : $"{Path}.{name}";
}

/// <summary>Ordered op attributes (name, value): values are long, double, bool, string, long[] or double[].</summary>
public sealed class OpAttributes
{
    /// <summary>No attributes.</summary>
    public static readonly OpAttributes Empty = new([]);

    private readonly KeyValuePair<string, object>[] items;

    /// <summary>Creates attributes from ordered pairs.</summary>
    public OpAttributes(params KeyValuePair<string, object>[] items)
    {
        this.items = items;
    }

    /// <summary>The pairs in the order the op declared them.</summary>
    public IReadOnlyList<KeyValuePair<string, object>> Items => items;

    /// <summary>Builds attributes from (name, value) tuples; ints become longs and int arrays become long arrays.</summary>
    public static OpAttributes Of(params (string Name, object Value)[] pairs) =>
        new([.. pairs.Select(p => new KeyValuePair<string, object>(p.Name, Normalize(p.Value)))]);

    /// <summary>True when the attribute is present.</summary>
    public bool Has(string name) => Array.Exists(items, p => p.Key == name);

    /// <summary>An integer attribute.</summary>
    public long Long(string name) => Convert.ToInt64(Get(name), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>An integer attribute as int (checked).</summary>
    public int Int(string name) => checked((int)Long(name));

    /// <summary>A floating-point attribute.</summary>
    public double Double(string name) => Convert.ToDouble(Get(name), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A boolean attribute.</summary>
    public bool Bool(string name) => (bool)Get(name);

    /// <summary>A string attribute.</summary>
    public string String(string name) => (string)Get(name);

    /// <summary>An integer-array attribute as int[] (checked).</summary>
    public int[] Ints(string name) => Get(name) switch
    {
        long[] l => [.. l.Select(v => checked((int)v))],
        int[] i => (int[])i.Clone(),
        var other => throw new InvalidCastException($"attribute '{name}' is {other.GetType().Name}, not an integer array"),
    };

    /// <summary>The raw value of an attribute; an error names the missing attribute.</summary>
    public object Get(string name)
    {
        foreach (var p in items)
        {
            if (p.Key == name)
            {
                return p.Value;
            }
        }

        throw new KeyNotFoundException($"op attribute '{name}' is missing");
    }

    /// <inheritdoc/>
    public override string ToString() => string.Join(", ", items.Select(p => $"{p.Key}={Format(p.Value)}"));

    private static object Normalize(object value) => value switch
    {
        int i => (long)i,
        ulong u => unchecked((long)u),
        float f => (double)f,
        int[] a => a.Select(v => (long)v).ToArray(),
        DType d => d.Name(),
        _ => value,
    };

    private static string Format(object v) => v switch
    {
        long[] a => "[" + string.Join(", ", a) + "]",
        double[] d => "[" + string.Join(", ", d.Select(x => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture))) + "]",
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        _ => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty,
    };
}

/// <summary>One op as the dispatcher saw it. Observers must not keep the tensors' contents alive longer than they need.</summary>
public sealed class OpEvent
{
    // The arrays themselves, so that DType and Backend (read for every op by a recorder) index them directly instead
    // of going through IReadOnlyList's interface calls.
    private readonly Tensor[] inputs;
    private readonly Tensor[] outputs;

    internal OpEvent(long seq, OpInfo op, OpAttributes attributes, Tensor[] inputs, Tensor[] outputs, SourceLocation source, OpPhase phase, long backwardOf, OpModule? module = null)
    {
        Module = module;
        Seq = seq;
        Info = op;
        Attributes = attributes;
        this.inputs = inputs;
        this.outputs = outputs;
        Source = source;
        Phase = phase;
        BackwardOf = backwardOf;
    }

    /// <summary>Sequence number, 0-based, in the order ops were issued.</summary>
    public long Seq { get; }

    /// <summary>Op name ("add", "matmul", "sum", "reshape", "from_host", "rand", ...).</summary>
    public string Op => Info.Name;

    /// <summary>The op's row in the op table (arity, dtypes, gradient, replay, ...).</summary>
    public OpInfo Info { get; }

    /// <summary>The op's attributes, enough to re-run it from its inputs.</summary>
    public OpAttributes Attributes { get; }

    /// <summary>Input tensors, in order.</summary>
    public IReadOnlyList<Tensor> Inputs => inputs;

    /// <summary>Output tensors, in order.</summary>
    public IReadOnlyList<Tensor> Outputs => outputs;

    /// <summary>Where in the user's code the op was called.</summary>
    public SourceLocation Source { get; }

    /// <summary>Forward or backward.</summary>
    public OpPhase Phase { get; }

    /// <summary>The module the op ran in (for a backward op, its forward op's); null outside every module.</summary>
    public OpModule? Module { get; }

    /// <summary>For a backward op, the sequence number of the forward op it differentiates; -1 otherwise.</summary>
    public long BackwardOf { get; }

    /// <summary>True for ops that only re-describe storage (reshape, permute, slice, expand).</summary>
    public bool IsView => Info.IsView;

    /// <summary>The logical thread name the issuing code gave with <see cref="Dispatcher.UseThreadName"/>; null when none.</summary>
    public string? ThreadName { get; internal init; }

    /// <summary>The dtype of the first output (or of the first input when there is no output).</summary>
    public DType DType => (outputs.Length > 0 ? outputs[0] : inputs[0]).DType;

    /// <summary>The backend the op ran on.</summary>
    public string Backend => (outputs.Length > 0 ? outputs[0] : inputs[0]).Backend.Name;
}

/// <summary>Receives every op the dispatcher runs.</summary>
public interface IOpObserver
{
    /// <summary>Whether the dispatcher should resolve source locations for ops called without caller information (operators).</summary>
    bool WantsSourceLocations => true;

    /// <summary>Called after each op, on the thread that issued it, in sequence order.</summary>
    void OnOp(OpEvent e);

    /// <summary>
    /// Called before an op writes into the storage of an existing tensor (today only <c>assign</c>; every other op
    /// writes only into storage it allocated), on the issuing thread, serialized with <see cref="OnOp"/>. Until it
    /// returns, the storage still holds what earlier ops left in it: an observer that reads outputs later (instead of
    /// copying them in <see cref="OnOp"/>) copies what it still needs of <paramref name="target"/>'s storage here.
    /// </summary>
    void BeforeWrite(Tensor target)
    {
    }
}
