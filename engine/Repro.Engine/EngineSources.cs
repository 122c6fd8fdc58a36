using System.Runtime.CompilerServices;

namespace Repro.Engine;

/// <summary>Where the engine's sources were compiled: this file lies in the project's root folder.</summary>
internal static class EngineSources
{
    /// <summary>This file's path as the compiler saw it.</summary>
    internal static string File { get; } = Here();

    // The compiler fills in the path of the file that makes the call: this one.
    private static string Here([CallerFilePath] string file = "") => file;
}
