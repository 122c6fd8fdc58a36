using System.Buffers.Binary;
using Google.Protobuf;
using Onnx;
using Repro.Engine;

namespace Repro.Onnx;

/// <summary>A constant tensor from the model (initializer or Constant node), decoded on the host.</summary>
/// <param name="Shape">Extent of each axis.</param>
/// <param name="Floats">Elements of a floating-point tensor, widened to float (null for integers).</param>
/// <param name="Ints">Elements of an integer or bool tensor (null for floats).</param>
/// <param name="IsBool">True for bool.</param>
public sealed record OnnxConstant(int[] Shape, float[]? Floats, long[]? Ints, bool IsBool)
{
    // The engine tensor made from each float constant, reused by later runs while nothing observes the ops.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<OnnxConstant, Tensor> Converted = [];

    /// <summary>
    /// The value for a run in <paramref name="dtype"/>: floats become an engine tensor of that dtype. While no recorder
    /// observes the ops and no autocast policy decides dtypes, the tensor made by an earlier run (same dtype, same
    /// default backend) is reused and the op it would have emitted is counted as if it had run, so the op numbering is
    /// the same; a recorded run converts every constant again, so its log lists them as before. (ResNet-18's 45 MB of
    /// weights were copied into fresh memory on every run.)
    /// </summary>
    public OnnxValue ToValue(DType dtype)
    {
        if (Floats is null)
        {
            return OnnxValue.OfInts(Ints!, Shape, IsBool);
        }

        if (Dispatcher.IsObserved || Autocast.IsActive)
        {
            return OnnxValue.Of(Tensor.FromArray(Floats, Shape, dtype));
        }

        lock (Converted)
        {
            if (Converted.TryGetValue(this, out var t) && t.DType == dtype && ReferenceEquals(t.Backend, Settings.DefaultBackend))
            {
                Dispatcher.SkipUnobserved(1, t);
                return OnnxValue.Of(t);
            }

            t = Tensor.FromArray(Floats, Shape, dtype);
            Converted.AddOrUpdate(this, t);
            return OnnxValue.Of(t);
        }
    }
}

/// <summary>Decodes TensorProto messages, checking every claimed size against the data before allocating.</summary>
public static class OnnxTensors
{
    /// <summary>ONNX element type codes (onnx.proto TensorProto.DataType).</summary>
    public enum ElementType
    {
        /// <summary>Not set.</summary>
        Undefined = 0,
        /// <summary>float32.</summary>
        Float = 1,
        /// <summary>uint8.</summary>
        UInt8 = 2,
        /// <summary>int8.</summary>
        Int8 = 3,
        /// <summary>uint16.</summary>
        UInt16 = 4,
        /// <summary>int16.</summary>
        Int16 = 5,
        /// <summary>int32.</summary>
        Int32 = 6,
        /// <summary>int64.</summary>
        Int64 = 7,
        /// <summary>string.</summary>
        String = 8,
        /// <summary>bool.</summary>
        Bool = 9,
        /// <summary>float16.</summary>
        Float16 = 10,
        /// <summary>float64.</summary>
        Double = 11,
        /// <summary>uint32.</summary>
        UInt32 = 12,
        /// <summary>uint64.</summary>
        UInt64 = 13,
        /// <summary>bfloat16.</summary>
        BFloat16 = 16,
    }

    /// <summary>Bytes per element in raw_data; 0 for types this reader does not take.</summary>
    public static int SizeOf(ElementType t) => t switch
    {
        ElementType.Float or ElementType.Int32 or ElementType.UInt32 => 4,
        ElementType.Double or ElementType.Int64 or ElementType.UInt64 => 8,
        ElementType.Float16 or ElementType.BFloat16 or ElementType.Int16 or ElementType.UInt16 => 2,
        ElementType.Int8 or ElementType.UInt8 or ElementType.Bool => 1,
        _ => 0,
    };

    /// <summary>True for the floating-point element types.</summary>
    public static bool IsFloat(ElementType t) => t is ElementType.Float or ElementType.Double or ElementType.Float16 or ElementType.BFloat16;

    /// <summary>Decodes one tensor; <paramref name="folder"/> is where external data may live (null: refused).</summary>
    public static OnnxConstant Decode(TensorProto t, string what, string? folder)
    {
        ArgumentNullException.ThrowIfNull(t);
        var type = (ElementType)t.DataType;
        int size = SizeOf(type);
        if (size == 0)
        {
            throw new OnnxException($"{what}: element type {type} ({t.DataType}) is not supported");
        }

        var shape = ShapeOps.Checked(t.Dims, what);
        long n = ShapeOps.Numel(shape);
        if (t.Segment is not null)
        {
            throw new OnnxException($"{what}: segmented tensors are not supported");
        }

        ReadOnlySpan<byte> raw = default;
        bool hasRaw = false;
        if (t.DataLocation == TensorProto.Types.DataLocation.External)
        {
            raw = ReadExternal(t, what, folder, n * size);
            hasRaw = true;
        }
        else if (!t.RawData.IsEmpty)
        {
            raw = t.RawData.Span;
            hasRaw = true;
        }

        if (hasRaw)
        {
            if (raw.Length != n * size)
            {
                throw new OnnxException($"{what}: shape {ShapeOps.Fmt(shape)} {type} needs {n * size} bytes of data, got {raw.Length}");
            }

            return FromRaw(raw, type, shape, (int)n);
        }

        return FromFields(t, type, shape, (int)n, what);
    }

    private static byte[] ReadExternal(TensorProto t, string what, string? folder, long expected)
    {
        string? location = null;
        long offset = 0;
        long length = -1;
        foreach (var e in t.ExternalData)
        {
            switch (e.Key)
            {
                case "location":
                    location = e.Value;
                    break;
                case "offset":
                    offset = long.TryParse(e.Value, System.Globalization.CultureInfo.InvariantCulture, out var o) && o >= 0 ? o : throw new OnnxException($"{what}: external data offset '{e.Value}' is not a non-negative integer");
                    break;
                case "length":
                    length = long.TryParse(e.Value, System.Globalization.CultureInfo.InvariantCulture, out var l) && l >= 0 ? l : throw new OnnxException($"{what}: external data length '{e.Value}' is not a non-negative integer");
                    break;
                default:
                    break;
            }
        }

        if (string.IsNullOrEmpty(location))
        {
            throw new OnnxException($"{what}: external data without a location");
        }

        if (folder is null)
        {
            throw new OnnxException($"{what}: external data '{location}' cannot be read for a model given as bytes");
        }

        string root = Path.GetFullPath(folder);
        string full = Path.GetFullPath(Path.Combine(root, location));
        string prefix = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        if (Path.IsPathRooted(location) || !full.StartsWith(prefix, StringComparison.Ordinal))
        {
            throw new OnnxException($"{what}: external data location '{location}' is outside the model's folder");
        }

        var info = new FileInfo(full);
        if (!info.Exists)
        {
            throw new OnnxException($"{what}: external data file '{location}' does not exist");
        }

        if (info.LinkTarget is not null)
        {
            throw new OnnxException($"{what}: external data file '{location}' is a link; links are not followed");
        }

        if (length < 0)
        {
            length = expected;
        }

        if (length != expected || offset > info.Length || length > info.Length - offset)
        {
            throw new OnnxException($"{what}: external data '{location}' (offset {offset}, length {length}) does not hold the {expected} bytes the shape needs (file is {info.Length} bytes)");
        }

        using var stream = File.OpenRead(full);
        stream.Seek(offset, SeekOrigin.Begin);
        var buffer = new byte[length];
        stream.ReadExactly(buffer);
        return buffer;
    }

    private static OnnxConstant FromRaw(ReadOnlySpan<byte> raw, ElementType type, int[] shape, int n)
    {
        if (IsFloat(type))
        {
            var f = new float[n];
            for (int i = 0; i < n; i++)
            {
                f[i] = type switch
                {
                    ElementType.Float => BinaryPrimitives.ReadSingleLittleEndian(raw[(i * 4)..]),
                    ElementType.Double => (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(i * 8)..]),
                    ElementType.Float16 => (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(raw[(i * 2)..])),
                    _ => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw[(i * 2)..]) << 16),
                };
            }

            return new OnnxConstant(shape, f, null, false);
        }

        var v = new long[n];
        for (int i = 0; i < n; i++)
        {
            v[i] = type switch
            {
                ElementType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(raw[(i * 8)..]),
                ElementType.UInt64 => (long)BinaryPrimitives.ReadUInt64LittleEndian(raw[(i * 8)..]),
                ElementType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(raw[(i * 4)..]),
                ElementType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(raw[(i * 4)..]),
                ElementType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(raw[(i * 2)..]),
                ElementType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(raw[(i * 2)..]),
                ElementType.Int8 => (sbyte)raw[i],
                _ => raw[i],
            };
        }

        return new OnnxConstant(shape, null, v, type == ElementType.Bool);
    }

    private static OnnxConstant FromFields(TensorProto t, ElementType type, int[] shape, int n, string what)
    {
        int count = type switch
        {
            ElementType.Float => t.FloatData.Count,
            ElementType.Double => t.DoubleData.Count,
            ElementType.Int64 => t.Int64Data.Count,
            ElementType.UInt64 or ElementType.UInt32 => t.Uint64Data.Count,
            _ => t.Int32Data.Count,
        };
        if (count != n)
        {
            throw new OnnxException($"{what}: shape {ShapeOps.Fmt(shape)} {type} needs {n} elements, got {count}");
        }

        if (IsFloat(type))
        {
            var f = new float[n];
            for (int i = 0; i < n; i++)
            {
                f[i] = type switch
                {
                    ElementType.Float => t.FloatData[i],
                    ElementType.Double => (float)t.DoubleData[i],
                    ElementType.Float16 => (float)BitConverter.UInt16BitsToHalf((ushort)t.Int32Data[i]),
                    _ => BitConverter.Int32BitsToSingle((t.Int32Data[i] & 0xFFFF) << 16),
                };
            }

            return new OnnxConstant(shape, f, null, false);
        }

        var v = new long[n];
        for (int i = 0; i < n; i++)
        {
            v[i] = type switch
            {
                ElementType.Int64 => t.Int64Data[i],
                ElementType.UInt64 or ElementType.UInt32 => (long)t.Uint64Data[i],
                _ => t.Int32Data[i],
            };
        }

        return new OnnxConstant(shape, null, v, type == ElementType.Bool);
    }

    /// <summary>A float32 TensorProto (for tests and tools that build models).</summary>
    public static TensorProto Float(string name, int[] shape, float[] data)
    {
        var t = new TensorProto { Name = name, DataType = (int)ElementType.Float };
        t.Dims.AddRange(shape.Select(d => (long)d));
        var bytes = new byte[data.Length * 4];
        Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
        t.RawData = ByteString.CopyFrom(bytes);
        return t;
    }

    /// <summary>An int64 TensorProto.</summary>
    public static TensorProto Int64(string name, int[] shape, long[] data)
    {
        var t = new TensorProto { Name = name, DataType = (int)ElementType.Int64 };
        t.Dims.AddRange(shape.Select(d => (long)d));
        t.Int64Data.AddRange(data);
        return t;
    }
}
