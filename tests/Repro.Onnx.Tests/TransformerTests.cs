using Onnx;
using Repro.Engine;
using Repro.Onnx;
using static Repro.Onnx.Tests.ModelBuilder;

namespace Repro.Onnx.Tests;

/// <summary>
/// A BERT-style encoder block built with the protobuf API: token and position embeddings (Gather), LayerNormalization,
/// multi-head self-attention (MatMul, Reshape, Transpose, Div, Softmax), a residual, the LayerNorm decomposition
/// (ReduceMean, Sub, Pow, Sqrt, Div), and an Erf GELU feed-forward.
/// </summary>
public class TransformerTests
{
    private const int Vocab = 50, T = 8, D = 32, H = 4, F = 64;
    private static readonly Lazy<OnnxModel> Model = new(() => OnnxModel.FromProto(Build(), "encoder-block.onnx"));

    private static ulong state = 0x9E3779B97F4A7C15;

    private static float[] Weights(int n, float scale)
    {
        var w = new float[n];
        for (int i = 0; i < n; i++)
        {
            state = (state * 6364136223846793005UL) + 1442695040888963407UL;
            w[i] = (((state >> 40) / (float)(1 << 24)) - 0.5f) * 2 * scale;
        }

        return w;
    }

    private static ModelProto Build()
    {
        var b = new ModelBuilder().IntInput("ids", 1, T)
            .Init("tok", [Vocab, D], Weights(Vocab * D, 1f)).Init("pos", [T, D], Weights(T * D, 0.5f))
            .Init("ln_g", [D], Weights(D, 0.2f).Select(v => v + 1).ToArray()).Init("ln_b", [D], Weights(D, 0.1f))
            .Init("wq", [D, D], Weights(D * D, 0.3f)).Init("wk", [D, D], Weights(D * D, 0.3f)).Init("wv", [D, D], Weights(D * D, 0.3f))
            .Init("bq", [D], Weights(D, 0.1f)).Init("wo", [D, D], Weights(D * D, 0.3f)).Init("bo", [D], Weights(D, 0.1f))
            .Init("w1", [D, F], Weights(D * F, 0.3f)).Init("b1", [F], Weights(F, 0.1f)).Init("w2", [F, D], Weights(F * D, 0.2f)).Init("b2", [D], Weights(D, 0.1f))
            .Init(OnnxTensors.Int64("heads_shape", [4], [0, T, H, D / H])).Init(OnnxTensors.Int64("model_shape", [3], [0, T, D]))
            .Init("scale", [], [MathF.Sqrt(D / H)]).Init("two", [], [2f]).Init("eps", [], [1e-5f]).Init("half", [], [0.5f]).Init("one", [], [1f]).Init("sqrt2", [], [MathF.Sqrt(2f)]);
        var x = b.Node("Add", [b.Node("Gather", ["tok", "ids"]), "pos"]);
        var ln = b.Node("LayerNormalization", [x, "ln_g", "ln_b"], Int("axis", -1), Float("epsilon", 1e-5f));
        string Heads(string w, string? bias)
        {
            var m = b.Node("MatMul", [ln, w]);
            if (bias is not null)
            {
                m = b.Node("Add", [m, bias]);
            }

            return b.Node("Transpose", [b.Node("Reshape", [m, "heads_shape"])], Ints("perm", 0, 2, 1, 3));
        }

        var q = Heads("wq", "bq");
        var k = b.Node("Transpose", [Heads("wk", null)], Ints("perm", 0, 1, 3, 2));
        var v = Heads("wv", null);
        var att = b.Node("Softmax", [b.Node("Div", [b.Node("MatMul", [q, k]), "scale"])], Int("axis", -1));
        var ctx = b.Node("Reshape", [b.Node("Transpose", [b.Node("MatMul", [att, v])], Ints("perm", 0, 2, 1, 3)), "model_shape"]);
        var h = b.Node("Add", [x, b.Node("Add", [b.Node("MatMul", [ctx, "wo"]), "bo"])]);

        // LayerNorm written out: (h - mean) / sqrt(mean((h - mean)^2) + eps).
        var centered = b.Node("Sub", [h, b.Node("ReduceMean", [h], Ints("axes", -1), Int("keepdims", 1))]);
        var variance = b.Node("ReduceMean", [b.Node("Pow", [centered, "two"])], Ints("axes", -1), Int("keepdims", 1));
        var normed = b.Node("Div", [centered, b.Node("Sqrt", [b.Node("Add", [variance, "eps"])])]);

        // GELU with Erf: 0.5 x (1 + erf(x / sqrt 2)).
        var f = b.Node("Add", [b.Node("MatMul", [normed, "w1"]), "b1"]);
        var gelu = b.Node("Mul", [b.Node("Mul", [f, "half"]), b.Node("Add", ["one", b.Node("Erf", [b.Node("Div", [f, "sqrt2"])])])]);
        var y = b.Node("Add", [h, b.Node("Add", [b.Node("MatMul", [gelu, "w2"]), "b2"])]);
        return b.Output(y).Build(opset: 17);
    }

    private static OnnxValue Ids(int batch)
    {
        var ids = new long[batch * T];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = ((i * 7) + (i / T * 3)) % Vocab;
        }

        return OnnxValue.OfInts(ids, [batch, T]);
    }

    private static Tensor Run(OnnxValue ids) => OnnxRunner.Run(Model.Value, new Dictionary<string, OnnxValue> { ["ids"] = ids }).Values.Single().Tensor!;

    [Fact]
    public void Every_node_is_within_tolerance_of_onnx_runtime()
    {
        var result = OnnxComparer.Compare(Model.Value, new Dictionary<string, OnnxValue> { ["ids"] = Ids(2) }, new OnnxCompareOptions { OrtThreads = [1, 2] });
        Assert.True(result.WithinTolerance, OnnxReports.Terminal(result));
        Assert.Contains(result.Nodes, n => n.OpType == "LayerNormalization");
        Assert.Contains(result.Nodes, n => n.OpType == "Erf");
        Assert.Contains(result.Nodes, n => n.OpType == "Softmax");
    }

    [Fact]
    public void Unobserved_runs_reuse_the_converted_weights_and_give_the_same_bits()
    {
        Tensor? Weight()
        {
            Tensor? w = null;
            OnnxRunner.Run(Model.Value, new Dictionary<string, OnnxValue> { ["ids"] = Ids(2) }, onNode: n =>
            {
                if (n.OpType == "MatMul" && w is null)
                {
                    w = n.Inputs[1]?.Tensor;
                }
            });
            return w;
        }

        var first = Weight();
        var second = Weight();
        Assert.NotNull(first);
        Assert.Same(first, second);
        Assert.Equal(Run(Ids(2)).ContentHash(), Run(Ids(2)).ContentHash());

        // Another dtype converts again.
        var half = OnnxRunner.Run(Model.Value, new Dictionary<string, OnnxValue> { ["ids"] = Ids(2) }, DType.BFloat16).Values.Single().Tensor!;
        Assert.Equal(DType.BFloat16, half.DType);
    }

    [Fact]
    public void Bit_identical_across_threads_backends_and_batch_sizes()
    {
        var hashes = new List<string>();
        foreach (int t in new[] { 1, 2, 7 })
        {
            using var th = Settings.UseThreads(t);
            hashes.Add(Run(Ids(4)).ContentHash());
        }

        Backends.Ilgpu.IlgpuBackends.Register();
        foreach (var name in new[] { "reference", "ilgpu-cpu" })
        {
            using var scope = Settings.UseBackend(Settings.GetBackend(name));
            var y = Run(Ids(4));
            Assert.Equal(name, y.Backend.Name);
            hashes.Add(y.ContentHash());
        }

        Assert.All(hashes, h => Assert.Equal(hashes[0], h));

        // Row invariance: each sequence alone gives the bits it has in the batch of 4.
        var batch = Run(Ids(4)).ToFloatArray();
        var all = Ids(4).Ints!;
        for (int r = 0; r < 4; r++)
        {
            var alone = Run(OnnxValue.OfInts(all[(r * T)..((r + 1) * T)], [1, T])).ToFloatArray();
            Assert.Equal(alone, batch.AsSpan(r * T * D, T * D).ToArray());
        }
    }
}
