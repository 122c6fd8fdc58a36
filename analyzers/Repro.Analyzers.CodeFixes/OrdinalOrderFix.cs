using System;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;

namespace Repro.Analyzers.CodeFixes;

/// <summary>
/// RPR2007: orders a directory listing with an ordinal comparer (by full name for FileSystemInfo results). String
/// listings get <c>Order(comparer)</c> only where every target framework of the project has
/// <c>Enumerable.Order</c> (.NET 7 and later); elsewhere <c>OrderBy(path =&gt; path, comparer)</c>, which builds on
/// .NET Framework, .NET Standard and every .NET.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(OrdinalOrderFix)), Shared]
public sealed class OrdinalOrderFix : DocumentFixer
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("RPR2007");

    protected override string Title => "Order the entries with an ordinal comparer";

    protected override bool CanFix(SyntaxNode node, Diagnostic diagnostic, SemanticModel model) => node is InvocationExpressionSyntax;

    protected override void Fix(DocumentEditor editor, SyntaxNode node, Diagnostic diagnostic, FixState state)
    {
        var call = (InvocationExpressionSyntax)node;
        if (editor.SemanticModel.GetTypeInfo(call).Type is not { } type)
            return;

        var isArray = type is IArrayTypeSymbol;
        var element = type is IArrayTypeSymbol array ? array.ElementType
            : ((INamedTypeSymbol)type).TypeArguments.Length == 1 ? ((INamedTypeSymbol)type).TypeArguments[0] : null;
        var comparer = TypeName(editor.SemanticModel, call.SpanStart, "System", "StringComparer") + ".Ordinal";
        string ordering;
        if (element?.SpecialType != SpecialType.System_String)
            ordering = ".OrderBy(entry => entry.FullName, " + comparer + ")";
        else if (EveryTargetHasOrder(editor, call))
            ordering = ".Order(" + comparer + ")";
        else
            ordering = ".OrderBy(path => path, " + comparer + ")";
        var suffix = isArray ? ".ToArray()" : string.Empty;

        EnsureLinq(editor, call, state);
        editor.ReplaceNode(call, (current, _) =>
        {
            var text = current.WithoutTrivia() + ordering + suffix;
            return Annotated(text).WithTriviaFrom(current);
        });
    }

    /// <summary>
    /// True when this compilation has <c>Enumerable.Order</c> and no other target framework of the project lacks it.
    /// A multi-targeted project is fixed in one of its compilations; the package makes MSBuild's
    /// <c>TargetFrameworks</c> visible (build_property.TargetFrameworks) so that the others are known too.
    /// </summary>
    private static bool EveryTargetHasOrder(DocumentEditor editor, SyntaxNode node)
    {
        var enumerable = editor.SemanticModel.Compilation.GetTypeByMetadataName("System.Linq.Enumerable");
        if (enumerable?.GetMembers("Order").OfType<IMethodSymbol>().Any(m => m.Parameters.Length == 2) != true)
            return false;

        var options = editor.OriginalDocument.Project.AnalyzerOptions.AnalyzerConfigOptionsProvider.GetOptions(node.SyntaxTree);
        if (!options.TryGetValue("build_property.TargetFrameworks", out var frameworks) || string.IsNullOrWhiteSpace(frameworks))
            return true;

        return frameworks.Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries).All(f => TargetFrameworks.HasEnumerableOrder(f.Trim()));
    }
}

/// <summary>Facts about target framework monikers as MSBuild writes them (net472, netstandard2.0, net6.0, net10.0-windows).</summary>
public static class TargetFrameworks
{
    /// <summary>True for .NET 7 and later, where <c>Enumerable.Order</c> exists; false for anything older or unknown.</summary>
    public static bool HasEnumerableOrder(string moniker)
    {
        var tfm = moniker.ToLowerInvariant();
        var dash = tfm.IndexOf('-');
        if (dash >= 0)
            tfm = tfm.Substring(0, dash);

        // net5.0 and later are written "netX.Y"; netcoreapp, netstandard and .NET Framework ("net472") are all older.
        if (!tfm.StartsWith("net", StringComparison.Ordinal) || tfm.IndexOf('.') < 0 || tfm.StartsWith("netcoreapp", StringComparison.Ordinal)
            || tfm.StartsWith("netstandard", StringComparison.Ordinal))
        {
            return false;
        }

        var major = tfm.Substring(3, tfm.IndexOf('.') - 3);
        return int.TryParse(major, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version) && version >= 7;
    }
}
