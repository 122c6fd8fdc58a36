using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;

namespace Repro.Analyzers.CodeFixes;

/// <summary>
/// RPR1001: turns <c>new Random()</c> into <c>new Random(seed)</c>. It uses an integer named <c>seed</c> that is in
/// scope; otherwise it adds an optional <c>int seed = 0</c> parameter to the enclosing method or constructor (callers
/// keep compiling); where neither is possible (a field initializer, an override) it passes the constant 0.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SeedParameterFix)), Shared]
public sealed class SeedParameterFix : DocumentFixer
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("RPR1001");

    protected override string Title => "Pass an explicit seed";

    protected override bool CanFix(SyntaxNode node, Diagnostic diagnostic) =>
        node is BaseObjectCreationExpressionSyntax { ArgumentList: null or { Arguments.Count: 0 } };

    protected override void Fix(DocumentEditor editor, SyntaxNode node, Diagnostic diagnostic, FixState state)
    {
        var creation = (BaseObjectCreationExpressionSyntax)node;
        var model = editor.SemanticModel;
        var inScope = model.LookupSymbols(creation.SpanStart)
            .FirstOrDefault(s => s.Name is "seed" or "Seed" or "_seed" && SeedType(s)?.SpecialType is SpecialType.System_Int32);

        string argument;
        if (inScope is not null)
        {
            argument = inScope.Name;
        }
        else if (ExtendableMember(creation, model) is { } member)
        {
            argument = "seed";
            if (state.ExtendedMembers.Add(member))
                AddSeedParameter(editor, member);
        }
        else
        {
            argument = "0";
        }

        editor.ReplaceNode(creation, (current, _) =>
        {
            var args = SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(
                SyntaxFactory.Argument(SyntaxFactory.ParseExpression(argument))));
            return ((BaseObjectCreationExpressionSyntax)current).WithArgumentList(args);
        });
    }

    private static ITypeSymbol? SeedType(ISymbol symbol) => symbol switch
    {
        ILocalSymbol local => local.Type,
        IParameterSymbol parameter => parameter.Type,
        IFieldSymbol field => field.Type,
        IPropertySymbol property => property.Type,
        _ => null,
    };

    private static SyntaxNode? ExtendableMember(SyntaxNode node, SemanticModel model)
    {
        var member = node.Ancestors().FirstOrDefault(a => a is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax
            or PropertyDeclarationSyntax or FieldDeclarationSyntax or AccessorDeclarationSyntax);
        var parameters = member switch
        {
            MethodDeclarationSyntax method => method.ParameterList,
            ConstructorDeclarationSyntax ctor => ctor.ParameterList,
            LocalFunctionStatementSyntax local => local.ParameterList,
            _ => null,
        };
        if (parameters?.Parameters.Any(p => p.Modifiers.Any(SyntaxKind.ParamsKeyword)) != false)
            return null;

        if (model.GetDeclaredSymbol(member!) is not IMethodSymbol symbol)
            return null;

        var fixedSignature = symbol.IsOverride || symbol.IsAbstract || symbol.ExplicitInterfaceImplementations.Length > 0
            || symbol.IsStatic && symbol.Name == "Main"
            || symbol.ContainingType.AllInterfaces.SelectMany(i => i.GetMembers())
                .Any(m => SymbolEqualityComparer.Default.Equals(symbol.ContainingType.FindImplementationForInterfaceMember(m), symbol));
        return fixedSignature ? null : member;
    }

    private static void AddSeedParameter(DocumentEditor editor, SyntaxNode member)
    {
        var parameter = SyntaxFactory.Parameter(SyntaxFactory.Identifier("seed"))
            .WithType(SyntaxFactory.PredefinedType(SyntaxFactory.Token(SyntaxKind.IntKeyword)))
            .WithDefault(SyntaxFactory.EqualsValueClause(SyntaxFactory.ParseExpression("0")));
        editor.ReplaceNode(member, (current, _) => current switch
        {
            MethodDeclarationSyntax m => m.AddParameterListParameters(parameter),
            ConstructorDeclarationSyntax c => c.AddParameterListParameters(parameter),
            LocalFunctionStatementSyntax l => l.AddParameterListParameters(parameter),
            _ => current,
        });
    }
}
