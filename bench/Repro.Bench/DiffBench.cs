using System.Diagnostics;
using Repro.Diffing;
using Repro.Engine;
using Repro.Engine.Backends;
using Repro.Recorder;
using Repro.Samples;

namespace Repro.Bench;

/// <summary>
/// Differ speed on real logs: bitwise mode (hashes only) in ops/s and MB/s of log, and numeric mode (replaying both
/// runs in lockstep) as a ratio to replaying one run, all in the same run.
/// </summary>
[Bench("diff", "repro diff throughput: bitwise ops/s and MB/s; numeric-mode time vs replaying one run (args: [steps])")]
public static class DiffBench
{
    public static int Run(string[] args)
    {
        int steps = args.Length > 0 && int.TryParse(args[0], System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : 100;
        var dir = Path.Combine(Path.GetTempPath(), "repro-diff-bench-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        try
        {
            var a = Record(Path.Combine(dir, "a"), steps, DType.Float32);
            var b = Record(Path.Combine(dir, "b"), steps, DType.Float32);
            var c = Record(Path.Combine(dir, "bf16"), steps, DType.BFloat16);
            long bytes = Directory.EnumerateFiles(a, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Sum(f => new FileInfo(f).Length)
                + Directory.EnumerateFiles(b, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Sum(f => new FileInfo(f).Length);
            var bitwise = EngineBench.Time(() => Differ.Run(a, b, new DiffOptions { Mode = DiffMode.Bitwise }), 5);
            var result = Differ.Run(a, b, new DiffOptions { Mode = DiffMode.Bitwise });
            double replay = EngineBench.Time(() => Replayer.Replay(a), 3);
            double numericSame = EngineBench.Time(() => Differ.Run(a, b, new DiffOptions { Mode = DiffMode.Numeric }), 3);
            double numericBf16 = EngineBench.Time(() => Differ.Run(a, c), 3);
            Console.WriteLine($"digits-mlp, {steps} steps: {result.OpsCompared} aligned ops, logs {bytes / 1e6:F1} MB together ({Settings.Threads} threads)");
            Console.WriteLine($"  bitwise diff: {bitwise * 1e3:F0} ms = {result.OpsCompared / bitwise:F0} ops/s, {bytes / 1e6 / bitwise:F1} MB/s of log");
            Console.WriteLine($"  replay of one run (verify): {replay * 1e3:F0} ms");
            Console.WriteLine($"  numeric diff, float32 vs float32: {numericSame * 1e3:F0} ms = {numericSame / replay:F2}x one replay");
            Console.WriteLine($"  numeric diff, float32 vs bfloat16: {numericBf16 * 1e3:F0} ms = {numericBf16 / replay:F2}x one replay");
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Record(string path, int steps, DType dtype)
    {
        using (Settings.UseBackend(ManagedBackend.Instance))
        using (Recorder.Recorder.Start(path, new RecorderOptions { DType = dtype, Backend = ManagedBackend.Instance, Force = true }))
        {
            Workloads.Get("digits-mlp").Run(new WorkloadOptions(Seed: 0, Steps: steps, DType: dtype));
        }

        return path;
    }
}
