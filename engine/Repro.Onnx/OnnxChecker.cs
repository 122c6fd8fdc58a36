using Repro.Onnx.Ops;

namespace Repro.Onnx;

/// <summary>One reason a model cannot run.</summary>
/// <param name="NodeIndex">The node's index in the graph (-1 for the model as a whole).</param>
/// <param name="Node">The node's name (empty for the model).</param>
/// <param name="OpType">The node's operator (empty for the model).</param>
/// <param name="Attribute">The attribute at fault, or null.</param>
/// <param name="Message">What is wrong, in one line.</param>
public sealed record OnnxProblem(int NodeIndex, string Node, string OpType, string? Attribute, string Message)
{
    /// <inheritdoc/>
    public override string ToString() => NodeIndex < 0 ? Message : $"node '{Node}' ({OpType}): {Message}";
}

/// <summary>Finds everything in a model the importer cannot run, before anything runs.</summary>
public static class OnnxChecker
{
    /// <summary>Every problem, in graph order (empty when the model can run).</summary>
    public static IReadOnlyList<OnnxProblem> Check(OnnxModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var problems = new List<OnnxProblem>();
        var (min, max) = OnnxOps.Opsets;
        if (model.OpsetVersion < min || model.OpsetVersion > max)
        {
            problems.Add(new(-1, "", "", null, $"model '{model.Name}': default-domain opset {model.OpsetVersion} is not supported (opsets {min} to {max})"));
        }

        var defined = new HashSet<string>(model.Graph.Input.Select(i => i.Name).Concat(model.Initializers.Keys), StringComparer.Ordinal) { "" };
        var graph = model.Graph;
        for (int i = 0; i < graph.Node.Count; i++)
        {
            var node = graph.Node[i];
            string name = model.NodeNames[i];
            if (node.Domain is not ("" or "ai.onnx"))
            {
                problems.Add(new(i, name, node.OpType, null, $"operator domain '{node.Domain}' is not supported"));
            }
            else if (!OnnxOps.All.TryGetValue(node.OpType, out var op))
            {
                problems.Add(new(i, name, node.OpType, null, $"operator '{node.OpType}' is not supported"));
            }
            else
            {
                foreach (var a in node.Attribute)
                {
                    if (!op.Attributes.Contains(a.Name))
                    {
                        problems.Add(new(i, name, node.OpType, a.Name, $"attribute '{a.Name}' is not supported"));
                    }
                }

                if (op.Validate?.Invoke(node, model.OpsetVersion) is { } message)
                {
                    problems.Add(new(i, name, node.OpType, null, message));
                }
            }

            foreach (var input in node.Input)
            {
                if (!defined.Contains(input))
                {
                    problems.Add(new(i, name, node.OpType, null, $"input '{input}' is not produced by an earlier node, an initializer or a graph input"));
                }
            }

            foreach (var output in node.Output)
            {
                defined.Add(output);
            }
        }

        foreach (var output in graph.Output)
        {
            if (!defined.Contains(output.Name))
            {
                problems.Add(new(-1, "", "", null, $"graph output '{output.Name}' is not produced by any node"));
            }
        }

        return problems;
    }

    /// <summary>Throws the first problem (saying how many there are) unless the model can run.</summary>
    public static void ThrowIfUnsupported(OnnxModel model)
    {
        var problems = Check(model);
        if (problems.Count > 0)
        {
            string more = problems.Count > 1 ? $" (and {problems.Count - 1} more problems; 'repro onnx check' lists them)" : "";
            throw new OnnxException(problems[0] + more);
        }
    }
}
