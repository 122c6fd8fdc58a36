using System;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers.Randomness;

/// <summary>RPR1004: <c>OrderBy(_ =&gt; Guid.NewGuid())</c> or <c>OrderBy(_ =&gt; rng.Next())</c> used as a shuffle.</summary>
public sealed class RandomSortKeyAnalyzer : RuleAnalyzer
{
    /// <summary>Property set on the diagnostic: the syntax text of the Random instance the key selector uses.</summary>
    public const string RandomExpressionKey = "RandomExpression";

    private static readonly NameSet SortMethods = new("OrderBy", "OrderByDescending", "ThenBy", "ThenByDescending");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.RandomSortKey);

    internal override void Register(RuleRegistrar registrar)
    {
        registrar.RegisterInvocationAction(Analyze, SortMethods.ToArray());
    }

    /// <summary>A read of a generator that can be repeated without side effects: <c>rng</c>, <c>_rng</c>, <c>this.ctx.Random</c>.</summary>
    private static bool IsPlainReference(IOperation instance)
    {
        return instance switch
        {
            ILocalReferenceOperation or IParameterReferenceOperation or IInstanceReferenceOperation => true,
            IFieldReferenceOperation field => field.Instance is null || IsPlainReference(field.Instance.Unwrap()),
            IPropertyReferenceOperation { Arguments.Length: 0 } property => property.Instance is null || IsPlainReference(property.Instance.Unwrap()),
            _ => false,
        };
    }

    /// <summary>
    /// True when every value stored in the generator (a local of this method, or a field of this type) is
    /// <c>new Random(seed)</c> with a seed that does not change per run (RPR1002 reports those that do).
    /// </summary>
    private static bool IsVisiblySeeded(IOperation instance, IOperation invocation)
    {
        var values = new System.Collections.Generic.List<IOperation>();
        switch (instance)
        {
            case IObjectCreationOperation:
                values.Add(instance);
                break;
            case ILocalReferenceOperation local:
                values.AddRange(invocation.Root().AssignedValues(local.Local));
                break;
            case IFieldReferenceOperation { Field: { } field } when field.DeclaringSyntaxReferences.Length > 0:
                foreach (var reference in field.ContainingType.DeclaringSyntaxReferences)
                {
                    var root = reference.GetSyntax();
                    if (root.SyntaxTree != invocation.Syntax.SyntaxTree)
                        return false;
                    var model = invocation.SemanticModel!;
                    foreach (var node in root.DescendantNodes())
                    {
                        if (node is Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax { Initializer: { } init } declarator
                            && declarator.Identifier.ValueText == field.Name && model.GetOperation(init.Value) is { } initial)
                        {
                            values.Add(initial);
                        }
                        else if (node is Microsoft.CodeAnalysis.CSharp.Syntax.AssignmentExpressionSyntax assignment
                            && assignment.Left.ToString().EndsWith(field.Name, StringComparison.Ordinal)
                            && model.GetOperation(assignment) is ISimpleAssignmentOperation { Target: IFieldReferenceOperation target } stored
                            && SymbolEqualityComparer.Default.Equals(target.Field, field))
                        {
                            values.Add(stored.Value);
                        }
                    }
                }

                break;
            default:
                return false;
        }

        return values.Count > 0 && values.All(v => v.Unwrap() is IObjectCreationOperation { Arguments.Length: > 0 } creation
            && creation.Type.Is("System.Random") && Seeds.FindVolatileSource(creation.Arguments[0].Value, creation.Root(), 0) is null);
    }

    private static void Analyze(OperationAnalysisContext context)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        if (!SortMethods.Contains(method.Name)
            || !(method.ContainingType.Is("System.Linq.Enumerable") || method.ContainingType.Is("System.Linq.Queryable")
                || method.ContainingType.Is("System.Linq.ParallelEnumerable")))
        {
            return;
        }

        var selector = invocation.Arguments.FirstOrDefault(a => a.Parameter?.Name == "keySelector")?.Value.Unwrap();
        if (selector is IDelegateCreationOperation creation)
            selector = creation.Target;

        if (selector is not IAnonymousFunctionOperation lambda)
            return;

        foreach (var operation in lambda.Body.Descendants())
        {
            if (operation is not IInvocationOperation call)
                continue;

            string? source = null;
            string? randomExpression = null;
            if (call.TargetMethod.IsMethod("System.Guid", "NewGuid", "CreateVersion7"))
            {
                source = "Guid." + call.TargetMethod.Name + "()";
            }
            else if (call.TargetMethod.ContainingType.Is("System.Random") && call.Instance is { } instance)
            {
                // A generator whose seed is visible in this method or type, in a sequential LINQ sort: the sort calls the
                // key selector once per element in source order, so the keys, and the result, repeat from run to run.
                if (!method.ContainingType.Is("System.Linq.ParallelEnumerable") && IsVisiblySeeded(instance.Unwrap(), invocation))
                    return;

                source = "Random." + call.TargetMethod.Name;
                if (IsPlainReference(instance.Unwrap()))
                    randomExpression = instance.Syntax.ToString();
            }

            if (source is null)
                continue;

            var properties = ImmutableDictionary<string, string?>.Empty.Add(RandomExpressionKey, randomExpression);
            context.ReportDiagnostic(Diagnostic.Create(
                RuleCatalog.RandomSortKey, invocation.Syntax.GetLocation(), properties, method.Name, source));
            return;
        }
    }
}
