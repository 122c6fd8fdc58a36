using System.Diagnostics;
using Xunit.Abstractions;

namespace Repro.Analyzers.Tests.Infrastructure;

/// <summary>Runs the dotnet CLI from a test, without the MSBuild environment of the outer `dotnet test`.</summary>
public static class DotnetCli
{
    /// <summary>Runs <c>dotnet</c> with the arguments, asserts it succeeded and returns its output.</summary>
    /// <param name="noBuildServers">Adds --disable-build-servers (for build, pack and restore).</param>
    public static async Task<string> RunAsync(ITestOutputHelper? output, string directory, bool noBuildServers, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        if (noBuildServers)
            start.ArgumentList.Add("--disable-build-servers");
        start.ArgumentList.Add("-nologo");

        // The test host runs under MSBuild-related variables of the outer `dotnet test`; the child needs none of them.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await process.WaitForExitAsync(timeout.Token);
        var text = await stdout + await stderr;
        output?.WriteLine($"dotnet {string.Join(' ', arguments)} -> {process.ExitCode}");
        Assert.True(process.ExitCode == 0, text);
        return text;
    }
}
