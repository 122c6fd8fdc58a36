using Verify = Repro.Analyzers.Tests.Infrastructure.CodeFixVerifier<
    Repro.Analyzers.Ordering.DirectoryOrderAnalyzer, Repro.Analyzers.CodeFixes.OrdinalOrderFix>;

namespace Repro.Analyzers.Tests.CodeFixes;

public class OrdinalOrderFixTests
{
    [Fact]
    public Task RPR2007_orders_string_and_info_listings_and_adds_linq_using() => Verify.VerifyAsync("""
        using System;
        using System.IO;
        class Dataset
        {
            string[] A(string dir) => {|RPR2007:Directory.GetFiles(dir)|};
            FileInfo[] B(DirectoryInfo d) => {|RPR2007:d.GetFiles("*.bin")|};
        }
        """, """
        using System;
        using System.IO;
        using System.Linq;
        class Dataset
        {
            string[] A(string dir) => Directory.GetFiles(dir).Order(StringComparer.Ordinal).ToArray();
            FileInfo[] B(DirectoryInfo d) => d.GetFiles("*.bin").OrderBy(entry => entry.FullName, StringComparer.Ordinal).ToArray();
        }
        """);

    [Fact]
    public Task RPR2007_keeps_enumerables_lazy() => Verify.VerifyAsync("""
        using System.Collections.Generic;
        using System.IO;
        using System.Linq;
        class Dataset
        {
            IEnumerable<string> A(string dir) => {|RPR2007:Directory.EnumerateFiles(dir)|};
        }
        """, """
        using System.Collections.Generic;
        using System.IO;
        using System.Linq;
        class Dataset
        {
            IEnumerable<string> A(string dir) => Directory.EnumerateFiles(dir).Order(System.StringComparer.Ordinal);
        }
        """);
}
