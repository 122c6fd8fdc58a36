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
                source = "Random." + call.TargetMethod.Name;
                if (instance.Unwrap() is ILocalReferenceOperation or IFieldReferenceOperation or IParameterReferenceOperation)
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
