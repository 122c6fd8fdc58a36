using System.Diagnostics;
using System.Reflection;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Repro.Engine;
using Repro.Onnx;

namespace Repro.Bench;

/// <summary>
/// ResNet-18 inference (224x224, float32) in Repro's engine and in ONNX Runtime, batch 1 and 8, 1 and 2 threads,
/// measured in the same process in alternating rounds (Repro, ORT, Repro, ORT, ...); the median of each is reported.
/// </summary>
[Bench("onnx-resnet", "ResNet-18 inference, Repro vs ONNX Runtime, batch 1 and 8, 1 and 2 threads (args: [rounds])")]
public static class OnnxBench
{
    public static int Run(string[] args)
    {
        int rounds = args.Length > 0 && int.TryParse(args[0], System.Globalization.CultureInfo.InvariantCulture, out var r) ? r : 3;
        var root = typeof(OnnxBench).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "NuGetPackageRoot").Value!;
        var path = Path.Combine(root, "microsoft.ml.dnnimagefeaturizer.resnet18", "0.24.0", "tools", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");
        var model = OnnxModel.Load(path);
        var proto = model.Proto.Clone();
        proto.Graph.Input.First(i => i.Name == model.Inputs[0].Name).Type.TensorType.Shape.Dim[0] = new global::Onnx.TensorShapeProto.Types.Dimension { DimParam = "N" };
        proto.Graph.Output[0].Type.TensorType.Shape.Dim[0] = new global::Onnx.TensorShapeProto.Types.Dimension { DimParam = "N" };
        var bytes = Google.Protobuf.MessageExtensions.ToByteArray(proto);
        string input = model.Inputs[0].Name;
        Console.WriteLine($"ResNet-18 (ResNet18.onnx, {model.Graph.Node.Count} nodes), 224x224 float32, {rounds} alternating rounds, median seconds per batch");
        Console.WriteLine("batch  threads  Repro (s)  ORT (s)  Repro/ORT  Repro images/s  ORT images/s");
        foreach (int batch in new[] { 1, 8 })
        {
            var data = new float[batch * 3 * 224 * 224];
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = MathF.Sin(i * 0.001f) * 50f;
            }

            foreach (int threads in new[] { 1, 2 })
            {
                using var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
                OrtOneNode.NoSpinning(options);
                using var session = new InferenceSession(bytes, options);
                var feed = new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor(input, new DenseTensor<float>(data, [batch, 3, 224, 224])) };
                using var th = Settings.UseThreads(threads);
                void RunRepro()
                {
                    var x = OnnxValue.Of(global::Repro.Engine.Tensor.FromArray(data, [batch, 3, 224, 224]));
                    _ = OnnxRunner.Run(model, new Dictionary<string, OnnxValue> { [input] = x }).Values.Single().Tensor!.ToFloatArray();
                }

                void Ort()
                {
                    using var res = session.Run(feed);
                    _ = res[0].AsTensor<float>().Length;
                }

                RunRepro();
                Ort();
                var a = new double[rounds];
                var b = new double[rounds];
                for (int k = 0; k < rounds; k++)
                {
                    var sw = Stopwatch.StartNew();
                    RunRepro();
                    a[k] = sw.Elapsed.TotalSeconds;
                    sw.Restart();
                    Ort();
                    b[k] = sw.Elapsed.TotalSeconds;
                }

                Array.Sort(a);
                Array.Sort(b);
                double ra = a[rounds / 2];
                double rb = b[rounds / 2];
                Console.WriteLine($"{batch,5}  {threads,7}  {ra,9:F3}  {rb,7:F3}  {ra / rb,8:F1}x  {batch / ra,14:F2}  {batch / rb,12:F1}");
            }
        }

        return 0;
    }
}
