using System.Globalization;
using Repro.Engine;
using Repro.Nn;

namespace Repro.Samples;

/// <summary>The loop shared by the classification samples: batches from a seeded loader, forward, loss, backward, step.</summary>
internal static class Training
{
    /// <summary>Everything that differs between the classification samples.</summary>
    internal sealed record Setup(
        Module Model,
        Optimizer Optimizer,
        Dataset Train,
        Dataset Test,
        int BatchSize,
        int DefaultEpochs,
        LossFunction Loss,
        Func<Tensor, Tensor, double> Accuracy,
        ILearningRateSchedule? Schedule = null);

    /// <summary>Opens the backend scope when one is given.</summary>
    public static IDisposable? UseBackend(WorkloadOptions options) =>
        options.Backend is { } b ? Settings.UseBackend(b) : null;

    /// <summary>Number of epochs to run: the explicit count, else enough for the step cap, else the default.</summary>
    public static int EpochsFor(WorkloadOptions o, int stepsPerEpoch, int defaultEpochs) =>
        o.Epochs ?? (o.Steps is { } s ? Math.Max(1, (s + stepsPerEpoch - 1) / stepsPerEpoch) : defaultEpochs);

    public static WorkloadResult Classify(WorkloadOptions o, Setup s)
    {
        if (o.Steps is < 0 || o.Epochs is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(o), $"workload: steps and epochs must be >= 0, got steps {o.Steps}, epochs {o.Epochs}");
        }

        var loader = new DataLoader(s.Train, s.BatchSize, shuffle: true, dropLast: false, seed: o.Seed);
        int epochs = EpochsFor(o, loader.BatchesPerEpoch, s.DefaultEpochs);
        int maxSteps = o.Steps ?? int.MaxValue;
        int totalSteps = (int)Math.Min(maxSteps, (long)epochs * loader.BatchesPerEpoch);
        int steps = 0;
        double lastLoss = double.NaN;
        for (int epoch = 0; epoch < epochs && steps < maxSteps; epoch++)
        {
            s.Model.Train();
            double sum = 0;
            int count = 0;
            foreach (var batch in loader.Epoch(epoch))
            {
                if (steps >= maxSteps)
                {
                    break;
                }

                if (s.Schedule is not null)
                {
                    s.Optimizer.LearningRate = s.Schedule.At(steps);
                }

                var loss = s.Loss(s.Model.Call(batch.Features), batch.Labels);
                s.Optimizer.ZeroGrad();
                loss.Backward();
                s.Optimizer.Step();
                sum += loss.Item();
                count++;
                steps++;
                o.OnStep?.Invoke(steps, totalSteps);
            }

            lastLoss = sum / Math.Max(count, 1);
            if (o.Progress is { } report)
            {
                var (testLoss, testAcc) = Evaluate(s);
                report(string.Create(CultureInfo.InvariantCulture, $"epoch {epoch + 1}/{epochs}: steps {steps}, train loss {lastLoss:F4}, test loss {testLoss:F4}, test accuracy {testAcc:F4}"));
            }
        }

        var (finalLoss, finalAcc) = Evaluate(s);
        var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["train_loss"] = lastLoss,
            ["test_loss"] = finalLoss,
            ["test_accuracy"] = finalAcc,
        };
        return new WorkloadResult(metrics, s.Model.ParameterHash(), steps);
    }

    public static (double Loss, double Accuracy) Evaluate(Setup s)
    {
        using var noGrad = Autograd.NoGrad();
        s.Model.Eval();
        var logits = s.Model.Call(s.Test.Features);
        double loss = s.Loss(logits, s.Test.Labels).Item();
        double acc = s.Accuracy(logits, s.Test.Labels);
        s.Model.Train();
        return (loss, acc);
    }

    /// <summary>Fraction of rows whose arg-max logit is the label.</summary>
    public static double ArgMaxAccuracy(Tensor logits, Tensor labels) =>
        logits.ArgMax(1).Eq(labels).To(DType.Float32).Mean().Item();

    /// <summary>Train and test datasets of a standardized table in <paramref name="dtype"/>, features reshaped to <paramref name="shape"/> (after the row axis).</summary>
    public static (Dataset Train, Dataset Test) Tables(TabularData data, DType dtype, params int[] shape)
    {
        var (train, test) = SampleData.Split(data);
        (train, test) = SampleData.Standardize(train, test);
        return (ToDataset(train, dtype, shape), ToDataset(test, dtype, shape));
    }

    private static Dataset ToDataset(TabularData d, DType dtype, int[] shape)
    {
        var x = d.FeatureTensor(dtype);
        if (shape.Length > 0)
        {
            x = x.Reshape([d.Rows, .. shape]);
        }

        return new Dataset(x, d.LabelTensor());
    }
}
