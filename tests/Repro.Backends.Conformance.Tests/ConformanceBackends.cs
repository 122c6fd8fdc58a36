using System.Collections.Concurrent;
using Repro.Backends.Ilgpu;
using Repro.Engine;
using Repro.Engine.Backends;

namespace Repro.Backends.Conformance.Tests;

/// <summary>
/// The backends the conformance suite checks: every name registered with <see cref="Settings"/> once the optional
/// backend packages have registered theirs, except the reference itself. A new backend joins the suite by registering.
/// </summary>
internal static class ConformanceBackends
{
    static ConformanceBackends() => IlgpuBackends.Register();

    /// <summary>Backends that tests open by name but that are not registered, so the suite's list never shows them (planted faults).</summary>
    public static ConcurrentDictionary<string, Backend> Unlisted { get; } = new(StringComparer.Ordinal);

    public static IReadOnlyList<string> Names =>
        [.. Settings.BackendNames.Where(n => !string.Equals(n, ReferenceBackend.Instance.Name, StringComparison.OrdinalIgnoreCase))];

    /// <summary>
    /// The backend of that name. A backend whose device this machine lacks throws <see cref="InvalidOperationException"/>
    /// from its factory (the registration contract, which names the devices it did find): the test is skipped, saying so.
    /// </summary>
    public static Backend Open(string name)
    {
        if (Unlisted.TryGetValue(name, out var unlisted))
        {
            return unlisted;
        }

        try
        {
            return Settings.GetBackend(name);
        }
        catch (InvalidOperationException e)
        {
            Skip.If(true, $"{name}: {e.Message}");
            throw;
        }
    }
}
