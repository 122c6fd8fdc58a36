using System;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers.Ordering;

/// <summary>
/// RPR2007: <c>Directory.GetFiles</c>/<c>EnumerateFiles</c>/<c>GetDirectories</c> (and the DirectoryInfo forms),
/// whose order is the file system's, feeding results without being ordered.
/// </summary>
public sealed class DirectoryOrderAnalyzer : RuleAnalyzer
{
    private static readonly NameSet Methods = new(
        "GetFiles", "EnumerateFiles", "GetDirectories", "EnumerateDirectories", "GetFileSystemEntries",
        "EnumerateFileSystemEntries", "GetFileSystemInfos", "EnumerateFileSystemInfos");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(RuleCatalog.UnorderedDirectoryEnumeration);

    internal override void Register(RuleRegistrar registrar)
    {
        registrar.RegisterInvocationAction(Analyze, Methods.ToArray());
    }

    internal static bool IsDirectoryListing(IMethodSymbol method)
    {
        return Methods.Contains(method.Name)
            && (method.ContainingType.Is("System.IO.Directory") || method.ContainingType.Is("System.IO.DirectoryInfo"));
    }

    private static void Analyze(OperationAnalysisContext context)
    {
        var invocation = (IInvocationOperation)context.Operation;
        if (!IsDirectoryListing(invocation.TargetMethod) || !OrderUse.IsOrderSensitive(invocation, invocation.Root(), 0))
            return;

        context.ReportDiagnostic(Diagnostic.Create(
            RuleCatalog.UnorderedDirectoryEnumeration, invocation.Syntax.GetLocation(),
            invocation.TargetMethod.ContainingType.Name + "." + invocation.TargetMethod.Name));
    }
}
