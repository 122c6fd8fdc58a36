using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Repro.Engine;

namespace Repro.TensorFiles;

/// <summary>
/// NumPy's .npy format, version 1.0 (numpy.lib.format, NEP 1): the magic bytes \x93NUMPY, the version bytes 1 and
/// 0, the header's length as a little-endian u16, then the header, an ASCII Python dict literal
/// <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), }</c> padded with spaces and ended by a newline
/// so that the data starts at a multiple of 64 bytes, then the data. NumPy has no bfloat16: a bfloat16 tensor is
/// written widened (exactly) to float32, and reads back as float32.
/// </summary>
public static class Npy
{
    /// <summary>The data starts at a multiple of this many bytes (NumPy's ARRAY_ALIGN).</summary>
    public const int Alignment = 64;

    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Bytes before the header: magic, two version bytes, the u16 length.</summary>
    private const int Preamble = 10;

    /// <summary>Writes <paramref name="tensor"/> to <paramref name="path"/>.</summary>
    public static void Save(string path, RawTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var stream = File.Create(path);
        Write(stream, tensor);
    }

    /// <summary>Writes the format to a stream.</summary>
    /// <exception cref="ArgumentException">The data does not match the shape, or the shape does not fit a version 1.0 header.</exception>
    public static void Write(Stream stream, RawTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensor);
        tensor.Check("npy");
        var data = tensor.Data;
        var dtype = tensor.DType;
        if (dtype == DType.BFloat16)
        {
            // A bfloat16 is the top half of the float32 with the same value.
            var wide = new byte[data.Length * 2];
            for (int i = 0; i < data.Length / 2; i++)
            {
                wide[(4 * i) + 2] = data[2 * i];
                wide[(4 * i) + 3] = data[(2 * i) + 1];
            }

            data = wide;
            dtype = DType.Float32;
        }

        // Python's repr of a tuple: a lone element keeps its comma.
        var shape = tensor.Shape.Length == 1 ? $"({tensor.Shape[0]},)" : "(" + string.Join(", ", tensor.Shape) + ")";
        var text = "{'descr': '" + Descr(dtype) + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int unpadded = Preamble + text.Length + 1;
        text += new string(' ', (Alignment - (unpadded % Alignment)) % Alignment) + "\n";
        if (text.Length > ushort.MaxValue)
        {
            throw new ArgumentException($"npy: a shape of rank {tensor.Shape.Length} makes a header of {text.Length} bytes, over version 1.0's {ushort.MaxValue}", nameof(tensor));
        }

        Span<byte> head = stackalloc byte[Preamble];
        Magic.CopyTo(head);
        head[6] = 1;
        head[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(head[8..], (ushort)text.Length);
        stream.Write(head);
        stream.Write(Encoding.ASCII.GetBytes(text));
        stream.Write(data);
    }

    /// <summary>Reads a .npy file.</summary>
    /// <exception cref="InvalidDataException">The file is not one this reader accepts; the message names it and the problem.</exception>
    public static RawTensor Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Read(File.ReadAllBytes(path), path);
    }

    /// <summary>
    /// Parses version 1.0 with a little-endian float32, float64, int32 or float16 array in C order. The header's
    /// length is checked against the file before it is read, its dict must hold exactly the three keys, and the
    /// data must be exactly the shape's elements.
    /// </summary>
    /// <param name="file">The whole file.</param>
    /// <param name="source">Names the input in errors.</param>
    /// <exception cref="InvalidDataException">The first problem found, in one line naming <paramref name="source"/>.</exception>
    public static RawTensor Read(ReadOnlySpan<byte> file, string source)
    {
        if (file.Length < Preamble || !file[..Magic.Length].SequenceEqual(Magic))
        {
            throw Bad(source, "it does not start with the .npy magic bytes \\x93NUMPY");
        }

        if (file[6] != 1 || file[7] != 0)
        {
            throw Bad(source, $"format version {file[6]}.{file[7]}; this reader takes 1.0");
        }

        int length = BinaryPrimitives.ReadUInt16LittleEndian(file[8..]);
        if (length > file.Length - Preamble)
        {
            throw Bad(source, $"header length {length} runs past the end of the file ({file.Length} bytes)");
        }

        var header = file.Slice(Preamble, length);
        foreach (byte b in header)
        {
            if (b > 0x7F)
            {
                throw Bad(source, "the header is not ASCII");
            }
        }

        var (descr, fortran, shape) = new HeaderParser(Encoding.ASCII.GetString(header), source).Parse();
        var dtype = ParseDescr(descr) ?? throw Bad(source, $"descr '{descr}' is not one this reader takes ('<f4', '<f8', '<i4', '<f2')");
        if (fortran)
        {
            throw Bad(source, "the array is in Fortran order; this reader takes C order only");
        }

        if (shape.Any(d => d > int.MaxValue))
        {
            throw Bad(source, $"shape ({string.Join(", ", shape)}) has an extent over {int.MaxValue}");
        }

        var data = file[(Preamble + length)..];
        long? bytes = TensorFileLimits.ByteLength(shape, dtype);
        if (bytes != data.Length)
        {
            throw Bad(source, $"shape ({string.Join(", ", shape)}) {descr} needs {(bytes is { } b ? b + " bytes" : "more bytes than a file holds")}, but {data.Length} follow the header");
        }

        return new RawTensor(dtype, [.. shape.Select(d => (int)d)], data.ToArray());
    }

    /// <summary>NumPy's type string for a dtype: little-endian, kind, size.</summary>
    public static string Descr(DType dtype) => dtype switch
    {
        DType.Float32 => "<f4",
        DType.Float64 => "<f8",
        DType.Int32 => "<i4",
        DType.Float16 => "<f2",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "npy: NumPy has no such dtype"),
    };

    private static DType? ParseDescr(string descr) => descr switch
    {
        "<f4" => DType.Float32,
        "<f8" => DType.Float64,
        "<i4" => DType.Int32,
        "<f2" => DType.Float16,
        _ => null,
    };

    private static InvalidDataException Bad(string source, string message) => new($"npy file '{source}': {message}");

    /// <summary>
    /// The subset of Python literals a .npy header uses: a dict of quoted keys to a quoted string, True or False,
    /// or a tuple of non-negative integers. Anything else is an error naming where it is.
    /// </summary>
    private sealed class HeaderParser(string text, string source)
    {
        private int at;

        public (string Descr, bool Fortran, long[] Shape) Parse()
        {
            string? descr = null;
            bool? fortran = null;
            long[]? shape = null;
            Expect('{');
            while (Peek() != '}')
            {
                string key = String();
                Expect(':');
                switch (key)
                {
                    case "descr" when descr is null:
                        descr = String();
                        break;
                    case "fortran_order" when fortran is null:
                        fortran = Boolean();
                        break;
                    case "shape" when shape is null:
                        shape = Tuple();
                        break;
                    default:
                        throw Error($"unexpected key '{key}' (or one given twice); expected 'descr', 'fortran_order' and 'shape' once each");
                }

                if (Peek() != ',')
                {
                    break;
                }

                at++;
            }

            Expect('}');
            SkipSpace();
            if (at != text.Length)
            {
                throw Error("more follows the dict");
            }

            if (descr is null || fortran is null || shape is null)
            {
                throw Error("the dict lacks " + (descr is null ? "'descr'" : fortran is null ? "'fortran_order'" : "'shape'"));
            }

            return (descr, fortran.Value, shape);
        }

        private string String()
        {
            char quote = Peek();
            if (quote is not ('\'' or '"'))
            {
                throw Error("expected a quoted string");
            }

            int end = text.IndexOf(quote, at + 1);
            if (end < 0)
            {
                throw Error("a string is not closed");
            }

            var s = text[(at + 1)..end];
            if (s.Contains('\\', StringComparison.Ordinal))
            {
                throw Error("escapes in strings are not supported");
            }

            at = end + 1;
            return s;
        }

        private bool Boolean()
        {
            SkipSpace();
            foreach (var (word, value) in new[] { ("True", true), ("False", false) })
            {
                if (string.CompareOrdinal(text, at, word, 0, word.Length) == 0)
                {
                    at += word.Length;
                    return value;
                }
            }

            throw Error("expected True or False");
        }

        private long[] Tuple()
        {
            Expect('(');
            var items = new List<long>();
            bool comma = false;
            while (Peek() != ')')
            {
                int start = at;
                while (at < text.Length && char.IsAsciiDigit(text[at]))
                {
                    at++;
                }

                // Up to 18 digits always fit a long; the caller bounds the extents.
                if (at == start || at - start > 18)
                {
                    throw Error("expected a non-negative integer of at most 18 digits");
                }

                items.Add(long.Parse(text.AsSpan(start, at - start), NumberStyles.None, CultureInfo.InvariantCulture));
                comma = Peek() == ',';
                if (!comma)
                {
                    break;
                }

                at++;
            }

            Expect(')');

            // (3) is the integer 3 in Python, not a tuple.
            if (items.Count == 1 && !comma)
            {
                throw Error("a shape of one axis needs a trailing comma, as in (3,)");
            }

            return [.. items];
        }

        private char Peek()
        {
            SkipSpace();
            return at < text.Length ? text[at] : '\0';
        }

        private void Expect(char c)
        {
            if (Peek() != c)
            {
                throw Error($"expected '{c}'");
            }

            at++;
        }

        private void SkipSpace()
        {
            while (at < text.Length && text[at] is ' ' or '\n' or '\t' or '\r')
            {
                at++;
            }
        }

        private InvalidDataException Error(string what) => Bad(source, $"header, at character {at}: {what}");
    }
}
