using System;
using System.Collections.Immutable;
using System.Linq;
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
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class VolatileSeedAnalyzer : DiagnosticAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.VolatileSeed);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterOperationAction(AnalyzeCall, OperationKind.Invocation, OperationKind.ObjectCreation);
        context.RegisterOperationAction(AnalyzeAssignment, OperationKind.SimpleAssignment);
    }

    private static void AnalyzeCall(OperationAnalysisContext context)
    {
        var arguments = context.Operation is IInvocationOperation call
            ? call.Arguments
            : ((IObjectCreationOperation)context.Operation).Arguments;
        foreach (var argument in arguments)
        {
            if (argument.Parameter is not null && argument.ArgumentKind != ArgumentKind.DefaultValue && Seeds.IsSeedParameter(argument))
                Report(context, argument.Value);
        }
    }

    private static void AnalyzeAssignment(OperationAnalysisContext context)
    {
        var assignment = (ISimpleAssignmentOperation)context.Operation;
        var target = assignment.Target.ReferencedSymbol();
        if (target is IFieldSymbol or IPropertySymbol && Seeds.HasSeedName(target.Name))
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
    public static bool HasSeedName(string name) => name.IndexOf("seed", StringComparison.OrdinalIgnoreCase) >= 0;

    public static bool IsSeedParameter(IArgumentOperation argument)
    {
        var parameter = argument.Parameter!;
        if (argument.Parent is IObjectCreationOperation creation && creation.Type.Is("System.Random"))
            return true;

        return HasSeedName(parameter.Name) && parameter.Type.SpecialType is SpecialType.System_Int32
            or SpecialType.System_Int64 or SpecialType.System_UInt32 or SpecialType.System_UInt64;
    }

    /// <summary>Describes the first per-run source found in <paramref name="value"/>, following locals.</summary>
    public static string? FindVolatileSource(IOperation value, IOperation root, int depth)
    {
        foreach (var operation in new[] { value }.Concat(value.Descendants()))
        {
            var found = operation switch
            {
                IPropertyReferenceOperation p => VolatileProperty(p),
                IInvocationOperation i => VolatileCall(i),
                _ => null,
            };
            if (found is not null)
                return found;

            if (operation is ILocalReferenceOperation local && depth < 3)
            {
                foreach (var assigned in root.AssignedValues(local.Local))
                {
                    if (FindVolatileSource(assigned, root, depth + 1) is { } inner)
                        return inner;
                }
            }
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
