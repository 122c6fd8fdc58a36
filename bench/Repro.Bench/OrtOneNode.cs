using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;

namespace Repro.Bench;

/// <summary>
/// One-node ONNX models built in code (OnnxSharp's generated protobuf types) and run with ONNX Runtime at a fixed
/// intra-op thread count: the baseline that the kernels benchmark measures Repro against in the same process.
/// </summary>
internal sealed class OrtOneNode : IDisposable
{
    private readonly InferenceSession session;
    private readonly List<NamedOnnxValue> inputs;

    private OrtOneNode(byte[] model, int threads, IEnumerable<(string Name, float[] Data, int[] Shape)> feeds)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        NoSpinning(options);
        session = new InferenceSession(model, options);
        inputs = [.. feeds.Select(f => NamedOnnxValue.CreateFromTensor(f.Name, new DenseTensor<float>(f.Data, f.Shape)))];
    }

    /// <summary>
    /// Turns off the intra-op pool's spin-waiting. ONNX Runtime's worker threads otherwise keep spinning for a while
    /// after each run, and on a 2-CPU machine they take a core from the Repro round that follows (its 2-thread
    /// figures then measure the contention, not the kernel).
    /// </summary>
    internal static void NoSpinning(SessionOptions options)
    {
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        options.AddSessionConfigEntry("session.inter_op.allow_spinning", "0");
    }

    /// <summary>Runs the node once (outputs are disposed at once).</summary>
    public void Run()
    {
        using var results = session.Run(inputs);
    }

    /// <summary>Runs the node once and returns its first output.</summary>
    public float[] RunOnce()
    {
        using var results = session.Run(inputs);
        return [.. results[0].AsEnumerable<float>()];
    }

    public void Dispose() => session.Dispose();

    /// <summary>
    /// A model of one node <paramref name="opType"/> whose inputs are all graph inputs (fed from
    /// <paramref name="feeds"/>) and whose single output is "y".
    /// </summary>
    public static OrtOneNode Create(string opType, int threads, (string Name, float[] Data, int[] Shape)[] feeds, int[] outShape, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = "n0" };
        node.Input.AddRange(feeds.Select(f => f.Name));
        node.Output.Add("y");
        node.Attribute.AddRange(attributes);
        var graph = new GraphProto { Name = "one-node" };
        graph.Node.Add(node);
        graph.Input.AddRange(feeds.Select(f => Value(f.Name, f.Shape)));
        graph.Output.Add(Value("y", outShape));
        var model = new ModelProto { IrVersion = 8, ProducerName = "repro-bench", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 17 });
        return new OrtOneNode(model.ToByteArray(), threads, feeds);
    }

    /// <summary>A MaxPool node over x [N, C, H, W]: square kernel, stride and padding on every side.</summary>
    public static OrtOneNode MaxPool(int threads, float[] x, int[] shape, int kernel, int stride, int pad) => Create(
        "MaxPool",
        threads,
        [("x", x, shape)],
        [shape[0], shape[1], PoolOut(shape[2], kernel, stride, pad), PoolOut(shape[3], kernel, stride, pad)],
        Ints("kernel_shape", kernel, kernel),
        Ints("strides", stride, stride),
        Ints("pads", pad, pad, pad, pad));

    /// <summary>An AveragePool node over x [N, C, H, W], as <see cref="MaxPool"/> plus count_include_pad.</summary>
    public static OrtOneNode AveragePool(int threads, float[] x, int[] shape, int kernel, int stride, int pad, bool countIncludePad) => Create(
        "AveragePool",
        threads,
        [("x", x, shape)],
        [shape[0], shape[1], PoolOut(shape[2], kernel, stride, pad), PoolOut(shape[3], kernel, stride, pad)],
        Ints("kernel_shape", kernel, kernel),
        Ints("strides", stride, stride),
        Ints("pads", pad, pad, pad, pad),
        Int("count_include_pad", countIncludePad ? 1 : 0));

    /// <summary>A GlobalAveragePool node: x [N, C, H, W] to [N, C, 1, 1].</summary>
    public static OrtOneNode GlobalAveragePool(int threads, float[] x, int[] shape) =>
        Create("GlobalAveragePool", threads, [("x", x, shape)], [shape[0], shape[1], 1, 1]);

    /// <summary>An INTS attribute.</summary>
    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    /// <summary>An INT attribute.</summary>
    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static int PoolOut(int size, int kernel, int stride, int pad) => ((size + (2 * pad) - kernel) / stride) + 1;

    private static ValueInfoProto Value(string name, int[] shape)
    {
        var dims = new TensorShapeProto();
        dims.Dim.AddRange(shape.Select(d => new TensorShapeProto.Types.Dimension { DimValue = d }));
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = dims } },
        };
    }
}
