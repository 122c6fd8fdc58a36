using Repro.Engine;

namespace Repro.Nn.Tests;

/// <summary>
/// Built-in layers, losses and optimizers walk the stack once per call (Dispatcher.LibraryCall) to locate their
/// operator ops; the locations must be exactly those a stack walk per op gives.
/// </summary>
public class SourceLocationTests
{
    [Fact]
    public void Built_in_layers_losses_and_optimizers_locate_ops_as_a_walk_per_op_does()
    {
        var (scoped, scopedWalks) = Locations(ignoreLibraryCalls: false);
        var (perOp, perOpWalks) = Locations(ignoreLibraryCalls: true);
        Assert.Equal(perOp.Count, scoped.Count);
        for (int i = 0; i < perOp.Count; i++)
        {
            Assert.True(perOp[i] == scoped[i], $"op {i}: a walk per op gives {perOp[i]}, the scoped walk {scoped[i]}");
        }

        // Ops located by the user's operator lines in UserSgd.Update, not by the call to Step.
        Assert.Contains(scoped, s => s.Op == "mul" && s.Source.Member == "Update" && s.Source.File.EndsWith("SourceLocationTests.cs", StringComparison.Ordinal));
        Assert.True(scopedWalks * 3 < perOpWalks, $"{scopedWalks} walks with library scopes, {perOpWalks} without");
    }

    private static (List<(string Op, SourceLocation Source)> Sources, long Walks) Locations(bool ignoreLibraryCalls)
    {
        var observer = new Collect();
        var g = new Generator(3);
        var model = new Sequential(new Linear(6, 8, g), new LayerNorm(8), new ReLU(), new Dropout(0.25, g), new Linear(8, 3, g));
        var conv = new Conv2d(1, 2, 3, g);
        var attention = new MultiHeadSelfAttention(8, 2, g);
        var adam = new Adam(model.Parameters(), 0.01);
        var mine = new UserSgd(conv.Parameters());
        var x = Tensor.Randn([4, 6], new Generator(1));
        var labels = Tensor.FromArray([0, 2, 1, 1], [4]);
        var image = Tensor.Randn([2, 1, 5, 5], new Generator(2));
        Dispatcher.LibraryCallsIgnored = ignoreLibraryCalls;
        long before = Dispatcher.StackWalks;
        try
        {
            using (Dispatcher.Observe(observer))
            {
                for (int step = 0; step < 3; step++)
                {
                    var loss = Losses.CrossEntropy(model.Forward(x), labels);
                    adam.ZeroGrad();
                    loss.Backward();
                    adam.Step();
                    var c = Losses.Mse(conv.Forward(image), Tensor.Zeros([2, 2, 3, 3]));
                    mine.ZeroGrad();
                    c.Backward();
                    mine.Step();
                    _ = attention.Forward(Tensor.Randn([1, 3, 8], new Generator(4)));
                }
            }
        }
        finally
        {
            Dispatcher.LibraryCallsIgnored = false;
        }

        return (observer.Sources, Dispatcher.StackWalks - before);
    }

    private sealed class Collect : IOpObserver
    {
        private readonly int thread = Environment.CurrentManagedThreadId;

        public List<(string Op, SourceLocation Source)> Sources { get; } = [];

        public void OnOp(OpEvent e)
        {
            if (Environment.CurrentManagedThreadId == thread)
            {
                Sources.Add((e.Op, e.Source));
            }
        }
    }

    /// <summary>A user's optimizer: its Update is user code, so its operator ops are located in it, one walk each.</summary>
    private sealed class UserSgd(IEnumerable<Parameter> parameters) : Optimizer(parameters, 0.1)
    {
        protected override Tensor Update(int index, Tensor value, Tensor grad)
        {
            var step = grad * LearningRate;
            return value - step;
        }

        protected override IEnumerable<KeyValuePair<string, Tensor>> Buffers(int index) => [];

        protected override void SetBuffers(int index, IReadOnlyList<KeyValuePair<string, Tensor>> buffers)
        {
        }
    }
}
