using Repro.Engine;

namespace Repro.Onnx;

/// <summary>
/// The location every op of an ONNX node is recorded with: the model file as the file, the node's index + 1 as the
/// line, and "name (OpType)" as the member, so diff, inspect, replay and verify name ONNX nodes. The one place this
/// mapping is made.
/// </summary>
public static class NodeSite
{
    /// <summary>The member text for a node.</summary>
    public static string Member(string nodeName, string opType) => $"{nodeName} ({opType})";

    /// <summary>Opens the location scope for node <paramref name="index"/> of <paramref name="model"/>.</summary>
    public static Dispatcher.SiteScope Open(OnnxModel model, int index)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Dispatcher.Site(model.Name, index + 1, Member(model.NodeNames[index], model.Graph.Node[index].OpType));
    }
}
