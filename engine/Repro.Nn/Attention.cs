using Repro.Engine;
using Repro.Engine.Backends;

namespace Repro.Nn;

/// <summary>
/// Multi-head self-attention over [B, T, D]: one linear layer makes q, k and v, each head attends with
/// softmax(q k^T / sqrt(d_head)) (future positions masked to -infinity when causal), and a linear layer mixes the heads.
/// </summary>
public sealed class MultiHeadSelfAttention : Module
{
    /// <summary>Creates the block.</summary>
    public MultiHeadSelfAttention(int dim, int heads, Generator generator, bool causal = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heads);
        if (dim <= 0 || dim % heads != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(dim), dim, $"attention: expected a model width divisible by {heads} heads, got {dim}");
        }

        Dim = dim;
        Heads = heads;
        Causal = causal;
        Qkv = AddModule("qkv", new Linear(dim, 3 * dim, generator));
        Proj = AddModule("proj", new Linear(dim, dim, generator));
    }

    /// <summary>Model width.</summary>
    public int Dim { get; }

    /// <summary>Number of heads.</summary>
    public int Heads { get; }

    /// <summary>True when position t sees only positions up to t.</summary>
    public bool Causal { get; }

    /// <summary>[D] to [3D] (q, k, v).</summary>
    public Linear Qkv { get; }

    /// <summary>Output projection.</summary>
    public Linear Proj { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        using var caller = Dispatcher.LibraryCall();
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 3 || x.Shape[2] != Dim)
        {
            throw new ShapeException($"attention: expected input [B, T, {Dim}], got {x.ShapeString}");
        }

        int b = x.Shape[0];
        int t = x.Shape[1];
        int dh = Dim / Heads;
        var qkv = Qkv.Call(x).Reshape([b, t, 3, Heads, dh]).Permute([2, 0, 3, 1, 4]);
        var q = qkv.Slice(0, 0, 1).Squeeze(0);
        var k = qkv.Slice(0, 1, 2).Squeeze(0);
        var v = qkv.Slice(0, 2, 3).Squeeze(0);
        var scores = q.MatMul(k.Transpose()) * (1.0 / Math.Sqrt(dh));
        if (Causal)
        {
            scores = Tensor.Where(CausalMask(t, x.Backend), scores, Tensor.Scalar(double.NegativeInfinity, scores.DType, scores.Backend));
        }

        var heads = scores.Softmax(-1).MatMul(v);
        return Proj.Call(heads.Permute([0, 2, 1, 3]).Reshape([b, t, Dim]));
    }

    /// <summary>[T, T] int32, 1 where the key position is at or before the query position.</summary>
    public static Tensor CausalMask(int t, Backend? backend = null)
    {
        var pos = Tensor.Arange(t, DType.Int32, backend);
        return pos.Reshape([t, 1]).Ge(pos.Reshape([1, t]));
    }
}

/// <summary>Pre-norm transformer block: x + attn(ln1(x)), then x + mlp(ln2(x)) with a GELU MLP of width ratio * D.</summary>
public sealed class TransformerBlock : Module
{
    /// <summary>Creates the block.</summary>
    public TransformerBlock(int dim, int heads, Generator generator, int mlpRatio = 4, bool causal = true)
    {
        Norm1 = AddModule("ln1", new LayerNorm(dim));
        Attention = AddModule("attn", new MultiHeadSelfAttention(dim, heads, generator, causal));
        Norm2 = AddModule("ln2", new LayerNorm(dim));
        Mlp = AddModule("mlp", new Sequential(new Linear(dim, mlpRatio * dim, generator), new GELU(), new Linear(mlpRatio * dim, dim, generator)));
    }

    /// <summary>Norm before attention.</summary>
    public LayerNorm Norm1 { get; }

    /// <summary>Self-attention.</summary>
    public MultiHeadSelfAttention Attention { get; }

    /// <summary>Norm before the MLP.</summary>
    public LayerNorm Norm2 { get; }

    /// <summary>Linear, GELU, linear.</summary>
    public Sequential Mlp { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        using var caller = Dispatcher.LibraryCall();
        var h = x + Attention.Call(Norm1.Call(x));
        return h + Mlp.Call(Norm2.Call(h));
    }
}
