using System.Diagnostics;
using System.Globalization;
using Repro.Engine;
using Repro.Nn;
using Repro.Samples;

namespace Repro.Bench;

/// <summary>
/// Training steps per second of the digits-mlp and digits-cnn models (forward, cross-entropy, backward, Adam step,
/// batch 32, float32, managed backend) on 1 and 2 threads, same run. Each figure is the best of 3 timed passes of
/// N steps after a warm-up pass; data loading and evaluation are outside the timing.
/// Usage: <c>training [--steps N]</c> (default 100).
/// </summary>
[Bench("training", "training steps/s of digits-mlp and digits-cnn (batch 32, Adam) on 1 and 2 threads")]
public static class TrainingBench
{
    public static int Run(string[] args)
    {
        int steps = 100;
        if (args.Length == 2 && args[0] == "--steps" && int.TryParse(args[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int s) && s > 0)
        {
            steps = s;
        }
        else if (args.Length != 0)
        {
            Console.Error.WriteLine($"training: expected [--steps N], got '{string.Join(' ', args)}'");
            return 2;
        }

        var (train, test) = SampleData.Split(SampleData.Digits());
        (train, _) = SampleData.Standardize(train, test);
        var flat = new Dataset(train.FeatureTensor(), train.LabelTensor());
        var images = new Dataset(train.FeatureTensor().Reshape([train.Rows, 1, 8, 8]), train.LabelTensor());

        Console.WriteLine($"training: {steps} steps per pass, batch 32, float32, backend {Settings.DefaultBackend.Name}, {Environment.ProcessorCount} logical CPUs");
        Console.WriteLine("| model | threads | steps/s | ms/step |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        foreach (var (name, data, make) in new (string, Dataset, Func<Generator, Module>)[]
        {
            ("digits-mlp", flat, DigitsMlp.Model),
            ("digits-cnn", images, DigitsCnn.Model),
        })
        {
            foreach (int threads in new[] { 1, 2 })
            {
                using var scope = Settings.UseThreads(threads);
                Pass(make, data, Math.Max(steps / 5, 1));
                double best = Enumerable.Range(0, 3).Min(_ => Pass(make, data, steps));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {threads} | {steps / best:F1} | {best * 1000 / steps:F2} |"));
            }
        }

        return 0;
    }

    /// <summary>Seconds for <paramref name="steps"/> training steps of a fresh model.</summary>
    private static double Pass(Func<Generator, Module> make, Dataset data, int steps)
    {
        var model = make(new Generator(1));
        var opt = new Adam(model.Parameters(), 1e-3);
        var loader = new DataLoader(data, 32, seed: 1);
        var batches = new List<Batch>();
        for (int e = 0; batches.Count < steps; e++)
        {
            batches.AddRange(loader.Epoch(e));
        }

        var sw = Stopwatch.StartNew();
        for (int i = 0; i < steps; i++)
        {
            var loss = Losses.CrossEntropy(model.Forward(batches[i].Features), batches[i].Labels);
            opt.ZeroGrad();
            loss.Backward();
            opt.Step();
        }

        _ = model.Parameters()[0].Value.ToFloatArray();
        return sw.Elapsed.TotalSeconds;
    }
}
