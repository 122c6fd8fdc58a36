using System.Runtime.CompilerServices;

namespace Repro.Analyzers.Internal;

/// <summary>Marks the methods that run for (nearly) every operation of a compilation.</summary>
internal static class Hot
{
    /// <summary>
    /// <c>MethodImplOptions.AggressiveOptimization</c>, which netstandard2.0 does not name but .NET Core 3.0 and later
    /// honour: the method is compiled fully optimized at its first call. A compiler process is short-lived and busy
    /// compiling its own generic code, so without this the callbacks ran at tier 0 or in the instrumented tier for
    /// the whole build (measured with perf on a 100k-line build: no sample in fully optimized code).
    /// </summary>
    public const MethodImplOptions Path = (MethodImplOptions)512;
}
