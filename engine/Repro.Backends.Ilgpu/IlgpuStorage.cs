using ILGPU;
using ILGPU.Runtime;
using Repro.Engine;

namespace Repro.Backends.Ilgpu;

/// <summary>
/// A buffer in an ILGPU accelerator's memory: float, double, int, or ushort (float16/bfloat16 bits) elements.
/// Zero-length buffers hold one unused element, since not every accelerator accepts empty allocations.
/// </summary>
public sealed class IlgpuStorage : Storage
{
    internal IlgpuStorage(IlgpuBackend backend, DType dtype, int length, MemoryBuffer buffer)
        : base(backend, dtype, length)
    {
        Buffer = buffer;
    }

    /// <summary>The device buffer (its length is at least 1; <see cref="Storage.Length"/> is the tensor's).</summary>
    public MemoryBuffer Buffer { get; }

    internal ArrayView<float> F32 => View<float>();

    internal ArrayView<double> F64 => View<double>();

    internal ArrayView<int> I32 => View<int>();

    internal ArrayView<ushort> U16 => View<ushort>();

    internal ArrayView<T> View<T>()
        where T : unmanaged => ((MemoryBuffer1D<T, Stride1D.Dense>)Buffer).View.AsContiguous();
}
