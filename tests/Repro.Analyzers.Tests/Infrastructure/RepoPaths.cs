namespace Repro.Analyzers.Tests.Infrastructure;

public static class RepoPaths
{
    /// <summary>The repository root: the nearest folder above the test binaries that holds Repro.sln.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Repro.sln")))
                return dir.FullName;
        }

        throw new DirectoryNotFoundException("Repro.sln not found above " + AppContext.BaseDirectory);
    }
}
