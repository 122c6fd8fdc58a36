using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;
using Repro.Engine;

namespace Repro.TensorFiles;

/// <summary>What a safetensors file holds: its tensors in header order and its metadata.</summary>
/// <param name="Tensors">Name and tensor, in the order the header lists them.</param>
/// <param name="Metadata">The "__metadata__" entries, in header order (empty when there are none).</param>
public sealed record SafetensorsContent(IReadOnlyList<KeyValuePair<string, RawTensor>> Tensors, IReadOnlyList<KeyValuePair<string, string>> Metadata);

/// <summary>
/// The safetensors format, as its reference repository's README ("Format", github.com/huggingface/safetensors)
/// defines it: 8 bytes holding N, the header's length as a little-endian u64; N bytes of UTF-8 JSON mapping each
/// tensor's name to {"dtype", "shape", "data_offsets": [begin, end)} (offsets into the data that follows) plus an
/// optional "__metadata__" object of strings; then the data, little-endian and row-major. Of its dtypes Repro has
/// F32, F64, I32, F16 and BF16. The JSON is System.Text.Json's; the framing and the checks are ours.
/// </summary>
public static class Safetensors
{
    /// <summary>The largest header the reader accepts (the reference implementation's limit), so a claimed length cannot make it allocate.</summary>
    public const int MaxHeaderBytes = 100_000_000;

    /// <summary>The reserved header key of the metadata.</summary>
    public const string MetadataKey = "__metadata__";

    private static readonly JsonDocumentOptions HeaderJson = new() { MaxDepth = 4 };

    /// <summary>Writes <paramref name="tensors"/> (data in the order given) and the metadata, when there is any, to <paramref name="path"/>.</summary>
    public static void Save(string path, IReadOnlyList<KeyValuePair<string, RawTensor>> tensors, IReadOnlyList<KeyValuePair<string, string>>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = File.Create(path);
        Write(stream, tensors, metadata);
    }

    /// <summary>Writes the format to a stream.</summary>
    /// <exception cref="ArgumentException">A name repeats or is "__metadata__", or a tensor's data does not match its shape.</exception>
    public static void Write(Stream stream, IReadOnlyList<KeyValuePair<string, RawTensor>> tensors, IReadOnlyList<KeyValuePair<string, string>>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        using var header = new MemoryStream();
        using (var w = new Utf8JsonWriter(header))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject(MetadataKey);
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
                if (!seen.Add(name) || name == MetadataKey)
                {
                    throw new ArgumentException($"safetensors: tensor name '{name}' is repeated or reserved", nameof(tensors));
                }

                t.Check(name);
                w.WriteStartObject(name);
                w.WriteString("dtype", Code(t.DType));
                w.WriteStartArray("shape");
                foreach (int d in t.Shape)
                {
                    w.WriteNumberValue(d);
                }

                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + t.Data.Length);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += t.Data.Length;
            }

            w.WriteEndObject();
        }

        // Spaces pad the header to a multiple of 8 bytes, as the reference writer does, so the data starts aligned.
        int pad = (int)((8 - (header.Length % 8)) % 8);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)(header.Length + pad));
        stream.Write(length);
        header.Position = 0;
        header.CopyTo(stream);
        for (int i = 0; i < pad; i++)
        {
            stream.WriteByte((byte)' ');
        }

        foreach (var (_, t) in tensors)
        {
            stream.Write(t.Data);
        }
    }

    /// <summary>Reads a safetensors file.</summary>
    /// <exception cref="InvalidDataException">The file is not one this reader accepts; the message names the file and the problem.</exception>
    public static SafetensorsContent Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Read(File.ReadAllBytes(path), path);
    }

    /// <summary>
    /// Parses the format. Every claim is checked before it is used: the header's length against the file and
    /// <see cref="MaxHeaderBytes"/>, names for repeats, each dtype, each shape and its size (overflow included) against
    /// its offsets, and the offsets against the data: together they must cover it exactly, without overlaps or
    /// holes (as the reference reader requires).
    /// </summary>
    /// <param name="file">The whole file.</param>
    /// <param name="source">Names the input in errors.</param>
    /// <exception cref="InvalidDataException">The first problem found, in one line naming <paramref name="source"/>.</exception>
    public static SafetensorsContent Read(ReadOnlySpan<byte> file, string source)
    {
        if (file.Length < 8)
        {
            throw Bad(source, $"expected at least 8 bytes (the header's length), got {file.Length}");
        }

        ulong claimed = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (claimed > MaxHeaderBytes)
        {
            throw Bad(source, $"header length {claimed} is over the limit of {MaxHeaderBytes} bytes");
        }

        if (claimed > (ulong)(file.Length - 8))
        {
            throw Bad(source, $"header length {claimed} runs past the end of the file ({file.Length} bytes)");
        }

        int headerLength = (int)claimed;
        var data = file[(8 + headerLength)..];
        if (!Utf8.IsValid(file.Slice(8, headerLength)))
        {
            throw Bad(source, "the header is not valid UTF-8");
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(file.Slice(8, headerLength).ToArray(), HeaderJson);
        }
        catch (JsonException ex)
        {
            throw Bad(source, "the header is not valid JSON: " + ex.Message);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Bad(source, $"the header is a JSON {Kind(doc.RootElement)}; expected an object");
            }

            var names = new HashSet<string>(StringComparer.Ordinal);
            var meta = new List<KeyValuePair<string, string>>();
            var entries = new List<(string Name, DType DType, int[] Shape, long Begin, long End)>();
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (!names.Add(prop.Name))
                {
                    throw Bad(source, $"the header names '{prop.Name}' twice");
                }

                if (prop.Name == MetadataKey)
                {
                    meta.AddRange(Metadata(prop.Value, source));
                }
                else
                {
                    entries.Add(Entry(prop.Name, prop.Value, data.Length, source));
                }
            }

            CheckCoverage(entries, data.Length, source);
            var tensors = new List<KeyValuePair<string, RawTensor>>(entries.Count);
            foreach (var e in entries)
            {
                tensors.Add(new(e.Name, new RawTensor(e.DType, e.Shape, data[(int)e.Begin..(int)e.End].ToArray())));
            }

            return new SafetensorsContent(tensors, meta);
        }
    }

    /// <summary>The format's code for a dtype.</summary>
    public static string Code(DType dtype) => dtype switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        DType.Int32 => "I32",
        DType.Float16 => "F16",
        DType.BFloat16 => "BF16",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "safetensors: no code for this dtype"),
    };

    private static DType? ParseCode(string? code) => code switch
    {
        "F32" => DType.Float32,
        "F64" => DType.Float64,
        "I32" => DType.Int32,
        "F16" => DType.Float16,
        "BF16" => DType.BFloat16,
        _ => null,
    };

    private static IEnumerable<KeyValuePair<string, string>> Metadata(JsonElement value, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Bad(source, $"{MetadataKey} is a JSON {Kind(value)}; expected an object of strings");
        }

        var keys = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<KeyValuePair<string, string>>();
        foreach (var m in value.EnumerateObject())
        {
            if (m.Value.ValueKind != JsonValueKind.String)
            {
                throw Bad(source, $"{MetadataKey} entry '{m.Name}' is a JSON {Kind(m.Value)}; expected a string");
            }

            if (!keys.Add(m.Name))
            {
                throw Bad(source, $"{MetadataKey} names '{m.Name}' twice");
            }

            result.Add(new(m.Name, m.Value.GetString()!));
        }

        return result;
    }

    private static (string Name, DType DType, int[] Shape, long Begin, long End) Entry(string name, JsonElement value, int dataLength, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Bad(source, $"tensor '{name}' is a JSON {Kind(value)}; expected an object with dtype, shape and data_offsets");
        }

        var code = Field(value, "dtype", name, source);
        var dtype = (code.ValueKind == JsonValueKind.String ? ParseCode(code.GetString()) : null)
            ?? throw Bad(source, $"tensor '{name}' has dtype {code.GetRawText()}; expected \"F32\", \"F64\", \"I32\", \"F16\" or \"BF16\"");
        var shape = Integers(Field(value, "shape", name, source), "shape", name, source);
        var offsets = Integers(Field(value, "data_offsets", name, source), "data_offsets", name, source);
        if (shape.Any(d => d > int.MaxValue))
        {
            throw Bad(source, $"tensor '{name}' has shape [{string.Join(", ", shape)}]: an extent is over {int.MaxValue}");
        }

        if (offsets.Length != 2 || offsets[0] > offsets[1] || offsets[1] > dataLength)
        {
            throw Bad(source, $"tensor '{name}' has data_offsets [{string.Join(", ", offsets)}]; expected [begin, end] with begin <= end <= {dataLength} (the data's length)");
        }

        long? bytes = TensorFileLimits.ByteLength(shape, dtype);
        if (bytes != offsets[1] - offsets[0])
        {
            throw Bad(source, $"tensor '{name}' has shape [{string.Join(", ", shape)}] {dtype.Name()} ({(bytes is { } b ? b + " bytes" : "too large")}) but data_offsets [{offsets[0]}, {offsets[1]}] ({offsets[1] - offsets[0]} bytes)");
        }

        return (name, dtype, [.. shape.Select(d => (int)d)], offsets[0], offsets[1]);
    }

    private static JsonElement Field(JsonElement entry, string field, string name, string source) =>
        entry.TryGetProperty(field, out var v) ? v : throw Bad(source, $"tensor '{name}' has no {field}");

    private static long[] Integers(JsonElement array, string field, string name, string source)
    {
        if (array.ValueKind != JsonValueKind.Array)
        {
            throw Bad(source, $"tensor '{name}' has {field} {array.GetRawText()}; expected an array of non-negative integers");
        }

        // The depth limit bounds nesting, not length: a header of 100 MB can list millions of numbers, which is
        // still no more memory than the header itself.
        var result = new List<long>();
        foreach (var e in array.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out long v) || v < 0)
            {
                throw Bad(source, $"tensor '{name}' has {field} element {e.GetRawText()}; expected a non-negative integer");
            }

            result.Add(v);
        }

        return [.. result];
    }

    /// <summary>The tensors' byte ranges, in order of where they start, must tile the data from 0 to its end.</summary>
    private static void CheckCoverage(List<(string Name, DType DType, int[] Shape, long Begin, long End)> entries, int dataLength, string source)
    {
        long at = 0;
        string? previous = null;
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.Begin < at)
            {
                throw Bad(source, $"tensor '{e.Name}' (bytes {e.Begin} to {e.End}) overlaps tensor '{previous}' (which ends at {at})");
            }

            if (e.Begin > at)
            {
                throw Bad(source, $"bytes {at} to {e.Begin} of the data belong to no tensor (a hole before tensor '{e.Name}')");
            }

            at = e.End;
            previous = e.Name;
        }

        if (at != dataLength)
        {
            throw Bad(source, $"the tensors cover {at} bytes of data but the file holds {dataLength} after the header");
        }
    }

    private static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();

    private static InvalidDataException Bad(string source, string message) => new($"safetensors file '{source}': {message}");
}
