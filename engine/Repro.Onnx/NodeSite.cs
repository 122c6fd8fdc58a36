using Repro.Engine;

namespace Repro.Onnx;

/// <summary>
/// The location every op of an ONNX node is recorded with: the model file as the file, the node's index + 1 as the
/// line, and "name (OpType)" as the member, so diff, inspect, replay and verify name ONNX nodes. The one place this
/// mapping is made. The node is also the module the ops ran in (its name as the module path, its operator as the
/// type), so reports and the precision advisor's module rules name it like a layer.
/// </summary>
public static class NodeSite
{
    /// <summary>The member text for a node.</summary>
    public static string Member(string nodeName, string opType) => $"{nodeName} ({opType})";

    /// <summary>Opens the location scope for node <paramref name="index"/> of <paramref name="model"/>.</summary>
    public static Scope Open(OnnxModel model, int index)
    {
        ArgumentNullException.ThrowIfNull(model);
        string name = model.NodeNames[index];
        string opType = model.Graph.Node[index].OpType;
        return new Scope(Dispatcher.Module(name, opType), Dispatcher.Site(model.Name, index + 1, Member(name, opType)));
    }

    /// <summary>The node's module and location scopes, closed together.</summary>
    public readonly struct Scope(Dispatcher.ModuleScope module, Dispatcher.SiteScope site) : IDisposable
    {
        /// <summary>Closes the location scope, then the module scope.</summary>
        public void Dispose()
        {
            site.Dispose();
            module.Dispose();
        }
    }
}
