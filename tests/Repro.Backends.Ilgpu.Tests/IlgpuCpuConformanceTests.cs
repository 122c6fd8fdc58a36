using Repro.Engine.Backends;

namespace Repro.Backends.Ilgpu.Tests;

/// <summary>The primitive suite on ILGPU's CPU accelerator (always present; the run CI relies on).</summary>
public sealed class IlgpuCpuConformanceTests : BackendConformance
{
    /// <inheritdoc/>
    protected override Backend Device => IlgpuBackends.Cpu;
}

/// <summary>The primitive suite on the first CUDA device; skipped when there is none.</summary>
public sealed class IlgpuCudaConformanceTests : BackendConformance
{
    /// <inheritdoc/>
    protected override Backend Device
    {
        get
        {
            Skip.IfNot(Devices.Has(ILGPU.Runtime.AcceleratorType.Cuda), "no CUDA device: " + Devices.Summary);
            return IlgpuBackends.Cuda;
        }
    }
}

/// <summary>The primitive suite on the first OpenCL device; skipped when there is none.</summary>
public sealed class IlgpuOpenClConformanceTests : BackendConformance
{
    /// <inheritdoc/>
    protected override Backend Device
    {
        get
        {
            Skip.IfNot(Devices.Has(ILGPU.Runtime.AcceleratorType.OpenCL), "no OpenCL device: " + Devices.Summary);
            return IlgpuBackends.OpenCL;
        }
    }
}

/// <summary>Device discovery, done once per test run.</summary>
internal static class Devices
{
    private static readonly Lazy<IReadOnlyList<string>> Found = new(IlgpuBackends.DescribeDevices);

    public static string Summary => string.Join("; ", Found.Value);

    public static bool Has(ILGPU.Runtime.AcceleratorType type) => Found.Value.Any(d => d.StartsWith(type + ":", StringComparison.Ordinal));
}
