using Repro.Engine;

namespace Repro.Nn;

/// <summary>
/// Weight initializers. Each draws one random op from the given seeded generator (so the values depend only on the
/// seed and the op's stream) and scales it with recorded ops. Results are float32 leaves; convert a model with
/// <see cref="Module.To(DType)"/>.
/// </summary>
public static class Init
{
    /// <summary>Uniform on [lo, hi).</summary>
    public static Tensor Uniform(int[] shape, double lo, double hi, Generator generator)
    {
        using var caller = Dispatcher.LibraryCall();
        return (Tensor.Rand(shape, generator) * (hi - lo)) + lo;
    }

    /// <summary>Normal with the given mean and standard deviation.</summary>
    public static Tensor Normal(int[] shape, double mean, double std, Generator generator)
    {
        using var caller = Dispatcher.LibraryCall();
        return (Tensor.Randn(shape, generator) * std) + mean;
    }

    /// <summary>Kaiming (He) uniform: bound = gain * sqrt(3 / fanIn); gain sqrt(2) suits ReLU.</summary>
    public static Tensor KaimingUniform(int[] shape, int fanIn, Generator generator, double gain = 1.4142135623730951)
    {
        double bound = gain * Math.Sqrt(3.0 / Positive(fanIn, "fanIn"));
        return Uniform(shape, -bound, bound, generator);
    }

    /// <summary>Kaiming (He) normal: std = gain / sqrt(fanIn).</summary>
    public static Tensor KaimingNormal(int[] shape, int fanIn, Generator generator, double gain = 1.4142135623730951) =>
        Normal(shape, 0.0, gain / Math.Sqrt(Positive(fanIn, "fanIn")), generator);

    /// <summary>Xavier (Glorot) uniform: bound = gain * sqrt(6 / (fanIn + fanOut)).</summary>
    public static Tensor XavierUniform(int[] shape, int fanIn, int fanOut, Generator generator, double gain = 1.0)
    {
        double bound = gain * Math.Sqrt(6.0 / (Positive(fanIn, "fanIn") + Positive(fanOut, "fanOut")));
        return Uniform(shape, -bound, bound, generator);
    }

    /// <summary>Xavier (Glorot) normal: std = gain * sqrt(2 / (fanIn + fanOut)).</summary>
    public static Tensor XavierNormal(int[] shape, int fanIn, int fanOut, Generator generator, double gain = 1.0) =>
        Normal(shape, 0.0, gain * Math.Sqrt(2.0 / (Positive(fanIn, "fanIn") + Positive(fanOut, "fanOut"))), generator);

    private static int Positive(int v, string name) =>
        v > 0 ? v : throw new ArgumentOutOfRangeException(name, v, $"init: {name} must be positive, got {v}");
}
