namespace Repro.Onnx.Ops;

/// <summary>
/// One supported operator: the attributes it takes, a check of their values that runs before anything does, and the
/// composition of engine ops that computes it.
/// </summary>
/// <param name="Name">The ONNX operator name.</param>
/// <param name="Attributes">Every attribute it accepts; any other is refused by the check.</param>
/// <param name="Run">Computes the outputs from the node.</param>
/// <param name="Validate">Returns a problem with an attribute's value (naming the attribute), or null.</param>
public sealed record OnnxOp(string Name, string[] Attributes, Func<OnnxNode, OnnxValue[]> Run, Func<global::Onnx.NodeProto, long, string?>? Validate = null);
