using Repro.Engine;

namespace Repro.Onnx;

/// <summary>
/// One value flowing through an ONNX graph: a floating-point tensor in the engine (every op on it recorded), or an
/// integer or boolean tensor held on the host. ONNX graphs use integers for shapes, axes and indices: computing
/// them on the host keeps the engine's op log to the arithmetic that produces the model's numbers.
/// </summary>
public sealed class OnnxValue
{
    private OnnxValue(Tensor? tensor, long[]? ints, int[] shape, bool isBool)
    {
        Tensor = tensor;
        Ints = ints;
        Shape = shape;
        IsBool = isBool;
    }

    /// <summary>The engine tensor for floating-point values; null for integers.</summary>
    public Tensor? Tensor { get; }

    /// <summary>The elements of an integer or boolean value, row-major; null for floating-point values.</summary>
    public long[]? Ints { get; }

    /// <summary>Extent of each axis.</summary>
    public int[] Shape { get; }

    /// <summary>True for ONNX bool values (held as 0/1 in <see cref="Ints"/>).</summary>
    public bool IsBool { get; }

    /// <summary>True for a floating-point value (an engine tensor).</summary>
    public bool IsFloat => Tensor is not null;

    /// <summary>Number of elements.</summary>
    public long Numel => Shape.Aggregate(1L, (a, d) => a * d);

    /// <summary>A floating-point value.</summary>
    public static OnnxValue Of(Tensor tensor) => new(tensor, null, [.. tensor.Shape], false);

    /// <summary>An integer value on the host.</summary>
    public static OnnxValue OfInts(long[] ints, int[] shape, bool isBool = false)
    {
        if (ShapeOps.Numel(shape) != ints.Length)
        {
            throw new OnnxException($"integer tensor: shape {ShapeOps.Fmt(shape)} needs {ShapeOps.Numel(shape)} elements, got {ints.Length}");
        }

        return new(null, ints, shape, isBool);
    }

    /// <summary>The engine tensor; an integer value is converted to <paramref name="dtype"/> (for arithmetic mixing the two).</summary>
    public Tensor AsTensor(DType dtype)
    {
        if (Tensor is not null)
        {
            return Tensor;
        }

        var data = new float[Ints!.Length];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = Ints[i];
        }

        return Tensor.FromArray(data, Shape, dtype);
    }

    /// <summary>The integers; a floating-point value is read back and truncated toward zero.</summary>
    public long[] AsInts()
    {
        return Ints ?? [.. Tensor!.ToDoubleArray().Select(v => double.IsFinite(v) ? (long)Math.Truncate(v) : 0)];
    }

    /// <inheritdoc/>
    public override string ToString() => Tensor is not null
        ? $"{Tensor.DType.Name()} {ShapeOps.Fmt(Shape)}"
        : $"{(IsBool ? "bool" : "int64")} {ShapeOps.Fmt(Shape)}";
}
