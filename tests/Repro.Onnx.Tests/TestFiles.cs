using System.Reflection;
using Repro.Tests.Shared;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Repro.Onnx.Tests;

/// <summary>Where the tests' models, images and the built repro command are.</summary>
internal static class TestFiles
{
    private static readonly string PackageRoot = typeof(TestFiles).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "NuGetPackageRoot").Value!;

    /// <summary>ResNet-18 from Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0 (restored by PackageDownload).</summary>
    public static string ResNet18 => Package("ResNet18Onnx", "ResNet18.onnx");

    /// <summary>The package's preprocessing graph (pixel values 0..255 in, mean-subtracted values out).</summary>
    public static string ResNetPreprocess => Package("ResNetPrepOnnx", "ResNetPreprocess.onnx");

    public static string Image(string name) => Path.Combine(AppContext.BaseDirectory, "data", name);

    public static readonly string[] Photos = ["chelsea.png", "coffee.png", "astronaut.png"];

    public static string Temp(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), "repro-onnx-tests-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, name);
    }

    private static string Package(string folder, string file)
    {
        var path = Path.Combine(PackageRoot, "microsoft.ml.dnnimagefeaturizer.resnet18", "0.24.0", "tools", "DnnImageModels", folder, file);
        return File.Exists(path) ? path : throw new FileNotFoundException("restore tests/Repro.Onnx.Tests (PackageDownload of Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0)", path);
    }

    private static string ReproDll
    {
        get
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
            return Path.Combine(ChildProcess.RepoRoot, "cli", "Repro.Cli", "bin", configuration, "net10.0", "repro.dll");
        }
    }

    /// <summary>Runs the built repro command as a process.</summary>
    public static ChildResult Repro(params string[] args) => ChildProcess.Run(ReproDll, args, timeoutMs: 300_000);
}
