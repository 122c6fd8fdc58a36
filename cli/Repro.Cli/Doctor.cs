using Newtonsoft.Json.Linq;
using Repro.Engine;
using Repro.Recorder;
using Spectre.Console;

namespace Repro.Cli;

/// <summary><c>repro doctor</c>: this machine's fingerprint, the settings that matter, and a quick invariance self-check.</summary>
internal static class Doctor
{
    private static readonly (string Name, string Effect)[] Known =
    [
        ("REPRO_SEED", "changes results: seeds the default random generator"),
        ("REPRO_BACKEND", "chooses the default backend; results change only where backends disagree (replay --backend finds out)"),
        ("REPRO_THREADS", "worker threads; never changes results"),
        ("DOTNET_EnableAVX512", "SIMD width (0 turns AVX-512 and Vector512 off); the engine's orders do not depend on it (level 3 of the contract), a divergence here is a bug"),
        ("DOTNET_EnableAVX2", "SIMD width; as above"),
        ("DOTNET_EnableAVX", "SIMD width; as above"),
        ("DOTNET_EnableHWIntrinsic", "all SIMD off; as above"),
        ("DOTNET_PreferredVectorBitWidth", "Vector<T> width; as above"),
        ("DOTNET_TieredCompilation", "JIT tiers; never changes results"),
        ("DOTNET_STARTUP_HOOKS", "code run before Main (repro record uses it)"),
        ("REPRO_RECORD", "records this process to a log folder (through the startup hook)"),
    ];

    // Knobs of earlier runtimes that .NET 10 no longer reads (it folded them into DOTNET_EnableAVX512): shown only when
    // set, because a user who sets one believes the width changed when it did not.
    private static readonly string[] Ignored =
    [
        "DOTNET_EnableAVX512F", "DOTNET_EnableAVX512BW", "DOTNET_EnableAVX512CD", "DOTNET_EnableAVX512DQ", "DOTNET_EnableAVX512VL",
    ];

    public static int Run(Output o)
    {
        var fp = Fingerprint.Capture();
        var settings = Known.Select(k => (k.Name, Value: Environment.GetEnvironmentVariable(k.Name), k.Effect, IsIgnored: false)).ToList();
        foreach (var name in Ignored)
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                settings.Add((name, value, "IGNORED on .NET 10: the runtime reads DOTNET_EnableAVX512 instead; set that to change the width", true));
                o.Warn($"{name} is set but ignored on .NET 10; use DOTNET_EnableAVX512={value}");
            }
        }

        var check = SelfCheck();
        var backends = Backends();
        o.Document(new JObject
        {
            ["repro"] = LogFormat.ReproVersion,
            ["logFormat"] = LogFormat.Version,
            ["env"] = new JObject
            {
                ["os"] = fp.Os,
                ["runtime"] = fp.Runtime,
                ["cpu"] = fp.Cpu,
                ["isa"] = new JArray(fp.Isa),
                ["processors"] = fp.Processors,
                ["threads"] = fp.Threads,
                ["backend"] = fp.Backend,
                ["device"] = fp.Device,
                ["backends"] = new JArray(Settings.BackendNames),
                ["backendStatus"] = new JArray(backends.Select(b => new JObject { ["name"] = b.Name, ["available"] = b.Problem is null, ["problem"] = b.Problem })),
                ["seed"] = fp.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            ["settings"] = new JArray(settings.Select(s => new JObject { ["name"] = s.Name, ["value"] = s.Value, ["effect"] = s.Effect, ["ignored"] = s.IsIgnored })),
            ["selfCheck"] = new JObject { ["threadInvariant"] = check.Same, ["hash"] = check.Hash },
        });
        o.Human(c =>
        {
            var t = new Table().AddColumns("fingerprint", "value").HideHeaders();
            t.AddRow("repro", $"{LogFormat.ReproVersion} (log format v{LogFormat.Version})");
            t.AddRow("os", Output.Esc(fp.Os));
            t.AddRow("runtime", Output.Esc(fp.Runtime));
            t.AddRow("cpu", Output.Esc(fp.Cpu));
            t.AddRow("isa", Output.Esc(string.Join(' ', fp.Isa)));
            t.AddRow("threads", $"{fp.Threads} of {fp.Processors} processors");
            t.AddRow("backend", Output.Esc($"{fp.Backend} ({fp.Device})"));
            foreach (var (name, problem) in backends)
            {
                t.AddRow("  " + Output.Esc(name), problem is null ? "available" : Output.Esc("not available: " + problem));
            }

            t.AddRow("seed", fp.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
            c.Write(t);
            var s = new Table().AddColumns("setting", "value", "effect on results");
            foreach (var (name, value, effect, _) in settings)
            {
                s.AddRow(Output.Esc(name), value is null ? "(unset)" : Output.Esc(value), Output.Esc(effect));
            }

            c.Write(s);
            c.WriteLine(check.Same
                ? $"self-check: a matmul + softmax gives the same bits on 1 and {fp.Processors} threads ({check.Hash[..16]})"
                : "self-check FAILED: results differ between thread counts; please report this");
        });
        return check.Same ? ExitCodes.Success : ExitCodes.Divergence;
    }

    /// <summary>Every registered backend, and why it cannot run here (no device, a missing driver), or null when it can.</summary>
    private static List<(string Name, string? Problem)> Backends()
    {
        var list = new List<(string, string?)>();
        foreach (var name in Settings.BackendNames)
        {
            try
            {
                _ = Settings.GetBackend(name);
                list.Add((name, null));
            }
#pragma warning disable CA1031 // Any failure to create a backend is what doctor reports about it.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                list.Add((name, Cli.Message(ex).Split('\n')[0]));
            }
        }

        return list;
    }

    private static (bool Same, string Hash) SelfCheck()
    {
        string Compute(int threads)
        {
            using var _ = Settings.UseThreads(threads);
            var g = new Generator(42);
            var a = Tensor.Randn([64, 96], g);
            var b = Tensor.Randn([96, 80], g);
            return a.MatMul(b).Softmax().Sum(0).ContentHash();
        }

        var one = Compute(1);
        var many = Compute(Math.Max(2, Environment.ProcessorCount));
        return (one == many, one);
    }
}
