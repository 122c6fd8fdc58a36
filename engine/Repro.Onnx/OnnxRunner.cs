using Repro.Engine;
using Repro.Onnx.Ops;

namespace Repro.Onnx;

/// <summary>What a run hands its observer after each node.</summary>
/// <param name="Index">The node's index.</param>
/// <param name="Name">The node's name.</param>
/// <param name="OpType">The operator.</param>
/// <param name="Inputs">Input values (null for omitted optional inputs).</param>
/// <param name="Outputs">Output values, in the node's output order.</param>
public sealed record NodeRun(int Index, string Name, string OpType, IReadOnlyList<OnnxValue?> Inputs, IReadOnlyList<OnnxValue> Outputs);

/// <summary>Runs an imported model in the engine, node by node in graph order.</summary>
public static class OnnxRunner
{
    /// <summary>
    /// Runs the graph on the current backend and thread settings. Floating-point initializers and inputs are converted
    /// to <paramref name="dtype"/>, and every op computes in it. Returns the graph outputs by name.
    /// </summary>
    public static IReadOnlyDictionary<string, OnnxValue> Run(OnnxModel model, IReadOnlyDictionary<string, OnnxValue> inputs, DType dtype = DType.Float32, Action<NodeRun>? onNode = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        OnnxChecker.ThrowIfUnsupported(model);
        if (!dtype.IsFloat() || dtype == DType.Float64)
        {
            throw new OnnxException($"dtype {dtype.Name()} is not supported for ONNX runs (float32, float16, bfloat16)");
        }

        var values = new Dictionary<string, OnnxValue>(StringComparer.Ordinal);
        foreach (var (name, c) in model.Initializers)
        {
            values[name] = c.ToValue(dtype);
        }

        foreach (var name in inputs.Keys)
        {
            if (!model.Inputs.Any(i => i.Name == name))
            {
                throw new OnnxException($"model '{model.Name}' has no input '{name}' (inputs: {string.Join(", ", model.Inputs.Select(i => i.Name))})");
            }
        }

        foreach (var input in model.Inputs)
        {
            if (!inputs.TryGetValue(input.Name, out var v))
            {
                throw new OnnxException($"model '{model.Name}': input '{input.Name}' was not given");
            }

            values[input.Name] = v.IsFloat && v.Tensor!.DType != dtype ? OnnxValue.Of(v.Tensor.To(dtype)) : v;
        }

        var graph = model.Graph;
        for (int i = 0; i < graph.Node.Count; i++)
        {
            var node = graph.Node[i];
            var ins = node.Input.Select(n => n.Length == 0 ? null : values[n]).ToArray();
            var outs = RunNode(model, i, ins, dtype);
            for (int k = 0; k < node.Output.Count; k++)
            {
                if (node.Output[k].Length > 0)
                {
                    values[node.Output[k]] = outs[k];
                }
            }

            onNode?.Invoke(new NodeRun(i, model.NodeNames[i], node.OpType, ins, outs));
        }

        return graph.Output.ToDictionary(o => o.Name, o => values[o.Name], StringComparer.Ordinal);
    }

    /// <summary>Runs node <paramref name="index"/> alone on the given input values (inside its location scope).</summary>
    public static OnnxValue[] RunNode(OnnxModel model, int index, OnnxValue?[] inputs, DType dtype = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(model);
        var node = model.Graph.Node[index];
        var op = OnnxOps.All[node.OpType];
        var ctx = new OnnxNode(node, model.NodeNames[index], model.OpsetVersion, dtype, inputs);
        using var site = NodeSite.Open(model, index);
        OnnxValue[] outs;
        try
        {
            outs = op.Run(ctx);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException && ex is not OnnxException)
        {
            throw ctx.Error(ex.Message);
        }

        if (outs.Length < node.Output.Count(o => o.Length > 0))
        {
            throw ctx.Error($"produced {outs.Length} outputs, the node names {node.Output.Count}");
        }

        return outs;
    }
}
