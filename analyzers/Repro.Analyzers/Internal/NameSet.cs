using System;
using System.Collections.Generic;
using System.Linq;

namespace Repro.Analyzers.Internal;

/// <summary>
/// A fixed set of member names, tested before any symbol is looked at: most calls and property references in a
/// program are rejected by this one lookup, which allocates nothing.
/// </summary>
internal sealed class NameSet
{
    private readonly HashSet<string> _names;

    public NameSet(params string[] names)
    {
        _names = new HashSet<string>(names, StringComparer.Ordinal);
    }

    public bool Contains(string name) => _names.Contains(name);

    public string[] ToArray() => _names.ToArray();

    /// <summary>The names in either set, each once.</summary>
    public static string[] Union(NameSet first, NameSet second) => first._names.Union(second._names).ToArray();
}
