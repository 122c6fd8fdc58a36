using Repro.Engine;
using Repro.TensorFiles;

namespace Repro.Nn;

/// <summary>
/// Saves and loads model and optimizer state as safetensors files (<see cref="Safetensors"/>: names in the order
/// given, an optional "__metadata__" of strings). Values are stored bit for bit (NaN payloads included), so a round
/// trip is exact.
/// </summary>
public static class StateFile
{
    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/>.</summary>
    public static void Save(string path, IReadOnlyList<KeyValuePair<string, Tensor>> tensors, IReadOnlyList<KeyValuePair<string, string>>? metadata = null) =>
        Safetensors.Save(path, ToRaw(tensors), metadata);

    /// <summary>Writes the file format to a stream.</summary>
    public static void Write(Stream stream, IReadOnlyList<KeyValuePair<string, Tensor>> tensors, IReadOnlyList<KeyValuePair<string, string>>? metadata = null) =>
        Safetensors.Write(stream, ToRaw(tensors), metadata);

    /// <summary>Reads a file written by <see cref="Save"/> (or any safetensors file of supported dtypes), in header order.</summary>
    public static IReadOnlyList<KeyValuePair<string, Tensor>> Load(string path) => Load(path, out _);

    /// <summary>Reads the tensors and the metadata.</summary>
    public static IReadOnlyList<KeyValuePair<string, Tensor>> Load(string path, out IReadOnlyList<KeyValuePair<string, string>> metadata) =>
        ToTensors(Safetensors.Load(path), out metadata);

    /// <summary>Parses the format from bytes; <paramref name="source"/> names the input in errors.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a safetensors file this reader accepts.</exception>
    public static IReadOnlyList<KeyValuePair<string, Tensor>> Read(byte[] bytes, string source, out IReadOnlyList<KeyValuePair<string, string>> metadata)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return ToTensors(Safetensors.Read(bytes, source), out metadata);
    }

    private static List<KeyValuePair<string, RawTensor>> ToRaw(IReadOnlyList<KeyValuePair<string, Tensor>> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        return [.. tensors.Select(t => new KeyValuePair<string, RawTensor>(t.Key, new RawTensor(t.Value.DType, [.. t.Value.Shape], t.Value.ToBytes())))];
    }

    private static List<KeyValuePair<string, Tensor>> ToTensors(SafetensorsContent content, out IReadOnlyList<KeyValuePair<string, string>> metadata)
    {
        metadata = content.Metadata;
        return [.. content.Tensors.Select(t => new KeyValuePair<string, Tensor>(t.Key, Tensor.FromHost(ToArray(t.Value), t.Value.DType, t.Value.Shape)))];
    }

    private static Array ToArray(RawTensor t)
    {
        int count = t.Data.Length / t.DType.SizeOf();
        Array a = t.DType switch
        {
            DType.Float32 => new float[count],
            DType.Float64 => new double[count],
            DType.Int32 => new int[count],
            _ => new ushort[count],
        };

        // The bytes are little-endian, as is every host Repro runs on (Tensor.ToBytes checks).
        Buffer.BlockCopy(t.Data, 0, a, 0, t.Data.Length);
        return a;
    }
}
