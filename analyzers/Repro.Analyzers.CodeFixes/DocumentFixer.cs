using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace Repro.Analyzers.CodeFixes;

/// <summary>
/// Base for the fixes: one routine fixes any set of diagnostics in a document, so a single fix and fix-all
/// (document, project, solution) share the code and helper methods are added once per type.
/// </summary>
public abstract class DocumentFixer : CodeFixProvider
{
    protected abstract string Title { get; }

    public sealed override FixAllProvider GetFixAllProvider()
    {
        return FixAllProvider.Create((context, document, diagnostics) =>
            FixDocumentAsync(document, diagnostics, context.CancellationToken)!);
    }

    public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (root is null || model is null || !CanFix(root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true), diagnostic, model))
                continue;

            context.RegisterCodeFix(
                CodeAction.Create(Title, ct => FixDocumentAsync(context.Document, ImmutableArray.Create(diagnostic), ct), GetType().Name),
                diagnostic);
        }
    }

    /// <summary>Whether the fix is offered for this diagnostic; a fix that would be wrong here is not offered at all.</summary>
    protected virtual bool CanFix(SyntaxNode node, Diagnostic diagnostic, SemanticModel model) => true;

    protected abstract void Fix(DocumentEditor editor, SyntaxNode node, Diagnostic diagnostic, FixState state);

    private async Task<Document> FixDocumentAsync(Document document, ImmutableArray<Diagnostic> diagnostics, CancellationToken ct)
    {
        var editor = await DocumentEditor.CreateAsync(document, ct).ConfigureAwait(false);
        var state = new FixState();
        foreach (var diagnostic in diagnostics.OrderBy(d => d.Location.SourceSpan.Start))
        {
            var node = editor.OriginalRoot.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            if (CanFix(node, diagnostic, editor.SemanticModel))
                Fix(editor, node, diagnostic, state);
        }

        return editor.GetChangedDocument();
    }

    /// <summary>Parses a member and marks it for simplification and formatting.</summary>
    protected static MemberDeclarationSyntax ParseMember(string text)
    {
        return SyntaxFactory.ParseMemberDeclaration(text)!
            .WithAdditionalAnnotations(Simplifier.Annotation, Formatter.Annotation);
    }

    /// <summary>Adds a private static helper to the type containing <paramref name="node"/>, once.</summary>
    protected static void EnsureHelper(DocumentEditor editor, SyntaxNode node, string name, string text, FixState state)
    {
        var type = node.FirstAncestorOrSelf<TypeDeclarationSyntax>();
        if (type is null || !state.AddedHelpers.Add((type, name)))
            return;

        var exists = type.Members.OfType<MethodDeclarationSyntax>().Any(m => m.Identifier.Text == name);
        if (!exists)
            editor.AddMember(type, ParseMember(text).WithLeadingTrivia(SyntaxFactory.EndOfLine("\n")));
    }

    /// <summary>The name to write for a type: short when its namespace is imported at the position, else qualified.</summary>
    protected static string TypeName(SemanticModel model, int position, string ns, string name)
    {
        var found = model.LookupNamespacesAndTypes(position, name: name);
        return found.Length == 1 && found[0].ContainingNamespace?.ToDisplayString() == ns ? name : ns + "." + name;
    }

    protected static ExpressionSyntax Annotated(string expression)
    {
        return SyntaxFactory.ParseExpression(expression).WithAdditionalAnnotations(Simplifier.Annotation);
    }

    /// <summary>Adds <c>using System.Linq;</c> when extension methods from it are not already in scope.</summary>
    protected static void EnsureLinq(DocumentEditor editor, SyntaxNode node, FixState state)
    {
        if (state.LinqChecked)
            return;

        state.LinqChecked = true;
        var visible = editor.SemanticModel.LookupNamespacesAndTypes(node.SpanStart, name: "Enumerable")
            .Any(s => s.ContainingNamespace?.ToDisplayString() == "System.Linq");
        if (visible || editor.OriginalRoot is not CompilationUnitSyntax unit)
            return;

        var last = unit.Usings.LastOrDefault(u => string.CompareOrdinal(u.Name?.ToString(), "System.Linq") < 0);
        var directive = SyntaxFactory.UsingDirective(SyntaxFactory.ParseName("System.Linq").WithLeadingTrivia(SyntaxFactory.Space))
            .WithTrailingTrivia(last?.GetTrailingTrivia() ?? SyntaxFactory.TriviaList(SyntaxFactory.EndOfLine("\n")));
        if (last is not null)
            editor.InsertAfter(last, directive);
        else if (unit.Usings.Count > 0)
            editor.InsertBefore(unit.Usings[0], directive);
        else
            editor.ReplaceNode(unit, (current, _) => ((CompilationUnitSyntax)current).AddUsings(directive));
    }
}

/// <summary>What a fix-all pass has already done in the current document.</summary>
public sealed class FixState
{
    public System.Collections.Generic.HashSet<(SyntaxNode Type, string Name)> AddedHelpers { get; } = new();

    public System.Collections.Generic.HashSet<SyntaxNode> ExtendedMembers { get; } = new();

    public bool LinqChecked { get; set; }
}
