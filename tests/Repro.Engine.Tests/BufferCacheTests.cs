using Repro.Engine.Backends;

namespace Repro.Engine.Tests;

/// <summary>
/// The managed backend reuses the arrays of collected large outputs (BufferCache). Results must not depend on it, an
/// array must come back only when its storage is gone, and never once someone was handed the array itself.
/// </summary>
[Collection("poison")]
public class BufferCacheTests
{
    [Fact]
    public void Suite_results_are_the_same_with_the_cache_off_and_on()
    {
        long before = BufferCache.CapacityBytes;
        Dictionary<string, string> off;
        try
        {
            BufferCache.CapacityBytes = 0;
            off = TestUtil.RunSuite();
        }
        finally
        {
            BufferCache.CapacityBytes = before;
        }

        // Twice with the cache on, collecting in between, so the second run gets the first run's arrays back.
        _ = TestUtil.RunSuite();
        Collect();
        long hits = BufferCache.Hits;
        var on = TestUtil.RunSuite();
        Assert.True(BufferCache.Hits > hits, "the second run took no array from the cache");
        TestUtil.AssertSame(off, on, "cache off vs on");
    }

    [Fact]
    public void A_collected_output_array_serves_the_next_output_of_its_size()
    {
        var x = Tensor.Randn([3, 40_001], new Generator(11));
        var first = MakeAndDrop(x);
        Collect();
        var y = x.Exp();
        Assert.True(((HostStorage)y.Storage).Cached);
        Assert.Contains(((HostStorage)y.Storage).Raw, first);
        Assert.Equal(x.ToFloatArray().Select(v => Repro.Engine.Numerics.DetMath.Exp(v)), y.ToFloatArray());
    }

    [Fact]
    public void An_array_handed_out_through_Data_is_never_reused()
    {
        var x = Tensor.Randn([2, 50_003], new Generator(12));
        var kept = Keep(x);
        var copy = (float[])kept.Clone();
        Collect();
        for (int i = 0; i < 4; i++)
        {
            var y = x.Neg();
            Assert.NotSame(kept, ((HostStorage)y.Storage).Raw);
        }

        Assert.Equal(copy, kept);
    }

    [Fact]
    public void Small_outputs_are_not_cached()
    {
        var y = Tensor.Randn([100], new Generator(13)).Exp();
        Assert.False(((HostStorage)y.Storage).Cached);
    }

    // The arrays of a few outputs of x's size whose tensors are unreachable once this returns.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static List<Array> MakeAndDrop(Tensor x)
    {
        var arrays = new List<Array>();
        for (int i = 0; i < 3; i++)
        {
            arrays.Add(((HostStorage)x.Exp().Storage).Raw);
        }

        return arrays;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static float[] Keep(Tensor x) => (float[])((HostStorage)x.Neg().Storage).Data;

    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }
}
