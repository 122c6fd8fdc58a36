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

    /// <summary>Enumerable.Order came with .NET 7: before it (and in .NET Standard) the fix must use OrderBy.</summary>
    [Theory]
    [InlineData("net472")]
    [InlineData("netstandard2.0")]
    public Task RPR2007_uses_OrderBy_where_Enumerable_Order_does_not_exist(string tfm) => Verify.VerifyAsync("""
        using System;
        using System.Collections.Generic;
        using System.IO;
        class Dataset
        {
            string[] A(string dir) => {|RPR2007:Directory.GetFiles(dir)|};
            IEnumerable<string> B(string dir) => {|RPR2007:Directory.EnumerateFiles(dir, "*.csv")|};
            FileInfo[] C(DirectoryInfo d) => {|RPR2007:d.GetFiles()|};
        }
        """, """
        using System;
        using System.Collections.Generic;
        using System.IO;
        using System.Linq;
        class Dataset
        {
            string[] A(string dir) => Directory.GetFiles(dir).OrderBy(path => path, StringComparer.Ordinal).ToArray();
            IEnumerable<string> B(string dir) => Directory.EnumerateFiles(dir, "*.csv").OrderBy(path => path, StringComparer.Ordinal);
            FileInfo[] C(DirectoryInfo d) => d.GetFiles().OrderBy(entry => entry.FullName, StringComparer.Ordinal).ToArray();
        }
        """, tfm, null);

    /// <summary>
    /// A project that targets net6.0 and net10.0 is fixed in its net10.0 compilation; the package makes TargetFrameworks
    /// visible, and the fix writes what builds for net6.0 too.
    /// </summary>
    [Fact]
    public Task RPR2007_in_a_multi_targeted_project_writes_what_builds_for_every_target() => Verify.VerifyAsync("""
        using System;
        using System.IO;
        using System.Linq;
        class Dataset
        {
            string[] A(string dir) => {|RPR2007:Directory.GetFiles(dir)|};
        }
        """, """
        using System;
        using System.IO;
        using System.Linq;
        class Dataset
        {
            string[] A(string dir) => Directory.GetFiles(dir).OrderBy(path => path, StringComparer.Ordinal).ToArray();
        }
        """, "net10.0", "build_property.TargetFrameworks = net6.0;net10.0");

    [Fact]
    public Task RPR2007_in_a_project_whose_targets_all_have_Order_uses_it() => Verify.VerifyAsync("""
        using System;
        using System.IO;
        using System.Linq;
        class Dataset
        {
            string[] A(string dir) => {|RPR2007:Directory.GetFiles(dir)|};
        }
        """, """
        using System;
        using System.IO;
        using System.Linq;
        class Dataset
        {
            string[] A(string dir) => Directory.GetFiles(dir).Order(StringComparer.Ordinal).ToArray();
        }
        """, "net10.0", "build_property.TargetFrameworks = net8.0;net10.0-windows");

    [Theory]
    [InlineData("net472", false)]
    [InlineData("netstandard2.0", false)]
    [InlineData("netstandard2.1", false)]
    [InlineData("netcoreapp3.1", false)]
    [InlineData("net5.0", false)]
    [InlineData("net6.0", false)]
    [InlineData("net7.0", true)]
    [InlineData("net10.0", true)]
    [InlineData("net8.0-windows10.0.19041", true)]
    public void Target_framework_monikers_are_read_by_version(string tfm, bool hasOrder) =>
        Assert.Equal(hasOrder, Repro.Analyzers.CodeFixes.TargetFrameworks.HasEnumerableOrder(tfm));
}
