using Repro.Engine;

namespace Repro.Nn.Tests;

/// <summary>
/// Every op carries the module (layer) it ran in: a PyTorch-style dotted path of the names modules were registered
/// under in their parents, and the module's type; backward ops carry their forward op's module.
/// </summary>
public class ModulePathTests
{
    [Fact]
    public void Dispatcher_module_scopes_nest_and_join_names_with_dots()
    {
        var seen = new Collect();
        using (Dispatcher.Observe(seen))
        {
            var x = Tensor.Ones([2]);
            _ = x + x;
            using (Dispatcher.Module(string.Empty, "Model"))
            {
                _ = x * x;
                using (Dispatcher.Module("encoder", "Encoder"))
                using (Dispatcher.Module("block1", "Block"))
                using (Dispatcher.Module("attn", "Attention"))
                {
                    _ = x - x;
                }

                _ = x / x;
            }
        }

        Assert.Null(seen.Ops.Single(o => o.Op == "add").Module);
        Assert.Equal(new OpModule(string.Empty, "Model"), seen.Ops.Single(o => o.Op == "mul").Module);
        Assert.Equal(new OpModule("encoder.block1.attn", "Attention"), seen.Ops.Single(o => o.Op == "sub").Module);
        Assert.Equal(new OpModule(string.Empty, "Model"), seen.Ops.Single(o => o.Op == "div").Module);
        Assert.Equal("encoder.block1.attn (Attention)", seen.Ops.Single(o => o.Op == "sub").Module!.ToString());
        Assert.Equal("Model", seen.Ops.Single(o => o.Op == "mul").Module!.ToString());
    }

    [Fact]
    public void Layers_called_through_Call_record_their_path_and_type_and_backward_ops_their_forward_ops_module()
    {
        var g = new Generator(3);
        var model = new Sequential(new Linear(4, 8, g), new ReLU(), new Linear(8, 2, g));
        var sgd = new Adam(model.Parameters(), 1e-2);
        var seen = new Collect();
        using (Dispatcher.Observe(seen))
        {
            var loss = Losses.Mse(model.Call(Tensor.Randn([3, 4], g)), Tensor.Zeros([3, 2]));
            loss.Backward();
            sgd.Step();
        }

        var forward = seen.Ops.Where(o => o.Phase == OpPhase.Forward).ToList();
        Assert.Contains(forward, o => o.Op == "matmul" && o.Module == new OpModule("0", "Linear"));
        Assert.Contains(forward, o => o.Op == "matmul" && o.Module == new OpModule("2", "Linear"));
        Assert.Contains(forward, o => o.Module == new OpModule("1", "ReLU"));

        // The loss runs outside the model: no module.
        var lossOps = forward.Where(o => o.Module is null).Select(o => o.Op).ToList();
        Assert.Contains("sub", lossOps);

        // Every backward op carries the module of the forward op it differentiates.
        var bySeq = seen.Ops.ToDictionary(o => o.Seq);
        var backward = seen.Ops.Where(o => o.Phase == OpPhase.Backward).ToList();
        Assert.NotEmpty(backward);
        Assert.All(backward, o => Assert.Equal(bySeq[o.BackwardOf].Module, o.Module));
        Assert.Contains(backward, o => o.Module == new OpModule("1", "ReLU"));

        // The optimizer's update of each parameter is named after the parameter.
        var updates = seen.Ops.Where(o => o.Module?.Type == "Adam").Select(o => o.Module!.Path).Distinct().ToList();
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], updates);
    }

    [Fact]
    public void Nested_blocks_give_dotted_paths_and_a_direct_Forward_call_counts_to_the_enclosing_module()
    {
        var g = new Generator(4);
        var model = new Stack(g);
        var seen = new Collect();
        using (Dispatcher.Observe(seen))
        {
            _ = model.Call(Tensor.Randn([1, 3, 8], g));
        }

        var modules = seen.Ops.Select(o => o.Module?.ToString()).Distinct().ToList();
        Assert.Contains("block1.attn.qkv (Linear)", modules);
        Assert.Contains("block1.attn (MultiHeadSelfAttention)", modules);
        Assert.Contains("block1.mlp.1 (GELU)", modules);
        Assert.Contains("block1.ln2 (LayerNorm)", modules);

        // The outermost module has no name: its own ops carry its type alone.
        Assert.Contains("Stack", modules);

        // head.Forward was called directly: no scope of its own, so its ops count to the caller's module.
        Assert.DoesNotContain("head (Linear)", modules);
        Assert.Equal("head.weight", model.Head.Weight.Name);
        Assert.Equal("block1.attn.qkv.bias", model.NamedParameters().Single(p => p.Key == "block1.attn.qkv.bias").Value.Name);
    }

    private sealed class Stack : Module
    {
        private readonly TransformerBlock block;

        public Stack(Generator g)
        {
            block = AddModule("block1", new TransformerBlock(8, 2, g));
            Head = AddModule("head", new Linear(8, 8, g));
        }

        public Linear Head { get; }

        public override Tensor Forward(Tensor x) => Head.Forward(block.Call(x)) * 2;
    }

    private sealed class Collect : IOpObserver
    {
        private readonly int thread = Environment.CurrentManagedThreadId;

        public List<(long Seq, string Op, OpPhase Phase, long BackwardOf, OpModule? Module)> Ops { get; } = [];

        public void OnOp(OpEvent e)
        {
            if (Environment.CurrentManagedThreadId == thread)
            {
                Ops.Add((e.Seq, e.Op, e.Phase, e.BackwardOf, e.Module));
            }
        }
    }
}
