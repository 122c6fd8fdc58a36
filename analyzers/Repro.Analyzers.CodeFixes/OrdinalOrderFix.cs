using System.Collections.Immutable;
using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;

namespace Repro.Analyzers.CodeFixes;

/// <summary>RPR2007: orders a directory listing with an ordinal comparer (by full name for FileSystemInfo results).</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(OrdinalOrderFix)), Shared]
public sealed class OrdinalOrderFix : DocumentFixer
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("RPR2007");

    protected override string Title => "Order the entries with an ordinal comparer";

    protected override bool CanFix(SyntaxNode node, Diagnostic diagnostic) => node is InvocationExpressionSyntax;

    protected override void Fix(DocumentEditor editor, SyntaxNode node, Diagnostic diagnostic, FixState state)
    {
        var call = (InvocationExpressionSyntax)node;
        if (editor.SemanticModel.GetTypeInfo(call).Type is not { } type)
            return;

        var isArray = type is IArrayTypeSymbol;
        var element = type is IArrayTypeSymbol array ? array.ElementType
            : ((INamedTypeSymbol)type).TypeArguments.Length == 1 ? ((INamedTypeSymbol)type).TypeArguments[0] : null;
        var comparer = TypeName(editor.SemanticModel, call.SpanStart, "System", "StringComparer") + ".Ordinal";
        var ordering = element?.SpecialType == SpecialType.System_String
            ? ".Order(" + comparer + ")"
            : ".OrderBy(entry => entry.FullName, " + comparer + ")";
        var suffix = isArray ? ".ToArray()" : string.Empty;

        EnsureLinq(editor, call, state);
        editor.ReplaceNode(call, (current, _) =>
        {
            var text = current.WithoutTrivia() + ordering + suffix;
            return Annotated(text).WithTriviaFrom(current);
        });
    }
}
