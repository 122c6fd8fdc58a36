using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using Repro.Engine;

namespace Repro.Backends.Ilgpu;

/// <summary>
/// Creates the ILGPU backends and registers them by name with <see cref="Settings.RegisterBackend"/>:
/// "ilgpu-cpu" (always available), "ilgpu-cuda" and "ilgpu-opencl" (the first device of that kind; when there is
/// none, selecting the name throws an error that lists the devices ILGPU did find).
/// </summary>
public static class IlgpuBackends
{
    private static readonly Lazy<IlgpuBackend> CpuBackend = new(CreateCpu);
    private static readonly Lazy<IlgpuBackend> CudaBackend = new(() => CreateGpu(AcceleratorType.Cuda, "ilgpu-cuda"));
    private static readonly Lazy<IlgpuBackend> OpenClBackend = new(() => CreateGpu(AcceleratorType.OpenCL, "ilgpu-opencl"));

    /// <summary>The backend names this package registers.</summary>
    public static IReadOnlyList<string> Names { get; } = ["ilgpu-cpu", "ilgpu-cuda", "ilgpu-opencl"];

    /// <summary>The shared CPU-accelerator backend (created on first use).</summary>
    public static IlgpuBackend Cpu => CpuBackend.Value;

    /// <summary>The shared CUDA backend; throws <see cref="InvalidOperationException"/> naming the available devices when there is no CUDA device.</summary>
    public static IlgpuBackend Cuda => CudaBackend.Value;

    /// <summary>The shared OpenCL backend; throws when there is no OpenCL device.</summary>
    public static IlgpuBackend OpenCL => OpenClBackend.Value;

    /// <summary>Registers "ilgpu-cpu", "ilgpu-cuda" and "ilgpu-opencl" with the engine (idempotent).</summary>
    public static void Register()
    {
        Settings.RegisterBackend("ilgpu-cpu", () => Cpu);
        Settings.RegisterBackend("ilgpu-cuda", () => Cuda);
        Settings.RegisterBackend("ilgpu-opencl", () => OpenCL);
    }

    /// <summary>True when ILGPU finds a device of the given kind (CUDA or OpenCL) on this machine.</summary>
    public static bool HasDevice(AcceleratorType type)
    {
        using var context = Context.Create(b => b.AllAccelerators());
        return context.Devices.Any(d => d.AcceleratorType == type);
    }

    /// <summary>One line per device ILGPU finds (type and name), for error messages and the environment report.</summary>
    public static IReadOnlyList<string> DescribeDevices()
    {
        using var context = Context.Create(b => b.AllAccelerators());
        return [.. context.Devices.Select(d => $"{d.AcceleratorType}: {d.Name}")];
    }

    internal static IlgpuBackend CreateCpu()
    {
        // Small groups (ILGPU requires warps of at least 2 threads), one multiprocessor per core: each work item is a plain loop.
        var device = new CPUDevice(2, 1, Environment.ProcessorCount); // Threads only: kernels take fixed chunks, so results do not depend on it.
        var context = Context.Create(b => b.CPU(device).Math(MathMode.Default).Optimize(OptimizationLevel.O1));
        var accelerator = context.CreateCPUAccelerator(0);
        return new IlgpuBackend("ilgpu-cpu", accelerator, context);
    }

    private static IlgpuBackend CreateGpu(AcceleratorType type, string name)
    {
        var context = Context.Create(b => PtxIntrinsics.Register(OpenClIntrinsics.Register(b.AllAccelerators().Math(MathMode.Default).Optimize(OptimizationLevel.O1))));
        var device = context.Devices.FirstOrDefault(d => d.AcceleratorType == type);
        if (device is null)
        {
            var found = context.Devices.Select(d => $"{d.AcceleratorType}: {d.Name}").ToList();
            context.Dispose();
            throw new InvalidOperationException(
                $"backend '{name}': no {type} device found; ILGPU sees {(found.Count == 0 ? "no devices" : string.Join("; ", found))}. Use 'ilgpu-cpu' or 'managed' instead.");
        }

        return new IlgpuBackend(name, device.CreateAccelerator(context), context);
    }
}
