using System;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers.Randomness;

/// <summary>
/// RPR1002: a seed (the argument of <c>new Random(int)</c>, or of any parameter, field or property named
/// like a seed) whose value comes from the clock, a GUID, a thread or process id, or a crypto RNG.
/// Locals are followed to the values assigned to them.
/// </summary>
public sealed class VolatileSeedAnalyzer : RuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.VolatileSeed);

    internal override void Register(RuleRegistrar registrar)
    {
        registrar.RegisterOperationAction(AnalyzeCall, OperationKind.Invocation, OperationKind.ObjectCreation);
        registrar.RegisterOperationAction(AnalyzeAssignment, OperationKind.SimpleAssignment);
    }

    [MethodImpl(Hot.Path)]
    private static void AnalyzeCall(OperationAnalysisContext context)
    {
        ImmutableArray<IArgumentOperation> arguments;
        var isRandom = false;
        if (context.Operation is IInvocationOperation call)
        {
            arguments = call.Arguments;
        }
        else
        {
            var creation = (IObjectCreationOperation)context.Operation;
            arguments = creation.Arguments;
            isRandom = !arguments.IsEmpty && creation.Type.Is("System.Random");
        }

        foreach (var argument in arguments)
        {
            if (argument.Parameter is { } parameter && argument.ArgumentKind != ArgumentKind.DefaultValue
                && (isRandom || Seeds.IsSeedParameter(parameter)))
            {
                Report(context, argument.Value);
            }
        }
    }

    [MethodImpl(Hot.Path)]
    private static void AnalyzeAssignment(OperationAnalysisContext context)
    {
        var assignment = (ISimpleAssignmentOperation)context.Operation;
        var target = assignment.Target.Unwrap() switch
        {
            IFieldReferenceOperation field => (ISymbol)field.Field,
            IPropertyReferenceOperation { Arguments.Length: 0 } property => property.Property,
            _ => null,
        };
        if (target is not null && Seeds.HasSeedName(target.Name))
            Report(context, assignment.Value);
    }

    private static void Report(OperationAnalysisContext context, IOperation value)
    {
        if (Seeds.FindVolatileSource(value, value.Root(), 0) is { } source)
        {
            context.ReportDiagnostic(Diagnostic.Create(RuleCatalog.VolatileSeed, value.Syntax.GetLocation(), source));
        }
    }
}

/// <summary>What counts as a seed, and which values change on every run.</summary>
internal static class Seeds
{
    /// <summary>True when the name contains "seed" in any case.</summary>
    /// <remarks>Runs for many parameter names, so ASCII names are matched by hand without a culture-aware search.</remarks>
    [MethodImpl(Hot.Path)]
    public static bool HasSeedName(string name)
    {
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c >= 0x80)
                return name.IndexOf("seed", StringComparison.OrdinalIgnoreCase) >= 0;

            if ((c | 0x20) == 's' && i + 3 < name.Length && (name[i + 1] | 0x20) == 'e' && (name[i + 2] | 0x20) == 'e'
                && (name[i + 3] | 0x20) == 'd')
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>An integer parameter named like a seed (the arguments of <c>new Random(...)</c> are seeds as well).</summary>
    [MethodImpl(Hot.Path)]
    public static bool IsSeedParameter(IParameterSymbol parameter)
    {
        // The name first: a parameter's type can be costly to produce (generic substitution), its name is not.
        return HasSeedName(parameter.Name) && parameter.Type.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64
            or SpecialType.System_UInt32 or SpecialType.System_UInt64;
    }

    /// <summary>
    /// Describes the first per-run source found in <paramref name="value"/>, following locals, and calls of methods
    /// declared in this compilation one level deep (<c>new Random(MakeSeed())</c> where MakeSeed reads the clock).
    /// </summary>
    public static string? FindVolatileSource(IOperation value, IOperation root, int depth, int calls = 0)
    {
        foreach (var operation in new[] { value }.Concat(value.Descendants()))
        {
            var found = operation switch
            {
                IPropertyReferenceOperation p => VolatileProperty(p),
                IInvocationOperation i => VolatileCall(i) ?? (calls == 0 ? VolatileHelper(i) : null),
                _ => null,
            };
            if (found is not null)
                return found;

            if (operation is ILocalReferenceOperation local && depth < 3)
            {
                foreach (var assigned in root.AssignedValues(local.Local))
                {
                    if (FindVolatileSource(assigned, root, depth + 1, calls) is { } inner)
                        return inner;
                }

                // A buffer that a per-run source fills: rng.GetBytes(bytes); return BitConverter.ToInt32(bytes, 0);
                if (local.Local.Type is IArrayTypeSymbol)
                {
                    foreach (var use in root.ReferencesTo(local.Local))
                    {
                        if (use.UsefulParent() is IArgumentOperation { Parent: IInvocationOperation fill } && VolatileCall(fill) is { } filled)
                            return filled;
                    }
                }
            }
        }

        return null;
    }

    /// <summary>A helper declared in source whose returned value comes from a per-run source: "MakeSeed() (DateTime.Now)".</summary>
    private static string? VolatileHelper(IInvocationOperation call)
    {
        var method = call.TargetMethod.OriginalDefinition;
        if (method.DeclaringSyntaxReferences.Length != 1 || call.SemanticModel is not { } model || method.ReturnType.SpecialType == SpecialType.System_Void)
            return null;

        var declaration = method.DeclaringSyntaxReferences[0].GetSyntax();
        var body = declaration switch
        {
            Microsoft.CodeAnalysis.CSharp.Syntax.BaseMethodDeclarationSyntax m => (SyntaxNode?)m.Body ?? m.ExpressionBody,
            Microsoft.CodeAnalysis.CSharp.Syntax.LocalFunctionStatementSyntax l => (SyntaxNode?)l.Body ?? l.ExpressionBody,
            _ => null,
        };
        if (body is null)
            return null;

        // The helper is usually in the same file; one in another file needs that file's model (a rare, one-level look).
#pragma warning disable RS1030 // Do not invoke Compilation.GetSemanticModel(): only for seed arguments that call a helper in another file
        var bodyModel = body.SyntaxTree == model.SyntaxTree ? model : model.Compilation.GetSemanticModel(body.SyntaxTree);
#pragma warning restore RS1030
        if (bodyModel.GetOperation(body) is not { } operation)
            return null;

        var returned = operation is IBlockOperation block
            ? block.Descendants().OfType<IReturnOperation>().Select(r => r.ReturnedValue).Where(v => v is not null)
            : operation.Descendants().OfType<IReturnOperation>().Select(r => r.ReturnedValue).Where(v => v is not null).DefaultIfEmpty(operation);
        foreach (var value in returned)
        {
            if (FindVolatileSource(value!, operation, 0, calls: 1) is { } source)
                return method.Name + "() (" + source + ")";
        }

        return null;
    }

    private static string? VolatileProperty(IPropertyReferenceOperation p)
    {
        if (p.IsMember("System.Environment", "TickCount", "TickCount64", "CurrentManagedThreadId", "ProcessId")
            || p.IsMember("System.DateTime", "Now", "UtcNow", "Today")
            || p.IsMember("System.DateTimeOffset", "Now", "UtcNow")
            || p.IsMember("System.Threading.Thread", "ManagedThreadId"))
        {
            return p.Property.ContainingType.Name + "." + p.Property.Name;
        }

        return null;
    }

    private static string? VolatileCall(IInvocationOperation i)
    {
        var method = i.TargetMethod;
        if (method.IsMethod("System.Guid", "NewGuid", "CreateVersion7")
            || method.IsMethod("System.Diagnostics.Stopwatch", "GetTimestamp")
            || method.IsMethod("System.Diagnostics.Process", "GetCurrentProcess")
            || method.ContainingType.Is("System.Security.Cryptography.RandomNumberGenerator"))
        {
            return method.ContainingType.Name + "." + method.Name + "()";
        }

        return null;
    }
}
