using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace Repro.Analyzers.Tests.Infrastructure;

/// <summary>
/// Reference assemblies that need no download: the .NET reference pack of the SDK that runs the tests
/// (packs/Microsoft.NETCore.App.Ref), or, if that is absent, the running runtime's own assemblies.
/// </summary>
public static class TestReferences
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> Framework = new(LoadFramework);

    /// <summary>An empty reference set, so the testing library resolves (and downloads) nothing itself.</summary>
    public static ReferenceAssemblies None { get; } = new("net10.0");

    public static ImmutableArray<MetadataReference> FrameworkReferences => Framework.Value;

    public static string? ReferencePackDirectory()
    {
        var runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var dotnetRoot = Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", ".."));
        var packs = Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref");
        if (!Directory.Exists(packs))
            return null;

        var major = Environment.Version.Major + ".";
        return Directory.GetDirectories(packs)
            .Where(d => Path.GetFileName(d).StartsWith(major, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(d => Path.Combine(d, "ref", "net" + Environment.Version.Major + ".0"))
            .LastOrDefault(Directory.Exists);
    }

    private static ImmutableArray<MetadataReference> LoadFramework()
    {
        var packDir = ReferencePackDirectory();
        IEnumerable<string> files = packDir is not null
            ? Directory.GetFiles(packDir, "*.dll").Order(StringComparer.Ordinal)
            : ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
                .Where(f => Path.GetFileName(f).StartsWith("System", StringComparison.Ordinal)
                    || Path.GetFileName(f) is "mscorlib.dll" or "netstandard.dll")
                .Order(StringComparer.Ordinal);
        return files.Select(f => (MetadataReference)MetadataReference.CreateFromFile(f)).ToImmutableArray();
    }
}

/// <summary>The target frameworks a fix is checked in: reference assemblies of each, in memory.</summary>
public static class TargetFrameworkReferences
{
    public static ImmutableArray<MetadataReference> For(string tfm) => tfm switch
    {
        "net472" => Basic.Reference.Assemblies.Net472.References.All.Cast<MetadataReference>().ToImmutableArray(),
        "netstandard2.0" => Basic.Reference.Assemblies.NetStandard20.References.All.Cast<MetadataReference>().ToImmutableArray(),
        "net10.0" => TestReferences.FrameworkReferences,
        _ => throw new ArgumentOutOfRangeException(nameof(tfm), tfm, "no reference assemblies for this framework"),
    };

    /// <summary>The frameworks the fix tests run in: .NET Framework, .NET Standard and the newest .NET.</summary>
    public static TheoryData<string> All() => new() { "net472", "netstandard2.0", "net10.0" };
}
