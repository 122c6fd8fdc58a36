using System.Collections;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Repro.Engine;
using Repro.Engine.Backends;

namespace Repro.Recorder;

/// <summary>Reads the environment fingerprint of this process: what a log's header records and <c>repro doctor</c> shows.</summary>
public static class Fingerprint
{
    /// <summary>Environment variables that can change results or how a run executes.</summary>
    public static bool IsRelevantVariable(string name) =>
        name.StartsWith("REPRO_", StringComparison.Ordinal)
        || name.StartsWith("DOTNET_Enable", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("DOTNET_PreferredVectorBitWidth", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("DOTNET_TieredCompilation", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("DOTNET_TieredPGO", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("DOTNET_ReadyToRun", StringComparison.OrdinalIgnoreCase)
        || name.Equals("DOTNET_STARTUP_HOOKS", StringComparison.OrdinalIgnoreCase);

    /// <summary>The fingerprint for a run on <paramref name="backend"/> at <paramref name="dtype"/>.</summary>
    public static EnvironmentFingerprint Capture(Backend? backend = null, DType dtype = DType.Float32, ulong? seed = null, int? threads = null, string? commandLine = null)
    {
        var b = backend ?? Settings.DefaultBackend;
        var vars = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            var name = (string)e.Key;
            if (IsRelevantVariable(name))
            {
                vars[name] = (string?)e.Value ?? string.Empty;
            }
        }

        return new EnvironmentFingerprint(
            Os: RuntimeInformation.OSDescription + " (" + RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant() + ")",
            Runtime: RuntimeInformation.FrameworkDescription,
            Cpu: CpuModel(),
            Isa: Isas(),
            Processors: Environment.ProcessorCount,
            Threads: threads ?? Settings.Threads,
            Backend: b.Name,
            Device: b.DeviceName,
            DType: dtype.Name(),
            Seed: seed ?? Generator.Default.Seed,
            Variables: vars,
            CommandLine: commandLine ?? string.Join(' ', Environment.GetCommandLineArgs()));
    }

    /// <summary>The CPU model name, from /proc/cpuinfo where there is one.</summary>
    public static string CpuModel()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                {
                    if (line.StartsWith("model name", StringComparison.Ordinal) || line.StartsWith("Model", StringComparison.Ordinal))
                    {
                        int colon = line.IndexOf(':');
                        if (colon > 0)
                        {
                            return line[(colon + 1)..].Trim();
                        }
                    }
                }
            }
        }
        catch (IOException)
        {
            // Unreadable cpuinfo: fall through to the architecture name.
        }
        catch (UnauthorizedAccessException)
        {
            // Same.
        }

        return RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
    }

    /// <summary>The vector instruction sets the JIT may use here, and the widths it accelerates.</summary>
    public static IReadOnlyList<string> Isas()
    {
        var list = new List<string>();
        void Add(bool supported, string name)
        {
            if (supported)
            {
                list.Add(name);
            }
        }

        Add(System.Runtime.Intrinsics.X86.Sse42.IsSupported, "sse4.2");
        Add(System.Runtime.Intrinsics.X86.Avx.IsSupported, "avx");
        Add(System.Runtime.Intrinsics.X86.Avx2.IsSupported, "avx2");
        Add(System.Runtime.Intrinsics.X86.Fma.IsSupported, "fma");
        Add(System.Runtime.Intrinsics.X86.Avx512F.IsSupported, "avx512f");
        Add(System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported, "advsimd");
        Add(Vector128.IsHardwareAccelerated, "vector128");
        Add(Vector256.IsHardwareAccelerated, "vector256");
        Add(Vector512.IsHardwareAccelerated, "vector512");
        list.Add("vector<T>=" + (Vector<byte>.Count * 8).ToString(System.Globalization.CultureInfo.InvariantCulture) + "bit");
        return list;
    }
}
