using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Repro.Analyzers.Tests.Infrastructure;

/// <summary>Compiles real source files (framework, ILGPU and TensorPrimitives references) and runs the Repro analyzers.</summary>
public static class AnalyzerRunner
{
    public static ImmutableArray<DiagnosticAnalyzer> AllAnalyzers() =>
        typeof(RuleCatalog).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t)
                && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .ToImmutableArray();

    public const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    /// <summary>Runs the analyzers a compiler loads (or <paramref name="analyzers"/>) over the files.</summary>
    public static async Task<ImmutableArray<Diagnostic>> RunAsync(
        IEnumerable<string> files, OutputKind kind = OutputKind.DynamicallyLinkedLibrary, bool implicitUsings = false,
        ImmutableArray<DiagnosticAnalyzer> analyzers = default)
    {
        var parseOptions = new CSharpParseOptions(LanguageVersion.Preview);
        var trees = new List<SyntaxTree>();
        foreach (var file in files)
            trees.Add(CSharpSyntaxTree.ParseText(await File.ReadAllTextAsync(file), parseOptions, path: file));
        if (implicitUsings)
            trees.Add(CSharpSyntaxTree.ParseText(ImplicitUsings, parseOptions, path: "GlobalUsings.g.cs"));

        var libraries = new[] { "ILGPU.dll", "ILGPU.Algorithms.dll", "System.Numerics.Tensors.dll" }
            .Select(name => Path.Combine(AppContext.BaseDirectory, name))
            .Where(File.Exists)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path));
        var compilation = CSharpCompilation.Create(
            "Corpus", trees, TestReferences.FrameworkReferences.AddRange(libraries),
            new CSharpCompilationOptions(kind, nullableContextOptions: NullableContextOptions.Enable));

        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0)
            throw new InvalidOperationException("the sources do not compile: " + string.Join(Environment.NewLine, errors.Take(10)));

        return await compilation.WithAnalyzers(analyzers.IsDefault ? AllAnalyzers() : analyzers).GetAnalyzerDiagnosticsAsync();
    }
}
