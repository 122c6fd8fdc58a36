using System.Collections.Immutable;
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

    internal static void Configure(SolutionState state, string[] extraSources, ImmutableArray<MetadataReference> framework = default)
    {
        state.AdditionalReferences.AddRange(framework.IsDefault ? TestReferences.FrameworkReferences : framework);
        foreach (var (extra, index) in extraSources.Select((s, i) => (s, i)))
            state.Sources.Add(($"/0/Extra{index}.cs", extra));
    }
}

/// <summary>Runs a code fix over markup source and compares the result; also checks fix-all.</summary>
/// <remarks>
/// When <c>fixedSource</c> equals <c>source</c>, the check is that no fix is offered. The fixed code is compiled against
/// the same references, so a fix that uses an API the target framework lacks fails with the compiler's error.
/// </remarks>
public static class CodeFixVerifier<TAnalyzer, TFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TFix : CodeFixProvider, new()
{
    public static Task VerifyAsync(string source, string fixedSource, params string[] extraSources) =>
        VerifyAsync(source, fixedSource, "net10.0", null, extraSources);

    /// <param name="tfm">The target framework whose reference assemblies the code compiles against (see <see cref="TargetFrameworkReferences"/>).</param>
    /// <param name="globalConfig">Lines of a global analyzer config, e.g. <c>build_property.TargetFrameworks = net6.0;net10.0</c>.</param>
    public static Task VerifyAsync(string source, string fixedSource, string tfm, string? globalConfig, params string[] extraSources)
    {
        var test = new CSharpCodeFixTest<TAnalyzer, TFix, DefaultVerifier>
        {
            TestCode = source,
            FixedCode = fixedSource,
            ReferenceAssemblies = TestReferences.None,
        };
        var framework = TargetFrameworkReferences.For(tfm);
        AnalyzerVerifier<TAnalyzer>.Configure(test.TestState, extraSources, framework);
        AnalyzerVerifier<TAnalyzer>.Configure(test.FixedState, extraSources, framework);
        if (globalConfig is not null)
        {
            test.TestState.AnalyzerConfigFiles.Add(("/.globalconfig", "is_global = true\n" + globalConfig + "\n"));
            test.FixedState.AnalyzerConfigFiles.Add(("/.globalconfig", "is_global = true\n" + globalConfig + "\n"));
        }

        test.FixedState.InheritanceMode = StateInheritanceMode.Explicit;
        return test.RunAsync();
    }
}
