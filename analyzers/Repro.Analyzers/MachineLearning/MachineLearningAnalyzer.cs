using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers.MachineLearning;

/// <summary>
/// The documented reproducibility switches of .NET machine-learning libraries, where leaving them out is easy:
/// RPR1007: ML.NET's <c>new MLContext()</c> without a seed;
/// RPR1008: a TorchSharp <c>DataLoader</c> that shuffles without a seed;
/// RPR4005: an ONNX Runtime <c>InferenceSession</c> whose intra-op thread count is left to the machine.
/// The libraries are recognized by metadata name, so no rule runs in projects that do not use them.
/// </summary>
public sealed class MachineLearningAnalyzer : RuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.UnseededMLContext, RuleCatalog.UnseededDataLoaderShuffle, RuleCatalog.OnnxThreadCount);

    internal override void Register(RuleRegistrar registrar)
    {
        registrar.RegisterObjectCreationAction(AnalyzeCreation, "MLContext", "DataLoader", "InferenceSession");
        registrar.RegisterInvocationAction(AnalyzeFactory, "DataLoader");
    }

    private static void AnalyzeCreation(OperationAnalysisContext context)
    {
        var creation = (IObjectCreationOperation)context.Operation;
        var type = creation.Type;
        if (type.Is("Microsoft.ML.MLContext"))
        {
            if (IsMissingOrNull(creation.Arguments, "seed"))
                context.ReportDiagnostic(Diagnostic.Create(RuleCatalog.UnseededMLContext, creation.Syntax.GetLocation(), "new MLContext()"));
        }
        else if (type is { Name: "DataLoader" } && IsTorchSharp(type))
        {
            AnalyzeDataLoader(context, creation.Arguments, "new DataLoader(...)");
        }
        else if (type.Is("Microsoft.ML.OnnxRuntime.InferenceSession") && LeavesThreadCountToMachine(creation))
        {
            context.ReportDiagnostic(Diagnostic.Create(RuleCatalog.OnnxThreadCount, creation.Syntax.GetLocation(), "new InferenceSession(...)"));
        }
    }

    private static void AnalyzeFactory(OperationAnalysisContext context)
    {
        var call = (IInvocationOperation)context.Operation;
        if (call.TargetMethod.Name == "DataLoader" && IsTorchSharp(call.TargetMethod.ContainingType))
            AnalyzeDataLoader(context, call.Arguments, "DataLoader(...)");
    }

    private static void AnalyzeDataLoader(OperationAnalysisContext context, ImmutableArray<IArgumentOperation> arguments, string api)
    {
        var shuffle = arguments.FirstOrDefault(a => a.Parameter?.Name == "shuffle");
        if (shuffle is null || shuffle.Value.ConstantValue is { HasValue: true, Value: false })
            return;

        // The seed parameter is named seed in TorchSharp's DataLoader; a generator parameter counts as well.
        var hasSeedParameter = arguments.Any(a => a.Parameter?.Name is "seed" or "generator");
        if (!hasSeedParameter || IsMissingOrNull(arguments, "seed") && IsMissingOrNull(arguments, "generator"))
            context.ReportDiagnostic(Diagnostic.Create(RuleCatalog.UnseededDataLoaderShuffle, arguments[0].Parent!.Syntax.GetLocation(), api));
    }

    /// <summary>True when the parameter is not there, or takes its default, or is passed a null constant.</summary>
    private static bool IsMissingOrNull(ImmutableArray<IArgumentOperation> arguments, string parameter)
    {
        var argument = arguments.FirstOrDefault(a => a.Parameter?.Name == parameter);
        return argument is null || argument.ArgumentKind == ArgumentKind.DefaultValue
            || argument.Value.Unwrap().ConstantValue is { HasValue: true, Value: null };
    }

    private static bool IsTorchSharp(ITypeSymbol? type)
    {
        var outermost = type;
        while (outermost?.ContainingType is { } outer)
            outermost = outer;

        return outermost?.ContainingNamespace.IsIn("TorchSharp") == true;
    }

    /// <summary>
    /// A session built without SessionOptions, or with options made in this method that never set IntraOpNumThreads.
    /// Options that come from elsewhere (a parameter, a field) are someone else's decision and are not reported.
    /// </summary>
    private static bool LeavesThreadCountToMachine(IObjectCreationOperation creation)
    {
        var options = creation.Arguments.FirstOrDefault(a => a.Value.Type.Is("Microsoft.ML.OnnxRuntime.SessionOptions"));
        if (options is null || options.ArgumentKind == ArgumentKind.DefaultValue || options.Value.Unwrap().ConstantValue is { HasValue: true, Value: null })
            return true;

        var value = options.Value.Unwrap();
        if (value is IObjectCreationOperation made)
            return !SetsThreads(made);

        if (value is not ILocalReferenceOperation local)
            return false;

        var root = creation.Root();
        var assigned = root.AssignedValues(local.Local).ToList();
        if (assigned.Count == 0 || assigned.Any(v => v.Unwrap() is not IObjectCreationOperation))
            return false;

        return !assigned.Any(v => SetsThreads((IObjectCreationOperation)v.Unwrap()))
            && !root.ReferencesTo(local.Local).Any(r => r.UsefulParent() is IPropertyReferenceOperation { Property.Name: "IntraOpNumThreads" } p
                && p.UsefulParent() is ISimpleAssignmentOperation a && a.Target == p);
    }

    private static bool SetsThreads(IObjectCreationOperation options)
    {
        return options.Initializer?.Initializers.Any(i => i is ISimpleAssignmentOperation
        {
            Target: IPropertyReferenceOperation { Property.Name: "IntraOpNumThreads" },
        }) == true;
    }
}
