using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Repro.Engine;

namespace Repro.Nn;

/// <summary>
/// Reads and writes tensors in the safetensors layout: an 8-byte little-endian header length, a JSON header mapping
/// each name to {dtype, shape, data_offsets} (in the order given, plus an optional "__metadata__" of strings), then
/// the raw little-endian bytes. Values are stored bit for bit (NaN payloads included), so a round trip is exact.
/// </summary>
public static class StateFile
{
    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/>.</summary>
    public static void Save(string path, IReadOnlyList<KeyValuePair<string, Tensor>> tensors, IReadOnlyList<KeyValuePair<string, string>>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = File.Create(path);
        Write(stream, tensors, metadata);
    }

    /// <summary>Writes the file format to a stream.</summary>
    public static void Write(Stream stream, IReadOnlyList<KeyValuePair<string, Tensor>> tensors, IReadOnlyList<KeyValuePair<string, string>>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        var blobs = new List<byte[]>();
        using var header = new MemoryStream();
        using (var w = new Utf8JsonWriter(header))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata)
                {
                    w.WriteString(k, v);
                }

                w.WriteEndObject();
            }

            long offset = 0;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (name, t) in tensors)
            {
                if (!seen.Add(name) || name == "__metadata__")
                {
                    throw new ArgumentException($"state file: tensor name '{name}' is repeated or reserved", nameof(tensors));
                }

                var bytes = t.ToBytes();
                blobs.Add(bytes);
                w.WriteStartObject(name);
                w.WriteString("dtype", DTypeCode(t.DType));
                w.WriteStartArray("shape");
                foreach (int d in t.Shape)
                {
                    w.WriteNumberValue(d);
                }

                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes.Length);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes.Length;
            }

            w.WriteEndObject();
        }

        // The format pads the header with spaces to a multiple of 8 bytes.
        int pad = (int)((8 - (header.Length % 8)) % 8);
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)(header.Length + pad));
        stream.Write(len);
        header.Position = 0;
        header.CopyTo(stream);
        for (int i = 0; i < pad; i++)
        {
            stream.WriteByte((byte)' ');
        }

        foreach (var b in blobs)
        {
            stream.Write(b);
        }
    }

    /// <summary>Reads a file written by <see cref="Save"/> (or any safetensors file of supported dtypes), in header order.</summary>
    public static IReadOnlyList<KeyValuePair<string, Tensor>> Load(string path) => Load(path, out _);

    /// <summary>Reads the tensors and the metadata.</summary>
    public static IReadOnlyList<KeyValuePair<string, Tensor>> Load(string path, out IReadOnlyList<KeyValuePair<string, string>> metadata)
    {
        var bytes = File.ReadAllBytes(path);
        return Read(bytes, path, out metadata);
    }

    /// <summary>Parses the format from bytes; <paramref name="source"/> names the input in errors.</summary>
    public static IReadOnlyList<KeyValuePair<string, Tensor>> Read(byte[] bytes, string source, out IReadOnlyList<KeyValuePair<string, string>> metadata)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < 8)
        {
            throw new InvalidDataException($"state file '{source}': expected at least 8 bytes, got {bytes.Length}");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)(bytes.Length - 8))
        {
            throw new InvalidDataException($"state file '{source}': header length {headerLength} exceeds the file ({bytes.Length} bytes)");
        }

        int dataStart = 8 + (int)headerLength;
        using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength));
        var tensors = new List<KeyValuePair<string, Tensor>>();
        var meta = new List<KeyValuePair<string, string>>();
        foreach (var prop in doc.RootElement.EnumerateObject())
        {
            if (prop.Name == "__metadata__")
            {
                meta.AddRange(prop.Value.EnumerateObject().Select(m => new KeyValuePair<string, string>(m.Name, m.Value.GetString() ?? string.Empty)));
                continue;
            }

            var dtype = ParseDType(prop.Value.GetProperty("dtype").GetString(), source, prop.Name);
            int[] shape = [.. prop.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32())];
            long[] offs = [.. prop.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64())];
            long count = shape.Aggregate(1L, (a, d) => a * d);
            if (offs.Length != 2 || offs[1] - offs[0] != count * dtype.SizeOf() || offs[0] < 0 || dataStart + offs[1] > bytes.Length)
            {
                throw new InvalidDataException($"state file '{source}': tensor '{prop.Name}' has offsets [{string.Join(", ", offs)}] that do not fit shape {NnLibrary.Fmt(shape)} {dtype.Name()} in {bytes.Length - dataStart} data bytes");
            }

            var span = bytes.AsSpan(dataStart + (int)offs[0], (int)(offs[1] - offs[0]));
            tensors.Add(new(prop.Name, Tensor.FromHost(ToArray(span, dtype, (int)count), dtype, shape)));
        }

        metadata = meta;
        return tensors;
    }

    private static Array ToArray(ReadOnlySpan<byte> span, DType dtype, int count)
    {
        Array a = dtype switch
        {
            DType.Float32 => new float[count],
            DType.Float64 => new double[count],
            DType.Int32 => new int[count],
            _ => new ushort[count],
        };
        // The bytes are little-endian, as is every host Repro runs on (Tensor.ToBytes checks).
        Buffer.BlockCopy(span.ToArray(), 0, a, 0, span.Length);
        return a;
    }

    private static string DTypeCode(DType d) => d switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        DType.Int32 => "I32",
        DType.Float16 => "F16",
        DType.BFloat16 => "BF16",
        _ => throw new ArgumentOutOfRangeException(nameof(d), d, "state file: unsupported dtype"),
    };

    private static DType ParseDType(string? code, string source, string name) => code switch
    {
        "F32" => DType.Float32,
        "F64" => DType.Float64,
        "I32" => DType.Int32,
        "F16" => DType.Float16,
        "BF16" => DType.BFloat16,
        _ => throw new InvalidDataException($"state file '{source}': tensor '{name}' has dtype '{code}'; expected F32, F64, I32, F16 or BF16"),
    };
}
