using System.Buffers.Binary;
using System.Text;
using Newtonsoft.Json.Linq;
using Repro.Engine;

namespace Repro.TensorFiles.Tests;

public sealed class SafetensorsTests
{
    private static byte[] Written(IReadOnlyList<KeyValuePair<string, RawTensor>> tensors, IReadOnlyList<KeyValuePair<string, string>>? metadata = null)
    {
        using var stream = new MemoryStream();
        Safetensors.Write(stream, tensors, metadata);
        return stream.ToArray();
    }

    /// <summary>
    /// The format as its README states it, parsed here without the codec: a little-endian u64 header length, a JSON
    /// object (read with Newtonsoft.Json, not the codec's System.Text.Json), then the data.
    /// </summary>
    private static (JObject Header, byte[] Data, ulong HeaderLength) Parse(byte[] file)
    {
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(file);
        var header = JObject.Parse(Encoding.UTF8.GetString(file, 8, checked((int)n)));
        return (header, file[(8 + (int)n)..], n);
    }

    [Fact]
    public void A_written_file_reads_with_an_independent_parser_as_the_format_says()
    {
        var tensors = Samples.All();
        var file = Written(tensors, [new("format", "pt"), new("note", "ünïcode \"quoted\"")]);
        var (header, data, n) = Parse(file);

        // The header is padded with spaces so the data starts at a multiple of 8.
        Assert.Equal(0UL, n % 8);
        Assert.Matches("^\\{.*\\} *$", Encoding.UTF8.GetString(file, 8, (int)n));

        // Metadata first, then the tensors in the order given.
        string[] order = ["__metadata__", .. tensors.Select(t => t.Key)];
        Assert.Equal(order, header.Properties().Select(p => p.Name));
        Assert.Equal("pt", (string?)header["__metadata__"]!["format"]);
        Assert.Equal("ünïcode \"quoted\"", (string?)header["__metadata__"]!["note"]);

        long at = 0;
        foreach (var (name, t) in tensors)
        {
            var entry = (JObject)header[name]!;
            var code = t.DType switch { DType.Float32 => "F32", DType.Float64 => "F64", DType.Int32 => "I32", DType.Float16 => "F16", _ => "BF16" };
            Assert.Equal(code, (string?)entry["dtype"]);
            Assert.Equal(t.Shape, entry["shape"]!.Select(d => (int)d));
            long begin = (long)entry["data_offsets"]![0]!, end = (long)entry["data_offsets"]![1]!;
            Assert.Equal(at, begin);
            Assert.Equal(t.Data, data[(int)begin..(int)end]);
            at = end;
        }

        Assert.Equal(at, data.Length);
    }

    [Fact]
    public void Without_metadata_the_header_has_no_metadata_key()
    {
        var (header, _, _) = Parse(Written(Samples.All()[..1]));
        Assert.Null(header["__metadata__"]);
    }

    [Fact]
    public void Written_tensors_and_metadata_read_back_unchanged()
    {
        var tensors = Samples.All();
        var back = Safetensors.Read(Written(tensors, [new("format", "pt")]), "memory");
        Assert.Equal(tensors.Select(t => t.Key), back.Tensors.Select(t => t.Key));
        for (int i = 0; i < tensors.Count; i++)
        {
            Assert.Equal(tensors[i].Value.DType, back.Tensors[i].Value.DType);
            Assert.Equal(tensors[i].Value.Shape, back.Tensors[i].Value.Shape);
            Assert.Equal(tensors[i].Value.Data, back.Tensors[i].Value.Data);
        }

        Assert.Equal(new[] { new KeyValuePair<string, string>("format", "pt") }, back.Metadata);
    }

    [Fact]
    public void The_reader_takes_a_file_written_by_hand_with_data_in_another_order_than_the_header()
    {
        // No padding, no metadata, "b"'s data before "a"'s.
        var file = Build("{\"a\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[4,8]},\"b\":{\"shape\":[],\"data_offsets\":[0,4],\"dtype\":\"F32\"}}", [1, 0, 128, 63, 5, 0, 0, 0]);
        var back = Safetensors.Read(file, "hand");
        Assert.Equal(new[] { "a", "b" }, back.Tensors.Select(t => t.Key));
        Assert.Equal(new[] { 5.0 }, Samples.Values(back.Tensors[0].Value));
        Assert.Equal(BitConverter.Int32BitsToSingle(0x3F800001), (float)Samples.Values(back.Tensors[1].Value)[0]);
        Assert.Empty(back.Metadata);
    }

    [Fact]
    public void The_writer_refuses_repeated_or_reserved_names_and_data_that_does_not_fit_the_shape()
    {
        var t = Samples.All()[0].Value;
        Assert.Throws<ArgumentException>(() => Written([new("x", t), new("x", t)]));
        Assert.Throws<ArgumentException>(() => Written([new("__metadata__", t)]));
        Assert.Throws<ArgumentException>(() => Written([new("x", t with { Shape = [7] })]));
        Assert.Throws<ArgumentException>(() => Written([new("x", t with { Shape = [-2, -3] })]));
    }

    public static TheoryData<string, byte[], string> Hostile()
    {
        const string ok = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        var eight = new byte[8];
        var data = new TheoryData<string, byte[], string>
        {
            { "short", [1, 2, 3], "expected at least 8 bytes" },
            { "huge header length", Length(ulong.MaxValue, 16), "over the limit" },
            { "header length just over the limit", Length(Safetensors.MaxHeaderBytes + 1UL, 16), "over the limit" },
            { "header length past the file", Length(1000, 100), "runs past the end of the file" },
            { "not JSON", Build("{\"x\":", eight), "not valid JSON" },
            { "not UTF-8", Build("{\"\xff\":1}", eight, latin1: true), "not valid UTF-8" },
            { "an array", Build("[1,2]", eight), "expected an object" },
            { "too deep", Build("{\"x\":{\"dtype\":[[[[[1]]]]]}}", eight), "not valid JSON" },
            { "unknown dtype", Build(ok.Replace("F32", "U8", StringComparison.Ordinal), eight), "dtype \"U8\"" },
            { "dtype not a string", Build(ok.Replace("\"F32\"", "4", StringComparison.Ordinal), eight), "dtype 4" },
            { "no shape", Build("{\"x\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", eight), "has no shape" },
            { "negative extent", Build(ok.Replace("[2]", "[-2]", StringComparison.Ordinal), eight), "shape element -2" },
            { "fractional extent", Build(ok.Replace("[2]", "[2.5]", StringComparison.Ordinal), eight), "shape element 2.5" },
            { "extent over int", Build(ok.Replace("[2]", "[4294967296]", StringComparison.Ordinal), eight), "an extent is over" },
            { "size overflow", Build(ok.Replace("[2]", "[2147483647,2147483647,2147483647]", StringComparison.Ordinal), eight), "too large" },
            { "offsets past the data", Build(ok.Replace("[0,8]", "[0,9]", StringComparison.Ordinal), eight), "data_offsets [0, 9]" },
            { "offsets far past the data", Build(ok.Replace("[0,8]", "[0,9223372036854775807]", StringComparison.Ordinal), eight), "data_offsets [0, 9223372036854775807]" },
            { "begin after end", Build(ok.Replace("[0,8]", "[8,0]", StringComparison.Ordinal), eight), "begin <= end" },
            { "three offsets", Build(ok.Replace("[0,8]", "[0,4,8]", StringComparison.Ordinal), eight), "data_offsets [0, 4, 8]" },
            { "size and offsets disagree", Build(ok.Replace("[2]", "[3]", StringComparison.Ordinal), new byte[12]), "(12 bytes) but data_offsets [0, 8] (8 bytes)" },
            {
                "overlap", Build("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]),
                "overlaps tensor 'x'"
            },
            {
                "the same bytes twice", Build("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"y\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}", eight),
                "overlaps"
            },
            { "hole", Build(ok.Replace("[0,8]", "[4,12]", StringComparison.Ordinal), new byte[12]), "belong to no tensor" },
            { "data left over", Build(ok, new byte[12]), "cover 8 bytes of data but the file holds 12" },
            { "repeated name", Build("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", eight), "names 'x' twice" },
            { "entry not an object", Build("{\"x\":3}", []), "tensor 'x' is a JSON number" },
            { "metadata not strings", Build("{\"__metadata__\":{\"epoch\":3}}", []), "entry 'epoch' is a JSON number" },
            { "metadata not an object", Build("{\"__metadata__\":\"pt\"}", []), "__metadata__ is a JSON string" },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public void A_hostile_file_is_one_clear_line_without_a_large_allocation(string what, byte[] file, string expected) =>
        Refusal.Check(f => Safetensors.Read(f, "bad.safetensors"), file, "safetensors file 'bad.safetensors': ", expected, what);

    [Fact]
    public void Load_names_the_file_in_its_errors()
    {
        var path = Path.Combine(Path.GetTempPath(), "repro-st-" + Guid.NewGuid().ToString("N") + ".safetensors");
        try
        {
            File.WriteAllBytes(path, Length(1UL << 40, 16));
            var ex = Assert.Throws<InvalidDataException>(() => Safetensors.Load(path));
            Assert.Contains(path, ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>A file of <paramref name="total"/> bytes whose first 8 claim a header of <paramref name="length"/> bytes.</summary>
    private static byte[] Length(ulong length, int total)
    {
        var file = new byte[total];
        BinaryPrimitives.WriteUInt64LittleEndian(file, length);
        return file;
    }

    private static byte[] Build(string header, byte[] data, bool latin1 = false)
    {
        var h = latin1 ? Encoding.Latin1.GetBytes(header) : Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)h.Length);
        h.CopyTo(file, 8);
        data.CopyTo(file, 8 + h.Length);
        return file;
    }
}
