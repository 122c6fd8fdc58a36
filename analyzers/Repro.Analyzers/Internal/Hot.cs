using System.Runtime.CompilerServices;

namespace Repro.Analyzers.Internal;

/// <summary>Marks the methods that run for (nearly) every operation of a compilation.</summary>
internal static class Hot
{
    /// <summary>
    /// <c>MethodImplOptions.AggressiveOptimization</c>, which netstandard2.0 does not name but .NET Core 3.0 and later
    /// honour: the method is compiled fully optimized at its first call. A compiler process is short-lived and busy
    /// compiling its own generic code, so without this the per-operation code ran at tier 0 or in the instrumented
    /// tier for a whole 100k-line build (perf found no sample of it in fully optimized code). Full optimization
    /// costs more JIT time per method, which a small project feels, so only the few small methods that run for
    /// (nearly) every operation carry it: the dispatchers, the operand walk, the seed-argument test; the rules'
    /// own code runs only for the member names they registered and stays with the normal tiers.
    /// </summary>
    public const MethodImplOptions Path = (MethodImplOptions)512;
}
