namespace Repro.Engine;

/// <summary>
/// One recorded forward op that autograd can differentiate: the op as the dispatcher numbered it, its ordered
/// inputs and outputs, and the gradients that have reached its outputs during a backward pass.
/// </summary>
internal sealed class GradNode
{
    public GradNode(long seq, OpInfo op, OpAttributes attributes, Tensor[] inputs, Tensor[] outputs, SourceLocation source, OpModule? module)
    {
        Seq = seq;
        Module = module;
        Op = op;
        Attributes = attributes;
        Inputs = inputs;
        Outputs = outputs;
        Source = source;
        OutputGrads = new Tensor?[outputs.Length];
    }

    /// <summary>Sequence number of the forward op; backward ops are recorded as "backward of" it.</summary>
    public long Seq { get; }

    /// <summary>The forward op's row in the op table.</summary>
    public OpInfo Op { get; }

    public OpAttributes Attributes { get; }

    public Tensor[] Inputs { get; }

    public Tensor[] Outputs { get; }

    /// <summary>Where the forward op was called; its backward ops carry the same location.</summary>
    public SourceLocation Source { get; }

    /// <summary>The module the forward op ran in; its backward ops carry the same module.</summary>
    public OpModule? Module { get; }

    /// <summary>Gradients accumulated for each output during the current backward pass.</summary>
    public Tensor?[] OutputGrads { get; }

    /// <summary>The backward pass that last visited this node (a pass number, so no visited set is needed).</summary>
    public long Mark { get; set; }

    public int OutputIndex(Tensor t)
    {
        for (int i = 0; i < Outputs.Length; i++)
        {
            if (ReferenceEquals(Outputs[i], t))
            {
                return i;
            }
        }

        throw new InvalidOperationException($"autograd: tensor {t.Id} is not an output of op #{Seq} ({Op})");
    }
}
