using Google.Protobuf;
using Onnx;
using Repro.Onnx;
using static Repro.Onnx.Tests.ModelBuilder;

namespace Repro.Onnx.Tests;

/// <summary>Damaged or hostile models: each a clear one-line error (exit code 2 from the command line), nothing allocated for claimed sizes.</summary>
public class BadInputTests
{
    private static ModelProto Small()
    {
        var b = new ModelBuilder().Input("x", 1, 4).Init("w", [4, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
        var y = b.Node("MatMul", ["x", "w"]);
        return b.Output(b.Node("Relu", [y])).Build();
    }

    private static void AssertExit2(string model, params string[] needles)
    {
        var r = TestFiles.Repro("onnx", "check", model);
        Assert.True(r.ExitCode == 2, r.ToString());
        foreach (var n in needles)
        {
            Assert.Contains(n, r.Stderr, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_valid_small_model_checks_and_runs()
    {
        var model = OnnxModel.FromProto(Small(), "small.onnx");
        Assert.Empty(OnnxChecker.Check(model));
        var x = OnnxValue.Of(Engine.Tensor.FromArray(new float[] { 1, -1, 0, 1 }, [1, 4]));
        var y = OnnxRunner.Run(model, new Dictionary<string, OnnxValue> { ["x"] = x }).Values.Single();
        Assert.Equal([5f, 6f], y.Tensor!.ToFloatArray());
        var path = Save(Small(), Path.GetDirectoryName(TestFiles.Temp("m"))!, "small.onnx");
        var r = TestFiles.Repro("onnx", "check", path);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("runnable", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_model_is_an_error_naming_the_file()
    {
        var bytes = Small().ToByteArray();
        var ex = Assert.Throws<OnnxException>(() => OnnxModel.FromBytes(bytes[..(bytes.Length / 2)], "cut.onnx"));
        Assert.Contains("cut.onnx", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not a valid ONNX protobuf", ex.Message, StringComparison.Ordinal);
        var path = TestFiles.Temp("cut.onnx");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        AssertExit2(path, "cut.onnx", "not a valid ONNX protobuf");
    }

    [Fact]
    public void Unknown_operators_and_attributes_are_all_listed_before_anything_runs()
    {
        var b = new ModelBuilder().Input("x", 1, 1, 4, 4).Init("w", [1, 1, 1, 1], [2]);
        var a = b.Node("FancyOp", ["x"]);
        var c = b.Node("Conv", [a, "w"], Str("auto_pad", "WRAP"), Int("frobnicate", 1));
        var d = b.Node("Resize", [c, "", "", ""], Str("mode", "cubic"));
        var model = OnnxModel.FromProto(b.Output(d).Build(), "bad.onnx");
        var problems = OnnxChecker.Check(model);
        Assert.Contains(problems, p => p.Node == "fancyop_0" && p.Message.Contains("operator 'FancyOp' is not supported", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.OpType == "Conv" && p.Attribute == "frobnicate");
        Assert.Contains(problems, p => p.OpType == "Conv" && p.Message.Contains("'auto_pad' value 'WRAP'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.OpType == "Resize" && p.Message.Contains("'mode' value 'cubic'", StringComparison.Ordinal));
        var ex = Assert.Throws<OnnxException>(() => OnnxRunner.Run(model, new Dictionary<string, OnnxValue>()));
        Assert.Contains("node 'fancyop_0' (FancyOp)", ex.Message, StringComparison.Ordinal);
        var path = Save(b.Build(), Path.GetDirectoryName(TestFiles.Temp("m"))!, "bad.onnx");
        AssertExit2(path, "node 'fancyop_0' (FancyOp): operator 'FancyOp' is not supported", "attribute 'frobnicate' is not supported", "'mode' value 'cubic'");
    }

    [Fact]
    public void A_tensor_whose_declared_size_exceeds_its_data_is_refused()
    {
        var t = OnnxTensors.Float("w", [3], [1, 2, 3]);
        t.Dims[0] = 1000;
        var b = new ModelBuilder().Input("x", 3).Init(t);
        var model = b.Output(b.Node("Add", ["x", "w"])).Build();
        var ex = Assert.Throws<OnnxException>(() => OnnxModel.FromProto(model, "short.onnx"));
        Assert.Contains("initializer 'w': shape [1000] Float needs 4000 bytes of data, got 12", ex.Message, StringComparison.Ordinal);
        var f = new TensorProto { Name = "v", DataType = 1 };
        f.Dims.Add(5);
        f.FloatData.Add(1f);
        Assert.Contains("needs 5 elements, got 1", Assert.Throws<OnnxException>(() => OnnxTensors.Decode(f, "v", null)).Message, StringComparison.Ordinal);
        AssertExit2(Save(model, Path.GetDirectoryName(TestFiles.Temp("m"))!, "short.onnx"), "needs 4000 bytes of data, got 12");
    }

    [Fact]
    public void An_absurd_shape_is_refused_before_allocating()
    {
        var t = OnnxTensors.Float("w", [1], [1]);
        t.Dims.Clear();
        t.Dims.AddRange([1_000_000_000, 1_000_000_000]);
        var neg = OnnxTensors.Float("n", [1], [1]);
        neg.Dims[0] = -4;
        Assert.Contains("more than 2147483647 elements", Assert.Throws<OnnxException>(() => OnnxTensors.Decode(t, "initializer 'w'", null)).Message, StringComparison.Ordinal);
        Assert.Contains("negative extent", Assert.Throws<OnnxException>(() => OnnxTensors.Decode(neg, "initializer 'n'", null)).Message, StringComparison.Ordinal);
        var b = new ModelBuilder().Input("x", 3).Init(t);
        var model = b.Output(b.Node("Add", ["x", "w"])).Build();
        AssertExit2(Save(model, Path.GetDirectoryName(TestFiles.Temp("m"))!, "huge.onnx"), "shape [1000000000, 1000000000] has more than 2147483647 elements");

        // A Reshape to an absurd shape at run time is an error naming the node.
        var r = new ModelBuilder().Input("x", 4).Init(OnnxTensors.Int64("s", [2], [1_000_000_000, 1_000_000_000]));
        var rm = OnnxModel.FromProto(r.Output(r.Node("Reshape", ["x", "s"])).Build(), "reshape.onnx");
        var x = OnnxValue.Of(Engine.Tensor.FromArray(new float[4], [4]));
        var ex = Assert.Throws<OnnxException>(() => OnnxRunner.Run(rm, new Dictionary<string, OnnxValue> { ["x"] = x }));
        Assert.Contains("node 'reshape_0' (Reshape)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void External_data_outside_the_model_folder_is_refused_and_inside_it_is_read()
    {
        var dir = Path.GetDirectoryName(TestFiles.Temp("m"))!;
        var sub = Directory.CreateDirectory(Path.Combine(dir, "model")).FullName;
        File.WriteAllBytes(Path.Combine(dir, "secret.bin"), new byte[16]);
        var data = new float[] { 1, 2, 3, 4 };
        var bytes = new byte[16];
        Buffer.BlockCopy(data, 0, bytes, 0, 16);
        File.WriteAllBytes(Path.Combine(sub, "weights.bin"), bytes);
        ModelProto With(string location)
        {
            var t = new TensorProto { Name = "w", DataType = 1, DataLocation = TensorProto.Types.DataLocation.External };
            t.Dims.Add(4);
            t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
            var b = new ModelBuilder().Input("x", 4).Init(t);
            return b.Output(b.Node("Add", ["x", "w"])).Build();
        }

        AssertExit2(Save(With("../secret.bin"), sub, "escape.onnx"), "external data location '../secret.bin' is outside the model's folder");
        AssertExit2(Save(With("/etc/passwd"), sub, "absolute.onnx"), "outside the model's folder");
        var ok = OnnxModel.Load(Save(With("weights.bin"), sub, "inside.onnx"));
        Assert.Equal(data, ok.Initializers["w"].Floats);
    }

    [Fact]
    public void Command_line_usage_errors_exit_2()
    {
        var missing = TestFiles.Repro("onnx", "run", TestFiles.Temp("nope.onnx"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("no such file", missing.Stderr, StringComparison.Ordinal);
        var path = Save(Small(), Path.GetDirectoryName(TestFiles.Temp("m"))!, "small.onnx");
        var noInput = TestFiles.Repro("onnx", "run", path);
        Assert.Equal(2, noInput.ExitCode);
        Assert.Contains("missing --input for the model's input 'x'", noInput.Stderr, StringComparison.Ordinal);
        var threads = TestFiles.Repro("onnx", "compare", path, "--ort-threads", "1,zero");
        Assert.Equal(2, threads.ExitCode);
        Assert.Contains("--ort-threads 1,zero", threads.Stderr, StringComparison.Ordinal);
        foreach (var c in new[] { "check", "run", "compare" })
        {
            var help = TestFiles.Repro("onnx", c, "--help");
            Assert.Equal(0, help.ExitCode);
        }
    }
}
