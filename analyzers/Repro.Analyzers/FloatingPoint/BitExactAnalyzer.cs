using System;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers.FloatingPoint;

/// <summary>
/// In code marked as needing bit-exact results (an attribute named <c>BitExact</c> on the member, a containing type
/// or the assembly, or <c>repro_bit_exact = true</c> in .editorconfig):
/// RPR3005: TensorPrimitives reductions and transcendentals, documented to vary by OS and architecture;
/// RPR3006 (information): Math/MathF/float/double transcendentals, computed by the platform's C runtime.
/// </summary>
public sealed class BitExactAnalyzer : RuleAnalyzer
{
    public const string EditorConfigKey = "repro_bit_exact";

    private static readonly NameSet TensorMethods = new(
        "Sum", "Dot", "Norm", "SumOfSquares", "SumOfMagnitudes", "CosineSimilarity", "Product", "Distance", "Average",
        "Exp", "Log", "Log2", "Sin", "Cos", "Tan", "Tanh", "Sigmoid", "SoftMax", "Pow", "Cbrt", "Atan", "Atan2");

    private static readonly NameSet Transcendentals = new(
        "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Atan2", "Sinh", "Cosh", "Tanh", "Asinh", "Acosh", "Atanh",
        "Exp", "Exp2", "Exp10", "ExpM1", "Log", "Log2", "Log10", "LogP1", "Pow", "Cbrt", "SinCos", "Hypot");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.TensorPrimitivesInBitExactCode, RuleCatalog.TranscendentalInBitExactCode);

    internal override void Register(RuleRegistrar registrar)
    {
        registrar.RegisterInvocationAction(Analyze, NameSet.Union(TensorMethods, Transcendentals));
    }

    private static void Analyze(OperationAnalysisContext context)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        var name = method.Name;
        var isTensorName = TensorMethods.Contains(name);
        var isTranscendentalName = Transcendentals.Contains(name);
        if (!isTensorName && !isTranscendentalName)
            return;

        var type = method.ContainingType;
        DiagnosticDescriptor rule;
        string api;
        if (isTensorName && type.Is("System.Numerics.Tensors.TensorPrimitives"))
        {
            rule = RuleCatalog.TensorPrimitivesInBitExactCode;
            api = name;
        }
        else if (isTranscendentalName && IsScalarMathType(type))
        {
            rule = RuleCatalog.TranscendentalInBitExactCode;
            api = type.Name + "." + name;
        }
        else
        {
            return;
        }

        if (IsBitExact(context))
            context.ReportDiagnostic(Diagnostic.Create(rule, invocation.Syntax.GetLocation(), api));
    }

    private static bool IsScalarMathType(INamedTypeSymbol type)
    {
        return type.Is("System.Math") || type.Is("System.MathF") || type.SpecialType is SpecialType.System_Single
            or SpecialType.System_Double;
    }

    private static bool IsBitExact(OperationAnalysisContext context)
    {
        for (var symbol = context.ContainingSymbol; symbol is not null; symbol = symbol.ContainingSymbol)
        {
            if (symbol.GetAttributes().Any(IsBitExactAttribute))
                return true;

            if (symbol is INamespaceSymbol)
                break;
        }

        if (context.Compilation.Assembly.GetAttributes().Any(IsBitExactAttribute))
            return true;

        var options = context.Options.AnalyzerConfigOptionsProvider.GetOptions(context.Operation.Syntax.SyntaxTree);
        return options.TryGetValue(EditorConfigKey, out var value) && string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsBitExactAttribute(AttributeData attribute)
    {
        return attribute.AttributeClass?.Name is "BitExactAttribute" or "BitExact";
    }
}
