using System.Collections.Immutable;
using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;

namespace Repro.Analyzers.CodeFixes;

/// <summary>RPR5003: rewrites <c>a * b + c</c> in a kernel as an explicit <c>MathF/Math.FusedMultiplyAdd(a, b, c)</c>.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ExplicitFmaFix)), Shared]
public sealed class ExplicitFmaFix : DocumentFixer
{
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("RPR5003");

    protected override string Title => "Use an explicit fused multiply-add";

    protected override bool CanFix(SyntaxNode node, Diagnostic diagnostic) => node is BinaryExpressionSyntax;

    protected override void Fix(DocumentEditor editor, SyntaxNode node, Diagnostic diagnostic, FixState state)
    {
        var type = editor.SemanticModel.GetTypeInfo(node).Type;
        var math = TypeName(editor.SemanticModel, node.SpanStart, "System", type?.SpecialType == SpecialType.System_Single ? "MathF" : "Math");
        editor.ReplaceNode(node, (current, _) => Rewrite((BinaryExpressionSyntax)current, math).WithTriviaFrom(current));
    }

    private static ExpressionSyntax Rewrite(BinaryExpressionSyntax sum, string math)
    {
        var subtract = sum.IsKind(SyntaxKind.SubtractExpression);
        ExpressionSyntax a, b, c;
        if (Strip(sum.Left) is BinaryExpressionSyntax left && left.IsKind(SyntaxKind.MultiplyExpression))
        {
            (a, b, c) = (left.Left, left.Right, subtract ? Negate(sum.Right) : sum.Right);
        }
        else
        {
            var right = (BinaryExpressionSyntax)Strip(sum.Right);
            (a, b, c) = (subtract ? Negate(right.Left) : right.Left, right.Right, sum.Left);
        }

        var text = math + ".FusedMultiplyAdd(" + a.WithoutTrivia() + ", " + b.WithoutTrivia() + ", " + c.WithoutTrivia() + ")";
        return Annotated(text);
    }

    private static ExpressionSyntax Strip(ExpressionSyntax expression)
    {
        while (expression is ParenthesizedExpressionSyntax parenthesized)
            expression = parenthesized.Expression;

        return expression;
    }

    private static ExpressionSyntax Negate(ExpressionSyntax expression)
    {
        var simple = expression is IdentifierNameSyntax or LiteralExpressionSyntax or MemberAccessExpressionSyntax
            or InvocationExpressionSyntax or ElementAccessExpressionSyntax or ParenthesizedExpressionSyntax;
        var operand = simple ? expression.WithoutTrivia() : SyntaxFactory.ParenthesizedExpression(expression.WithoutTrivia());
        return SyntaxFactory.PrefixUnaryExpression(SyntaxKind.UnaryMinusExpression, operand);
    }
}
