using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;

namespace Repro.Analyzers.CodeFixes;

/// <summary>
/// RPR1004: replaces <c>source.OrderBy(_ =&gt; rng.Next())</c> by <c>SeededShuffle(source, rng)</c>, a Fisher-Yates
/// shuffle added to the type once. The shuffle draws from the generator the key selector used, written as it was
/// (<c>rng</c>, <c>_context.Random</c>), so a generator that the program seeds keeps its seed. When the key comes from
/// a GUID, the shuffle gets <c>new Random(seed)</c> with a <c>seed</c> in scope, or <c>new Random(0)</c>.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SeededShuffleFix)), Shared]
public sealed class SeededShuffleFix : DocumentFixer
{
    private const string Helper = """
        private static T[] SeededShuffle<T>(System.Collections.Generic.IEnumerable<T> source, System.Random rng)
        {
            var items = System.Linq.Enumerable.ToArray(source);
            for (var i = items.Length - 1; i > 0; i--)
            {
                var j = rng.Next(i + 1);
                (items[i], items[j]) = (items[j], items[i]);
            }

            return items;
        }
        """;

    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("RPR1004");

    protected override string Title => "Use a seeded Fisher-Yates shuffle";

    protected override bool CanFix(SyntaxNode node, Diagnostic diagnostic, SemanticModel model) =>
        node is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.Text: "OrderBy" or "OrderByDescending" } };

    protected override void Fix(DocumentEditor editor, SyntaxNode node, Diagnostic diagnostic, FixState state)
    {
        var call = (InvocationExpressionSyntax)node;
        diagnostic.Properties.TryGetValue("RandomExpression", out var random);
        if (string.IsNullOrEmpty(random))
        {
            var seed = editor.SemanticModel.LookupSymbols(call.SpanStart).FirstOrDefault(s => s.Name is "seed" or "Seed");
            random = "new " + TypeName(editor.SemanticModel, call.SpanStart, "System", "Random") + "(" + (seed?.Name ?? "0") + ")";
        }

        EnsureHelper(editor, call, "SeededShuffle", Helper, state);
        editor.ReplaceNode(call, (current, _) =>
        {
            var currentSource = ((MemberAccessExpressionSyntax)((InvocationExpressionSyntax)current).Expression).Expression;
            return Annotated("SeededShuffle(" + currentSource.WithoutTrivia() + ", " + random + ")").WithTriviaFrom(current);
        });
    }
}
