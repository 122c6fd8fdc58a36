using Repro.Engine;
using Repro.Nn;
using Repro.Samples;

namespace Repro.Golden;

/// <summary>
/// The training part of the golden program: a few steps of two small models through Repro.Nn (forward, backward,
/// optimizer update), so the log holds the backward rules, the losses, the optimizers and the data loader as well as
/// the primitives.
/// </summary>
internal static class TrainingSteps
{
    public static void Run()
    {
        IrisMlp();
        TinyCnn();
    }

    /// <summary>An MLP with GELU and dropout on the real Iris table (as it is: 150 rows, unscaled), shuffled batches, two AdamW steps (the second uses the moments of the first).</summary>
    private static void IrisMlp()
    {
        var iris = SampleData.Iris();
        var features = Tensor.FromArray(iris.Features, [iris.Rows, iris.Columns]);
        var labels = Tensor.FromArray(iris.Labels, [iris.Rows]);
        var g = new Generator(80);
        var model = new Sequential(new Linear(4, 16, g), new GELU(), new Dropout(0.2, new Generator(81)), new Linear(16, 3, g));
        var opt = new AdamW(model.Parameters(), learningRate: 1e-2);
        var loader = new DataLoader(new Dataset(features, labels), batchSize: 16, shuffle: true, seed: 82);
        foreach (var batch in loader.Epoch(0).Take(2))
        {
            opt.ZeroGrad();
            var loss = Losses.CrossEntropy(model.Call(batch.Features), batch.Labels);
            loss.Backward();
            opt.Step();
        }

        model.Eval();
        model.Call(features).ArgMax(1).Eq(labels);
    }

    /// <summary>Convolution, pooling and a regression head on random 6x6 images, one SGD step with momentum and weight decay.</summary>
    private static void TinyCnn()
    {
        var g = new Generator(90);
        var model = new Sequential(
            new Conv2d(1, 3, 3, g, padding: 1), new ReLU(), new MaxPool2d(2), new Conv2d(3, 2, 2, g), new Tanh(), new AvgPool2d(2), new Flatten(), new LayerNorm(2), new Linear(2, 1, g), new Sigmoid());
        var opt = new Sgd(model.Parameters(), learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4);
        var x = Tensor.Randn([4, 1, 6, 6], new Generator(91));
        var y = Tensor.Rand([4, 1], new Generator(92)).Gt(0.5).To(DType.Float32);
        Losses.Mse(model.Call(x), y).Backward();
        opt.Step();
    }
}
