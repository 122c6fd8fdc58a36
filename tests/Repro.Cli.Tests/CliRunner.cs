using System.Diagnostics;
using Repro.Tests.Shared;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Repro.Cli.Tests;

/// <summary>The result of running repro as a process.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Runs the built repro.dll with <c>dotnet</c>, as a user would.</summary>
public static class CliRunner
{
    public static string RepoRoot => ChildProcess.RepoRoot;

    /// <summary>cli/Repro.Cli/bin/&lt;configuration&gt;/net10.0/repro.dll, for the configuration these tests were built in.</summary>
    public static string ReproDll { get; } = FindDll();

    /// <summary>tests/Repro.Cli.Target's program (built beside these tests): a program for <c>repro record</c> to record.</summary>
    public static string TargetDll { get; } = FindDll(Path.Combine("tests", "Repro.Cli.Target"), "repro-cli-target.dll");

    public static CliResult Run(params string[] args) => Run(null, args);

    public static CliResult Run(IDictionary<string, string>? env, params string[] args) => Wait(Start(env, "dotnet", [ReproDll, .. args]), args);

    /// <summary>Starts <paramref name="program"/> with redirected output and the recorder's variables cleared.</summary>
    public static Process Start(IDictionary<string, string>? env, string program, params string[] args) => ChildProcess.Start(program, args, env);

    /// <summary>Reads the rest of a started process's output and waits for it (120 s at most).</summary>
    public static CliResult Wait(Process p, string[] args, string stdoutSoFar = "")
    {
        var r = ChildProcess.Wait(p, "repro " + string.Join(' ', args), stdoutSoFar: stdoutSoFar);
        return new CliResult(r.ExitCode, r.Stdout, r.Stderr);
    }

    private static string FindDll() => FindDll(Path.Combine("cli", "Repro.Cli"), "repro.dll");

    private static string FindDll(string project, string file)
    {
        // The test assembly lives in tests/Repro.Cli.Tests/bin/<configuration>/net10.0/.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var dll = Path.Combine(RepoRoot, project, "bin", configuration, "net10.0", file);
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"build {project} first", dll);
    }
}

/// <summary>A temporary folder removed after the test.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "repro-cli-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
