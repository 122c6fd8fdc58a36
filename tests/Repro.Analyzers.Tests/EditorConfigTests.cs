using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using Repro.Analyzers.FloatingPoint;
using Repro.Analyzers.Randomness;
using Repro.Analyzers.Tests.Infrastructure;

namespace Repro.Analyzers.Tests;

/// <summary>Severities and the bit-exact marker can be set per folder in .editorconfig (raising a severity is checked by PackageTests in a real build).</summary>
public class EditorConfigTests
{
    [Fact]
    public Task Severity_none_silences_the_rule() => NewTest<UnseededRandomAnalyzer>(
        "class C { System.Random R() => new System.Random(); }",
        "dotnet_diagnostic.RPR1001.severity = none").RunAsync();

    [Fact]
    public Task Bit_exact_can_be_switched_on_for_a_folder() => NewTest<BitExactAnalyzer>(
        "class C { double F(double x) => {|RPR3006:System.Math.Exp(x)|}; }",
        "repro_bit_exact = true").RunAsync();

    private static CSharpAnalyzerTest<TAnalyzer, DefaultVerifier> NewTest<TAnalyzer>(string source, string setting)
        where TAnalyzer : Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer, new()
    {
        var test = new CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
        {
            TestCode = source,
            ReferenceAssemblies = TestReferences.None,
        };
        test.TestState.AdditionalReferences.AddRange(TestReferences.FrameworkReferences);
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[*.cs]\n" + setting + "\n"));
        return test;
    }
}
