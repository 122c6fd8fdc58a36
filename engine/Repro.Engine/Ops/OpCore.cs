using Repro.Engine.Backends;

namespace Repro.Engine;

/// <summary>
/// The implementations behind the public tensor API: each method validates, runs backend primitives, and reports
/// exactly one op to the dispatcher. 16-bit dtypes are widened to float32, computed as float32, and rounded once.
/// </summary>
internal static partial class OpCore
{
    /// <summary>A new contiguous tensor on a backend.</summary>
    public static Tensor Alloc(Backend backend, DType dtype, int[] shape) => new(backend.Allocate(dtype, ShapeUtil.Numel(shape)), shape);

    /// <summary>The tensor's elements as a contiguous buffer in its compute dtype (float32 for 16-bit types).</summary>
    public static Storage ComputeStorage(Tensor t)
    {
        var s = t.ContiguousStorage();
        if (!t.DType.IsLowPrecision())
        {
            return s;
        }

        var wide = t.Backend.AllocateOutput(DType.Float32, s.Length);
        t.Backend.Cast(s, wide);
        return wide;
    }

    /// <summary>A view of the tensor in its compute dtype (copies and widens only 16-bit types).</summary>
    public static View ComputeView(Tensor t)
    {
        if (!t.DType.IsLowPrecision())
        {
            return t.View;
        }

        return View.Contiguous(ComputeStorage(t), t.ShapeArray);
    }

    /// <summary>Wraps a compute-dtype result as a tensor of <paramref name="dtype"/>, rounding once when it is a 16-bit type.</summary>
    public static Tensor Finish(Backend backend, Storage result, DType dtype, int[] shape)
    {
        if (result.DType == dtype)
        {
            return new Tensor(result, shape);
        }

        var narrow = backend.AllocateOutput(dtype, result.Length);
        backend.Cast(result, narrow);
        return new Tensor(narrow, shape);
    }

    /// <summary>Checks that all tensors share one backend and one dtype; the error names the op and both.</summary>
    public static void Same(string op, Tensor a, Tensor b)
    {
        if (!ReferenceEquals(a.Backend, b.Backend))
        {
            throw new InvalidOperationException($"{op}: inputs are on different backends ('{a.Backend.Name}' and '{b.Backend.Name}'); move one with .To(backend)");
        }

        if (a.DType != b.DType)
        {
            throw new DTypeException($"{op}: expected inputs of one dtype, got {a.DType.Name()} and {b.DType.Name()}; convert one with .To(DType.{b.DType})");
        }
    }

    /// <summary>Reports the op (its table row) with its one output, and returns that output.</summary>
    public static Tensor Emit1(OpInfo op, OpAttributes attrs, Tensor[] inputs, Tensor output)
    {
        Dispatcher.Emit(op, attrs, inputs, [output]);
        return output;
    }
}
