using System;
using Microsoft.CodeAnalysis;

namespace Repro.Analyzers.Internal;

/// <summary>Parallel helpers that programs and libraries write for themselves around <c>Parallel</c>.</summary>
internal static class ParallelHelpers
{
    /// <summary>
    /// A method of the program's own (not in a System namespace) that runs delegates on several threads, judged by its
    /// name: a type named like <c>CommonParallel</c> or <c>ParallelHelper</c>, or a method named like <c>RunParallel</c>.
    /// </summary>
    public static bool IsOwnParallelHelper(IMethodSymbol method)
    {
        return (method.ContainingType.Name.IndexOf("Parallel", StringComparison.Ordinal) >= 0
                || method.Name.IndexOf("Parallel", StringComparison.Ordinal) >= 0)
            && !method.ContainingType.ContainingNamespace.IsIn("System");
    }
}
