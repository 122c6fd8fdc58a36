using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Repro.Tests.Shared;

/// <summary>
/// The vector widths the JIT accelerates in a process, as one line that child processes print and tests compare
/// whole, and the line a child of this process must print when started with one more runtime setting.
/// </summary>
/// <remarks>Linked into the test projects and the child programs that need it, so every side formats it alike.</remarks>
internal static class VectorWidths
{
    /// <summary>The runtime settings a hardware-invariance test can start a child with, each with the value that changes the width.</summary>
    public static readonly (string Variable, string Value)[] Knobs =
    [
        ("DOTNET_EnableAVX512", "0"),
        ("DOTNET_EnableAVX2", "0"),
        ("DOTNET_EnableHWIntrinsic", "0"),
        ("DOTNET_PreferredVectorBitWidth", "512"),
    ];

    /// <summary>This process's widths, e.g. "v128=True v256=True v512=False".</summary>
    public static string Line() => Format(Vector128.IsHardwareAccelerated, Vector256.IsHardwareAccelerated, Vector512.IsHardwareAccelerated);

    /// <summary>
    /// The line a child prints when it inherits this process's environment plus <paramref name="variable"/>=<paramref name="value"/>,
    /// worked out from this process's own hardware, so the expectation holds on machines with and without AVX-512.
    /// </summary>
    public static string ExpectedInChild(string variable, string value)
    {
        bool v128 = Vector128.IsHardwareAccelerated, v256 = Vector256.IsHardwareAccelerated;
        return (variable, value) switch
        {
            // .NET 10 reads EnableAVX512 (EnableAVX512F and the other per-subset knobs are ignored).
            ("DOTNET_EnableAVX512", "0") => Format(v128, v256, v512: false),

            // AVX-512 builds on AVX2, so both wide widths go.
            ("DOTNET_EnableAVX2", "0") => Format(v128, v256: false, v512: false),
            ("DOTNET_EnableHWIntrinsic", "0") => Format(v128: false, v256: false, v512: false),

            // The runtime may keep Vector512 off by default on AVX-512 parts that throttle; asking for 512 bits turns
            // it on wherever AVX-512 is there, and nowhere else.
            ("DOTNET_PreferredVectorBitWidth", "512") => Format(v128, v256, Avx512F.IsSupported),

            // Not a width: output buffers filled with NaN bits instead of left as they were (the widths stay).
            ("REPRO_POISON_UNINITIALIZED", "1") => Line(),
            _ => throw new ArgumentException($"no expectation for {variable}={value}", nameof(variable)),
        };
    }

    private static string Format(bool v128, bool v256, bool v512) => $"v128={v128} v256={v256} v512={v512}";
}
