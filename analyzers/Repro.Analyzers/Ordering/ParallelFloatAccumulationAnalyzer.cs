using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers.Ordering;

/// <summary>
/// RPR2001: inside a delegate passed to <c>Parallel.For</c>/<c>ForEach</c>/<c>Invoke</c> (body or <c>localFinally</c>),
/// <c>Task.Run</c> or <c>TaskFactory.StartNew</c>,
/// a float or double <c>+=</c> (or <c>x = x + ...</c>) into state shared by the workers: a field, a captured
/// variable, or an array slot whose index does not depend on the iteration. Writes to disjoint slots
/// (<c>sums[i] += ...</c>) and to locals of the delegate are not reported; a surrounding <c>lock</c> does not help.
/// RPR1009: in the same delegates, draws from a <c>System.Random</c> that the workers share (a field, a captured
/// variable): which item gets which number depends on scheduling.
/// </summary>
public sealed class ParallelFloatAccumulationAnalyzer : RuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.ParallelFloatAccumulation, RuleCatalog.SharedRandomInParallel);

    internal override void Register(RuleRegistrar registrar)
    {
        registrar.RegisterInvocationAction(Analyze, "For", "ForEach", "Invoke", "Run", "StartNew");
    }

    private static readonly NameSet WorkerMethods = new("For", "ForEach", "Invoke", "Run", "StartNew");

    private static void Analyze(OperationAnalysisContext context)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        if (!WorkerMethods.Contains(method.Name))
            return;

        // Parallel, tasks, and a parallel helper of the program's own with the same method names (CommonParallel.For).
        var type = method.ContainingType;
        var isWorker = type.Is("System.Threading.Tasks.Parallel") && method.Name is "For" or "ForEach" or "Invoke"
            || type.Is("System.Threading.Tasks.Task") && method.Name == "Run"
            || type.Is("System.Threading.Tasks.TaskFactory") && method.Name == "StartNew"
            || method.Name is "For" or "ForEach" or "Invoke" && ParallelHelpers.IsOwnParallelHelper(method);
        if (!isWorker)
            return;

        var values = invocation.Arguments.SelectMany(a => a.Value is IArrayCreationOperation { Initializer: { } init }
            ? init.ElementValues.AsEnumerable()
            : new[] { a.Value });
        foreach (var value in values)
        {
            if (value.Unwrap() is not IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda })
                continue;

            var reportedGenerators = new System.Collections.Generic.HashSet<ISymbol>(SymbolEqualityComparer.Default);
            foreach (var operation in lambda.Body.Descendants())
            {
                if (operation is IInvocationOperation { Instance: { } generator } draw && draw.TargetMethod.ContainingType.Is("System.Random")
                    && generator.Unwrap() is not IPropertyReferenceOperation { Property.IsStatic: true }
                    && !IsPerThread(generator.Unwrap())
                    && generator.ReferencedSymbol() is { } symbol && IsShared(generator, lambda) && reportedGenerators.Add(symbol))
                {
                    context.ReportDiagnostic(Diagnostic.Create(
                        RuleCatalog.SharedRandomInParallel, generator.Syntax.GetLocation(), generator.Syntax.ToString(), type.Name + "." + method.Name));
                }

                var target = AccumulationTarget(operation);
                if (target is null || !IsShared(target, lambda))
                    continue;

                context.ReportDiagnostic(Diagnostic.Create(
                    RuleCatalog.ParallelFloatAccumulation, operation.Syntax.GetLocation(),
                    operation.Syntax.ToString(), target.Syntax.ToString(), type.Name + "." + method.Name));
            }
        }
    }

    /// <summary>
    /// A generator each thread has its own of: <c>ThreadLocal&lt;Random&gt;.Value</c> or a <c>[ThreadStatic]</c> field
    /// (RPR1003 is about those).
    /// </summary>
    private static bool IsPerThread(IOperation generator)
    {
        return generator switch
        {
            IPropertyReferenceOperation { Property.Name: "Value" } value => value.Property.ContainingType.Is("System.Threading.ThreadLocal`1"),
            IFieldReferenceOperation field => field.Field.GetAttributes().Any(a => a.AttributeClass.Is("System.ThreadStaticAttribute")),
            _ => false,
        };
    }

    /// <summary>The target of a float/double addition into itself, or null.</summary>
    private static IOperation? AccumulationTarget(IOperation operation)
    {
        if (operation is ICompoundAssignmentOperation
            {
                OperatorKind: BinaryOperatorKind.Add or BinaryOperatorKind.Subtract or BinaryOperatorKind.Multiply,
            } compound
            && (compound.Target.Type.IsFloatingPoint() || compound.Target.Type.IsFloatVector()))
        {
            return compound.Target;
        }

        if (operation is ISimpleAssignmentOperation simple && simple.Target.Type.IsFloatingPoint()
            && simple.Value.Unwrap() is IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } sum
            && (Ops.SameTarget(sum.LeftOperand, simple.Target) || Ops.SameTarget(sum.RightOperand, simple.Target)))
        {
            return simple.Target;
        }

        return null;
    }

    private static bool IsShared(IOperation target, IAnonymousFunctionOperation lambda, int depth = 0)
    {
        var current = target.Unwrap();
        while (true)
        {
            switch (current)
            {
                case IArrayElementReferenceOperation element:
                    if (element.Indices.Any(index => IsIterationDerived(index, lambda, 0)))
                        return false;
                    current = element.ArrayReference.Unwrap();
                    continue;
                case IPropertyReferenceOperation { Arguments.Length: > 0, Instance: { } instance } indexer:
                    if (indexer.Arguments.Any(a => IsIterationDerived(a.Value, lambda, 0)))
                        return false;
                    current = instance.Unwrap();
                    continue;
                case IFieldReferenceOperation or IPropertyReferenceOperation:
                    return true;
                case ILocalReferenceOperation local:
                    return !IsDeclaredIn(local.Local, lambda) || depth < 3 && IsAliasOfShared(local.Local, lambda, depth);
                case IParameterReferenceOperation parameter:
                    return !SymbolEqualityComparer.Default.Equals(parameter.Parameter.ContainingSymbol, lambda.Symbol);
                default:
                    return false;
            }
        }
    }

    /// <summary>
    /// A local of the worker that refers to shared storage: <c>var row = sums[c];</c> or <c>var acc = totals;</c> (an
    /// array or other reference, so writes through it reach the shared object).
    /// </summary>
    private static bool IsAliasOfShared(ILocalSymbol local, IAnonymousFunctionOperation lambda, int depth)
    {
        if (local.Type is not { IsReferenceType: true } || local.IsRef)
            return false;

        var values = lambda.Body.AssignedValues(local).ToList();
        return values.Count > 0 && values.All(v => v.Unwrap() is IArrayElementReferenceOperation or ILocalReferenceOperation
            or IFieldReferenceOperation or IParameterReferenceOperation or IPropertyReferenceOperation && IsShared(v, lambda, depth + 1));
    }

    private static bool IsDeclaredIn(ILocalSymbol local, IAnonymousFunctionOperation lambda)
    {
        return lambda.Body.Descendants().OfType<IVariableDeclaratorOperation>()
            .Any(d => SymbolEqualityComparer.Default.Equals(d.Symbol, local));
    }

    private static readonly string[] PermutationWords = { "perm", "order", "shuffle", "offset", "start", "ptr", "begin", "bound" };

    /// <summary>An array named like a permutation or like row offsets (perm, order, offsets, rowPtr, starts).</summary>
    private static bool IsPermutationOrOffsets(IOperation array)
    {
        var name = array.ReferencedSymbol()?.Name;
        return name is not null && PermutationWords.Any(w => name.IndexOf(w, System.StringComparison.OrdinalIgnoreCase) >= 0);
    }

    /// <summary>
    /// True when an index is computed from the iteration variable without reading data (so different iterations
    /// write different slots): <c>i</c>, <c>i * n + j</c>, or a local assigned only such values.
    /// </summary>
    private static bool IsIterationDerived(IOperation index, IAnonymousFunctionOperation lambda, int depth)
    {
        var derived = false;
        foreach (var operation in new[] { index }.Concat(index.Descendants()))
        {
            switch (operation)
            {
                case IArrayElementReferenceOperation element when IsPermutationOrOffsets(element.ArrayReference)
                    && element.Indices.All(i => IsIterationDerived(i, lambda, depth + 1)):
                    // perm[i], or the bounds offsets[i] .. offsets[i + 1] of a CSR row: distinct iterations, distinct slots.
                    return true;
                case IArrayElementReferenceOperation or IInvocationOperation:
                    return false;
                case IParameterReferenceOperation p when SymbolEqualityComparer.Default.Equals(p.Parameter.ContainingSymbol, lambda.Symbol):
                    derived = true;
                    break;
                case ILocalReferenceOperation l when depth < 2 && IsDeclaredIn(l.Local, lambda):
                    var values = lambda.Body.AssignedValues(l.Local).ToList();
                    if (values.Count > 0 && values.All(v => IsIterationDerived(v, lambda, depth + 1)))
                        derived = true;
                    break;
            }
        }

        return derived;
    }
}
