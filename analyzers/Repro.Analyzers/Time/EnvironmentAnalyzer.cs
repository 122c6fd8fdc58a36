using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers.Time;

/// <summary>
/// Machine settings that change results on other machines:
/// RPR4003: <c>Environment.ProcessorCount</c> deciding how work is cut (a chunk size, the number of partial results, a
/// partition loop); setting a degree of parallelism or a thread count from it is not reported.
/// RPR4004: conversions through the local time zone (<c>ToLocalTime</c>, <c>DateTime.ToUniversalTime</c>,
/// <c>TimeZoneInfo.Local</c>, <c>TimeZoneInfo.ConvertTimeToUtc(dt)</c>); values only printed are not reported.
/// </summary>
public sealed class EnvironmentAnalyzer : RuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.ProcessorCountDependence, RuleCatalog.LocalTimeZone);

    internal override void Register(RuleRegistrar registrar)
    {
        registrar.RegisterPropertyReferenceAction(AnalyzeProperty, "ProcessorCount", "Local");
        registrar.RegisterInvocationAction(AnalyzeCall, "ToLocalTime", "ToUniversalTime", "ConvertTimeToUtc");
    }

    private static void AnalyzeProperty(OperationAnalysisContext context)
    {
        var reference = (IPropertyReferenceOperation)context.Operation;
        if (reference.IsMember("System.Environment", "ProcessorCount"))
        {
            if (FindPartitionUse(reference, reference.Root(), 0) is { } use)
                context.ReportDiagnostic(Diagnostic.Create(RuleCatalog.ProcessorCountDependence, reference.Syntax.GetLocation(), use));
        }
        else if (reference.IsMember("System.TimeZoneInfo", "Local") && !IsDisplayOnly(reference))
        {
            if (reference.UsefulParent() is IPropertyReferenceOperation { Property.Name: "Id" or "DisplayName" or "StandardName" or "DaylightName" })
                return;
            context.ReportDiagnostic(Diagnostic.Create(RuleCatalog.LocalTimeZone, reference.Syntax.GetLocation(), "TimeZoneInfo.Local"));
        }
    }

    private static void AnalyzeCall(OperationAnalysisContext context)
    {
        var call = (IInvocationOperation)context.Operation;
        var method = call.TargetMethod;
        string api;
        if (method.IsMethod("System.DateTime", "ToLocalTime", "ToUniversalTime") && call.Instance is { } instance)
        {
            // DateTime.Now.ToUniversalTime() is the current UTC time on every machine.
            if (method.Name == "ToUniversalTime" && instance.Unwrap() is IPropertyReferenceOperation { Property.Name: "Now" or "UtcNow" or "Today" })
                return;
            api = "DateTime." + method.Name;
        }
        else if (method.IsMethod("System.DateTimeOffset", "ToLocalTime"))
        {
            api = "DateTimeOffset.ToLocalTime";
        }
        else if (method.IsMethod("System.TimeZoneInfo", "ConvertTimeToUtc") && call.Arguments.Length == 1)
        {
            api = "TimeZoneInfo.ConvertTimeToUtc";
        }
        else
        {
            return;
        }

        if (!IsDisplayOnly(call))
            context.ReportDiagnostic(Diagnostic.Create(RuleCatalog.LocalTimeZone, call.Syntax.GetLocation(), api));
    }

    /// <summary>A value that only goes into text: interpolation, ToString, or a string or object parameter of a print or log call.</summary>
    private static bool IsDisplayOnly(IOperation value)
    {
        var current = value;
        while (true)
        {
            var parent = current.UsefulParent();
            switch (parent)
            {
                case IInterpolationOperation:
                    return true;
                case IPropertyReferenceOperation property when property.Instance?.Unwrap() == current.Unwrap():
                    current = property;
                    continue;
                case IInvocationOperation call when call.Instance?.Unwrap() == current.Unwrap():
                    return call.TargetMethod.ReturnType.SpecialType == SpecialType.System_String;
                case IArgumentOperation { Parent: IInvocationOperation target } argument:
                    var type = target.TargetMethod.ContainingType;
                    return argument.Parameter?.Type.SpecialType is SpecialType.System_String or SpecialType.System_Object
                        && (type.Is("System.Console") || type.Is("System.Diagnostics.Debug") || type.Is("System.Diagnostics.Trace")
                            || type.Is("System.String") || target.TargetMethod.Name.StartsWith("Log", StringComparison.Ordinal));
                default:
                    return false;
            }
        }
    }

    /// <summary>Describes how the processor count cuts the work, or null when it only sets a degree of parallelism.</summary>
    private static string? FindPartitionUse(IOperation value, IOperation root, int depth)
    {
        var current = value;
        while (true)
        {
            var parent = current.UsefulParent();
            switch (parent)
            {
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Divide or BinaryOperatorKind.Remainder }:
                    return "a chunk size";
                case IBinaryOperation binary when binary.OperatorKind is BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual
                    or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual:
                    return IsPartitionLoopCondition(binary) ? "the number of partitions" : null;
                case IBinaryOperation or IUnaryOperation:
                    current = parent;
                    continue;
                case IArrayCreationOperation:
                    return "the number of partial results";
                case IArgumentOperation argument:
                    if (argument.Parent is IInvocationOperation call)
                    {
                        var method = call.TargetMethod;
                        if (method.ContainingType.Is("System.Math") && method.Name is "Min" or "Max" or "Clamp")
                        {
                            current = call;
                            continue;
                        }

                        if (method.ContainingType.Is("System.Collections.Concurrent.Partitioner") && method.Name == "Create")
                            return "the partition size";
                    }

                    var name = argument.Parameter?.Name ?? string.Empty;
                    return name.IndexOf("chunk", StringComparison.OrdinalIgnoreCase) >= 0
                        || name.IndexOf("partition", StringComparison.OrdinalIgnoreCase) >= 0
                        || name.IndexOf("rangeSize", StringComparison.OrdinalIgnoreCase) >= 0
                        ? "the '" + name + "' argument"
                        : null;
                default:
                    if (depth < 2 && current.StoredIntoLocal() is { } local)
                    {
                        foreach (var use in root.ReferencesTo(local).Where(u => !(u.UsefulParent() is ISimpleAssignmentOperation a && a.Target.Unwrap() == u)))
                        {
                            if (FindPartitionUse(use, root, depth + 1) is { } found)
                                return found;
                        }
                    }

                    return null;
            }
        }
    }

    private static bool IsPartitionLoopCondition(IOperation comparison)
    {
        var parent = comparison.UsefulParent();
        while (parent is IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr })
            parent = parent.UsefulParent();

        // A loop that only starts one worker per core (`workers.Add(Work)`) sets the degree of parallelism; one that
        // uses its counter (`partials[p] = ...`, `p * chunk`) cuts the work into that many pieces.
        return parent is IForLoopOperation loop && loop.Locals.Any(local => loop.Body.Descendants()
            .Any(o => o is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local)));
    }
}
