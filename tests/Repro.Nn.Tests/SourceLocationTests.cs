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
            Assert.True(perOp[i] == scoped[i], $"op {i}: a walk per op gives {perOp[i]}, the scoped walk {scoped[i]}; before: {string.Join(", ", perOp.Skip(Math.Max(0, i - 6)).Take(7).Select(p => p.Op + "@" + p.Source))}");
        }

        // Ops located by the user's operator lines in UserSgd.Update, not by the call to Step.
        Assert.Contains(scoped, s => s.Op == "mul" && s.Source.Member == "Update" && s.Source.File.EndsWith("SourceLocationTests.cs", StringComparison.Ordinal));
        Assert.True(scopedWalks * 3 < perOpWalks, $"{scopedWalks} walks with library scopes, {perOpWalks} without");
    }

    [Fact]
    public void Every_op_of_every_built_in_layer_loss_optimizer_initializer_and_loader_is_located_in_user_code()
    {
        var observer = new Collect();
        using (Dispatcher.Observe(observer))
        {
            var g = new Generator(5);
            var model = new Sequential(new Linear(6, 8, g), new GELU(), new Tanh(), new Sigmoid(), new ReLU(), new Linear(8, 3, g));
            var init = Init.KaimingNormal([3, 3], 3, g) + Init.XavierUniform([3, 3], 3, 3, g);
            var loader = new DataLoader(new Dataset(Tensor.Randn([10, 6], new Generator(6)), Tensor.FromArray([0, 1, 2, 0, 1, 2, 0, 1, 2, 0], [10])), 4);
            var sgd = new Sgd(model.Parameters(), 0.1, momentum: 0.9);
            foreach (var batch in loader.Epoch(0))
            {
                var loss = Losses.CrossEntropy(model.Forward(batch.Features), batch.Labels) + Losses.Mse(init, init * 2);
                sgd.ZeroGrad();
                loss.Backward();
                sgd.Step();
            }

            var image = Tensor.Randn([1, 2, 4, 4], new Generator(7));
            var pooled = new Flatten().Forward(new AvgPool2d(2).Forward(new MaxPool2d(2, 1).Forward(new Conv2d(2, 2, 2, g).Forward(image))));
            var tokens = new Embedding(5, 8, g).Forward(Tensor.FromArray([1, 4, 0], [1, 3]));
            var block = new TransformerBlock(8, 2, g).Forward(tokens);
            _ = Losses.BinaryCrossEntropyWithLogits(pooled, Tensor.Zeros([.. pooled.Shape])) + block.Sum();
        }

        Assert.True(observer.Sources.Count > 200, $"only {observer.Sources.Count} ops");
        var elsewhere = observer.Sources.Where(s => !s.Source.File.EndsWith("SourceLocationTests.cs", StringComparison.Ordinal)).ToList();
        Assert.True(elsewhere.Count == 0, $"{elsewhere.Count} ops located outside the user's file, e.g. {string.Join("; ", elsewhere.Take(5).Select(s => $"{s.Op} at {s.Source}"))}");
    }

    [Fact]
    public void Loader_batches_and_built_in_optimizer_steps_are_located_from_caller_information_without_stack_walks()
    {
        var g = new Generator(8);
        var model = new Linear(6, 3, g);
        var adam = new Adam(model.Parameters(), 0.01);
        var loader = new DataLoader(new Dataset(Tensor.Randn([10, 6], new Generator(9)), Tensor.FromArray([0, 1, 2, 0, 1, 2, 0, 1, 2, 0], [10])), 4, shuffle: true);
        var observer = new Collect();
        long loaderWalks = 0, stepWalks = 0;
        int loaderLine = 0, stepLine = 0;
        using (Dispatcher.Observe(observer))
        {
            long before = Dispatcher.StackWalks;
            int seen = 0;
            loaderLine = Line(); foreach (var batch in loader.Epoch(1))
            {
                loaderWalks += Dispatcher.StackWalks - before;
                model.Forward(batch.Features).Sum().Backward();
                seen = observer.Sources.Count;
                before = Dispatcher.StackWalks;
                stepLine = Line(); adam.Step();
                stepWalks += Dispatcher.StackWalks - before;
                Assert.All(observer.Sources.Skip(seen), s => Assert.Equal(stepLine, s.Source.Line));
                before = Dispatcher.StackWalks;
            }
        }

        Assert.Equal(0, loaderWalks);
        Assert.Equal(0, stepWalks);
        var batchOps = observer.Sources.Where(s => s.Op is "permutation" or "index_select" or "slice").ToList();
        Assert.NotEmpty(batchOps);
        Assert.All(batchOps, s => Assert.Equal(loaderLine, s.Source.Line));
        Assert.All(observer.Sources, s => Assert.EndsWith("SourceLocationTests.cs", s.Source.File, StringComparison.Ordinal));
    }

    [Fact]
    public void A_forward_through_Call_and_a_loss_through_a_LossFunction_are_located_at_their_lines_without_stack_walks()
    {
        var g = new Generator(10);
        var model = new Sequential(new Linear(6, 8, g), new LayerNorm(8), new ReLU(), new Linear(8, 3, g));
        LossFunction loss = Losses.CrossEntropy;
        var x = Tensor.Randn([4, 6], new Generator(11));
        var labels = Tensor.FromArray([0, 2, 1, 1], [4]);
        var observer = new Collect();
        long walks;
        int forwardLine, lossLine, forwardOps;
        using (Dispatcher.Observe(observer))
        {
            long before = Dispatcher.StackWalks;
            forwardLine = Line(); var logits = model.Call(x);
            forwardOps = observer.Sources.Count;
            lossLine = Line(); _ = loss(logits, labels);
            walks = Dispatcher.StackWalks - before;
        }

        Assert.Equal(0, walks);
        Assert.True(forwardOps >= 6 && observer.Sources.Count - forwardOps >= 4, $"{forwardOps} forward ops, {observer.Sources.Count - forwardOps} loss ops");
        Assert.All(observer.Sources.Take(forwardOps), s => Assert.Equal(forwardLine, s.Source.Line));
        Assert.All(observer.Sources.Skip(forwardOps), s => Assert.Equal(lossLine, s.Source.Line));
        Assert.All(observer.Sources, s => Assert.Equal(nameof(A_forward_through_Call_and_a_loss_through_a_LossFunction_are_located_at_their_lines_without_stack_walks), s.Source.Member));
    }

    [Fact]
    public void Call_on_a_users_module_keeps_the_locations_of_the_users_own_lines()
    {
        var model = new TwoLayers(new Generator(12));
        var chain = new Sequential(new Linear(6, 6, new Generator(13)), model);
        var x = Tensor.Randn([2, 6], new Generator(14));
        foreach (var m in new Module[] { model, chain })
        {
            var observer = new Collect();
            int callLine;
            using (Dispatcher.Observe(observer))
            {
                callLine = Line(); _ = m.Call(x);
            }

            // The user's module's ops are at its lines in Forward (two calls and an operator), never at the outer call.
            var inUserForward = observer.Sources.Where(s => s.Source.Member == "Forward").ToList();
            Assert.True(inUserForward.Count >= 4, $"{inUserForward.Count} ops in TwoLayers.Forward of {observer.Sources.Count}");
            Assert.Equal(3, inUserForward.Select(s => s.Source.Line).Distinct().Count());
            Assert.DoesNotContain(inUserForward, s => s.Source.Line == callLine);
            Assert.All(observer.Sources, s => Assert.EndsWith("SourceLocationTests.cs", s.Source.File, StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("digits-mlp")]
    [InlineData("breast-cancer-logreg")]
    public void A_samples_training_steps_walk_no_stack(string name)
    {
        // Walks of the set-up and the evaluation are the same for any step count; a walk per step would not be.
        long Walks(int steps)
        {
            using var observe = Dispatcher.Observe(new Collect());
            long before = Dispatcher.StackWalks;
            Repro.Samples.Workloads.Get(name).Run(new Repro.Samples.WorkloadOptions(Steps: steps, Epochs: 1));
            return Dispatcher.StackWalks - before;
        }

        long few = Walks(2);
        long more = Walks(6);
        Assert.True(few == more, $"{name}: {few} stack walks in 2 steps, {more} in 6");
    }

    private static int Line([System.Runtime.CompilerServices.CallerLineNumber] int line = 0) => line;

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

    /// <summary>A user's module: one layer through Call, one through Forward (a stack walk), and an operator between.</summary>
    private sealed class TwoLayers : Module
    {
        private readonly Linear first;
        private readonly Linear second;

        public TwoLayers(Generator g)
        {
            first = AddModule("first", new Linear(6, 5, g));
            second = AddModule("second", new Linear(5, 6, g));
        }

        public override Tensor Forward(Tensor x)
        {
            var h = first.Call(x);
            h *= 2.0;
            return second.Forward(h);
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
