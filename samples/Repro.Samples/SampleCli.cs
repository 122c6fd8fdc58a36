using System.Globalization;
using Repro.Engine;

namespace Repro.Samples;

/// <summary>The command line shared by the sample programs: --seed, --epochs, --steps, --threads, --dtype, --backend.</summary>
public static class SampleCli
{
    /// <summary>Parses the flags, runs the workload, prints progress, metrics and the parameter hash. Exit 0, or 2 on bad flags.</summary>
    public static int Main(string workloadName, string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        output ??= Console.Out;
        error ??= Console.Error;
        var workload = Workloads.Get(workloadName);
        ulong seed = 0;
        int? epochs = null;
        int? steps = null;
        int threads = Settings.Threads;
        var dtype = DType.Float32;
        string? backend = null;
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string flag = args[i];
                if (flag is "-h" or "--help")
                {
                    output.WriteLine($"{workload.Name}: {workload.Description}");
                    output.WriteLine($"usage: dotnet run --project samples/{workload.Name} -- [--seed N] [--epochs N] [--steps N] [--threads N] [--dtype float32|float64|bfloat16|float16] [--backend NAME]");
                    return 0;
                }

                string value = i + 1 < args.Length ? args[++i] : throw new FormatException($"flag {flag} needs a value");
                switch (flag)
                {
                    case "--seed":
                        seed = ulong.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture);
                        break;
                    case "--epochs":
                        epochs = Positive(flag, value);
                        break;
                    case "--steps":
                        steps = Positive(flag, value);
                        break;
                    case "--threads":
                        threads = Positive(flag, value);
                        break;
                    case "--dtype":
                        dtype = DTypes.TryParse(value, out var d) ? d : throw new FormatException($"--dtype: unknown dtype '{value}'");
                        break;
                    case "--backend":
                        backend = value;
                        break;
                    default:
                        throw new FormatException($"unknown flag '{flag}' (expected --seed, --epochs, --steps, --threads, --dtype, --backend)");
                }
            }
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            error.WriteLine($"{workload.Name}: {e.Message}");
            return 2;
        }

        Repro.Engine.Backends.Backend? b;
        try
        {
            b = backend is null ? null : Settings.GetBackend(backend);
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"{workload.Name}: {e.Message}");
            return 2;
        }

        using var threadScope = Settings.UseThreads(threads);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{workload.Name}: seed {seed}, threads {threads}, dtype {dtype.Name()}, backend {(b ?? Settings.DefaultBackend).Name}"));
        var started = System.Diagnostics.Stopwatch.StartNew();
        var result = workload.Run(new WorkloadOptions(seed, steps, epochs, dtype, b, output.WriteLine));
        foreach (var (name, value) in result.Metrics)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: {value:F4}"));
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"steps: {result.Steps} ({started.Elapsed.TotalSeconds:F1} s)"));
        output.WriteLine($"parameter hash: {result.ParameterHash}");
        return 0;
    }

    private static int Positive(string flag, string value)
    {
        int v = int.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture);
        return v > 0 ? v : throw new FormatException($"{flag}: expected a positive integer, got {v}");
    }
}
