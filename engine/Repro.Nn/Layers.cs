using Repro.Engine;

namespace Repro.Nn;

/// <summary>y = x W^T + b, with W of shape [out, in] (PyTorch's layout). Inputs of any rank are flattened to 2-D for the product.</summary>
public sealed class Linear : Module
{
    /// <summary>Creates the layer with PyTorch's default init: W and b uniform in +-1/sqrt(in).</summary>
    public Linear(int inFeatures, int outFeatures, Generator generator, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outFeatures);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        double bound = 1.0 / Math.Sqrt(inFeatures);
        Weight = AddParameter("weight", Init.Uniform([outFeatures, inFeatures], -bound, bound, generator));
        Bias = bias ? AddParameter("bias", Init.Uniform([outFeatures], -bound, bound, generator)) : null;
    }

    /// <summary>Input width.</summary>
    public int InFeatures { get; }

    /// <summary>Output width.</summary>
    public int OutFeatures { get; }

    /// <summary>[out, in].</summary>
    public Parameter Weight { get; }

    /// <summary>[out], or null.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        using var caller = Dispatcher.LibraryCall();
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank == 0 || x.Shape[^1] != InFeatures)
        {
            throw new ShapeException($"linear: expected input [.., {InFeatures}], got {x.ShapeString}");
        }

        var flat = x.Rank == 2 ? x : x.Reshape([-1, InFeatures]);
        var y = flat.MatMul(Weight.Value.Transpose());
        if (Bias is not null)
        {
            y += Bias.Value;
        }

        if (x.Rank == 2)
        {
            return y;
        }

        int[] shape = [.. x.Shape];
        shape[^1] = OutFeatures;
        return y.Reshape(shape);
    }
}

/// <summary>Merges all axes after the first: [N, ...] to [N, prod(...)].</summary>
public sealed class Flatten : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        using var caller = Dispatcher.LibraryCall();
        ArgumentNullException.ThrowIfNull(x);
        return x.Rank <= 2 ? x : x.Flatten(1);
    }
}

/// <summary>max(x, 0).</summary>
public sealed class ReLU : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        using var caller = Dispatcher.LibraryCall();
        return Checked(x).Relu();
    }

    internal static Tensor Checked(Tensor x) => x ?? throw new ArgumentNullException(nameof(x));
}

/// <summary>GELU, erf form.</summary>
public sealed class GELU : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        using var caller = Dispatcher.LibraryCall();
        return ReLU.Checked(x).Gelu();
    }
}

/// <summary>tanh(x).</summary>
public sealed class Tanh : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        using var caller = Dispatcher.LibraryCall();
        return ReLU.Checked(x).Tanh();
    }
}

/// <summary>1 / (1 + exp(-x)).</summary>
public sealed class Sigmoid : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        using var caller = Dispatcher.LibraryCall();
        return ReLU.Checked(x).Sigmoid();
    }
}

/// <summary>
/// Zeros each element with probability p in training mode and scales the rest by 1 / (1 - p). The mask is a
/// Bernoulli draw from the layer's seeded generator: each call takes the generator's next stream.
/// </summary>
public sealed class Dropout : Module
{
    private readonly Generator generator;

    /// <summary>Creates the layer.</summary>
    public Dropout(double p, Generator generator)
    {
        if (p is < 0.0 or >= 1.0 || double.IsNaN(p))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, $"dropout: expected 0 <= p < 1, got {p}");
        }

        P = p;
        this.generator = generator ?? throw new ArgumentNullException(nameof(generator));
    }

    /// <summary>Drop probability.</summary>
    public double P { get; }

    /// <summary>The keep mask for one call (1 keep, 0 drop), drawn from the next stream.</summary>
    public Tensor Mask(int[] shape, DType dtype) => Tensor.Bernoulli(shape, 1.0 - P, generator, dtype);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        using var caller = Dispatcher.LibraryCall();
        ArgumentNullException.ThrowIfNull(x);
        if (!Training || P == 0.0)
        {
            return x;
        }

        return x * Mask([.. x.Shape], x.DType) * (1.0 / (1.0 - P));
    }
}

/// <summary>Rows of a [count, dim] table picked by int32 indices of any shape; the result has shape [.., dim].</summary>
public sealed class Embedding : Module
{
    /// <summary>Creates the table with N(0, 1) entries.</summary>
    public Embedding(int count, int dim, Generator generator, double std = 1.0)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        Count = count;
        Dim = dim;
        Weight = AddParameter("weight", Init.Normal([count, dim], 0.0, std, generator));
    }

    /// <summary>Rows in the table.</summary>
    public int Count { get; }

    /// <summary>Row width.</summary>
    public int Dim { get; }

    /// <summary>[count, dim].</summary>
    public Parameter Weight { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        using var caller = Dispatcher.LibraryCall();
        ArgumentNullException.ThrowIfNull(x);
        if (x.DType != DType.Int32)
        {
            throw new DTypeException($"embedding: expected int32 indices, got {x.DType.Name()}");
        }

        var rows = Weight.Value.IndexSelect(0, x.Rank == 1 ? x : x.Reshape([-1]));
        return x.Rank == 1 ? rows : rows.Reshape([.. x.Shape, Dim]);
    }
}

/// <summary>Normalizes the last axis to zero mean and unit variance (biased), then scales and shifts.</summary>
public sealed class LayerNorm : Module
{
    /// <summary>Creates the layer with gamma = 1, beta = 0.</summary>
    public LayerNorm(int dim, double eps = 1e-5)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim);
        Dim = dim;
        Eps = eps;
        Gamma = AddParameter("weight", Tensor.Ones([dim]));
        Beta = AddParameter("bias", Tensor.Zeros([dim]));
    }

    /// <summary>Width of the normalized axis.</summary>
    public int Dim { get; }

    /// <summary>Added to the variance.</summary>
    public double Eps { get; }

    /// <summary>Scale, [dim].</summary>
    public Parameter Gamma { get; }

    /// <summary>Shift, [dim].</summary>
    public Parameter Beta { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        using var caller = Dispatcher.LibraryCall();
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank == 0 || x.Shape[^1] != Dim)
        {
            throw new ShapeException($"layer_norm: expected input [.., {Dim}], got {x.ShapeString}");
        }

        if (RowFastPath.AppliesToLayerNorm(x, Gamma.Value, Beta.Value))
        {
            return RowFastPath.LayerNorm(x, Gamma.Value, Beta.Value, Eps);
        }

        var centered = x - x.Mean(-1, keepdim: true);
        var variance = centered.Square().Mean(-1, keepdim: true);
        return (centered * (variance + Eps).Rsqrt() * Gamma.Value) + Beta.Value;
    }
}

/// <summary>Applies its children in order; they are named "0", "1", ...</summary>
public sealed class Sequential : Module
{
    private readonly Module[] layers;

    /// <summary>Creates the chain.</summary>
    public Sequential(params Module[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        this.layers = layers;
        for (int i = 0; i < layers.Length; i++)
        {
            AddModule(i.ToString(System.Globalization.CultureInfo.InvariantCulture), layers[i]);
        }

        IsBuiltIn = Array.TrueForAll(layers, l => l?.RunsOnlyLibraryCode == true);
    }

    /// <summary>True when every layer, at any depth, is one of this library's (sealed) layers.</summary>
    internal bool IsBuiltIn { get; }

    /// <inheritdoc/>
    internal override bool RunsOnlyLibraryCode => IsBuiltIn;

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<Module> Layers => layers;

    /// <inheritdoc/>
    /// <remarks>
    /// A chain of built-in layers runs no user code, so it is one library call (one stack walk locates all its ops
    /// at the user's call); a chain with a user's layer is not, so that layer's own calls locate its ops.
    /// </remarks>
    public override Tensor Forward(Tensor x)
    {
        using var caller = IsBuiltIn ? Dispatcher.LibraryCall() : default;
        foreach (var layer in layers)
        {
            x = layer.Call(x);
        }

        return x;
    }
}
