using Repro.Analyzers.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Repro.Analyzers.Tests.CodeFixes;

/// <summary>
/// The fixes in a project that targets .NET Framework 4.7.2, .NET Standard 2.0, .NET 6 and .NET 10 at once: each fix is
/// applied in memory with the project's TargetFrameworks visible (as the package makes it), its output compared with
/// the expected text, and then the expected texts are built for all four frameworks by `dotnet build`, with the real
/// reference assemblies of each.
/// </summary>
public class MultiTargetFixTests(ITestOutputHelper output)
{
    private const string Frameworks = "net472;netstandard2.0;net6.0;net10.0";
    private const string Config = "build_property.TargetFrameworks = " + Frameworks;

    private const string SeedBefore = """
        using System;
        public class Sampler
        {
            private readonly int _seed;
            public Sampler(int seed) { _seed = seed; }
            public int Draw(int n) => {|RPR1001:new Random()|}.Next(n);
        }
        """;

    private const string SeedAfter = """
        using System;
        public class Sampler
        {
            private readonly int _seed;
            public Sampler(int seed) { _seed = seed; }
            public int Draw(int n) => new Random(_seed).Next(n);
        }
        """;

    private const string ShuffleBefore = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        public sealed class TrainingContext { public Random Random { get; } = new Random(7); }
        public class Loader
        {
            public List<int> Epoch(List<int> xs, TrainingContext ctx) => {|RPR1004:xs.OrderBy(_ => ctx.Random.Next())|}.ToList();
        }
        """;

    private const string ShuffleAfter = """
        using System;
        using System.Collections.Generic;
        using System.Linq;
        public sealed class TrainingContext { public Random Random { get; } = new Random(7); }
        public class Loader
        {
            public List<int> Epoch(List<int> xs, TrainingContext ctx) => SeededShuffle(xs, ctx.Random).ToList();

            private static T[] SeededShuffle<T>(IEnumerable<T> source, Random rng)
            {
                var items = source.ToArray();
                for (var i = items.Length - 1; i > 0; i--)
                {
                    var j = rng.Next(i + 1);
                    (items[i], items[j]) = (items[j], items[i]);
                }

                return items;
            }
        }
        """;

    private const string HashBefore = """
        using System;
        public static class Splitter
        {
            public static bool IsTrain(string id) => Math.Abs({|RPR1005:id.GetHashCode()|}) % 10 < 8;
        }
        """;

    private const string HashAfter = """
        using System;
        public static class Splitter
        {
            public static bool IsTrain(string id) => Math.Abs(StableHash(id)) % 10 < 8;

            private static int StableHash(string text)
            {
                unchecked
                {
                    var hash = (int)2166136261;
                    foreach (var c in text)
                    {
                        hash = (hash ^ c) * 16777619;
                    }

                    return hash;
                }
            }
        }
        """;

    private const string ListingBefore = """
        using System;
        using System.Collections.Generic;
        using System.IO;
        public static class Dataset
        {
            public static string[] Images(string dir) => {|RPR2007:Directory.GetFiles(dir, "*.png")|};
            public static IEnumerable<string> Shards(string dir) => {|RPR2007:Directory.EnumerateFiles(dir)|};
        }
        """;

    private const string ListingAfter = """
        using System;
        using System.Collections.Generic;
        using System.IO;
        using System.Linq;
        public static class Dataset
        {
            public static string[] Images(string dir) => Directory.GetFiles(dir, "*.png").OrderBy(path => path, StringComparer.Ordinal).ToArray();
            public static IEnumerable<string> Shards(string dir) => Directory.EnumerateFiles(dir).OrderBy(path => path, StringComparer.Ordinal);
        }
        """;

    [Fact]
    public async Task Fixed_code_builds_for_net472_netstandard20_net6_and_net10()
    {
        await CodeFixVerifier<Repro.Analyzers.Randomness.UnseededRandomAnalyzer, Repro.Analyzers.CodeFixes.SeedParameterFix>
            .VerifyAsync(SeedBefore, SeedAfter, "net10.0", Config);
        await CodeFixVerifier<Repro.Analyzers.Randomness.RandomSortKeyAnalyzer, Repro.Analyzers.CodeFixes.SeededShuffleFix>
            .VerifyAsync(ShuffleBefore, ShuffleAfter, "net10.0", Config);
        await CodeFixVerifier<Repro.Analyzers.Randomness.PerProcessHashAnalyzer, Repro.Analyzers.CodeFixes.StableHashFix>
            .VerifyAsync(HashBefore, HashAfter, "net10.0", Config);
        await CodeFixVerifier<Repro.Analyzers.Ordering.DirectoryOrderAnalyzer, Repro.Analyzers.CodeFixes.OrdinalOrderFix>
            .VerifyAsync(ListingBefore, ListingAfter, "net10.0", Config);

        var work = Directory.CreateTempSubdirectory("repro-multitarget-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(work, "Fixed.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFrameworks>{Frameworks}</TargetFrameworks>
                    <CheckEolTargetFramework>false</CheckEolTargetFramework>
                    <TreatWarningsAsErrors>false</TreatWarningsAsErrors>
                    <ImplicitUsings>disable</ImplicitUsings>
                    <Nullable>disable</Nullable>
                  </PropertyGroup>
                </Project>
                """);
            await File.WriteAllTextAsync(Path.Combine(work, "Seed.cs"), SeedAfter);
            await File.WriteAllTextAsync(Path.Combine(work, "Shuffle.cs"), ShuffleAfter);
            await File.WriteAllTextAsync(Path.Combine(work, "Hash.cs"), HashAfter);
            await File.WriteAllTextAsync(Path.Combine(work, "Listing.cs"), ListingAfter);

            var log = await DotnetCli.RunAsync(output, work, noBuildServers: true, "build", "Fixed.csproj", "-c", "Release");
            foreach (var tfm in Frameworks.Split(';'))
                Assert.Matches(@"Fixed -> .*[/\\]" + System.Text.RegularExpressions.Regex.Escape(tfm) + @"[/\\]Fixed\.dll", log);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); }
            catch (IOException) { }
        }
    }
}
