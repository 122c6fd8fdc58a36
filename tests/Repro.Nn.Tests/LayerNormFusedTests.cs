using Repro.Engine;
using Repro.Nn;

namespace Repro.Nn.Tests;

/// <summary>
/// The fused path runs only while no observer is attached anywhere in the process, and other test classes attach
/// observers; so these tests run alone, after the parallel ones.
/// </summary>
[CollectionDefinition("fused", DisableParallelization = true)]
public sealed class FusedCollection;

/// <summary>
/// LayerNorm's fused managed kernel (taken when nothing observes the ops and no gradient is built) against the
/// composition it replaces, bit for bit: float32 rows of several lengths (one and several sum chunks),
/// trained-looking gamma and beta, 1, 2, 3, 7 and 16 threads, and a row of a batch against the row alone.
/// </summary>
[Collection("fused")]
public class LayerNormFusedTests
{
    private static string Hash(Tensor t) => t.ContentHash();

    private static LayerNorm Norm(int dim)
    {
        var norm = new LayerNorm(dim, eps: 1e-5);
        using (Autograd.NoGrad())
        {
            norm.Gamma.Value.Assign((Tensor.Randn([dim], new Generator(41)) * 0.3) + 1.0);
            norm.Beta.Value.Assign(Tensor.Randn([dim], new Generator(42)) * 0.1);
        }

        return norm;
    }

    private static string Composed(LayerNorm norm, Tensor x)
    {
        RowFastPath.Off = true;
        try
        {
            return Hash(norm.Forward(x));
        }
        finally
        {
            RowFastPath.Off = false;
        }
    }

    [Theory]
    [InlineData(768)]
    [InlineData(1000)]
    [InlineData(2500)]
    [InlineData(33)]
    [InlineData(1024)]
    [InlineData(1)]
    public void Fused_layer_norm_equals_the_composition_on_1_2_3_7_16_threads(int dim)
    {
        var norm = Norm(dim);
        var x = (Tensor.Randn([13, dim], new Generator((ulong)dim)) * 3.0) + 0.5;
        using var noGrad = Autograd.NoGrad();
        Assert.True(RowFastPath.AppliesToLayerNorm(x, norm.Gamma.Value, norm.Beta.Value));
        string expected = Composed(norm, x);
        foreach (int threads in new[] { 1, 2, 3, 7, 16 })
        {
            using var scope = Settings.UseThreads(threads);
            Assert.Equal(expected, Hash(norm.Forward(x)));
        }

        // A row of the batch alone.
        var row = x.Slice(0, 4, 5).Contiguous();
        Assert.Equal(Hash(norm.Forward(x).Slice(0, 4, 5).Contiguous()), Hash(norm.Forward(row)));
    }

    [Fact]
    public void Training_takes_the_composition()
    {
        var norm = Norm(16);
        var x = Tensor.Randn([3, 16], new Generator(5));
        Assert.False(RowFastPath.AppliesToLayerNorm(x, norm.Gamma.Value, norm.Beta.Value));
        using var noGrad = Autograd.NoGrad();
        Assert.True(RowFastPath.AppliesToLayerNorm(x, norm.Gamma.Value, norm.Beta.Value));
    }
}
