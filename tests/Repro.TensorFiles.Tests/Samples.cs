using System.Buffers.Binary;
using Repro.Engine;

namespace Repro.TensorFiles.Tests;

/// <summary>Tensors of every dtype and the awkward shapes (scalar, one axis, empty), and their values decoded here.</summary>
internal static class Samples
{
    public static List<KeyValuePair<string, RawTensor>> All() =>
    [
        new("f32", new(DType.Float32, [2, 3], Bytes([1.5f, -0f, float.Epsilon, -3e38f, 7f, 0.1f], 4, (b, v) => BinaryPrimitives.WriteSingleLittleEndian(b, v)))),
        new("f64", new(DType.Float64, [2], Bytes([Math.PI, -1e-310], 8, (b, v) => BinaryPrimitives.WriteDoubleLittleEndian(b, v)))),
        new("i32", new(DType.Int32, [3], Bytes([int.MinValue, 7, -1], 4, (b, v) => BinaryPrimitives.WriteInt32LittleEndian(b, v)))),
        new("f16", new(DType.Float16, [1, 2], Bytes([(Half)0.1, (Half)(-2)], 2, (b, v) => BinaryPrimitives.WriteHalfLittleEndian(b, v)))),
        new("bf16", new(DType.BFloat16, [2], Bytes([Bf16(3f), Bf16(-0.5f)], 2, (b, v) => BinaryPrimitives.WriteUInt16LittleEndian(b, v)))),
        new("scalar", new(DType.Float32, [], Bytes([2.5f], 4, (b, v) => BinaryPrimitives.WriteSingleLittleEndian(b, v)))),
        new("empty", new(DType.Float32, [0, 3], [])),
    ];

    /// <summary>The elements as doubles, decoded by this test code (bfloat16 as the top half of a float32).</summary>
    public static double[] Values(RawTensor t)
    {
        int size = t.DType.SizeOf();
        var result = new double[t.Data.Length / size];
        for (int i = 0; i < result.Length; i++)
        {
            var b = t.Data.AsSpan(i * size, size);
            result[i] = t.DType switch
            {
                DType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(b),
                DType.Float64 => BinaryPrimitives.ReadDoubleLittleEndian(b),
                DType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(b),
                DType.Float16 => (double)BinaryPrimitives.ReadHalfLittleEndian(b),
                _ => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(b) << 16),
            };
        }

        return result;
    }

    private static ushort Bf16(float f) => (ushort)(BitConverter.SingleToUInt32Bits(f) >> 16);

    private delegate void Put<T>(Span<byte> destination, T value);

    private static byte[] Bytes<T>(T[] values, int size, Put<T> write)
    {
        var bytes = new byte[values.Length * size];
        for (int i = 0; i < values.Length; i++)
        {
            write(bytes.AsSpan(i * size, size), values[i]);
        }

        return bytes;
    }
}
