using Onnx;
using Repro.Engine;

namespace Repro.Onnx.Ops;

/// <summary>One node as an operator sees it: its attributes, its inputs, the opset and the run's dtype.</summary>
public sealed class OnnxNode
{
    private readonly Dictionary<string, AttributeProto> attributes = new(StringComparer.Ordinal);

    internal OnnxNode(NodeProto proto, string name, long opset, DType dtype, OnnxValue?[] inputs)
    {
        Proto = proto;
        Name = name;
        Opset = opset;
        DType = dtype;
        Inputs = inputs;
        foreach (var a in proto.Attribute)
        {
            attributes[a.Name] = a;
        }
    }

    /// <summary>The protobuf node.</summary>
    public NodeProto Proto { get; }

    /// <summary>The node's name (or the name given to an unnamed node).</summary>
    public string Name { get; }

    /// <summary>The operator.</summary>
    public string OpType => Proto.OpType;

    /// <summary>The default-domain opset of the model.</summary>
    public long Opset { get; }

    /// <summary>The dtype floating-point values are computed in.</summary>
    public DType DType { get; }

    /// <summary>The input values (null for an omitted optional input).</summary>
    public IReadOnlyList<OnnxValue?> Inputs { get; }

    /// <summary>How many outputs the node names.</summary>
    public int OutputCount => Proto.Output.Count;

    /// <summary>The attribute, or null.</summary>
    public AttributeProto? Attribute(string name) => attributes.GetValueOrDefault(name);

    /// <summary>True when the attribute is present.</summary>
    public bool Has(string name) => attributes.ContainsKey(name);

    /// <summary>An int attribute.</summary>
    public long Int(string name, long fallback) => attributes.TryGetValue(name, out var a) ? a.I : fallback;

    /// <summary>A float attribute.</summary>
    public float Float(string name, float fallback) => attributes.TryGetValue(name, out var a) ? a.F : fallback;

    /// <summary>A string attribute.</summary>
    public string String(string name, string fallback) => attributes.TryGetValue(name, out var a) ? a.S.ToStringUtf8() : fallback;

    /// <summary>An ints attribute, or null.</summary>
    public long[]? Ints(string name) => attributes.TryGetValue(name, out var a) ? [.. a.Ints] : null;

    /// <summary>The input at <paramref name="i"/>; throws naming the node when it is missing.</summary>
    public OnnxValue In(int i) => i < Inputs.Count && Inputs[i] is { } v ? v : throw Error($"input {i} is missing");

    /// <summary>The optional input at <paramref name="i"/>, or null.</summary>
    public OnnxValue? Optional(int i) => i < Inputs.Count ? Inputs[i] : null;

    /// <summary>A floating-point input as an engine tensor (integers converted to the run's dtype).</summary>
    public Tensor Float(int i) => In(i).AsTensor(DType);

    /// <summary>An error naming this node and its operator.</summary>
    public OnnxException Error(string message) => new($"node '{Name}' ({OpType}): {message}");
}
