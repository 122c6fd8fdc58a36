namespace Repro.Bench;

/// <summary>Marks a static class with <c>public static int Run(string[] args)</c> as a named benchmark.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class BenchAttribute(string name, string description) : Attribute
{
    /// <summary>The name typed on the command line.</summary>
    public string Name { get; } = name;

    /// <summary>One line for the list.</summary>
    public string Description { get; } = description;
}
