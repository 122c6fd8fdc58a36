using Repro.Engine.Backends;

namespace Repro.Engine.Tests;

/// <summary>
/// The managed backend's <c>where</c> against the reference backend, called on the backends directly, so that
/// condition dtypes the tensor API converts before the call (float16, bfloat16) are covered too.
/// </summary>
public class WhereTests
{
    // Bits of: +0, -0, 1, -1, NaN, +Inf, smallest subnormal, 2.
    private static readonly float[] Conditions = [0f, -0f, 1f, -1f, float.NaN, float.PositiveInfinity, float.Epsilon, 2f];

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Int32)]
    [InlineData(DType.Float16)]
    [InlineData(DType.BFloat16)]
    public void Managed_where_selects_like_the_reference_for_every_condition_dtype(DType condType)
    {
        // cond [2, 8] with strides (8, 1); a [2, 8] transposed from [8, 2]; b broadcast along the rows (stride 0).
        int[] shape = [2, 8];
        var cond = Tensor.FromArray(Conditions, [1, 8]).Expand([2, 8]).Contiguous().To(condType);
        var a = Tensor.FromArray([.. Enumerable.Range(0, 16).Select(i => 100f + i)], [8, 2]);
        var b = Tensor.FromArray([.. Enumerable.Range(0, 8).Select(i => -100f - i)], [8]);

        float[] Run(Backend backend)
        {
            var c = (HostStorage)backend.Allocate(condType, 16);
            Array.Copy(((HostStorage)cond.Storage).Data, c.Data, 16);
            var sa = (HostStorage)backend.Allocate(DType.Float32, 16);
            Array.Copy(a.ToFloatArray(), sa.F32, 16);
            var sb = (HostStorage)backend.Allocate(DType.Float32, 8);
            Array.Copy(b.ToFloatArray(), sb.F32, 8);
            var y = (HostStorage)backend.Allocate(DType.Float32, 16);
            backend.Where(new View(c, shape, [8, 1], 0), new View(sa, shape, [1, 2], 0), new View(sb, shape, [0, 1], 0), y, shape);
            return y.F32;
        }

        var reference = Run(ReferenceBackend.Instance);
        var managed = Run(ManagedBackend.Instance);
        Assert.Equal(reference, managed);

        // And what the reference says: only the zeros (either sign) select b. The subnormal is zero in the 16-bit
        // types and int32; NaN is true except in int32, where the cast made it 0.
        var inType = cond.ToFloatArray();
        Assert.Equal(condType switch { DType.Float32 or DType.Float64 => 2, DType.Int32 => 4, _ => 3 }, inType.Take(8).Count(v => v == 0f));
        for (int j = 0; j < 8; j++)
        {
            Assert.Equal(inType[j] == 0f ? -100f - j : 100f + (2 * j) + 1, managed[8 + j]);
        }
    }
}
