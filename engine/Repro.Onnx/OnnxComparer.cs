using Repro.Diffing;
using Repro.Engine;

namespace Repro.Onnx;

/// <summary>Options of a comparison against ONNX Runtime.</summary>
public sealed record OnnxCompareOptions
{
    /// <summary>The dtype Repro computes in (ORT always runs the model as it is, float32).</summary>
    public DType DType { get; init; } = DType.Float32;

    /// <summary>The dtype whose unit roundoff sets the tolerances (default: <see cref="DType"/>); float32 judges a low-precision run by float32's budget.</summary>
    public DType? ToleranceDType { get; init; }

    /// <summary>ORT intra-op thread counts: the first is compared with Repro; each further one is checked bit for bit against the first.</summary>
    public IReadOnlyList<int> OrtThreads { get; init; } = [1];

    /// <summary>Re-run at most this many over-tolerance nodes alone from ORT's inputs (origin or propagated).</summary>
    public int MaxOriginChecks { get; init; } = 64;
}

/// <summary>Why a node's output is over tolerance.</summary>
public enum NodeCause
{
    /// <summary>Within tolerance (or not checked).</summary>
    None,

    /// <summary>The node alone, run from ORT's own inputs, is over its tolerance: the error starts here.</summary>
    Origin,

    /// <summary>The node alone agrees with ORT: the error came in with its inputs.</summary>
    Propagated,
}

/// <summary>One node output compared.</summary>
/// <param name="Index">Node index.</param>
/// <param name="Node">Node name.</param>
/// <param name="OpType">Operator.</param>
/// <param name="Output">The output value's name.</param>
/// <param name="Shape">Its shape.</param>
/// <param name="Metrics">Repro's whole-run value against ORT's.</param>
/// <param name="Tolerance">The tolerance applied.</param>
/// <param name="ReductionLength">Terms summed into each element (drives the tolerance).</param>
/// <param name="Cause">Origin or propagated, for over-tolerance nodes that were re-run alone.</param>
/// <param name="Alone">The node re-run alone from ORT's inputs, against ORT's output (null when not re-run).</param>
/// <param name="Note">Why a value could not be compared, or null.</param>
public sealed record NodeComparison(int Index, string Node, string OpType, string Output, int[] Shape, ErrorMetrics? Metrics, Tolerance Tolerance, long ReductionLength, NodeCause Cause, ErrorMetrics? Alone, string? Note)
{
    /// <summary>True when the value is compared and some element is over tolerance (or the value is missing or differs in shape).</summary>
    public bool Over => Note is not null || Metrics is { WithinTolerance: false };
}

/// <summary>Where ORT's own values differ between two thread counts.</summary>
/// <param name="Threads">The thread count compared with the first.</param>
/// <param name="Node">The node.</param>
/// <param name="OpType">Its operator.</param>
/// <param name="Output">The value.</param>
/// <param name="Differing">Elements whose bits differ.</param>
/// <param name="MaxAbs">Largest difference.</param>
public sealed record OrtThreadDifference(int Threads, string Node, string OpType, string Output, long Differing, double MaxAbs);

/// <summary>The outcome of <see cref="OnnxComparer.Compare"/>.</summary>
/// <param name="Model">The model's name.</param>
/// <param name="DType">Repro's dtype.</param>
/// <param name="ToleranceDType">The dtype whose unit roundoff set the tolerances.</param>
/// <param name="OrtThreads">ORT thread counts run.</param>
/// <param name="Nodes">Every floating-point node output, in graph order.</param>
/// <param name="OrtThreadDifferences">Values where ORT differed between thread counts (empty: ORT was bitwise reproducible).</param>
/// <param name="ReproOutputs">Repro's graph outputs.</param>
/// <param name="OrtOutputs">ORT's graph outputs.</param>
public sealed record OnnxComparison(string Model, DType DType, DType ToleranceDType, IReadOnlyList<int> OrtThreads, IReadOnlyList<NodeComparison> Nodes, IReadOnlyList<OrtThreadDifference> OrtThreadDifferences, IReadOnlyDictionary<string, double[]> ReproOutputs, IReadOnlyDictionary<string, double[]> OrtOutputs)
{
    /// <summary>The first node output over tolerance, or null.</summary>
    public NodeComparison? First => Nodes.FirstOrDefault(n => n.Over);

    /// <summary>The first node where the error starts (an origin), or null.</summary>
    public NodeComparison? FirstOrigin => Nodes.FirstOrDefault(n => n.Cause == NodeCause.Origin);

    /// <summary>True when every node is within tolerance.</summary>
    public bool WithinTolerance => First is null;
}

/// <summary>
/// Runs a model in ONNX Runtime (every value marked as an output) and in Repro, and compares them node by node with
/// tolerances derived from Repro's dtype and each node's reduction length (<see cref="Tolerance.For"/>); over-tolerance
/// nodes are re-run alone from ORT's inputs to tell an origin from a propagated error.
/// </summary>
public static class OnnxComparer
{
    /// <summary>Compares; inputs are given as values (float inputs in float32).</summary>
    public static OnnxComparison Compare(OnnxModel model, IReadOnlyDictionary<string, OnnxValue> inputs, OnnxCompareOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(options);
        OnnxChecker.ThrowIfUnsupported(model);
        if (options.OrtThreads.Count == 0 || options.OrtThreads.Any(t => t < 1))
        {
            throw new OnnxException($"ORT thread counts {string.Join(",", options.OrtThreads)}: expected positive numbers");
        }

        var ort = OrtRunner.RunAll(model, inputs, options.OrtThreads[0]);
        var threadDiffs = new List<OrtThreadDifference>();
        foreach (int t in options.OrtThreads.Skip(1))
        {
            threadDiffs.AddRange(ThreadDifferences(model, ort, OrtRunner.RunAll(model, inputs, t), t));
        }

        var repro = new Dictionary<string, double[]>(StringComparer.Ordinal);
        var reproIns = new List<NodeRun>();
        var graphOutputs = model.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        OnnxRunner.Run(model, inputs, options.DType, run =>
        {
            var node = model.Graph.Node[run.Index];
            for (int k = 0; k < run.Outputs.Count && k < node.Output.Count; k++)
            {
                if (run.Outputs[k].IsFloat && node.Output[k].Length > 0)
                {
                    repro[node.Output[k]] = run.Outputs[k].Tensor!.ToDoubleArray();
                }
            }
        });

        var nodes = new List<NodeComparison>();
        int originChecks = 0;
        // Rounding error accumulates along the graph: a value's budget counts the terms summed by every node on the
        // longest path that produced it (the node's own reduction plus its deepest input's), so a value that only
        // carries its inputs' error is judged against the error its producers were allowed.
        var accumulated = new Dictionary<string, long>(StringComparer.Ordinal);
        var tolDType = options.ToleranceDType ?? options.DType;
        for (int i = 0; i < model.Graph.Node.Count; i++)
        {
            var node = model.Graph.Node[i];
            foreach (var output in node.Output)
            {
                if (output.Length == 0 || !repro.TryGetValue(output, out var mine))
                {
                    continue;
                }

                var ins = OrtInputs(model, i, ort, inputs);
                long own = ReductionLength(node.OpType, ins, node);
                long n = own + node.Input.Select(x => accumulated.GetValueOrDefault(x)).DefaultIfEmpty(0).Max();
                accumulated[output] = n;
                double scale = Scale(ins, ort.GetValueOrDefault(output));
                var tol = Tolerance.For(tolDType, DType.Float64, n, scale);
                var ownTol = Tolerance.For(tolDType, DType.Float64, own, scale);
                if (!ort.TryGetValue(output, out var theirs) || theirs.Values is null)
                {
                    nodes.Add(new(i, model.NodeNames[i], node.OpType, output, [], null, tol, n, NodeCause.None, null, "ONNX Runtime returned no floating-point value"));
                    continue;
                }

                if (theirs.Values.Length != mine.Length)
                {
                    nodes.Add(new(i, model.NodeNames[i], node.OpType, output, theirs.Shape, null, tol, n, NodeCause.None, null, $"ONNX Runtime's value has {theirs.Values.Length} elements, Repro's {mine.Length}"));
                    continue;
                }

                var metrics = ErrorMetrics.Compare(theirs.Values, mine, options.DType, tol);
                var cause = NodeCause.None;
                ErrorMetrics? alone = null;
                if (!metrics.WithinTolerance && originChecks < options.MaxOriginChecks)
                {
                    originChecks++;
                    alone = Alone(model, i, output, ins, theirs, options.DType, ownTol);
                    cause = alone is { WithinTolerance: false } ? NodeCause.Origin : NodeCause.Propagated;
                }

                nodes.Add(new(i, model.NodeNames[i], node.OpType, output, theirs.Shape, metrics, tol, n, cause, alone, null));
            }
        }

        var reproOut = graphOutputs.Where(repro.ContainsKey).ToDictionary(o => o, o => repro[o], StringComparer.Ordinal);
        var ortOut = graphOutputs.Where(o => ort.TryGetValue(o, out var v) && v.Values is not null).ToDictionary(o => o, o => ort[o].Values!, StringComparer.Ordinal);
        return new OnnxComparison(model.Name, options.DType, tolDType, options.OrtThreads, nodes, threadDiffs, reproOut, ortOut);
    }

    /// <summary>The node's inputs as ORT computed them (graph inputs and initializers as given).</summary>
    private static OnnxValue?[] OrtInputs(OnnxModel model, int index, Dictionary<string, OrtValue> ort, IReadOnlyDictionary<string, OnnxValue> inputs)
    {
        var node = model.Graph.Node[index];
        var result = new OnnxValue?[node.Input.Count];
        for (int k = 0; k < node.Input.Count; k++)
        {
            string name = node.Input[k];
            if (name.Length == 0)
            {
                continue;
            }

            if (ort.TryGetValue(name, out var v))
            {
                result[k] = v.Values is not null
                    ? OnnxValue.Of(Tensor.FromArray(v.Values.Select(x => (float)x).ToArray(), v.Shape))
                    : OnnxValue.OfInts(v.Ints!, v.Shape);
            }
            else if (inputs.TryGetValue(name, out var given))
            {
                result[k] = given;
            }
            else if (model.Initializers.TryGetValue(name, out var c))
            {
                result[k] = c.ToValue(DType.Float32);
            }
        }

        return result;
    }

    private static ErrorMetrics? Alone(OnnxModel model, int index, string output, OnnxValue?[] ins, OrtValue theirs, DType dtype, Tolerance tol)
    {
        var cast = ins.Select(v => v is { IsFloat: true } && v.Tensor!.DType != dtype ? OnnxValue.Of(v.Tensor.To(dtype)) : v).ToArray();
        var outs = OnnxRunner.RunNode(model, index, cast, dtype);
        int k = model.Graph.Node[index].Output.IndexOf(output);
        var mine = outs[k].Tensor!.ToDoubleArray();
        return mine.Length == theirs.Values!.Length ? ErrorMetrics.Compare(theirs.Values, mine, dtype, tol) : null;
    }

    /// <summary>Terms summed into each output element: the node's contribution to rounding error.</summary>
    internal static long ReductionLength(string op, OnnxValue?[] ins, global::Onnx.NodeProto node)
    {
        int[] S(int i) => i < ins.Length && ins[i] is { } v ? v.Shape : [];
        long Prod(IEnumerable<int> dims) => dims.Aggregate(1L, (a, d) => a * Math.Max(d, 1));
        switch (op)
        {
            case "Conv":
                return Prod(S(1).Skip(1));
            case "ConvTranspose":
                return S(1).Length == 4 ? Prod(S(1).Skip(2)) * Math.Max(1, S(1)[0] / Math.Max(1, (int)(node.Attribute.FirstOrDefault(a => a.Name == "group")?.I ?? 1))) : 1;
            case "MatMul":
                return S(0).Length > 0 ? S(0)[^1] : 1;
            case "Gemm":
                return S(0).Length == 2 ? (node.Attribute.Any(a => a.Name == "transA" && a.I != 0) ? S(0)[0] : S(0)[1]) : 1;
            case "GlobalAveragePool":
            case "GlobalMaxPool":
                return Prod(S(0).Skip(2));
            case "AveragePool":
            case "MaxPool":
                return Prod(node.Attribute.FirstOrDefault(a => a.Name == "kernel_shape")?.Ints.Select(v => (int)v) ?? []);
            case "Softmax":
            case "LayerNormalization":
            case "ReduceMean":
            case "ReduceSum":
                return S(0).Length > 0 ? S(0)[^1] : 1;
            case "BatchNormalization":
            case "Resize":
                return 4;
            default:
                return 1;
        }
    }

    private static double Scale(OnnxValue?[] ins, OrtValue? output)
    {
        double m = 0;
        foreach (var v in ins)
        {
            if (v is { IsFloat: true })
            {
                m = Math.Max(m, MaxAbs(v.Tensor!.ToDoubleArray()));
            }
        }

        if (output?.Values is { } o)
        {
            m = Math.Max(m, MaxAbs(o));
        }

        return m;
    }

    private static double MaxAbs(double[] v)
    {
        double m = 0;
        foreach (double x in v)
        {
            if (double.IsFinite(x))
            {
                m = Math.Max(m, Math.Abs(x));
            }
        }

        return m;
    }

    private static IEnumerable<OrtThreadDifference> ThreadDifferences(OnnxModel model, Dictionary<string, OrtValue> a, Dictionary<string, OrtValue> b, int threads)
    {
        for (int i = 0; i < model.Graph.Node.Count; i++)
        {
            var node = model.Graph.Node[i];
            foreach (var output in node.Output)
            {
                if (!a.TryGetValue(output, out var x) || !b.TryGetValue(output, out var y) || x.Values is null || y.Values is null || x.Values.Length != y.Values.Length)
                {
                    continue;
                }

                long differing = 0;
                double maxAbs = 0;
                for (int k = 0; k < x.Values.Length; k++)
                {
                    if (BitConverter.DoubleToInt64Bits(x.Values[k]) != BitConverter.DoubleToInt64Bits(y.Values[k]))
                    {
                        differing++;
                        maxAbs = Math.Max(maxAbs, Math.Abs(x.Values[k] - y.Values[k]));
                    }
                }

                if (differing > 0)
                {
                    yield return new OrtThreadDifference(threads, model.NodeNames[i], node.OpType, output, differing, maxAbs);
                }
            }
        }
    }
}
