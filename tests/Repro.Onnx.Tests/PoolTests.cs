using Repro.Engine;
using Repro.Onnx;
using static Repro.Onnx.Tests.ModelBuilder;

namespace Repro.Onnx.Tests;

/// <summary>
/// MaxPool and AveragePool on the engine's pooling ops against ONNX Runtime, one node each: ceil_mode, asymmetric
/// pads, dilations, auto_pad and count_include_pad. A maximum has no rounding, so MaxPool must equal ORT exactly.
/// </summary>
public class PoolTests
{
    public static TheoryData<string, string> Nodes() => new()
    {
        { "MaxPool", "resnet" },
        { "MaxPool", "ceil" },
        { "MaxPool", "asymmetric-dilated" },
        { "MaxPool", "same-upper" },
        { "AveragePool", "resnet" },
        { "AveragePool", "ceil" },
        { "AveragePool", "ceil-count-pad" },
        { "AveragePool", "asymmetric-count-pad" },
        { "AveragePool", "same-lower" },
        { "GlobalMaxPool", "global" },
        { "GlobalAveragePool", "global" },
    };

    [Theory]
    [MemberData(nameof(Nodes))]
    public void A_pooling_node_is_within_tolerance_of_onnx_runtime(string op, string variant)
    {
        var attributes = variant switch
        {
            "resnet" => new[] { Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1) },
            "ceil" => [Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Int("ceil_mode", 1)],
            "ceil-count-pad" => [Ints("kernel_shape", 3, 2), Ints("strides", 2, 2), Ints("pads", 1, 0, 1, 1), Int("ceil_mode", 1), Int("count_include_pad", 1)],
            "asymmetric-dilated" => [Ints("kernel_shape", 2, 3), Ints("strides", 1, 2), Ints("pads", 0, 1, 1, 2), Ints("dilations", 2, 1)],
            "asymmetric-count-pad" => [Ints("kernel_shape", 3, 3), Ints("strides", 1, 2), Ints("pads", 0, 1, 2, 2), Int("count_include_pad", 1)],
            "same-upper" => [Ints("kernel_shape", 2, 2), Ints("strides", 2, 2), Str("auto_pad", "SAME_UPPER")],
            "global" => [],
            _ => [Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Str("auto_pad", "SAME_LOWER")],
        };
        var b = new ModelBuilder().Input("x", 2, 3, 13, 12);
        var model = OnnxModel.FromProto(b.Output(b.Node(op, ["x"], attributes)).Build(opset: 13), $"{op}-{variant}.onnx");
        var data = Enumerable.Range(0, 2 * 3 * 13 * 12).Select(i => MathF.Sin(i * 0.731f) * 3f).ToArray();
        data[5] = float.NegativeInfinity;
        var x = OnnxValue.Of(Tensor.FromArray(data, [2, 3, 13, 12]));
        var result = OnnxComparer.Compare(model, new Dictionary<string, OnnxValue> { ["x"] = x }, new OnnxCompareOptions());
        Assert.True(result.WithinTolerance, OnnxReports.Headline(result));
        var mine = result.ReproOutputs.Values.Single();
        var ort = result.OrtOutputs.Values.Single();
        Assert.Equal(ort.Length, mine.Length);
        if (op is "MaxPool" or "GlobalMaxPool")
        {
            Assert.Equal(ort, mine);
        }

        if (op == "GlobalAveragePool")
        {
            // The pooling op keeps the bits of the mean over the spatial axes that the node was before.
            var mean = x.Tensor!.Mean([2, 3], keepdim: true).ToFloatArray();
            Assert.Equal(mean.Select(v => (double)v), mine);
        }
    }
}
