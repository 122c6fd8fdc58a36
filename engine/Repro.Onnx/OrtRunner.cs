using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;

namespace Repro.Onnx;

/// <summary>One value ONNX Runtime produced: floats (widened to double) or integers, and the shape.</summary>
/// <param name="Values">Floating-point elements, or null.</param>
/// <param name="Ints">Integer elements, or null.</param>
/// <param name="Shape">Extent of each axis.</param>
public sealed record OrtValue(double[]? Values, long[]? Ints, int[] Shape);

/// <summary>
/// Runs a model in ONNX Runtime with every intermediate value added as a graph output ("mark all"), so each node's
/// output can be compared with Repro's.
/// </summary>
public static class OrtRunner
{
    /// <summary>The model with every node output that is not yet a graph output appended to the graph's outputs.</summary>
    public static ModelProto MarkAll(ModelProto proto)
    {
        ArgumentNullException.ThrowIfNull(proto);
        var copy = proto.Clone();
        var graph = copy.Graph;
        var existing = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            foreach (var output in node.Output)
            {
                if (output.Length > 0 && existing.Add(output))
                {
                    graph.Output.Add(new ValueInfoProto { Name = output });
                }
            }
        }

        return copy;
    }

    /// <summary>Runs the model with all values marked, on <paramref name="threads"/> intra-op threads; returns every output by name.</summary>
    public static Dictionary<string, OrtValue> RunAll(OnnxModel model, IReadOnlyDictionary<string, OnnxValue> inputs, int threads = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        var bytes = MarkAll(model.Proto).ToByteArray();
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        InferenceSession session;
        try
        {
            session = new InferenceSession(bytes, options);
        }
        catch (OnnxRuntimeException ex)
        {
            throw new OnnxException($"ONNX Runtime cannot load model '{model.Name}': {FirstLine(ex.Message)}", ex);
        }

        using (session)
        {
            var feeds = new List<NamedOnnxValue>();
            foreach (var (name, v) in inputs)
            {
                var declared = model.Inputs.FirstOrDefault(i => i.Name == name)?.Type?.TensorType?.ElemType ?? 1;
                feeds.Add(Feed(name, v, (OnnxTensors.ElementType)declared));
            }

            IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results;
            try
            {
                results = session.Run(feeds);
            }
            catch (OnnxRuntimeException ex)
            {
                throw new OnnxException($"ONNX Runtime failed to run model '{model.Name}': {FirstLine(ex.Message)}", ex);
            }

            using (results)
            {
                var map = new Dictionary<string, OrtValue>(StringComparer.Ordinal);
                foreach (var r in results)
                {
                    if (Convert(r) is { } value)
                    {
                        map[r.Name] = value;
                    }
                }

                return map;
            }
        }
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();

    private static NamedOnnxValue Feed(string name, OnnxValue v, OnnxTensors.ElementType declared)
    {
        if (v.IsFloat)
        {
            return NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(v.Tensor!.ToFloatArray(), v.Shape));
        }

        return declared switch
        {
            OnnxTensors.ElementType.Int32 => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<int>(v.Ints!.Select(i => (int)i).ToArray(), v.Shape)),
            OnnxTensors.ElementType.Float => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(v.Ints!.Select(i => (float)i).ToArray(), v.Shape)),
            _ => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<long>(v.Ints!, v.Shape)),
        };
    }

    private static OrtValue? Convert(DisposableNamedOnnxValue r)
    {
        switch (r.Value)
        {
            case DenseTensor<float> f:
                return new OrtValue([.. f.Buffer.Span.ToArray().Select(x => (double)x)], null, [.. f.Dimensions.ToArray()]);
            case DenseTensor<long> l:
                return new OrtValue(null, l.Buffer.ToArray(), [.. l.Dimensions.ToArray()]);
            case DenseTensor<int> i:
                return new OrtValue(null, [.. i.Buffer.ToArray().Select(x => (long)x)], [.. i.Dimensions.ToArray()]);
            case DenseTensor<bool> b:
                return new OrtValue(null, [.. b.Buffer.ToArray().Select(x => x ? 1L : 0L)], [.. b.Dimensions.ToArray()]);
            default:
                return null;
        }
    }
}
