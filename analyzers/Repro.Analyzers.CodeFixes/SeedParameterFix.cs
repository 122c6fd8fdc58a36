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
/// RPR1001: turns <c>new Random()</c> into <c>new Random(seed)</c>, offered only where a seed is in reach: an integer
/// named like a seed that is in scope (a local, a parameter, a field or property of the type), or a private method
/// or local function that can take a new optional <c>int seed = 0</c> parameter without any caller noticing.
/// Never changes a signature that other code can see or that a framework calls: public, protected or internal
/// members, constructors, test methods, overrides, interface implementations, entry points, methods used as delegates.
/// No fix is offered elsewhere (a field initializer without a seed in reach, a public method): a made-up constant would
/// hide the question of where the seed should come from.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(SeedParameterFix)), Shared]
public sealed class SeedParameterFix : DocumentFixer
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("RPR1001");

    protected override string Title => "Pass an explicit seed";

    protected override bool CanFix(SyntaxNode node, Diagnostic diagnostic, SemanticModel model) =>
        node is BaseObjectCreationExpressionSyntax { ArgumentList: null or { Arguments.Count: 0 } } creation
        && (SeedInScope(creation, model) is not null || ExtendableMember(creation, model) is not null);

    protected override void Fix(DocumentEditor editor, SyntaxNode node, Diagnostic diagnostic, FixState state)
    {
        var creation = (BaseObjectCreationExpressionSyntax)node;
        var model = editor.SemanticModel;
        string argument;
        if (SeedInScope(creation, model) is { } inScope)
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
            return;
        }

        editor.ReplaceNode(creation, (current, _) =>
        {
            var args = SyntaxFactory.ArgumentList(SyntaxFactory.SingletonSeparatedList(
                SyntaxFactory.Argument(SyntaxFactory.ParseExpression(argument))));
            return ((BaseObjectCreationExpressionSyntax)current).WithArgumentList(args);
        });
    }

    /// <summary>An int named seed, Seed, _seed or s_seed that is visible (and usable: not an instance member from a static context).</summary>
    private static ISymbol? SeedInScope(SyntaxNode creation, SemanticModel model)
    {
        var isStaticContext = model.GetEnclosingSymbol(creation.SpanStart) is { IsStatic: true }
            || creation.Ancestors().OfType<FieldDeclarationSyntax>().Any();
        return model.LookupSymbols(creation.SpanStart).OrderBy(s => s is ILocalSymbol or IParameterSymbol ? 0 : 1).FirstOrDefault(s =>
            s.Name is "seed" or "Seed" or "_seed" or "s_seed" or "randomSeed" or "RandomSeed" or "_randomSeed"
            && SeedType(s)?.SpecialType is SpecialType.System_Int32
            && (s.IsStatic || s is ILocalSymbol or IParameterSymbol || !isStaticContext));
    }

    private static ITypeSymbol? SeedType(ISymbol symbol) => symbol switch
    {
        ILocalSymbol local => local.Type,
        IParameterSymbol parameter => parameter.Type,
        IFieldSymbol field => field.Type,
        IPropertySymbol property => property.Type,
        _ => null,
    };

    /// <summary>The private method or local function whose parameter list can take a seed without any caller noticing.</summary>
    private static SyntaxNode? ExtendableMember(SyntaxNode node, SemanticModel model)
    {
        var member = node.Ancestors().FirstOrDefault(a => a is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax
            or PropertyDeclarationSyntax or FieldDeclarationSyntax or AccessorDeclarationSyntax
            or AnonymousFunctionExpressionSyntax);
        var parameters = member switch
        {
            MethodDeclarationSyntax method => method.ParameterList,
            LocalFunctionStatementSyntax local => local.ParameterList,
            _ => null,
        };
        if (parameters?.Parameters.Any(p => p.Modifiers.Any(SyntaxKind.ParamsKeyword)) != false)
            return null;

        if (model.GetDeclaredSymbol(member!) is not IMethodSymbol symbol || symbol.Parameters.Any(p => p.Name == "seed"))
            return null;

        if (symbol.MethodKind != MethodKind.LocalFunction
            && (symbol.DeclaredAccessibility != Accessibility.Private || symbol.IsOverride || symbol.IsAbstract || symbol.IsVirtual
                || symbol.IsExtern || symbol.IsPartialDefinition || symbol.PartialImplementationPart is not null
                || symbol.PartialDefinitionPart is not null || symbol.ExplicitInterfaceImplementations.Length > 0
                || symbol.IsStatic && symbol.Name == "Main" || ImplementsInterface(symbol)))
        {
            return null;
        }

        // Test frameworks, serializers and hosts call attributed methods by reflection with the arguments they know.
        if (symbol.GetAttributes().Length > 0 || IsUsedAsDelegate(member!, symbol, model))
            return null;

        return member;
    }

    private static bool ImplementsInterface(IMethodSymbol symbol)
    {
        return symbol.ContainingType.AllInterfaces.SelectMany(i => i.GetMembers())
            .Any(m => SymbolEqualityComparer.Default.Equals(symbol.ContainingType.FindImplementationForInterfaceMember(m), symbol));
    }

    /// <summary>A method group conversion (<c>list.Select(Load)</c>, <c>handler += OnTick</c>) would stop compiling with one more parameter.</summary>
    private static bool IsUsedAsDelegate(SyntaxNode member, IMethodSymbol symbol, SemanticModel model)
    {
        var scope = member is LocalFunctionStatementSyntax ? member.Parent! : member.FirstAncestorOrSelf<TypeDeclarationSyntax>() ?? member.SyntaxTree.GetRoot();
        foreach (var name in scope.DescendantNodes().OfType<SimpleNameSyntax>())
        {
            if (name.Identifier.ValueText != symbol.Name)
                continue;

            var expression = name.Parent is MemberAccessExpressionSyntax access && access.Name == name ? (ExpressionSyntax)access : name;
            if (expression.Parent is InvocationExpressionSyntax call && call.Expression == expression)
                continue;

            var referenced = model.GetSymbolInfo(name);
            if (SymbolEqualityComparer.Default.Equals(referenced.Symbol, symbol)
                || referenced.CandidateSymbols.Any(c => SymbolEqualityComparer.Default.Equals(c, symbol)))
            {
                return true;
            }
        }

        return false;
    }

    private static void AddSeedParameter(DocumentEditor editor, SyntaxNode member)
    {
        var parameter = SyntaxFactory.Parameter(SyntaxFactory.Identifier("seed"))
            .WithType(SyntaxFactory.PredefinedType(SyntaxFactory.Token(SyntaxKind.IntKeyword)))
            .WithDefault(SyntaxFactory.EqualsValueClause(SyntaxFactory.ParseExpression("0")));
        editor.ReplaceNode(member, (current, _) => current switch
        {
            MethodDeclarationSyntax m => m.AddParameterListParameters(parameter),
            LocalFunctionStatementSyntax l => l.AddParameterListParameters(parameter),
            _ => current,
        });
    }
}
