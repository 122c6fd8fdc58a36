using Google.Protobuf;
using Onnx;

namespace Repro.Onnx;

/// <summary>
/// A parsed ONNX model: the protobuf (read with OnnxSharp's generated types), its initializers decoded and checked,
/// and its nodes named. Nothing is run on load; <see cref="OnnxChecker"/> says what the engine cannot run.
/// </summary>
public sealed class OnnxModel
{
    /// <summary>The largest model file read: protobuf messages cannot exceed 2 GiB, so a larger file is refused before reading.</summary>
    public const long MaxFileBytes = int.MaxValue;

    private OnnxModel(ModelProto proto, string name, string? folder)
    {
        Proto = proto;
        Name = name;
        Folder = folder;
        var graph = proto.Graph ?? throw new OnnxException($"model '{name}': it has no graph");
        Graph = graph;
        OpsetVersion = proto.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();
        NodeNames = [.. graph.Node.Select((n, i) => string.IsNullOrEmpty(n.Name) ? $"{n.OpType}_{i}" : n.Name)];
        foreach (var t in graph.Initializer)
        {
            Initializers[t.Name] = OnnxTensors.Decode(t, $"initializer '{t.Name}'", folder);
        }

        var inits = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        Inputs = [.. graph.Input.Where(i => !inits.Contains(i.Name))];
    }

    /// <summary>The protobuf message.</summary>
    public ModelProto Proto { get; }

    /// <summary>The main graph.</summary>
    public GraphProto Graph { get; }

    /// <summary>The model file's name (used as the file of every node's location).</summary>
    public string Name { get; }

    /// <summary>The folder that external data is resolved in (null for a model read from memory: external data is refused).</summary>
    public string? Folder { get; }

    /// <summary>The default-domain opset the model imports (0 when none is declared).</summary>
    public long OpsetVersion { get; }

    /// <summary>Each node's name; an unnamed node is called "&lt;OpType&gt;_&lt;index&gt;".</summary>
    public IReadOnlyList<string> NodeNames { get; }

    /// <summary>The graph inputs that are not initializers: what a run must be given.</summary>
    public IReadOnlyList<ValueInfoProto> Inputs { get; }

    /// <summary>Initializers by name, decoded.</summary>
    public Dictionary<string, OnnxConstant> Initializers { get; } = new(StringComparer.Ordinal);

    /// <summary>Reads a model file: its size is checked before anything is read.</summary>
    public static OnnxModel Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new OnnxException($"model '{path}': no such file");
        }

        if (info.Length > MaxFileBytes)
        {
            throw new OnnxException($"model '{path}': {info.Length} bytes is more than an ONNX protobuf can hold ({MaxFileBytes})");
        }

        using var stream = File.OpenRead(path);
        return Parse(stream, info.Name, info.DirectoryName);
    }

    /// <summary>Parses a model from bytes; external data is refused.</summary>
    public static OnnxModel FromBytes(byte[] bytes, string name)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        using var stream = new MemoryStream(bytes, writable: false);
        return Parse(stream, name, null);
    }

    /// <summary>Wraps an already-built message (tests build models with the protobuf API).</summary>
    public static OnnxModel FromProto(ModelProto proto, string name, string? folder = null) => new(proto, name, folder);

    private static OnnxModel Parse(Stream stream, string name, string? folder)
    {
        ModelProto proto;
        try
        {
            proto = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new OnnxException($"model '{name}': not a valid ONNX protobuf ({ex.Message.TrimEnd('.')})", ex);
        }

        return new OnnxModel(proto, name, folder);
    }
}
