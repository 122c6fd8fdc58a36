using System.Diagnostics;
using System.Globalization;
using Repro.Engine;
using Repro.Samples;

namespace Repro.Bench;

/// <summary>
/// Training steps per second of every sample workload (digits-mlp, digits-cnn, breast-cancer-logreg,
/// tiny-transformer: each its own model, batch, optimizer and float32, managed backend) on 1 and 2 threads, same run.
/// Each figure is (N - N/5) steps over the time of a run of N steps minus a run of N/5 steps, so set-up, data
/// loading and the final evaluation cancel out; the best of 3 such pairs, after a warm-up run.
/// Usage: <c>training [--steps N]</c> (default: N per workload, about a second of training each).
/// </summary>
[Bench("training", "training steps/s of every sample workload on 1 and 2 threads (args: [--steps N])")]
public static class TrainingBench
{
    public static int Run(string[] args)
    {
        int? steps = null;
        if (args.Length == 2 && args[0] == "--steps" && int.TryParse(args[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int s) && s >= 10)
        {
            steps = s;
        }
        else if (args.Length != 0)
        {
            Console.Error.WriteLine($"training: expected [--steps N] with N >= 10, got '{string.Join(' ', args)}'");
            return 2;
        }

        Console.WriteLine($"training: steps/s from a run of N steps minus a run of N/5 (set-up and evaluation cancel), best of 3, float32, backend {Settings.DefaultBackend.Name}, {Environment.ProcessorCount} logical CPUs");
        Console.WriteLine("| workload | N | steps/s, 1 thread | steps/s, 2 threads | 2 threads / 1 thread |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        foreach (var workload in Workloads.All)
        {
            // About a second per run on this machine: the fast workloads need many steps to rise above timer noise.
            int n = steps ?? workload.Name switch { "breast-cancer-logreg" => 5000, "digits-mlp" => 500, "digits-cnn" => 50, _ => 20 };
            int few = n / 5;
            var rate = new double[2];
            for (int t = 1; t <= 2; t++)
            {
                using var scope = Settings.UseThreads(t);
                _ = Seconds(workload, few);
                double best = double.MaxValue;
                for (int r = 0; r < 3; r++)
                {
                    double full = Seconds(workload, n);
                    double start = Seconds(workload, few);
                    best = Math.Min(best, Math.Max(full - start, 1e-9));
                }

                rate[t - 1] = (n - few) / best;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {workload.Name} | {n} | {rate[0]:F1} | {rate[1]:F1} | {rate[1] / rate[0]:F2}x |"));
        }

        return 0;
    }

    private static double Seconds(IWorkload workload, int steps)
    {
        var sw = Stopwatch.StartNew();
        _ = workload.Run(new WorkloadOptions(Seed: 1, Steps: steps));
        return sw.Elapsed.TotalSeconds;
    }
}
