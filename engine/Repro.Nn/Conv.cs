using Repro.Engine;

namespace Repro.Nn;

/// <summary>Checks of sliding-window layers over the last two axes, shared by convolution and pooling.</summary>
internal static class Windows
{
    /// <summary>Output extent of a window sweep; the error names the layer and the input.</summary>
    public static int OutSize(string op, int size, int kernel, int stride, int padding, Tensor x)
    {
        int o = ((size + (2 * padding) - kernel) / stride) + 1;
        if (size + (2 * padding) < kernel)
        {
            throw new ShapeException($"{op}: expected spatial extents >= {kernel - (2 * padding)} for kernel {kernel} and padding {padding}, got input {x.ShapeString}");
        }

        return o;
    }

    public static void CheckInput(string op, Tensor x, int channels)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Rank != 4 || (channels > 0 && x.Shape[1] != channels))
        {
            string c = channels > 0 ? channels.ToString(System.Globalization.CultureInfo.InvariantCulture) : "C";
            throw new ShapeException($"{op}: expected input [N, {c}, H, W], got {x.ShapeString}");
        }
    }
}

/// <summary>
/// 2-D convolution on the engine's conv2d op (an implicit GEMM: no im2col matrix is stored). Each output is one
/// fused multiply-add chain over (c, ki, kj) from +0, the column order of the im2col + matmul formulation this layer
/// used before, so the forward values are the same bits; the bias is added afterwards as its own op, as before.
/// </summary>
public sealed class Conv2d : Module
{
    /// <summary>Creates the layer with PyTorch's default init (uniform in +-1/sqrt(in*k*k)).</summary>
    public Conv2d(int inChannels, int outChannels, int kernel, Generator generator, int stride = 1, int padding = 0, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inChannels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outChannels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kernel);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stride);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        InChannels = inChannels;
        OutChannels = outChannels;
        Kernel = kernel;
        Stride = stride;
        Padding = padding;
        double bound = 1.0 / Math.Sqrt(inChannels * kernel * kernel);
        Weight = AddParameter("weight", Init.Uniform([outChannels, inChannels, kernel, kernel], -bound, bound, generator));
        Bias = bias ? AddParameter("bias", Init.Uniform([outChannels], -bound, bound, generator)) : null;
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Square kernel extent.</summary>
    public int Kernel { get; }

    /// <summary>Step between windows.</summary>
    public int Stride { get; }

    /// <summary>Zeros added on each side of both spatial axes.</summary>
    public int Padding { get; }

    /// <summary>[out, in, k, k].</summary>
    public Parameter Weight { get; }

    /// <summary>[out], or null.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        using var caller = Dispatcher.LibraryCall();
        Windows.CheckInput("conv2d", x, InChannels);
        _ = Windows.OutSize("conv2d", x.Shape[2], Kernel, Stride, Padding, x);
        _ = Windows.OutSize("conv2d", x.Shape[3], Kernel, Stride, Padding, x);
        return Tensor.Conv2d(x, Weight.Value, Bias?.Value, [Stride], [Padding]);
    }
}

/// <summary>
/// Maximum over k x k windows, on the engine's max_pool2d op: padding is skipped (as if it were -infinity, without
/// being a value), NaN wins, +0 is above -0; the gradient goes to the first maximum of each window.
/// </summary>
public sealed class MaxPool2d(int kernel, int? stride = null, int padding = 0) : Module
{
    /// <summary>Window extent.</summary>
    public int Kernel { get; } = kernel > 0 ? kernel : throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "max_pool2d: kernel must be positive");

    /// <summary>Step between windows (default: the kernel).</summary>
    public int Stride { get; } = stride ?? kernel;

    /// <summary>Padding on each side.</summary>
    public int Padding { get; } = padding;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Pool.Apply("max_pool2d", x, Kernel, Stride, Padding, max: true);
}

/// <summary>
/// Mean over k x k windows (padding counts as zeros in the mean), on the engine's avg_pool2d op: the canonical sum of
/// the window's k*k cells divided once by k*k, the same bits as the reshape-and-mean or stacked-views mean it replaces.
/// </summary>
public sealed class AvgPool2d(int kernel, int? stride = null, int padding = 0) : Module
{
    /// <summary>Window extent.</summary>
    public int Kernel { get; } = kernel > 0 ? kernel : throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "avg_pool2d: kernel must be positive");

    /// <summary>Step between windows (default: the kernel).</summary>
    public int Stride { get; } = stride ?? kernel;

    /// <summary>Padding on each side.</summary>
    public int Padding { get; } = padding;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => Pool.Apply("avg_pool2d", x, Kernel, Stride, Padding, max: false);
}

internal static class Pool
{
    public static Tensor Apply(string op, Tensor x, int k, int stride, int padding, bool max)
    {
        using var caller = Dispatcher.LibraryCall();
        Windows.CheckInput(op, x, 0);
        if (stride <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), stride, $"{op}: stride must be positive");
        }

        if (padding < 0 || 2 * padding > k)
        {
            throw new ArgumentOutOfRangeException(nameof(padding), padding, $"{op}: padding must be between 0 and half the kernel ({k / 2} for kernel {k}), as in PyTorch");
        }

        _ = Windows.OutSize(op, x.Shape[2], k, stride, padding, x);
        _ = Windows.OutSize(op, x.Shape[3], k, stride, padding, x);
        return max
            ? Tensor.MaxPool2d(x, [k], [stride], [padding])
            : Tensor.AvgPool2d(x, [k], [stride], [padding], countIncludePad: true);
    }
}
