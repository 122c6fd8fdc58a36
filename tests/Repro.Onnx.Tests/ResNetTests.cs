using Repro.Engine;
using Repro.Onnx;

namespace Repro.Onnx.Tests;

/// <summary>
/// ResNet-18 (ImageNet, opset 8) on real photographs: bit-identical across threads, backends and batch sizes;
/// within tolerance of ONNX Runtime at every node; the photographs' similarity ranking the same.
/// </summary>
public class ResNetTests
{
    private static readonly Lazy<OnnxModel> Prep = new(() => OnnxModel.Load(TestFiles.ResNetPreprocess));
    private static readonly Lazy<OnnxModel> Net = new(() => OnnxModel.FromProto(ModelBuilder.AnyBatch(OnnxModel.Load(TestFiles.ResNet18).Proto), "ResNet18.onnx"));

    /// <summary>Photographs as pixel values 0..255, through the package's own preprocessing graph.</summary>
    private static OnnxValue Input(string[] photos, int size = 224)
    {
        var raw = OnnxInputs.Read([.. photos.Select(TestFiles.Image)], new ImageOptions { Height = size, Width = size, Scale = 1f });
        return OnnxRunner.Run(Prep.Value, new Dictionary<string, OnnxValue> { [Prep.Value.Inputs[0].Name] = raw }).Values.Single();
    }

    private static Tensor Features(OnnxModel model, OnnxValue input, DType dtype = DType.Float32) =>
        OnnxRunner.Run(model, new Dictionary<string, OnnxValue> { [model.Inputs[0].Name] = input }, dtype).Values.Single().Tensor!;

    [Fact]
    public void Features_are_bit_identical_on_1_2_and_7_threads()
    {
        var x = Input(["chelsea.png"]);
        var hashes = new[] { 1, 2, 7 }.Select(t =>
        {
            using var th = Settings.UseThreads(t);
            return Features(Net.Value, x).ContentHash();
        }).ToArray();
        Assert.All(hashes, h => Assert.Equal(hashes[0], h));
    }

    [Fact]
    public void A_row_is_bit_identical_alone_and_in_a_batch_of_4()
    {
        var batch = Features(Net.Value, Input(["chelsea.png", "coffee.png", "astronaut.png", "chelsea.png"]));
        Assert.Equal([4, 512, 1, 1], batch.Shape);
        var rows = batch.Reshape([4, 512]).ToFloatArray();
        foreach (var (photo, row) in new[] { ("chelsea.png", 0), ("astronaut.png", 2) })
        {
            var alone = Features(Net.Value, Input([photo])).ToFloatArray();
            Assert.Equal(alone, rows.AsSpan(row * 512, 512).ToArray());
        }

        Assert.Equal(rows.AsSpan(0, 512).ToArray(), rows.AsSpan(3 * 512, 512).ToArray());
    }

    [Fact]
    public void A_prefix_of_the_network_is_bit_identical_on_managed_reference_and_ilgpu_cpu()
    {
        // The reference backend is a scalar definition: the stem and the first residual block (conv, batch norm,
        // relu, max pool, two convs and the skip add) on a 64x64 crop keep it to seconds.
        var full = Net.Value.Proto;
        int add = full.Graph.Node.ToList().FindIndex(n => n.OpType == "Add");
        var prefix = OnnxModel.FromProto(ModelBuilder.Prefix(full, add + 1), "ResNet18-prefix.onnx");
        var pixels = OnnxInputs.Images([TestFiles.Image("coffee.png")], new ImageOptions { Height = 64, Width = 64, Scale = 1f, Mean = [124f, 117f, 104f] }, out var shape);
        Backends.Ilgpu.IlgpuBackends.Register();
        var hashes = new List<string>();
        foreach (var name in new[] { "managed", "reference", "ilgpu-cpu" })
        {
            var backend = Settings.GetBackend(name);
            using var scope = Settings.UseBackend(backend);
            var x = OnnxValue.Of(Tensor.FromArray(pixels, shape, DType.Float32, backend));
            var y = Features(prefix, x);
            Assert.Equal(name, y.Backend.Name);
            hashes.Add(y.ContentHash());
        }

        Assert.All(hashes, h => Assert.Equal(hashes[0], h));
    }

    [Fact]
    public void Every_node_is_within_tolerance_of_onnx_runtime_and_the_similarity_ranking_matches()
    {
        var x = Input(TestFiles.Photos);
        var model = Net.Value;
        var result = OnnxComparer.Compare(model, new Dictionary<string, OnnxValue> { [model.Inputs[0].Name] = x }, new OnnxCompareOptions());
        Assert.True(result.WithinTolerance, OnnxReports.Headline(result));
        Assert.Equal(model.Graph.Node.Count, result.Nodes.Count);
        var ort = result.OrtOutputs.Values.Single();
        var mine = result.ReproOutputs.Values.Single();
        Assert.Equal(Ranking(ort), Ranking(mine));

        // The reports are written in every format.
        foreach (var ext in new[] { ".txt", ".md", ".html", ".xml", ".json" })
        {
            var path = TestFiles.Temp("report" + ext);
            OnnxReports.Write(result, path);
            Assert.Contains("Plus281", File.ReadAllText(path), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void In_bfloat16_against_float32_tolerances_the_first_node_over_tolerance_is_named()
    {
        var x = Input(["chelsea.png"]);
        var model = Net.Value;
        var result = OnnxComparer.Compare(model, new Dictionary<string, OnnxValue> { [model.Inputs[0].Name] = x }, new OnnxCompareOptions { DType = DType.BFloat16, ToleranceDType = DType.Float32, MaxOriginChecks = 4 });
        var first = Assert.IsType<NodeComparison>(result.First);
        Assert.Contains(first.Node, model.NodeNames);
        Assert.Equal(model.Graph.Node[first.Index].OpType, first.OpType);
        Assert.Equal(NodeCause.Origin, first.Cause);
        Assert.Contains($"node '{first.Node}' ({first.OpType})", OnnxReports.Headline(result), StringComparison.Ordinal);
    }

    /// <summary>The photograph pairs ordered by the cosine similarity of their feature vectors.</summary>
    private static string[] Ranking(double[] features)
    {
        int n = TestFiles.Photos.Length;
        int d = features.Length / n;
        double Cos(int a, int b)
        {
            double dot = 0, na = 0, nb = 0;
            for (int i = 0; i < d; i++)
            {
                dot += features[(a * d) + i] * features[(b * d) + i];
                na += features[(a * d) + i] * features[(a * d) + i];
                nb += features[(b * d) + i] * features[(b * d) + i];
            }

            return dot / Math.Sqrt(na * nb);
        }

        var pairs = new List<(string, double)>();
        for (int a = 0; a < n; a++)
        {
            for (int b = a + 1; b < n; b++)
            {
                pairs.Add(($"{TestFiles.Photos[a]}~{TestFiles.Photos[b]}", Cos(a, b)));
            }
        }

        return [.. pairs.OrderByDescending(p => p.Item2).Select(p => p.Item1)];
    }
}
