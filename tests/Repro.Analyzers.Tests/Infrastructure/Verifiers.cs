using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace Repro.Analyzers.Tests.Infrastructure;

/// <summary>Runs an analyzer over markup source (<c>{|RPRxxxx:...|}</c>) and checks the diagnostics exactly.</summary>
public static class AnalyzerVerifier<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    public static Task VerifyAsync(string source, params string[] extraSources)
    {
        var test = new CSharpAnalyzerTest<TAnalyzer, DefaultVerifier> { TestCode = source };
        Configure(test.TestState, extraSources);
        test.ReferenceAssemblies = TestReferences.None;
        return test.RunAsync();
    }

    internal static void Configure(SolutionState state, string[] extraSources)
    {
        state.AdditionalReferences.AddRange(TestReferences.FrameworkReferences);
        foreach (var (extra, index) in extraSources.Select((s, i) => (s, i)))
            state.Sources.Add(($"/0/Extra{index}.cs", extra));
    }
}

/// <summary>Runs a code fix over markup source and compares the result; also checks fix-all.</summary>
public static class CodeFixVerifier<TAnalyzer, TFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TFix : CodeFixProvider, new()
{
    public static Task VerifyAsync(string source, string fixedSource, params string[] extraSources)
    {
        var test = new CSharpCodeFixTest<TAnalyzer, TFix, DefaultVerifier>
        {
            TestCode = source,
            FixedCode = fixedSource,
            ReferenceAssemblies = TestReferences.None,
        };
        AnalyzerVerifier<TAnalyzer>.Configure(test.TestState, extraSources);
        AnalyzerVerifier<TAnalyzer>.Configure(test.FixedState, extraSources);
        test.FixedState.InheritanceMode = StateInheritanceMode.Explicit;
        return test.RunAsync();
    }
}
