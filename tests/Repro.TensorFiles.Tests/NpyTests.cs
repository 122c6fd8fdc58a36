using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using Repro.Engine;

namespace Repro.TensorFiles.Tests;

public sealed partial class NpyTests
{
    private static byte[] Written(RawTensor t)
    {
        using var stream = new MemoryStream();
        Npy.Write(stream, t);
        return stream.ToArray();
    }

    /// <summary>
    /// The header as NumPy's format description lays it out, matched here without the codec: magic, version 1.0, a
    /// little-endian u16 length, then the dict, spaces and a newline ending at a multiple of 64 bytes.
    /// </summary>
    private static (string Descr, string Shape, byte[] Data) Parse(byte[] file)
    {
        byte[] start = [0x93, .. "NUMPY"u8, 1, 0];
        Assert.Equal(start, file[..8]);
        int n = BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(8));
        Assert.Equal(0, (10 + n) % 64);
        var header = Encoding.ASCII.GetString(file, 10, n);
        var m = HeaderPattern().Match(header);
        Assert.True(m.Success, header);
        return (m.Groups["descr"].Value, m.Groups["shape"].Value, file[(10 + n)..]);
    }

    [GeneratedRegex(@"^\{'descr': '(?<descr>[^']*)', 'fortran_order': False, 'shape': \((?<shape>[^)]*)\), \} *\n$")]
    private static partial Regex HeaderPattern();

    [Fact]
    public void Each_dtype_and_shape_is_written_as_numpy_writes_it()
    {
        var expected = new Dictionary<string, (string Descr, string Shape)>
        {
            ["f32"] = ("<f4", "2, 3"),
            ["f64"] = ("<f8", "2,"),
            ["i32"] = ("<i4", "3,"),
            ["f16"] = ("<f2", "1, 2"),
            ["bf16"] = ("<f4", "2,"),
            ["scalar"] = ("<f4", string.Empty),
            ["empty"] = ("<f4", "0, 3"),
        };
        foreach (var (name, t) in Samples.All())
        {
            var (descr, shape, data) = Parse(Written(t));
            Assert.Equal(expected[name], (descr, shape));
            if (t.DType == DType.BFloat16)
            {
                // Widened: each value's float32 bits, the bfloat16's as their top half.
                Assert.Equal(Samples.Values(t), Enumerable.Range(0, data.Length / 4).Select(i => (double)BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(4 * i))));
            }
            else
            {
                Assert.Equal(t.Data, data);
            }
        }
    }

    [Fact]
    public void Written_files_read_back_unchanged_but_bfloat16_as_float32()
    {
        foreach (var (_, t) in Samples.All())
        {
            var back = Npy.Read(Written(t), "memory");
            Assert.Equal(t.Shape, back.Shape);
            Assert.Equal(Samples.Values(t), Samples.Values(back));
            Assert.Equal(t.DType == DType.BFloat16 ? DType.Float32 : t.DType, back.DType);
        }
    }

    [Theory]
    [InlineData("{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2,)}")]
    [InlineData("{'shape':(2,),'fortran_order':False,'descr':'<f4'}   \n")]
    [InlineData("{ 'fortran_order' : False , 'descr' : '<f4' , 'shape' : ( 2 , ) , }")]
    public void The_reader_takes_other_spellings_of_the_header(string header)
    {
        var back = Npy.Read(Build(header, new byte[8]), "spelled");
        Assert.Equal(new[] { 2 }, back.Shape);
        Assert.Equal(DType.Float32, back.DType);
    }

    public static TheoryData<string, byte[], string> Hostile()
    {
        const string ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
        var eight = new byte[8];
        var version2 = Build(ok, eight);
        version2[6] = 2;
        var pastEnd = Build(ok, eight);
        BinaryPrimitives.WriteUInt16LittleEndian(pastEnd.AsSpan(8), 60000);
        return new TheoryData<string, byte[], string>
        {
            { "empty", [], "magic" },
            { "not npy", "PK\x03\x04 zip file"u8.ToArray(), "magic" },
            { "version 2.0", version2, "format version 2.0" },
            { "header length past the file", pastEnd, "runs past the end of the file" },
            { "not ASCII", Build(ok.Replace("<f4", "<f\u00e94", StringComparison.Ordinal), eight, latin1: true), "not ASCII" },
            { "not a dict", Build("[1, 2]", eight), "expected '{'" },
            { "missing key", Build("{'descr': '<f4', 'shape': (2,)}", eight), "lacks 'fortran_order'" },
            { "extra key", Build("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", eight), "unexpected key 'x'" },
            { "repeated key", Build("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", eight), "unexpected key 'descr'" },
            { "big-endian", Build(ok.Replace("<f4", ">f4", StringComparison.Ordinal), eight), "descr '>f4'" },
            { "unknown dtype", Build(ok.Replace("<f4", "<u1", StringComparison.Ordinal), eight), "descr '<u1'" },
            { "Fortran order", Build(ok.Replace("False", "True", StringComparison.Ordinal), eight), "Fortran order" },
            { "not a boolean", Build(ok.Replace("False", "0", StringComparison.Ordinal), eight), "expected True or False" },
            { "negative extent", Build(ok.Replace("(2,)", "(-2,)", StringComparison.Ordinal), eight), "non-negative integer" },
            { "an integer, not a tuple", Build(ok.Replace("(2,)", "(2)", StringComparison.Ordinal), eight), "trailing comma" },
            { "too many digits", Build(ok.Replace("(2,)", "(1234567890123456789,)", StringComparison.Ordinal), eight), "at most 18 digits" },
            { "extent over int", Build(ok.Replace("(2,)", "(4294967296,)", StringComparison.Ordinal), eight), "an extent over" },
            { "size overflow", Build(ok.Replace("(2,)", "(2147483647, 2147483647, 2147483647)", StringComparison.Ordinal), eight), "more bytes than a file holds" },
            { "short data", Build(ok, new byte[7]), "needs 8 bytes, but 7 follow" },
            { "long data", Build(ok, new byte[9]), "needs 8 bytes, but 9 follow" },
            { "unclosed string", Build("{'descr: '<f4}", eight), "expected ':'" },
            { "escape", Build("{'descr': '<f\\x34', 'fortran_order': False, 'shape': (2,)}", eight), "escapes" },
            { "trailing text", Build(ok + " junk", eight), "more follows the dict" },
        };
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public void A_hostile_file_is_one_clear_line_without_a_large_allocation(string what, byte[] file, string expected) =>
        Refusal.Check(f => Npy.Read(f, "bad.npy"), file, "npy file 'bad.npy': ", expected, what);

    /// <summary>A version 1.0 file with <paramref name="header"/> as it is (no padding added).</summary>
    private static byte[] Build(string header, byte[] data, bool latin1 = false)
    {
        var h = latin1 ? Encoding.Latin1.GetBytes(header) : Encoding.ASCII.GetBytes(header);
        return [0x93, .. "NUMPY"u8, 1, 0, (byte)h.Length, (byte)(h.Length >> 8), .. h, .. data];
    }
}
