using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace Corpus.Training;

public sealed class SgdTrainer
{
    private readonly float[] _weights;
    private readonly int _seed;
    private double _lossTotal;

    public SgdTrainer(int features, int seed)
    {
        _weights = new float[features];
        _seed = seed;
    }

    public void Train(float[][] x, float[] y, int epochs, float lr)
    {
        var order = new int[x.Length];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        var progress = Stopwatch.StartNew();
        var total = Stopwatch.StartNew();

        for (var epoch = 0; epoch < epochs; epoch++)
        {
            new Random(_seed + epoch).Shuffle(order);
            var gradients = new float[x.Length][];
            Parallel.For(0, order.Length, k =>
            {
                var i = order[k];
                gradients[k] = Gradient(x[i], y[i]);
            });

            var loss = 0.0;
            Parallel.For(0, x.Length, () => 0.0, (i, _, local) => local + Loss(x[i], y[i]), local =>
            {
                AtomicAdd(ref loss, local);
            });

            for (var k = 0; k < gradients.Length; k++)
                for (var j = 0; j < _weights.Length; j++)
                    _weights[j] -= lr * gradients[k][j];

            if (progress.ElapsedMilliseconds > 2000)
            {
                Console.WriteLine($"epoch {epoch} loss {loss:F4} elapsed {total.Elapsed}");
                progress.Restart();
            }
        }
    }

    public void TrainWithBudget(float[][] x, float[] y, TimeSpan budget, float lr)
    {
        var started = DateTime.UtcNow; // expect: RPR4001
        var step = 0;
        while (DateTime.UtcNow - started < budget) // expect: RPR4001
        {
            var i = step++ % x.Length;
            var g = Gradient(x[i], y[i]);
            for (var j = 0; j < _weights.Length; j++) _weights[j] -= lr * g[j];
        }
    }

    public float LearningRate(float baseRate) => baseRate * (float)Math.Exp(-0.01 * Environment.TickCount / 1000.0); // expect: RPR4001

    public void ParallelLoss(float[][] x, float[] y) =>
        Parallel.For(0, x.Length, i => { _lossTotal += Loss(x[i], y[i]); }); // expect: RPR2001

    public void SaveCheckpoint(string dir)
    {
        var name = $"sgd-{DateTime.Now:yyyyMMdd-HHmmss}.bin";
        using var writer = new BinaryWriter(File.Create(Path.Combine(dir, name)));
        foreach (var w in _weights) writer.Write(w);
        Console.WriteLine($"[{DateTime.Now:T}] saved {name}");
    }

    private static void AtomicAdd(ref double target, double value)
    {
        double initial, computed;
        do
        {
            initial = target;
            computed = initial + value;
        }
        while (Interlocked.CompareExchange(ref target, computed, initial) != initial); // expect: RPR2002
    }

    private static int _steps;

    private static void CountStep() => Interlocked.Increment(ref _steps);

    private float[] Gradient(float[] x, float y)
    {
        var error = Predict(x) - y;
        var g = new float[x.Length];
        for (var j = 0; j < x.Length; j++) g[j] = error * x[j];
        CountStep();
        return g;
    }

    private double Loss(float[] x, float y)
    {
        var e = Predict(x) - y;
        return 0.5 * e * e;
    }

    private float Predict(float[] x)
    {
        var s = 0f;
        for (var j = 0; j < x.Length; j++) s += _weights[j] * x[j];
        return s;
    }
}
