using System.Runtime.CompilerServices;
using Repro.Engine;

namespace Repro.Recorder;

/// <summary>Where and why a log stops early: its last line is incomplete, or it has no end record.</summary>
/// <param name="Position">Where the incomplete line starts (or the end of the file).</param>
/// <param name="LastSeq">Sequence number of the last complete op (-1 when none).</param>
/// <param name="Message">What was found.</param>
public sealed record LogTruncation(LogPosition Position, long LastSeq, string Message);

/// <summary>
/// Reads a log folder as a stream: the header on open, then the entries one line at a time. Every line's checksum is
/// checked before it is parsed; every size is checked against <see cref="LogLimits"/> before anything is allocated.
/// A log cut short (a crash, a copy in progress) reads as its complete prefix, with <see cref="Truncation"/> saying
/// where it stops; a damaged record throws <see cref="LogFormatException"/> naming the line and byte offset, after the
/// entries before it were yielded.
/// </summary>
public sealed class LogReader : IDisposable
{
    private readonly FileStream stream;
    private readonly string recordsPath;
    private readonly byte[] buffer = new byte[1 << 16];
    private readonly LogDecoder decoder;
    private Digester? digester;
    private byte[] longLine = [];
    private int bufStart;
    private int bufEnd;
    private long bufOffset;
    private int line;
    private bool enumerated;

    private LogReader(string folder, LogLimits limits)
    {
        Folder = folder;
        Limits = limits;
        decoder = new LogDecoder(limits);
        recordsPath = System.IO.Path.Combine(folder, LogFormat.RecordsFile);
        RefuseLink(new FileInfo(recordsPath), "the records file");
        RefuseLink(new DirectoryInfo(System.IO.Path.Combine(folder, LogFormat.BlobsFolder)), "the blobs folder");
        try
        {
            stream = new FileStream(recordsPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            var partials = LogFolder.FindPartialsOfAnyProcess(folder);
            var hint = partials.Count > 0 ? $" (an unfinished recording to it is at {partials[0]})" : string.Empty;
            throw new LogFormatException(new LogPosition(recordsPath, 0, 0), "no such log: expected a log folder holding " + LogFormat.RecordsFile + hint, ex);
        }

        try
        {
            if (!NextLine(out var first, out var pos, out bool complete))
            {
                throw new LogFormatException(pos, "the log is empty: expected a header record");
            }

            if (!complete)
            {
                throw new LogFormatException(pos, $"the log is truncated inside its header ({first.Length} bytes, no newline)");
            }

            Header = decoder.DecodeHeader(first, pos);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>The log folder.</summary>
    public string Folder { get; }

    /// <summary>The bounds in force.</summary>
    public LogLimits Limits { get; }

    /// <summary>The header.</summary>
    public LogHeader Header { get; }

    /// <summary>The end record, once the entries were read to it; null while not reached or when the log has none.</summary>
    public EndRecord? End { get; private set; }

    /// <summary>After the entries were read: why the log stops early, or null when it ends with its end record.</summary>
    public LogTruncation? Truncation { get; private set; }

    /// <summary>Sequence number of the last complete op read (-1 when none).</summary>
    public long LastSeq { get; private set; } = -1;

    /// <summary>The last complete op read.</summary>
    public OpRecord? LastOp { get; private set; }

    /// <summary>Opens a log folder (or its records.jsonl) and reads the header.</summary>
    /// <exception cref="LogFormatException">No log there, or its header is missing, damaged or of an unknown version.</exception>
    public static LogReader Open(string path, LogLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = System.IO.Path.GetFullPath(path);
        if (File.Exists(full) && System.IO.Path.GetFileName(full) == LogFormat.RecordsFile)
        {
            full = System.IO.Path.GetDirectoryName(full)!;
        }

        return new LogReader(full, limits ?? LogLimits.Default);
    }

    /// <summary>
    /// The end record of the log at <paramref name="path"/>, read from the end of its records file without reading the
    /// rest (commands that wrote a log check it this way); null when the log has none (its last line is not a complete
    /// end record: a run that did not close its recorder, or a writer that failed).
    /// </summary>
    /// <exception cref="LogFormatException">No log there, or its last line is damaged.</exception>
    public static EndRecord? ReadEnd(string path, LogLimits? limits = null)
    {
        using var reader = Open(path, limits);
        var s = reader.stream;
        long length = s.Length;
        if (length < 2)
        {
            return null;
        }

        // The last line: from after the newline before the final one to the final newline.
        long max = Math.Min(length, (long)reader.Limits.MaxLineBytes + 1);
        var tail = new byte[max];
        s.Position = length - max;
        s.ReadExactly(tail);
        if (tail[^1] != (byte)'\n')
        {
            return null;
        }

        int start = Array.LastIndexOf(tail, (byte)'\n', tail.Length - 2) + 1;
        long offset = length - max + start;
        if (offset <= reader.Header.Position.Offset)
        {
            return null;
        }

        var text = tail.AsSpan(start, tail.Length - 1 - start);
        var pos = new LogPosition(reader.recordsPath, 0, offset);
        return text.StartsWith("{\"type\":\"end\""u8) && reader.decoder.DecodeEntry(text, pos) is EndRecord end ? end : null;
    }

    /// <summary>The entries after the header, in order; can be enumerated once.</summary>
    /// <exception cref="LogFormatException">A damaged or invalid record (thrown when reached).</exception>
    public IEnumerable<LogEntry> Entries()
    {
        if (enumerated)
        {
            throw new InvalidOperationException("a LogReader's entries can be read once; open the log again");
        }

        enumerated = true;
        return Read();
    }

    /// <summary>The op records only.</summary>
    public IEnumerable<OpRecord> Ops() => Entries().OfType<OpRecord>();

    /// <summary>
    /// Reads and checks a blob: the address must be a content address, the file a plain file inside blobs/ whose
    /// length is <paramref name="expectedBytes"/> (checked before reading), and its bytes must hash to the address.
    /// </summary>
    public byte[] ReadBlob(string address, long expectedBytes, LogPosition referencedAt)
    {
        if (!LogCodec.IsHex32(address))
        {
            throw new LogFormatException(referencedAt, $"blob reference '{address}' is not a content address; references outside the log's blobs folder are refused");
        }

        if (expectedBytes < 0 || expectedBytes > Limits.MaxBlobBytes || expectedBytes > Array.MaxLength)
        {
            throw new LogFormatException(referencedAt, $"blob {address}: {expectedBytes} bytes is over the limit of {Math.Min(Limits.MaxBlobBytes, Array.MaxLength)}");
        }

        // Checked again here: the folder may have been replaced by a link since the log was opened.
        RefuseLink(new DirectoryInfo(System.IO.Path.Combine(Folder, LogFormat.BlobsFolder)), "the blobs folder");
        var path = System.IO.Path.Combine(Folder, LogFormat.BlobsFolder, address + ".bin");
        var info = new FileInfo(path);
        if (!info.Exists && info.LinkTarget is null)
        {
            throw new LogFormatException(referencedAt, $"blob {address} is missing: expected {path}");
        }

        RefuseLink(info, $"blob {address}", referencedAt);

        if (info.Length != expectedBytes)
        {
            throw new LogFormatException(referencedAt, $"blob {address} is {info.Length} bytes; the record expects {expectedBytes}");
        }

        var bytes = File.ReadAllBytes(path);
        if (bytes.Length != expectedBytes)
        {
            throw new LogFormatException(referencedAt, $"blob {address} changed while being read ({bytes.Length} bytes, expected {expectedBytes})");
        }

        var actual = TensorBytes.Address(bytes);
        if (actual != address)
        {
            throw new LogFormatException(
                new LogPosition(path, 0, 0),
                $"blob {address} (referenced at {referencedAt}) is corrupt: its bytes hash to {actual}");
        }

        return bytes;
    }

    /// <summary>A stored tensor's elements as a storage-type array (float[], double[], int[], ushort[]), checked as <see cref="ReadStored(TensorRecord, LogPosition)"/> checks them.</summary>
    public Array ReadTensor(TensorRecord tensor, LogPosition referencedAt) => TensorBytes.ToArray(ReadStored(tensor, referencedAt), tensor.DType);

    /// <summary>
    /// A stored tensor's raw bytes, checked twice: the blob against its content address (<see cref="ReadBlob"/>), and
    /// the tensor it holds against the record's hash, so a record pointing at another intact blob of the same size is
    /// refused too.
    /// </summary>
    /// <exception cref="LogFormatException">The tensor was not stored, or its blob is missing, a link, the wrong size, corrupt or another tensor.</exception>
    public byte[] ReadStored(TensorRecord tensor, LogPosition referencedAt) => ReadStored(tensor, referencedAt, out _);

    /// <summary>As <see cref="ReadStored(TensorRecord, LogPosition)"/>, with the health summary of the stored values.</summary>
    internal byte[] ReadStored(TensorRecord tensor, LogPosition referencedAt, out SummaryValues stats)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Blob is null)
        {
            throw new LogFormatException(referencedAt, $"tensor {tensor.Id} was not stored by value (no blob); replay regenerates it");
        }

        var bytes = ReadBlob(tensor.Blob, tensor.Bytes, referencedAt);
        Span<byte> hash = stackalloc byte[16];
        stats = (digester ??= new Digester()).Digest(bytes, tensor.DType, hash);
        string actual = Convert.ToHexStringLower(hash);
        if (actual != tensor.Hash)
        {
            throw new LogFormatException(referencedAt, $"blob {tensor.Blob} holds a tensor whose hash is {actual}; the record's hash is {tensor.Hash}");
        }

        return bytes;
    }

    /// <summary>
    /// Reads the rest of the log for the inputs of each op only, calling <paramref name="op"/> with the entry's index
    /// (0 for the first entry after the header) and its input ids. Stops quietly where the log is cut short or a line
    /// is damaged: reading the entries stops there too. For replay's look-ahead; use a reader of its own.
    /// </summary>
    internal void ScanInputs(Action<int, List<long>> op)
    {
        var inputs = new List<long>();
        for (int index = 0; NextLine(out var bytes, out var pos, out bool complete) && complete; index++)
        {
            try
            {
                if (decoder.ScanInputs(bytes, pos, inputs))
                {
                    op(index, inputs);
                }
            }
            catch (LogFormatException)
            {
                return;
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose() => stream.Dispose();

    /// <summary>
    /// Refuses a symbolic link, junction or other reparse point: what a log holds must be in its folder, or reading a
    /// log could read (and export, or report on) any file its reader may open.
    /// </summary>
    private static void RefuseLink(FileSystemInfo info, string what, LogPosition? referencedAt = null)
    {
        if (info.LinkTarget is null && (!info.Exists || !info.Attributes.HasFlag(FileAttributes.ReparsePoint)))
        {
            return;
        }

        var target = info.LinkTarget is { } t ? $" (to '{t}')" : string.Empty;
        throw new LogFormatException(
            referencedAt ?? new LogPosition(info.FullName, 0, 0),
            $"{what} is a link{target}; a log's records file, blobs folder and blobs must be plain files and folders inside the log folder");
    }

    private IEnumerable<LogEntry> Read()
    {
        while (Next() is { } entry)
        {
            yield return entry;
        }
    }

    /// <summary>The next entry, or null at the end (or where the log is cut short: <see cref="Truncation"/> says so).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private LogEntry? Next()
    {
        if (!NextLine(out var bytes, out var pos, out bool complete))
        {
            if (End is null)
            {
                Truncation = new LogTruncation(pos, LastSeq, LastSeq >= 0
                    ? $"the log has no end record: the run stopped after op {LastSeq} (a crash or a recording still in progress)"
                    : "the log has no ops and no end record");
            }

            return null;
        }

        if (!complete)
        {
            Truncation = new LogTruncation(pos, LastSeq, $"the log is truncated: its last line ({bytes.Length} bytes) is incomplete; the last complete op is {(LastSeq >= 0 ? LastSeq.ToString(System.Globalization.CultureInfo.InvariantCulture) : "none")}");
            return null;
        }

        if (End is not null)
        {
            throw new LogFormatException(pos, "a record after the end record");
        }

        var entry = decoder.DecodeEntry(bytes, pos);
        switch (entry)
        {
            case OpRecord op:
                if (op.Seq <= LastSeq)
                {
                    throw new LogFormatException(pos, $"op sequence numbers must increase: op {op.Seq} follows op {LastSeq}");
                }

                LastSeq = op.Seq;
                LastOp = op;
                break;
            case EndRecord end:
                End = end;
                break;
            default:
                break;
        }

        return entry;
    }

    /// <summary>
    /// The next line without its newline (valid until the next call): a view of the read buffer when the line lies in
    /// it, else assembled in a reused buffer. False at the end of the file. <paramref name="complete"/> is false for a
    /// last line without newline.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool NextLine(out ReadOnlySpan<byte> text, out LogPosition pos, out bool complete)
    {
        pos = new LogPosition(recordsPath, line + 1, bufOffset + bufStart);
        complete = false;
        int assembled = 0;
        while (true)
        {
            if (bufStart == bufEnd)
            {
                bufOffset += bufEnd;
                bufStart = 0;
                bufEnd = stream.Read(buffer, 0, buffer.Length);
                if (bufEnd == 0)
                {
                    text = longLine.AsSpan(0, assembled);
                    return assembled > 0;
                }
            }

            int nl = buffer.AsSpan(bufStart, bufEnd - bufStart).IndexOf((byte)'\n');
            int take = nl < 0 ? bufEnd - bufStart : nl;
            if ((long)assembled + take > Limits.MaxLineBytes)
            {
                throw new LogFormatException(pos, $"record line is longer than {Limits.MaxLineBytes} bytes");
            }

            if (nl >= 0 && assembled == 0)
            {
                text = buffer.AsSpan(bufStart, take);
                bufStart += take + 1;
                line++;
                complete = true;
                return true;
            }

            if (longLine.Length < assembled + take)
            {
                Array.Resize(ref longLine, Math.Max(assembled + take, Math.Min(Math.Max(longLine.Length * 2, 1 << 16), Limits.MaxLineBytes)));
            }

            buffer.AsSpan(bufStart, take).CopyTo(longLine.AsSpan(assembled));
            assembled += take;
            bufStart += take;
            if (nl >= 0)
            {
                bufStart++;
                line++;
                complete = true;
                text = longLine.AsSpan(0, assembled);
                return true;
            }
        }
    }
}
