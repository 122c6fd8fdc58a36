using System.Globalization;
using Repro.Engine;
using Repro.Nn;

namespace Repro.Samples;

/// <summary>
/// A 2-layer causal transformer that reverses digit sequences. Each example is 8 random digits followed by 8 query
/// tokens; at query position j the model must output digit 7 - j, which it can only find by attending back to the
/// right position. Training draws fresh sequences every step from the seeded generator; the score is token accuracy
/// on 256 held-out sequences drawn from a separate generator.
/// </summary>
public sealed class TinyTransformer : IWorkload
{
    /// <summary>Digits per sequence.</summary>
    public const int Length = 8;

    /// <summary>Digit tokens 0..9 plus the query token 10.</summary>
    public const int Vocabulary = 11;

    private const int Width = 64;
    private const int StepsPerEpoch = 100;
    private const int BatchSize = 64;

    /// <inheritdoc/>
    public string Name => "tiny-transformer";

    /// <inheritdoc/>
    public string Description => "2-layer pre-norm causal transformer (width 64, 4 heads, AdamW, cosine) reversing 8-digit sequences; target held-out token accuracy >= 0.95";

    /// <inheritdoc/>
    public WorkloadResult Run(WorkloadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var backend = Training.UseBackend(options);
        var model = new Model(new Generator(options.Seed));
        model.To(options.DType);
        int epochs = Training.EpochsFor(options, StepsPerEpoch, 5);
        int total = Math.Min(epochs * StepsPerEpoch, options.Steps ?? int.MaxValue);
        var optimizer = new AdamW(model.Parameters(), learningRate: 3e-3, weightDecay: 0.01);
        var schedule = new CosineLR(3e-3, total, minRate: 1e-4, warmup: Math.Min(100, total / 10));
        var data = new Generator(DataLoader.EpochSeed(options.Seed, -1));
        var (testInputs, testTargets) = Sequences(256, new Generator(DataLoader.EpochSeed(options.Seed ^ 0x7E57, -1)));

        int steps = 0;
        double lastLoss = double.NaN;
        for (int epoch = 0; epoch < epochs && steps < total; epoch++)
        {
            double sum = 0;
            int count = 0;
            for (int i = 0; i < StepsPerEpoch && steps < total; i++)
            {
                var (inputs, targets) = Sequences(BatchSize, data);
                optimizer.LearningRate = schedule.At(steps);
                var loss = Loss(model.Call(inputs), targets);
                optimizer.ZeroGrad();
                loss.Backward();
                optimizer.Step();
                sum += loss.Item();
                count++;
                steps++;
                options.OnStep?.Invoke(steps, total);
            }

            lastLoss = sum / Math.Max(count, 1);
            if (options.Progress is { } report)
            {
                double acc = Accuracy(model, testInputs, testTargets);
                report(string.Create(CultureInfo.InvariantCulture, $"epoch {epoch + 1}/{epochs}: steps {steps}, train loss {lastLoss:F4}, held-out token accuracy {acc:F4}"));
            }
        }

        var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["train_loss"] = lastLoss,
            ["test_token_accuracy"] = Accuracy(model, testInputs, testTargets),
        };
        return new WorkloadResult(metrics, model.ParameterHash(), steps);
    }

    /// <summary>
    /// <paramref name="count"/> examples: inputs [count, 16] (digits then query tokens) and targets [count, 8] (the
    /// digits reversed), built with recorded ops from one rand draw.
    /// </summary>
    public static (Tensor Inputs, Tensor Targets) Sequences(int count, Generator generator)
    {
        var digits = (Tensor.Rand([count, Length], generator) * 10.0).Minimum(9.0).To(DType.Int32);
        var reverse = Tensor.FromArray(Enumerable.Range(0, Length).Reverse().ToArray(), [Length]);
        var queries = Tensor.Full([count, Length], Vocabulary - 1, DType.Int32);
        return (Tensor.Concat([digits, queries], 1), digits.IndexSelect(1, reverse));
    }

    /// <summary>Cross-entropy over the query positions.</summary>
    public static Tensor Loss(Tensor logits, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        var answer = logits.Slice(1, Length, 2 * Length).Reshape([-1, 10]);
        return Losses.CrossEntropy(answer, targets.Reshape([-1]));
    }

    private static double Accuracy(Model model, Tensor inputs, Tensor targets)
    {
        using var noGrad = Autograd.NoGrad();
        model.Eval();
        var logits = model.Call(inputs).Slice(1, Length, 2 * Length);
        double acc = logits.ArgMax(2).Eq(targets).To(DType.Float32).Mean().Item();
        model.Train();
        return acc;
    }

    /// <summary>Token and position embeddings, two transformer blocks, a final norm and a linear head over the 10 digits.</summary>
    public sealed class Model : Module
    {
        private readonly Embedding tokens;
        private readonly Embedding positions;
        private readonly TransformerBlock[] blocks;
        private readonly LayerNorm norm;
        private readonly Linear head;

        /// <summary>Creates the model.</summary>
        public Model(Generator g)
        {
            tokens = AddModule("tok", new Embedding(Vocabulary, Width, g, std: 0.1));
            positions = AddModule("pos", new Embedding(2 * Length, Width, g, std: 0.1));
            blocks = [AddModule("block0", new TransformerBlock(Width, 4, g)), AddModule("block1", new TransformerBlock(Width, 4, g))];
            norm = AddModule("norm", new LayerNorm(Width));
            head = AddModule("head", new Linear(Width, 10, g));
        }

        /// <inheritdoc/>
        public override Tensor Forward(Tensor x)
        {
            ArgumentNullException.ThrowIfNull(x);
            if (x.Rank != 2 || x.Shape[1] > 2 * Length)
            {
                throw new ShapeException($"tiny-transformer: expected int32 tokens [B, <= {2 * Length}], got {x.ShapeString}");
            }

            var h = tokens.Call(x) + positions.Call(Tensor.Arange(x.Shape[1]));
            foreach (var b in blocks)
            {
                h = b.Call(h);
            }

            return head.Call(norm.Call(h));
        }
    }
}
