using Repro.Engine;

namespace Repro.Recorder;

/// <summary>What <see cref="LogInspection.Analyze"/> collects besides the summary.</summary>
public sealed record InspectOptions
{
    /// <summary>Keep every op record, in order (<see cref="LogSummary.OpList"/>).</summary>
    public bool ListOps { get; init; }

    /// <summary>Keep this op's record (<see cref="LogSummary.Op"/>), and check that its stored output's blob holds it.</summary>
    public long? Op { get; init; }
}

/// <summary>The first op whose output held a NaN or an infinity.</summary>
/// <param name="Op">The op.</param>
/// <param name="InputsFinite">True when none of its inputs held one as last recorded: the op made the NaN/Inf itself.</param>
public sealed record NonFiniteOrigin(OpRecord Op, bool InputsFinite);

/// <summary>A log summarized in one streaming pass (what <c>repro inspect</c> shows).</summary>
public sealed record LogSummary
{
    /// <summary>The log folder.</summary>
    public required string Folder { get; init; }

    /// <summary>The header.</summary>
    public required LogHeader Header { get; init; }

    /// <summary>Op records read.</summary>
    public long Ops { get; init; }

    /// <summary>Forward ops read.</summary>
    public long Forward { get; init; }

    /// <summary>Backward ops read.</summary>
    public long Backward { get; init; }

    /// <summary>Leaf records read.</summary>
    public long Leaves { get; init; }

    /// <summary>Sequence number of the last complete op (-1 when none).</summary>
    public long LastSeq { get; init; }

    /// <summary>The end record; null when the log has none.</summary>
    public EndRecord? End { get; init; }

    /// <summary>Why the log stops early; null when it ends with its end record.</summary>
    public LogTruncation? Truncation { get; init; }

    /// <summary>Op records by op name, in ordinal order of the names.</summary>
    public required IReadOnlyDictionary<string, long> OpCounts { get; init; }

    /// <summary>Bytes of the records file.</summary>
    public long RecordBytes { get; init; }

    /// <summary>Distinct blobs the records read reference.</summary>
    public int Blobs { get; init; }

    /// <summary>Bytes of those blobs that exist as plain files in the log's blob folder.</summary>
    public long BlobBytes { get; init; }

    /// <summary>Records and blobs per op (0 when the log has no ops).</summary>
    public double BytesPerOp => Ops == 0 ? 0 : (double)(RecordBytes + BlobBytes) / Ops;

    /// <summary>The first op whose output held NaN or Inf; null when none did.</summary>
    public NonFiniteOrigin? FirstNonFinite { get; init; }

    /// <summary>The op asked for with <see cref="InspectOptions.Op"/>; null when not asked for or not reached.</summary>
    public OpRecord? Op { get; init; }

    /// <summary>Every op record read, in order, when <see cref="InspectOptions.ListOps"/> asked for them; else empty.</summary>
    public required IReadOnlyList<OpRecord> OpList { get; init; }

    /// <summary>
    /// The damage that stopped the pass (a bad record, or a blob that does not hold the asked-for op's output); the
    /// rest of the summary covers what was read before it. Null for a readable log.
    /// </summary>
    public LogFormatException? Error { get; init; }
}

/// <summary>Summarizes a log: counts, sizes, the first NaN/Inf and whether its op made it.</summary>
public static class LogInspection
{
    /// <summary>Reads the log at <paramref name="path"/> once, streaming.</summary>
    /// <exception cref="LogFormatException">No log there, or its header is unreadable (damage after the header is in <see cref="LogSummary.Error"/>).</exception>
    /// <exception cref="OpNotFoundException">The log, read without damage, has no op <see cref="InspectOptions.Op"/>.</exception>
    public static LogSummary Analyze(string path, InspectOptions? options = null)
    {
        options ??= new InspectOptions();
        using var reader = LogReader.Open(path);
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);

        // Tensors whose latest record held NaN/Inf: an op reading none of them made its own.
        var nonFinite = new HashSet<long>();
        var blobs = new HashSet<string>(StringComparer.Ordinal);
        long forward = 0, backward = 0, leaves = 0, ops = 0;
        NonFiniteOrigin? firstBad = null;
        OpRecord? detail = null;
        var rows = new List<OpRecord>();
        LogFormatException? error = null;
        try
        {
            foreach (var e in reader.Entries())
            {
                switch (e)
                {
                    case LeafRecord leaf:
                        leaves++;
                        Note(leaf.Tensor);
                        break;
                    case OpRecord op:
                        ops++;
                        counts[op.Op] = counts.GetValueOrDefault(op.Op) + 1;
                        if (op.Phase == OpPhase.Backward)
                        {
                            backward++;
                        }
                        else
                        {
                            forward++;
                        }

                        if (firstBad is null && op.Output.Stats is { HasNonFinite: true })
                        {
                            firstBad = new NonFiniteOrigin(op, op.Inputs.All(id => !nonFinite.Contains(id)));
                        }

                        foreach (var output in op.Outputs)
                        {
                            Note(output);
                        }

                        if (op.Seq == options.Op)
                        {
                            detail = op;
                        }

                        if (options.ListOps)
                        {
                            rows.Add(op);
                        }

                        break;
                    default:
                        break;
                }
            }
        }
        catch (LogFormatException ex)
        {
            error = ex;
        }

        // The op shown in full: a stored output is shown only if its blob holds it.
        if (detail?.Output.Blob is not null && error is null)
        {
            try
            {
                reader.ReadStored(detail.Output, detail.Position);
            }
            catch (LogFormatException ex)
            {
                error = ex;
            }
        }

        void Note(TensorRecord t)
        {
            if (t.Stats is { HasNonFinite: true })
            {
                nonFinite.Add(t.Id);
            }
            else
            {
                nonFinite.Remove(t.Id);
            }

            if (t.Blob is not null)
            {
                blobs.Add(t.Blob);
            }
        }

        if (options.Op is { } want && detail is null && error is null)
        {
            throw new OpNotFoundException(want, reader.LastSeq);
        }

        return new LogSummary
        {
            Folder = reader.Folder,
            Header = reader.Header,
            Ops = ops,
            Forward = forward,
            Backward = backward,
            Leaves = leaves,
            LastSeq = reader.LastSeq,
            End = reader.End,
            Truncation = reader.Truncation,
            OpCounts = counts,
            RecordBytes = new FileInfo(Path.Combine(reader.Folder, LogFormat.RecordsFile)).Length,
            Blobs = blobs.Count,
            BlobBytes = blobs.Sum(b =>
            {
                // A link is no blob of this log (reading one refuses it).
                var f = new FileInfo(Path.Combine(reader.Folder, LogFormat.BlobsFolder, b + ".bin"));
                return f.Exists && f.LinkTarget is null ? f.Length : 0;
            }),
            FirstNonFinite = firstBad,
            Op = detail,
            OpList = rows,
            Error = error,
        };
    }
}

/// <summary>A log has no op of the sequence number asked for.</summary>
public sealed class OpNotFoundException : KeyNotFoundException
{
    /// <summary>Creates the error.</summary>
    public OpNotFoundException(long seq, long lastSeq)
        : base($"the log has no op {seq} (ops 0..{lastSeq})")
    {
        Seq = seq;
        LastSeq = lastSeq;
    }

    /// <summary>The sequence number asked for.</summary>
    public long Seq { get; }

    /// <summary>The log's last op (-1 when it has none).</summary>
    public long LastSeq { get; }
}
