using System.IO.Compression;
using Repro.Analyzers.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Repro.Analyzers.Tests;

/// <summary>
/// Packs Repro.Analyzers with `dotnet pack`, restores it from a local folder into a throwaway project outside the
/// repository, builds that project with a SARIF error log, and checks the warning in the build output and the log.
/// </summary>
public class PackageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Package_restores_from_a_local_feed_and_reports_warnings_with_sarif()
    {
        var work = Directory.CreateTempSubdirectory("repro-analyzers-pkg-").FullName;
        try
        {
            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                ? "Debug" : "Release";
            var feed = Path.Combine(work, "feed");
            var packageProject = Path.Combine(RepoPaths.Root, "analyzers", "Repro.Analyzers.Package", "Repro.Analyzers.Package.csproj");
            await RunDotnetAsync(work, "pack", packageProject, "-c", configuration, "--no-build", "-o", feed);

            var package = Directory.GetFiles(feed, "Repro.Analyzers.*.nupkg").Single();
            using (var zip = ZipFile.OpenRead(package))
            {
                var entries = zip.Entries.Select(e => e.FullName).ToList();
                Assert.Contains("analyzers/dotnet/cs/Repro.Analyzers.dll", entries);
                Assert.Contains("analyzers/dotnet/cs/Repro.Analyzers.CodeFixes.dll", entries);
                Assert.Contains("build/Repro.Analyzers.props", entries);
                Assert.Contains("build/Repro.Analyzers.globalconfig", entries);
                Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal));
                using var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
                Assert.Contains("<developmentDependency>true</developmentDependency>", await nuspec.ReadToEndAsync(), StringComparison.Ordinal);
            }

            var version = Path.GetFileNameWithoutExtension(package)["Repro.Analyzers.".Length..];
            var app = Path.Combine(work, "app");
            Directory.CreateDirectory(app);
            await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
            await File.WriteAllTextAsync(Path.Combine(app, "App.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFramework>net{Environment.Version.Major}.0</TargetFramework>
                    <RestorePackagesPath>{Path.Combine(work, "packages")}</RestorePackagesPath>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Repro.Analyzers" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            await File.WriteAllTextAsync(Path.Combine(app, "Loader.cs"), """
                public static class Loader
                {
                    public static int Pick(int n) => new System.Random().Next(n);
                }
                """);

            // The package's global config turns on the SDK's culture rules: double.Parse without a culture is CA1305.
            await File.WriteAllTextAsync(Path.Combine(app, "Parsing.cs"), """
                public static class Parsing
                {
                    public static double Weight(string text) => double.Parse(text);
                }
                """);

            await File.WriteAllTextAsync(Path.Combine(app, "Seeds.cs"), """
                public static class Seeds
                {
                    public static System.Random Make() => new System.Random(System.Environment.TickCount);
                    public static System.Random Shared() => System.Random.Shared;
                }
                """);
            await File.WriteAllTextAsync(Path.Combine(app, ".editorconfig"), """
                root = true

                [Seeds.cs]
                dotnet_diagnostic.RPR1002.severity = none
                dotnet_diagnostic.RPR1001.severity = suggestion
                """);

            var sarif = Path.Combine(work, "app.sarif");
            var log = await RunDotnetAsync(app, "build", "App.csproj", "-p:ErrorLog=" + sarif + "%2Cversion=2.1");
            Assert.Matches(@"Loader\.cs\(3,\d+\): warning RPR1001", log);
            Assert.Matches(@"Parsing\.cs\(3,\d+\): warning CA1305", log);
            Assert.DoesNotContain("RPR1002", log, StringComparison.Ordinal);
            Assert.DoesNotMatch(@"Seeds\.cs\(4,\d+\): warning RPR1001", log);
            var sarifText = await File.ReadAllTextAsync(sarif);
            Assert.Contains("\"RPR1001\"", sarifText, StringComparison.Ordinal);
            Assert.Contains("docs/rules/RPR1001.md", sarifText, StringComparison.Ordinal);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); }
            catch (IOException) { }
        }
    }

    private Task<string> RunDotnetAsync(string directory, params string[] arguments) =>
        DotnetCli.RunAsync(output, directory, noBuildServers: true, arguments);
}
