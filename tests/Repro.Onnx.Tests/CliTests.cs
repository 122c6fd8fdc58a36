using Repro.Engine;
using Repro.TensorFiles;
using static Repro.Onnx.Tests.ModelBuilder;

namespace Repro.Onnx.Tests;

/// <summary>repro onnx run/compare as a user runs them: recorded logs name ONNX nodes in repro diff; compare exits 0/1.</summary>
public class CliTests
{
    private static (string Model, string Input) SmallConvNet()
    {
        var dir = Path.GetDirectoryName(TestFiles.Temp("m"))!;
        var b = new ModelBuilder().Input("x", 1, 3, 16, 16)
            .Init("w1", [8, 3, 3, 3], [.. Enumerable.Range(0, 8 * 27).Select(i => MathF.Sin(i) * 0.3f)]).Init("b1", [8], [.. Enumerable.Range(0, 8).Select(i => i * 0.01f)])
            .Init("w2", [8, 1, 3, 3], [.. Enumerable.Range(0, 72).Select(i => MathF.Cos(i) * 0.3f)]);
        var c1 = b.Node("Conv", ["x", "w1", "b1"], Ints("pads", 1, 0, 2, 1), Ints("strides", 2, 1));
        var c2 = b.Node("Conv", [b.Node("HardSwish", [c1]), "w2"], Int("group", 8), Ints("dilations", 2, 2), Ints("pads", 2, 2, 2, 2));
        var y = b.Node("GlobalAveragePool", [b.Node("MaxPool", [c2], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Int("ceil_mode", 1))]);
        var model = Save(b.Output(y).Build(opset: 14), dir, "small-conv.onnx");
        var input = Path.Combine(dir, "x.npy");
        var data = Enumerable.Range(0, 3 * 16 * 16).Select(i => MathF.Sin(i * 0.37f)).ToArray();
        var bytes = new byte[data.Length * 4];
        Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
        Npy.Save(input, new RawTensor(DType.Float32, [1, 3, 16, 16], bytes));
        return (model, input);
    }

    [Fact]
    public void Recorded_runs_diff_identical_across_threads_and_name_the_onnx_node_where_bfloat16_diverges()
    {
        var (model, input) = SmallConvNet();
        var dir = Path.GetDirectoryName(model)!;
        string a = Path.Combine(dir, "a"), b = Path.Combine(dir, "b"), c = Path.Combine(dir, "c");
        foreach (var (log, extra) in new[] { (a, new[] { "--threads", "1" }), (b, ["--threads", "2"]), (c, ["--dtype", "bfloat16"]) })
        {
            var r = TestFiles.Repro(["onnx", "run", model, "--input", input, "--out", log, .. extra]);
            Assert.True(r.ExitCode == 0, r.ToString());
        }

        var same = TestFiles.Repro("diff", a, b);
        Assert.True(same.ExitCode == 0, same.ToString());
        Assert.Contains("IDENTICAL", same.Stdout, StringComparison.Ordinal);
        var low = TestFiles.Repro("diff", a, c, "--rtol", "0", "--atol", "0");
        Assert.True(low.ExitCode == 1, low.ToString());
        Assert.Contains("small-conv.onnx:1 (conv_0 (Conv))", low.Stdout, StringComparison.Ordinal);
        var verify = TestFiles.Repro("verify", a);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public void Compare_exits_0_within_tolerance_writes_reports_and_checks_ort_threads()
    {
        var (model, input) = SmallConvNet();
        var json = TestFiles.Temp("r.json");
        var html = Path.Combine(Path.GetDirectoryName(json)!, "r.html");
        var r = TestFiles.Repro("onnx", "compare", model, "--input", input, "--ort-threads", "1,2", "--report", json, "--report", html);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("WITHIN TOLERANCE", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("ONNX Runtime at 1, 2 threads", r.Stdout, StringComparison.Ordinal);
        var doc = Newtonsoft.Json.Linq.JObject.Parse(File.ReadAllText(json));
        Assert.Equal("within-tolerance", (string?)doc["verdict"]);
        Assert.Equal(5, ((Newtonsoft.Json.Linq.JArray)doc["nodes"]!).Count);
        Assert.Contains("<svg", File.ReadAllText(html), StringComparison.Ordinal);

        var bf = TestFiles.Repro("onnx", "compare", model, "--input", input, "--dtype", "bfloat16", "--tolerance-dtype", "float32", "--json");
        Assert.True(bf.ExitCode == 1, bf.ToString());
        var bdoc = Newtonsoft.Json.Linq.JObject.Parse(bf.Stdout);
        Assert.Equal("conv_0", (string?)bdoc["first"]!["node"]);
    }
}
