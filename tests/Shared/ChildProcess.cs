using System.Diagnostics;
using System.Text;

namespace Repro.Tests.Shared;

/// <summary>What a child process printed and how it ended.</summary>
internal sealed record ChildResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Standard output, line by line.</summary>
    public string[] Lines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>
/// Starts a built .NET program of this repository as a child process (<c>dotnet program.dll ...</c>), as a user or CI
/// would, with this process's environment plus <c>env</c>; shared by the test projects that need another process
/// (another vector width, culture, time zone or terminal width than their own).
/// </summary>
internal static class ChildProcess
{
    /// <summary>The repository root: the first folder above the running tests that holds Repro.sln.</summary>
    public static string RepoRoot { get; } = FindRoot();

    public static ChildResult Run(string dll, IEnumerable<string> args, IDictionary<string, string>? env = null, int timeoutMs = 120_000)
    {
        string[] all = [dll, .. args];
        return Wait(Start("dotnet", all, env), $"{Path.GetFileName(dll)} {string.Join(' ', all.Skip(1))}", timeoutMs);
    }

    /// <summary>Starts <paramref name="program"/> with redirected output, for a caller that reads some of it before <see cref="Wait"/>.</summary>
    public static Process Start(string program, IEnumerable<string> args, IDictionary<string, string>? env = null)
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

        // A recording or startup hook of the parent must not follow it into the child.
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment.Remove("REPRO_RECORD");
        psi.Environment.Remove("DOTNET_STARTUP_HOOKS");
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }

        return Process.Start(psi)!;
    }

    /// <summary>Reads the rest of a started process's output (after <paramref name="stdoutSoFar"/>, already read) and waits for it to end.</summary>
    public static ChildResult Wait(Process p, string what, int timeoutMs = 120_000, string stdoutSoFar = "")
    {
        using var _ = p;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{what} did not finish in {timeoutMs / 1000} s");
        }

        return new ChildResult(p.ExitCode, Normalize(stdoutSoFar + stdout.Result), Normalize(stderr.Result));
    }

    private static string Normalize(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Repro.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Repro.sln) above " + AppContext.BaseDirectory);
    }
}
