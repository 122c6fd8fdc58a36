using Repro.Tests.Shared;

namespace Repro.Engine.Tests;

/// <summary>
/// The managed backend hands kernels output buffers that are not zero-filled (<c>Backend.AllocateOutput</c>), on the
/// promise that each kernel writes every element. These tests vary what those buffers held before (whatever the
/// allocator left, or all-ones bits: NaN in every float dtype, -1 in int32) and require the same bits, so a kernel
/// that skips an element fails here.
/// </summary>
[Collection("poison")]
public class UninitializedOutputTests
{
    [Fact]
    public void Suite_results_do_not_depend_on_what_output_buffers_held()
    {
        var plain = TestUtil.RunSuite();
        Dictionary<string, string> poisoned;
        using (Poison())
        {
            poisoned = TestUtil.RunSuite();
        }

        Assert.True(plain.Count > 400, $"suite too small: {plain.Count}");
        TestUtil.AssertSame(plain, poisoned, "plain vs poisoned output buffers");
    }

    [Fact]
    public void Empty_sums_are_zero_in_poisoned_buffers()
    {
        using var poison = Poison();
        var empty = Tensor.Zeros([3, 0]);
        Assert.Equal([0f, 0f, 0f], empty.Sum([1]).ToFloatArray());
        Assert.Equal(new float[6], Tensor.Zeros([2, 0]).MatMul(Tensor.Zeros([0, 3])).ToFloatArray());
        Assert.Equal(new float[2 * 4 * 3 * 3], Tensor.Conv2d(Tensor.Zeros([2, 0, 3, 3]), Tensor.Zeros([4, 0, 1, 1]), null, [1], [0]).ToFloatArray());
        var dw = OpCore.Conv2dWeightGrad(Tensor.Zeros([0, 4, 3, 3]), Tensor.Zeros([0, 2, 3, 3]), [4, 2, 1, 1], [1, 1], [0, 0, 0, 0], [1, 1], 1);
        Assert.Equal(new float[8], dw.ToFloatArray());
    }

    [Fact]
    public void Poisoned_buffers_are_nan_until_written()
    {
        using var poison = Poison();
        var s = (HostStorage)Backends.ManagedBackend.Instance.AllocateOutput(DType.Float32, 1000);
        Assert.All(s.F32, v => Assert.True(float.IsNaN(v)));
        var i = (HostStorage)Backends.ManagedBackend.Instance.AllocateOutput(DType.Int32, 1000);
        Assert.All(i.I32, v => Assert.Equal(-1, v));
    }

    [Fact]
    public void A_child_started_with_REPRO_POISON_UNINITIALIZED_computes_the_same_bits()
    {
        var probe = ProbeRunner.Run(new Dictionary<string, string> { ["REPRO_POISON_UNINITIALIZED"] = "1" });
        Assert.Equal(VectorWidths.Line(), probe.Isa);
        TestUtil.AssertSame(TestUtil.RunSuite(ProbeRunner.Filter), probe.Hashes, "child with poisoned output buffers vs this process");
    }

    private static Scope Poison()
    {
        bool before = HostStorage.PoisonUninitialized;
        HostStorage.PoisonUninitialized = true;
        return new Scope(() => HostStorage.PoisonUninitialized = before);
    }

    private sealed class Scope(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}
