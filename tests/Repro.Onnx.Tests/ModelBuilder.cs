using Google.Protobuf;
using Onnx;
using Repro.Onnx;

namespace Repro.Onnx.Tests;

/// <summary>Builds small ONNX models with the protobuf API.</summary>
internal sealed class ModelBuilder
{
    private readonly GraphProto graph = new() { Name = "test" };
    private int count;

    public ModelBuilder Input(string name, params int[] shape)
    {
        graph.Input.Add(Value(name, shape));
        return this;
    }

    /// <summary>An int64 input whose first axis is symbolic (any batch).</summary>
    public ModelBuilder IntInput(string name, params int[] shape)
    {
        var v = Value(name, shape);
        v.Type.TensorType.ElemType = 7;
        v.Type.TensorType.Shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = "N" };
        graph.Input.Add(v);
        return this;
    }

    public ModelBuilder Output(string name)
    {
        graph.Output.Add(new ValueInfoProto { Name = name });
        return this;
    }

    public ModelBuilder Init(TensorProto t)
    {
        graph.Initializer.Add(t);
        return this;
    }

    public ModelBuilder Init(string name, int[] shape, float[] data) => Init(OnnxTensors.Float(name, shape, data));

    /// <summary>Adds a node; returns its (first) output's name.</summary>
    public string Node(string op, string[] inputs, params AttributeProto[] attributes) => NodeN(op, inputs, 1, attributes)[0];

    public string[] NodeN(string op, string[] inputs, int outputs, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = $"{op.ToLowerInvariant()}_{count++}" };
        n.Input.AddRange(inputs);
        var outs = Enumerable.Range(0, outputs).Select(i => $"{n.Name}_out{i}").ToArray();
        n.Output.AddRange(outs);
        n.Attribute.AddRange(attributes);
        graph.Node.Add(n);
        return outs;
    }

    public ModelProto Build(long opset = 13)
    {
        var m = new ModelProto { IrVersion = 8, Graph = graph, ProducerName = "repro-tests" };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return m;
    }

    public static ValueInfoProto Value(string name, int[] shape)
    {
        var t = new TypeProto.Types.Tensor { ElemType = 1, Shape = new TensorShapeProto() };
        foreach (int d in shape)
        {
            t.Shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = t } };
    }

    public static AttributeProto Int(string name, long v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = v };

    public static AttributeProto Float(string name, float v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = v };

    public static AttributeProto Str(string name, string v) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(v) };

    public static AttributeProto Ints(string name, params long[] v)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(v);
        return a;
    }

    /// <summary>A copy of <paramref name="model"/> that ends after node <paramref name="last"/> (its first output becomes the graph output).</summary>
    public static ModelProto Prefix(ModelProto model, int last)
    {
        var m = model.Clone();
        while (m.Graph.Node.Count > last + 1)
        {
            m.Graph.Node.RemoveAt(m.Graph.Node.Count - 1);
        }

        m.Graph.Output.Clear();
        m.Graph.Output.Add(new ValueInfoProto { Name = m.Graph.Node[last].Output[0] });
        return m;
    }

    /// <summary>Makes input 0's first axis symbolic, so ONNX Runtime takes any batch size.</summary>
    public static ModelProto AnyBatch(ModelProto model)
    {
        var m = model.Clone();
        var inits = m.Graph.Initializer.Select(t => t.Name).ToHashSet();
        var input = m.Graph.Input.First(i => !inits.Contains(i.Name));
        input.Type.TensorType.Shape.Dim[0] = new TensorShapeProto.Types.Dimension { DimParam = "N" };
        foreach (var o in m.Graph.Output)
        {
            o.Type?.TensorType?.Shape?.Dim[0]?.ClearValue();
        }

        return m;
    }

    public static string Save(ModelProto model, string folder, string name)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name);
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }
}
