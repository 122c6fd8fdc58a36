using System.Collections.Immutable;
using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;

namespace Repro.Analyzers.CodeFixes;

/// <summary>RPR1005: replaces <c>text.GetHashCode()</c> by <c>StableHash(text)</c>, a 32-bit FNV-1a hash added to the type once.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(StableHashFix)), Shared]
public sealed class StableHashFix : DocumentFixer
{
    private const string Helper = """
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
        """;

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("RPR1005");

    protected override string Title => "Use a stable string hash";

    protected override bool CanFix(SyntaxNode node, Diagnostic diagnostic, SemanticModel model) =>
        node is InvocationExpressionSyntax
        {
            Expression: MemberAccessExpressionSyntax { Name.Identifier.Text: "GetHashCode" },
            ArgumentList.Arguments.Count: 0,
        };

    protected override void Fix(DocumentEditor editor, SyntaxNode node, Diagnostic diagnostic, FixState state)
    {
        EnsureHelper(editor, node, "StableHash", Helper, state);
        editor.ReplaceNode(node, (current, _) =>
        {
            var receiver = ((MemberAccessExpressionSyntax)((InvocationExpressionSyntax)current).Expression).Expression;
            return Annotated("StableHash(" + receiver.WithoutTrivia() + ")").WithTriviaFrom(current);
        });
    }
}
