using Repro.Diffing;
using Repro.Engine;
using Repro.Engine.Backends;
using Repro.Samples;

namespace Repro.Diffing.Tests;

/// <summary>float32 against the 16-bit dtypes on a real sample: a divergence with a classified, located first op.</summary>
[Collection("recording")]
public class SampleDtypeTests
{
    [Theory]
    [InlineData(DType.BFloat16)]
    [InlineData(DType.Float16)]
    public void Digits_mlp_in_a_16_bit_dtype_diverges_at_a_located_and_classified_op(DType dtype)
    {
        static void Train(DType d) => Workloads.Get("digits-mlp").Run(new WorkloadOptions(Seed: 0, Steps: 6, DType: d, Backend: ManagedBackend.Instance));

        var a = Runs.Record("mlp-f32", ManagedBackend.Instance, program: () => Train(DType.Float32));
        var b = Runs.Record("mlp-" + dtype.Name(), ManagedBackend.Instance, dtype, () => Train(dtype));
        var r = Differ.Run(a, b);
        Assert.Equal(DiffMode.Numeric, r.Mode);
        Assert.Equal(Verdict.Diverged, r.Verdict);

        // The model moves to the 16-bit dtype with extra casts: a note, not a structural difference.
        Assert.Null(r.Structural);
        Assert.Contains(r.Notes, n => n.Contains("extra cast", StringComparison.Ordinal));
        var first = r.FirstDivergence!;
        Assert.True(first.Source.IsKnown, "the first divergent op has no source location");
        Assert.NotEqual("from_host", first.Op);
        Assert.NotEqual(Cause.None, first.Cause);
        Assert.False(first.Metrics!.WithinTolerance);
        if (first.Cause == Cause.Propagated)
        {
            Assert.NotNull(first.LocalMetrics);
            Assert.True(first.LocalMetrics!.WithinTolerance);
            Assert.NotNull(r.GrowthStart);
            Assert.True(r.GrowthStart!.Index < first.Index);
        }
    }
}
