using Repro.Engine;
using Repro.Engine.Backends;
using Repro.Tests.Shared;

namespace Repro.Backends.Ilgpu.Tests;

/// <summary>
/// GPUs combine a row's chunk partials level by level across threads, the CPU accelerator one row per thread. CI has
/// no GPU, so this runs the level-by-level path on a CPU accelerator of its own and checks it against the reference backend.
/// </summary>
public sealed class RowTreeTests : IDisposable
{
    private readonly IlgpuBackend levels = IlgpuBackends.CreateCpu();

    public RowTreeTests() => levels.RowTreeByLevels = true;

    public void Dispose() => levels.Dispose();

    [Theory]
    [InlineData(1, 1_000_003)]
    [InlineData(1, 1024)]
    [InlineData(1, 1025)]
    [InlineData(3, 7 * 1024)]
    [InlineData(5, 33 * 1024)]
    [InlineData(2, 65 * 1024 - 1)]
    [InlineData(1000, 3)]
    public void LevelByLevelSumsMatchTheReference(int rows, int n)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var host = Bits.Host(dtype, rows * n, rows + n, finite: true);
            var (xr, xd) = Bits.Both(ReferenceBackend.Instance, levels, host, dtype);
            var yr = ReferenceBackend.Instance.Allocate(dtype, rows);
            var yd = levels.Allocate(dtype, rows);
            ReferenceBackend.Instance.Reduce(ReduceOp.Sum, xr, rows, n, yr);
            levels.Reduce(ReduceOp.Sum, xd, rows, n, yd);
            Bits.Same(ReferenceBackend.Instance.ToHost(yr), levels.ToHost(yd), $"sum {dtype} {rows}x{n}");
        }
    }
}
