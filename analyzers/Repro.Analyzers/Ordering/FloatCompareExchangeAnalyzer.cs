using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers.Ordering;

/// <summary>
/// RPR2002: <c>Interlocked.CompareExchange(ref double, ...)</c> (or float) inside a retry loop, the usual way
/// to emulate an atomic float add. Integer atomics are exact and are not reported, and so are float adds of whole
/// numbers (a counter kept in a double: <c>old + 1.0</c>), which are exact in any order below 2^53 (2^24 for float).
/// </summary>
public sealed class FloatCompareExchangeAnalyzer : RuleAnalyzer
{
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.FloatCompareExchangeLoop);

    internal override void Register(RuleRegistrar registrar)
    {
        registrar.RegisterInvocationAction(Analyze, "CompareExchange");
    }

    private static void Analyze(OperationAnalysisContext context)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        if (!method.IsMethod("System.Threading.Interlocked", "CompareExchange") || invocation.Arguments.Length != 3)
            return;

        var location = invocation.Arguments[0];
        if (!location.Value.Type.IsFloatingPoint() || !invocation.IsInsideLoop() || AddsWholeNumbers(invocation.Arguments[1].Value, invocation.Root()))
            return;

        context.ReportDiagnostic(Diagnostic.Create(
            RuleCatalog.FloatCompareExchangeLoop, invocation.Syntax.GetLocation(), location.Value.Syntax.ToString()));
    }

    /// <summary>The new value is <c>x + k</c> or <c>x - k</c> where k is a whole-number constant or an integer.</summary>
    private static bool AddsWholeNumbers(IOperation value, IOperation root)
    {
        var values = value.Unwrap() is ILocalReferenceOperation local ? root.AssignedValues(local.Local).ToList() : new List<IOperation> { value };
        return values.Count > 0 && values.All(v => v.Unwrap() is IBinaryOperation { OperatorKind: BinaryOperatorKind.Add or BinaryOperatorKind.Subtract } sum
            && (IsWholeNumber(sum.RightOperand) || sum.OperatorKind == BinaryOperatorKind.Add && IsWholeNumber(sum.LeftOperand)));
    }

    private static bool IsWholeNumber(IOperation operand)
    {
        if (operand.ConstantValue is { HasValue: true, Value: { } constant })
        {
            var number = System.Convert.ToDouble(constant, System.Globalization.CultureInfo.InvariantCulture);
            return number == System.Math.Floor(number) && System.Math.Abs(number) < 1e6;
        }

        return operand.Unwrap().Type?.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int16 or SpecialType.System_Byte
            or SpecialType.System_SByte or SpecialType.System_UInt16;
    }
}
