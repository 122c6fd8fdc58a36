using System.Diagnostics;
using System.Text;

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
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>cli/Repro.Cli/bin/&lt;configuration&gt;/net10.0/repro.dll, for the configuration these tests were built in.</summary>
    public static string ReproDll { get; } = FindDll();

    /// <summary>tests/Repro.Cli.Target's program (built beside these tests): a program for <c>repro record</c> to record.</summary>
    public static string TargetDll { get; } = FindDll(Path.Combine("tests", "Repro.Cli.Target"), "repro-cli-target.dll");

    public static CliResult Run(params string[] args) => Run(null, args);

    public static CliResult Run(IDictionary<string, string>? env, params string[] args) => Wait(Start(env, "dotnet", [ReproDll, .. args]), args);

    /// <summary>Starts <paramref name="program"/> with redirected output and the recorder's variables cleared.</summary>
    public static Process Start(IDictionary<string, string>? env, string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment.Remove("REPRO_RECORD");
        psi.Environment.Remove("DOTNET_STARTUP_HOOKS");
        if (env is not null)
        {
            foreach (var kv in env)
            {
                psi.Environment[kv.Key] = kv.Value;
            }
        }

        return Process.Start(psi)!;
    }

    /// <summary>Reads the rest of a started process's output and waits for it (120 s at most).</summary>
    public static CliResult Wait(Process p, string[] args, string stdoutSoFar = "")
    {
        using var _ = p;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("repro " + string.Join(' ', args) + " did not finish in 120 s");
        }

        return new CliResult(p.ExitCode, (stdoutSoFar + stdout.Result).Replace("\r\n", "\n", StringComparison.Ordinal), stderr.Result.Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Repro.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Repro.sln) above " + AppContext.BaseDirectory);
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
