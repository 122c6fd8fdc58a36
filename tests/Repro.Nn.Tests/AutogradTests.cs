using Repro.Engine;

namespace Repro.Nn.Tests;

public class AutogradTests
{
    [Fact]
    public void A_tensor_used_twice_accumulates_both_gradients()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2.0, 3.0 }, [3]).RequireGrad();
        var y = (x * x) + (x * 3.0);
        y.Sum().Backward();
        Assert.Equal(new[] { 5.0, 7.0, 9.0 }, x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void Concat_keeps_its_own_list_of_inputs_when_the_caller_reuses_its_array()
    {
        var a = Tensor.FromArray(new[] { 1.0, 2.0 }, [2]).RequireGrad();
        var b = Tensor.FromArray(new[] { 3.0 }, [1]).RequireGrad();
        var c = Tensor.FromArray(new[] { 4.0, 5.0 }, [2]).RequireGrad();
        var parts = new[] { a, b };
        var y = Tensor.Concat(parts) * Tensor.FromArray(new[] { 1.0, 2.0, 3.0 }, [3]);
        parts[0] = c; // The caller's array, reused after the op: the graph must not follow it.
        y.Sum().Backward();
        Assert.Equal(new[] { 1.0, 2.0 }, a.Grad!.ToDoubleArray());
        Assert.Equal(new[] { 3.0 }, b.Grad!.ToDoubleArray());
        Assert.Null(c.Grad);
    }

    [Fact]
    public void Repeated_backward_calls_add_into_the_leaf_gradient()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2.0 }, [2]).RequireGrad();
        (x * 2.0).Sum().Backward();
        (x * 5.0).Sum().Backward();
        Assert.Equal(new[] { 7.0, 7.0 }, x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void NoGrad_builds_no_graph()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2.0 }, [2]).RequireGrad();
        Tensor y;
        using (Autograd.NoGrad())
        {
            y = x * 2.0;
        }

        Assert.False(y.RequiresGrad);
        Assert.True((x * 2.0).RequiresGrad);
        Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());
    }

    [Fact]
    public void Backward_on_a_non_scalar_requires_a_gradient()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2.0 }, [2]).RequireGrad();
        var y = x * 3.0;
        var e = Assert.Throws<ArgumentException>(() => y.Backward());
        Assert.Contains("[2]", e.Message);
        y.Backward(Tensor.FromArray(new[] { 1.0, 10.0 }, [2]));
        Assert.Equal(new[] { 3.0, 30.0 }, x.Grad!.ToDoubleArray());
    }

    [Fact]
    public void Only_leaves_can_be_marked_and_ints_cannot_require_grad()
    {
        var x = Tensor.FromArray(new[] { 1.0 }, [1]).RequireGrad();
        var y = x * 2.0;
        Assert.Throws<InvalidOperationException>(() => y.RequiresGrad = false);
        Assert.Throws<DTypeException>(() => Tensor.FromArray(new[] { 1 }, [1]).RequiresGrad = true);
        Assert.False(y.Detach().RequiresGrad);
    }

    [Fact]
    public void Backward_ops_are_recorded_as_backward_of_their_forward_op()
    {
        var x = Tensor.FromArray(new[] { 0.5f, -1f, 2f }, [3]).RequireGrad();
        var w = Tensor.FromArray(new[] { 1f, 2f, 3f }, [3]).RequireGrad();
        var log = new OpLog();
        using (Dispatcher.Observe(log))
        {
            var loss = (x.Tanh() * w).Sum();
            loss.Backward();
        }

        var forward = log.Events.Where(e => e.Phase == OpPhase.Forward).ToList();
        var backward = log.Events.Where(e => e.Phase == OpPhase.Backward).ToList();
        Assert.Equal(new[] { "tanh", "mul", "sum" }, forward.Select(e => e.Op));
        Assert.NotEmpty(backward);
        var forwardSeqs = forward.Select(e => e.Seq).ToHashSet();
        Assert.All(backward, e => Assert.Contains(e.BackwardOf, forwardSeqs));

        // Reverse order: the sum's backward runs first, the tanh's last, each at its forward op's source line.
        Assert.Equal(forward[2].Seq, backward[0].BackwardOf);
        Assert.Equal(forward[0].Seq, backward[^1].BackwardOf);
        Assert.All(backward, e => Assert.Equal(forward.Single(f => f.Seq == e.BackwardOf).Source, e.Source));
    }

    [Fact]
    public void The_same_program_gives_the_same_backward_op_sequence_and_bits()
    {
        static (string[] Ops, string Hash) Run()
        {
            var g = new Generator(5);
            var x = Tensor.Randn([4, 3], g).RequireGrad();
            var w = Tensor.Randn([3, 2], g).RequireGrad();
            var log = new OpLog();
            using (Dispatcher.Observe(log))
            {
                var h = x.MatMul(w).Relu();
                var loss = (h * h).Mean() + h.Sum();
                loss.Backward();
            }

            return ([.. log.Events.Select(e => $"{e.Op}:{e.Phase}:{e.Inputs.Count}")], x.Grad!.ContentHash() + w.Grad!.ContentHash());
        }

        var a = Run();
        var b = Run();
        Assert.Equal(a.Ops, b.Ops);
        Assert.Equal(a.Hash, b.Hash);
    }

    /// <summary>Keeps the ops issued on the creating thread (tests in other classes run ops concurrently).</summary>
    internal sealed class OpLog : IOpObserver
    {
        private readonly int thread = Environment.CurrentManagedThreadId;

        public List<OpEvent> Events { get; } = [];

        public bool WantsSourceLocations => true;

        public void OnOp(OpEvent e)
        {
            if (Environment.CurrentManagedThreadId == thread)
            {
                Events.Add(e);
            }
        }
    }
}
