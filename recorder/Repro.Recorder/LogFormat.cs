namespace Repro.Recorder;

/// <summary>Constants of the replay log format (see docs/log-format.md).</summary>
public static class LogFormat
{
    /// <summary>The value of the header's "format" field.</summary>
    public const string Name = "repro-log";

    /// <summary>The format version this library writes and the newest it reads.</summary>
    public const int Version = 1;

    /// <summary>The records file inside a log folder.</summary>
    public const string RecordsFile = "records.jsonl";

    /// <summary>The folder of content-addressed blobs inside a log folder.</summary>
    public const string BlobsFolder = "blobs";

    /// <summary>The logical thread id of the thread that started the recording; its ops carry no "thread" field.</summary>
    public const string MainThread = "main";

    /// <summary>Longest logical thread id (UTF-16 code units) a writer writes and a reader accepts.</summary>
    public const int MaxThreadIdLength = 256;

    /// <summary>The suffix every record line ends with before the checksum digits: <c>,"crc":"</c>.</summary>
    internal const string CrcPrefix = ",\"crc\":\"";

    /// <summary>Bytes after the checksummed part of a line: <c>,"crc":"</c> + 8 hex digits + <c>"}</c>.</summary>
    internal const int CrcSuffixLength = 18;

    /// <summary>The Repro version written in headers.</summary>
    public static string ReproVersion { get; } =
        typeof(LogFormat).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}

/// <summary>Bounds a reader enforces before it allocates anything a log claims.</summary>
public sealed record LogLimits
{
    /// <summary>The defaults: 64 MiB lines, rank 32, 2^31-1 elements, 4 GiB blobs, JSON depth 16.</summary>
    public static LogLimits Default { get; } = new();

    /// <summary>Longest record line in bytes.</summary>
    public int MaxLineBytes { get; init; } = 64 << 20;

    /// <summary>Most axes a tensor may have.</summary>
    public int MaxRank { get; init; } = 32;

    /// <summary>Most elements a tensor may have (arrays are indexed by int).</summary>
    public long MaxElements { get; init; } = int.MaxValue;

    /// <summary>Largest blob in bytes.</summary>
    public long MaxBlobBytes { get; init; } = 4L << 30;

    /// <summary>Deepest JSON nesting accepted in a record.</summary>
    public int MaxJsonDepth { get; init; } = 16;
}

/// <summary>Where in a log something is: the records file, its 1-based line and the byte offset where that line starts.</summary>
/// <param name="File">The file (records.jsonl or a blob).</param>
/// <param name="Line">1-based line number in the records file (0 when not a line).</param>
/// <param name="Offset">Byte offset from the start of the file.</param>
public readonly record struct LogPosition(string File, int Line, long Offset)
{
    /// <inheritdoc/>
    public override string ToString() => Line > 0 ? $"{File}:{Line} (byte {Offset})" : $"{File} (byte {Offset})";
}

/// <summary>A log that cannot be read as it stands: bad JSON, a failed checksum, an unknown version, a hostile value.</summary>
public sealed class LogFormatException : Exception
{
    /// <summary>Creates the error; the message is prefixed with the position.</summary>
    public LogFormatException(LogPosition position, string message, Exception? inner = null)
        : base($"{position}: {message}", inner)
    {
        Position = position;
        Detail = message;
    }

    /// <summary>Where the problem is.</summary>
    public LogPosition Position { get; }

    /// <summary>The message without the position.</summary>
    public string Detail { get; }
}
