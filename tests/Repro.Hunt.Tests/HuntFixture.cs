
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Repro.Hunt.Tests;

/// <summary>Where the built programs are, and the planted lines of the test subject.</summary>
public static class Subject
{
    /// <summary>tests/Repro.Hunt.Target's program, built beside these tests.</summary>
    public static string TargetDll { get; } = Built(Path.Combine("tests", "Repro.Hunt.Target"), "repro-hunt-target.dll");

    /// <summary>repro itself.</summary>
    public static string ReproDll { get; } = Built(Path.Combine("cli", "Repro.Cli"), "repro.dll");

    /// <summary>The source file of the plants.</summary>
    public static string PlantsFile { get; } = Path.Combine(ChildProcess.RepoRoot, "tests", "Repro.Hunt.Target", "Plants.cs");

    /// <summary>The line marked <c>// plant: name</c> in Plants.cs.</summary>
    public static int LineOf(string plant)
    {
        var lines = File.ReadAllLines(PlantsFile);
        int i = Array.FindIndex(lines, l => l.EndsWith("// plant: " + plant, StringComparison.Ordinal));
        return i >= 0 ? i + 1 : throw new InvalidOperationException("no line marked for plant " + plant);
    }

    /// <summary>The command that runs the subject with the given plants.</summary>
    public static string[] Command(string plants) => ["dotnet", TargetDll, "--plant", plants];

    private static string Built(string project, string file)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var dll = Path.Combine(ChildProcess.RepoRoot, project, "bin", configuration, "net10.0", file);
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"build {project} first", dll);
    }
}
