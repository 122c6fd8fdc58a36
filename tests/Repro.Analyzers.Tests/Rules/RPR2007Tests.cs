using Verify = Repro.Analyzers.Tests.Infrastructure.AnalyzerVerifier<Repro.Analyzers.Ordering.DirectoryOrderAnalyzer>;

namespace Repro.Analyzers.Tests.Rules;

public class RPR2007Tests
{
    [Fact]
    public Task Unordered_listing_feeding_results_is_reported() => Verify.VerifyAsync("""
        using System.Collections.Generic;
        using System.IO;
        using System.Linq;
        class Dataset
        {
            string[] A(string dir) => {|RPR2007:Directory.GetFiles(dir, "*.bin")|};
            List<string> B(string dir) => {|RPR2007:Directory.EnumerateFiles(dir)|}.Where(f => f.EndsWith(".png")).ToList();
            void C(string dir, List<byte[]> samples)
            {
                var files = {|RPR2007:Directory.GetFiles(dir)|};
                foreach (var f in files) samples.Add(File.ReadAllBytes(f));
            }
            string D(DirectoryInfo d) => {|RPR2007:d.GetDirectories()|}[0].Name;
        }
        """);

    [Fact]
    public Task Ordered_or_counted_or_side_effect_only_listings_are_not_reported() => Verify.VerifyAsync("""
        using System;
        using System.IO;
        using System.Linq;
        class Dataset
        {
            string[] A(string dir) => Directory.GetFiles(dir).Order(StringComparer.Ordinal).ToArray();
            string[] B(string dir) { var f = Directory.GetFiles(dir); Array.Sort(f, StringComparer.Ordinal); return f; }
            int C(string dir) => Directory.GetFiles(dir).Length + Directory.EnumerateFiles(dir).Count();
            void D(string dir) { foreach (var f in Directory.EnumerateFiles(dir, "*.tmp")) File.Delete(f); }
            bool E(string dir) => Directory.EnumerateFiles(dir).Any(f => f.EndsWith(".lock"));
            string F(string dir) => Directory.EnumerateFiles(dir, "Only.cs", SearchOption.AllDirectories).Single(p => !p.Contains("obj"));
            void G(string dir) => Assert.Contains(Directory.GetFiles(dir), f => f.EndsWith(".cs"));
            static class Assert { public static void Contains<T>(System.Collections.Generic.IEnumerable<T> items, Predicate<T> match) { } }
        }
        """);
}
