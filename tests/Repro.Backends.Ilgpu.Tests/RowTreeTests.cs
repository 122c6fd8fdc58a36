using Repro.Engine;
using Repro.Engine.Backends;

namespace Repro.Backends.Ilgpu.Tests;

/// <summary>
/// GPUs combine a row's chunk partials level by level across threads, the CPU accelerator one row per thread. CI has
/// no GPU, so this runs the level-by-level path on a CPU accelerator of its own and checks it against managed.
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
    public void LevelByLevelSumsMatchManaged(int rows, int n)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            var host = Bits.Host(dtype, rows * n, rows + n, finite: true);
            var (xm, xd) = Bits.Both(levels, host, dtype);
            var ym = ManagedBackend.Instance.Allocate(dtype, rows);
            var yd = levels.Allocate(dtype, rows);
            ManagedBackend.Instance.Reduce(ReduceOp.Sum, xm, rows, n, ym);
            levels.Reduce(ReduceOp.Sum, xd, rows, n, yd);
            Bits.Same(ManagedBackend.Instance.ToHost(ym), levels.ToHost(yd), $"sum {dtype} {rows}x{n}");
        }
    }
}
