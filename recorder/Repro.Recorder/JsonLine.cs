using System.Buffers;
using System.Globalization;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Text;

namespace Repro.Recorder;

/// <summary>
/// Builds checksummed JSON lines as UTF-8 bytes in one growable buffer, with no string or per-record allocation.
/// The output is the canonical form of docs/log-format.md, byte for byte what Newtonsoft's <c>JsonTextWriter</c>
/// (default settings, <c>Formatting.None</c>) wrote for the first version 1 logs, so old and new logs are the same
/// format (the tests' corpus freezes it): strings escape only the C0 controls, <c>"</c>, <c>\</c>, U+0085, U+2028 and
/// U+2029 (<c>\uXXXX</c> in lower-case hex), and finite doubles are written round-trip ("R") with <c>.0</c> appended
/// when the text has no '.', 'E' or 'e'.
/// </summary>
/// <remarks>
/// System.Text.Json's <c>Utf8JsonWriter</c> cannot give those bytes: its encoders escape all non-BMP characters and
/// several other ranges, and it writes 2.0 as <c>2</c>, so every string and number would go through a custom
/// encoder or a raw value anyway. Field names here are pre-encoded UTF-8 literals.
/// </remarks>
internal sealed class JsonLine
{
    private static readonly SearchValues<char> NeedsEscape = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000A\u000B\u000C\u000D\u000E\u000F"
        + "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F"
        + "\"\\\u0085\u2028\u2029");

    private const int RecentBits = 6;

    private readonly RecentDouble[] recentDoubles = new RecentDouble[1 << RecentBits];
    private byte[] buffer;
    private int length;
    private int lineStart = -1;

    public JsonLine(int capacity = 1 << 12)
    {
        buffer = ArrayPool<byte>.Shared.Rent(capacity);
    }

    /// <summary>The bytes written since the last <see cref="Clear"/>.</summary>
    public ReadOnlySpan<byte> Written => buffer.AsSpan(0, length);

    /// <summary>Bytes written since the last <see cref="Clear"/>.</summary>
    public int Length => length;

    /// <summary>Forgets what was written (the buffer is kept).</summary>
    public void Clear()
    {
        length = 0;
        lineStart = -1;
    }

    /// <summary>Returns the buffer to the pool; the instance is unusable afterwards.</summary>
    public void Release()
    {
        var b = buffer;
        buffer = [];
        length = 0;
        if (b.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(b);
        }
    }

    /// <summary>Starts a record: writes its opening brace.</summary>
    public void BeginRecord()
    {
        lineStart = length;
        Byte((byte)'{');
    }

    /// <summary>Ends a record: appends <c>,"crc":"xxxxxxxx"}</c> (CRC-32 of the record's bytes so far) and a newline.</summary>
    public void EndRecord()
    {
        uint crc = Crc32.HashToUInt32(buffer.AsSpan(lineStart, length - lineStart));
        Ensure(LogFormat.CrcSuffixLength + 1);
        var d = buffer.AsSpan(length);
        ",\"crc\":\""u8.CopyTo(d);
        int at = 8;
        for (int shift = 28; shift >= 0; shift -= 4)
        {
            d[at++] = Hex((int)(crc >> shift) & 0xF);
        }

        d[at++] = (byte)'"';
        d[at++] = (byte)'}';
        d[at++] = (byte)'\n';
        length += at;
        lineStart = -1;
    }

    /// <summary>Writes raw UTF-8 (pre-encoded punctuation and field names).</summary>
    public void Raw(ReadOnlySpan<byte> utf8)
    {
        Ensure(utf8.Length);
        utf8.CopyTo(buffer.AsSpan(length));
        length += utf8.Length;
    }

    /// <summary>Writes one byte.</summary>
    public void Byte(byte b)
    {
        Ensure(1);
        buffer[length++] = b;
    }

    /// <summary>Writes a property name and its colon, escaped like a string (for names not known in advance).</summary>
    public void Name(string name)
    {
        String(name);
        Byte((byte)':');
    }

    /// <summary>Writes an integer.</summary>
    public void Long(long value)
    {
        Ensure(20);
        value.TryFormat(buffer.AsSpan(length), out int n, default, CultureInfo.InvariantCulture);
        length += n;
    }

    /// <summary>Writes a finite double as Newtonsoft does: round-trip digits, ".0" added to integral values.</summary>
    /// <remarks>
    /// Formatting a double is the costliest part of a record, and the same values recur (a scalar's min, max and mean
    /// and its "value" attribute; constants every step), so the text of recent values is kept in a small table.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Double(double value)
    {
        Ensure(32);
        var d = buffer.AsSpan(length);
        ulong bits = BitConverter.DoubleToUInt64Bits(value);
        int slot = (int)((bits * 0x9E3779B97F4A7C15ul) >> (64 - RecentBits));
        ref var recent = ref recentDoubles[slot];
        if (recent.Length > 0 && recent.Bits == bits)
        {
            recent.Text[..recent.Length].CopyTo(d);
            length += recent.Length;
            return;
        }

        value.TryFormat(d, out int n, "R", CultureInfo.InvariantCulture);
        if (d[..n].IndexOfAny((byte)'.', (byte)'E', (byte)'e') < 0)
        {
            d[n++] = (byte)'.';
            d[n++] = (byte)'0';
        }

        recent.Bits = bits;
        recent.Length = (byte)n;
        d[..n].CopyTo(recent.Text);
        length += n;
    }

    /// <summary>Writes a boolean.</summary>
    public void Bool(bool value) => Raw(value ? "true"u8 : "false"u8);

    /// <summary>Writes null.</summary>
    public void Null() => Raw("null"u8);

    /// <summary>Writes 32 lower-case hex digits of a 16-byte hash in quotes.</summary>
    public void Hex32(ReadOnlySpan<byte> hash16)
    {
        Ensure(34);
        var d = buffer.AsSpan(length, 34);
        d[0] = (byte)'"';
        Convert.TryToHexStringLower(hash16[..16], d[1..33], out _);
        d[33] = (byte)'"';
        length += 34;
    }

    /// <summary>Writes a JSON string: UTF-8 (lone surrogates become U+FFFD, as Encoding.UTF8 does), escaped as Newtonsoft escapes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void String(string value)
    {
        Byte((byte)'"');
        var rest = value.AsSpan();
        while (true)
        {
            int i = rest.IndexOfAny(NeedsEscape);
            var plain = i < 0 ? rest : rest[..i];
            if (!plain.IsEmpty)
            {
                Ensure(Encoding.UTF8.GetMaxByteCount(plain.Length));
                length += Encoding.UTF8.GetBytes(plain, buffer.AsSpan(length));
            }

            if (i < 0)
            {
                break;
            }

            Escape(rest[i]);
            rest = rest[(i + 1)..];
        }

        Byte((byte)'"');
    }

    private void Escape(char c)
    {
        switch (c)
        {
            case '\t':
                Raw("\\t"u8);
                break;
            case '\n':
                Raw("\\n"u8);
                break;
            case '\r':
                Raw("\\r"u8);
                break;
            case '\f':
                Raw("\\f"u8);
                break;
            case '\b':
                Raw("\\b"u8);
                break;
            case '\\':
                Raw("\\\\"u8);
                break;
            case '"':
                Raw("\\\""u8);
                break;
            default:
                Ensure(6);
                var d = buffer.AsSpan(length);
                d[0] = (byte)'\\';
                d[1] = (byte)'u';
                d[2] = Hex((c >> 12) & 0xF);
                d[3] = Hex((c >> 8) & 0xF);
                d[4] = Hex((c >> 4) & 0xF);
                d[5] = Hex(c & 0xF);
                length += 6;
                break;
        }
    }

    private static byte Hex(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Ensure(int more)
    {
        if (buffer.Length - length < more)
        {
            Grow(more);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int more)
    {
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(checked(length + more), buffer.Length * 2));
        buffer.AsSpan(0, length).CopyTo(bigger);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        buffer = bigger;
    }

    /// <summary>A double and its text (round-trip formatting needs at most 25 bytes).</summary>
    private struct RecentDouble
    {
        public ulong Bits;
        public byte Length;
        public Text32 Text;
    }

    [InlineArray(32)]
    private struct Text32
    {
        private byte element;
    }
}
