using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Repro.Engine.Backends;
using Repro.Engine;

namespace Repro.Recorder;

/// <summary>How to replay a log.</summary>
public sealed record ReplayOptions
{
    /// <summary>Backend to run on (default: the recorded one).</summary>
    public string? Backend { get; init; }

    /// <summary>Worker threads (default: this machine's setting). Results never depend on it.</summary>
    public int? Threads { get; init; }

    /// <summary>Dtype to run at (default: the recorded one). See <see cref="Replayer"/> for the rewrite rule.</summary>
    public DType? DType { get; init; }

    /// <summary>Where to write the replayed run's log (default: none; the replay then only computes each output's hash, to check it).</summary>
    public string? OutPath { get; init; }

    /// <summary>What the new log stores by value.</summary>
    public CapturePolicy Capture { get; init; } = CapturePolicy.Default;

    /// <summary>Replace a log already at <see cref="OutPath"/> (see <see cref="RecorderOptions.Force"/>).</summary>
    public bool Force { get; init; }

    /// <summary>Compare every output hash with the log's when the configuration matches (default true).</summary>
    public bool CheckHashes { get; init; } = true;

    /// <summary>Stop at the first differing op (default false: replay to the end and count them).</summary>
    public bool StopAtFirstDivergence { get; init; }

    /// <summary>Stop after the op with this sequence number (default: replay everything).</summary>
    public long? StopAfterSeq { get; init; }

    /// <summary>Called now and then with (bytes of the log read, its total bytes, ops replayed).</summary>
    public Action<long, long, long>? Progress { get; init; }

    /// <summary>
    /// Also check the log against itself, as verify does (default false): every stored blob is read and must hold the
    /// tensor its record names (content address and tensor hash) with the record's health summary; op sequence numbers
    /// must be consecutive; the end record's counts must be those read; and where hashes are checked, each replayed
    /// output whose hash matches must have the record's health summary. The first mismatch throws
    /// <see cref="LogFormatException"/> ("damaged log: ...").
    /// </summary>
    public bool CheckLog { get; init; }

    /// <summary>
    /// Per-op dtypes (default: none, every op at <see cref="DType"/>). Ops no rule matches run at
    /// <see cref="DType"/> when given, else at the policy's low dtype; leaves and host data (from_host) keep their
    /// recorded dtype, as autocast leaves a program's float32 inputs and parameters, and each op converts what it reads. Where an op's
    /// dtype differs from an input's, the input is converted first, without a record, so the new log keeps one record
    /// per original op (its outputs carry the dtype each op ran in). Hashes are not compared under a policy.
    /// </summary>
    public PrecisionPolicy? Policy { get; init; }

    /// <summary>Called on the replaying thread after each op with the op's record and its replayed output (read it before returning: a later assign may overwrite it).</summary>
    public Action<OpRecord, Tensor>? OnOutput { get; init; }
}

/// <summary>The first op whose replayed output differs from the log's.</summary>
public sealed record Divergence(long Seq, string Op, OpPhase Phase, SourceLocation Source, string What, LogPosition Position)
{
    /// <inheritdoc/>
    public override string ToString() => $"op {Seq} ({Op}{(Phase == OpPhase.Backward ? ", backward" : string.Empty)}) at {Source}: {What}";
}

/// <summary>What a replay did and found.</summary>
public sealed record ReplayResult(
    LogHeader Header,
    string Backend,
    DType DType,
    int Threads,
    long Ops,
    long Leaves,
    bool ConfigurationMatches,
    bool HashesChecked,
    long Mismatches,
    Divergence? FirstDivergence,
    LogTruncation? Truncation,
    string? OutPath,
    TimeSpan Elapsed)
{
    /// <summary>True when hashes were checked and all matched.</summary>
    public bool Identical => HashesChecked && Mismatches == 0;

    /// <summary>The log's end record (null when the log has none: see <see cref="Truncation"/>); its status says whether the run completed.</summary>
    public EndRecord? End { get; init; }
}

/// <summary>
/// Re-executes a log's ops from its leaves, without the original program, on any backend, thread count and dtype,
/// and writes a new log of the replayed run (same sequence numbers and source locations), so the two can be diffed.
/// </summary>
/// <remarks>
/// Dtype rule: replaying at dtype D a log recorded at dtype R (both floating) converts every leaf of dtype R to D
/// (through float32 for the 16-bit types; round to nearest even), and rewrites the "dtype" attribute of full, arange,
/// rand, randn and cast from R to D, so the whole run executes in D. int32 tensors and tensors of any other dtype stay as
/// recorded. Hashes are checked only where backend and dtype match the recording (thread count never matters).
/// </remarks>
public static class Replayer
{
    /// <summary>Replays the log at <paramref name="logPath"/>.</summary>
    /// <exception cref="LogFormatException">The log is damaged (with <see cref="ReplayOptions.CheckLog"/>, also where it does not match its own content) or cannot be replayed (an op refuses its recorded inputs).</exception>
    /// <exception cref="ArgumentException">An unknown backend name.</exception>
    public static ReplayResult Replay(string logPath, ReplayOptions? options = null)
    {
        options ??= new ReplayOptions();
        var sw = Stopwatch.StartNew();
        if (options.OutPath is { } target)
        {
            // Before anything is opened or created: a new log over the one being read would destroy it.
            LogFolder.CheckSeparate(logPath, target);
            LogFolder.CheckTarget(target, options.Force);
        }

        using var reader = LogReader.Open(logPath);
        var header = reader.Header;
        var recordedDType = DTypes.Parse(header.Environment.DType);
        var policy = options.Policy is { } given && options.DType is { } low ? given.WithLowDType(low) : options.Policy;
        var dtype = options.DType ?? policy?.LowDType ?? recordedDType;
        if (dtype == DType.Int32 || (recordedDType == DType.Int32 && dtype != DType.Int32))
        {
            throw new ArgumentException($"cannot replay at dtype {dtype.Name()}: a run's dtype is a floating-point one (the log says {recordedDType.Name()})");
        }

        var backend = Settings.GetBackend(options.Backend ?? header.Environment.Backend);
        int threads = options.Threads ?? Settings.Threads;
        bool matches = backend.Name == header.Environment.Backend && dtype == recordedDType && policy is null;
        bool check = options.CheckHashes && matches;

        // Without an output path nobody reads the new log: none is written, only the output hashes are computed.
        var outPath = options.OutPath;
        var expected = new ConcurrentQueue<OpRecord>();
        long mismatches = 0;
        Divergence? first = null;
        var firstGate = new object();
        var self = options.CheckLog ? new SelfCheck() : null;
        // Runs on the new log's writer thread, once per op, in order.
        OpWrittenHandler compare = (long _, IReadOnlyList<int> shape, DType dtype, ReadOnlySpan<byte> hash, in SummaryValues? stats) =>
        {
            if (!check || !expected.TryDequeue(out var want))
            {
                return;
            }

            string? what = Differ(want.Output, shape, dtype, hash);
            if (what is null)
            {
                // Same bits, so the log's summary of them must be the replayed one.
                if (self is not null && stats is { } actual)
                {
                    self.Summary(want, want.Output, actual, "the replayed output");
                }

                return;
            }

            Interlocked.Increment(ref mismatches);
            lock (firstGate)
            {
                first ??= new Divergence(want.Seq, want.Op, want.Phase, want.Source, what, want.Position);
            }
        };

        long ops = 0;
        long leaves = 0;
        long total = new FileInfo(Path.Combine(reader.Folder, LogFormat.RecordsFile)).Length;
        using (Settings.UseThreads(threads))
        using (Settings.UseBackend(backend))
        {
            var recording = new Recording(
                outPath,
                new RecorderOptions
                {
                    Capture = options.Capture,
                    DType = dtype,
                    Backend = backend,
                    Seed = header.Environment.Seed,
                    CommandLine = "replay of " + header.Environment.CommandLine,
                    StackSourceLocations = false,
                    Force = options.Force,
                },
                compare,
                summarize: self is not null && check);
            var map = new Dictionary<long, Tensor>();
            var lastUse = LastUses.Of(logPath);
            int index = -1;
            bool stop = false;
            var context = new Context(reader, backend, recordedDType, dtype, header.Environment.Backend, self) { Policy = policy, Recording = recording };
            try
            {
                foreach (var entry in reader.Entries())
                {
                    index++;
                    switch (entry)
                    {
                        case LeafRecord leaf:
                            recording.ExpectLeaf();
                            var value = policy is null ? context.Leaf(leaf.Tensor, leaf) : context.Leaf(leaf.Tensor, leaf, recordedDType);
                            if (lastUse.UsedAfter(leaf.Tensor.Id, index))
                            {
                                map[leaf.Tensor.Id] = value;
                            }

                            leaves++;
                            break;
                        case OpRecord op:
                            self?.Op(op, reader);
                            if (check)
                            {
                                expected.Enqueue(op);
                            }

                            var result = RunOp(op, map, recording, context);
                            options.OnOutput?.Invoke(op, result);

                            // Tensors no later record reads are let go (a long log would otherwise keep every
                            // intermediate alive, and the collector would copy them all through its generations).
                            foreach (long id in op.Inputs)
                            {
                                if (!lastUse.UsedAfter(id, index))
                                {
                                    map.Remove(id);
                                }
                            }

                            if (lastUse.UsedAfter(op.Output.Id, index))
                            {
                                map[op.Output.Id] = result;
                            }
                            else
                            {
                                map.Remove(op.Output.Id);
                            }

                            ops++;
                            if (op.Seq >= options.StopAfterSeq)
                            {
                                stop = true;
                            }

                            if ((ops & 255) == 0)
                            {
                                options.Progress?.Invoke(op.Position.Offset, total, ops);
                            }

                            break;
                        default:
                            break;
                    }

                    self?.ThrowIfDamaged();
                    if (stop || (options.StopAtFirstDivergence && Volatile.Read(ref first) is not null))
                    {
                        break;
                    }
                }
            }
            catch (Exception ex)
            {
                // The new log says that its run failed, instead of ending as if it were complete.
                recording.Fail(ex);
                throw;
            }

            recording.Dispose();

            // The writer compared the last outputs while closing.
            self?.ThrowIfDamaged();
            if (!stop && (!options.StopAtFirstDivergence || first is null))
            {
                self?.End(reader.End, ops, leaves);
            }
        }

        options.Progress?.Invoke(total, total, ops);
        return new ReplayResult(header, backend.Name, dtype, threads, ops, leaves, matches, check, mismatches, first, reader.Truncation, outPath is null ? null : Path.GetFullPath(outPath), sw.Elapsed)
        {
            End = reader.End,
        };
    }

    /// <summary>Replays on the recorded configuration (optionally another thread count) and checks every hash.</summary>
    public static ReplayResult Verify(string logPath, int? threads = null, string? outPath = null, Action<long, long, long>? progress = null)
    {
        using (var reader = LogReader.Open(logPath))
        {
            threads ??= reader.Header.Environment.Threads;
        }

        return Replay(logPath, new ReplayOptions { Threads = threads, OutPath = outPath, Progress = progress, CheckLog = true });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Tensor RunOp(OpRecord op, Dictionary<long, Tensor> map, Recording recording, Context context)
    {
        var inputs = new Tensor[op.Inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            if (!map.TryGetValue(op.Inputs[i], out var t))
            {
                throw new LogFormatException(op.Position, $"op {op.Seq} ({op.Op}): input tensor {op.Inputs[i]} was not produced by any earlier record");
            }

            inputs[i] = t;
        }

        int before = recording.Observed;
        recording.ExpectSeq(op.Seq, op.Thread);
        Tensor result;
        try
        {
            using (op.Phase == OpPhase.Backward ? Dispatcher.Backward(op.BackwardOf, op.Source, op.Module) : default)
            using (op.Phase == OpPhase.Forward ? Dispatcher.AtModule(op.Module) : default)
            using (op.Phase == OpPhase.Forward ? Dispatcher.Site(op.Source.File, op.Source.Line, op.Source.Member) : default)
            {
                var row = OpTable.Get(op.Op);
                if (context.Policy is { } policy)
                {
                    var dt = policy.ComputeDType(new PrecisionOp(op.Op, op.Seq, op.Phase, op.Source, op.Module?.Path));
                    result = row.HostData
                        ? context.Leaf(op.Output, op, context.Recorded)
                        : row.Execute(context.Rewrite(row, op.Attributes, dt), context.Adapt(row, inputs, dt), context.Backend);
                }
                else
                {
                    result = row.HostData
                        ? context.Leaf(op.Output, op)
                        : row.Execute(context.Rewrite(row, op.Attributes), inputs, context.Backend);
                }
            }
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidCastException or KeyNotFoundException or InvalidOperationException or OverflowException or IndexOutOfRangeException or NotSupportedException)
        {
            throw new LogFormatException(op.Position, $"op {op.Seq} ({op.Op}) cannot be replayed: {ex.Message}", ex);
        }

        int emitted = recording.Observed - before;
        if (emitted == 0)
        {
            // The op was a no-op here (e.g. to_backend onto the backend the tensor is already on): keep the numbering.
            recording.WriteSynthetic(op, inputs, result);
        }
        else if (emitted > 1)
        {
            throw new LogFormatException(op.Position, $"op {op.Seq} ({op.Op}) re-ran as {emitted} ops; replay needs one op per record");
        }

        return result;
    }

    private static string? Differ(TensorRecord want, IReadOnlyList<int> shape, DType dtype, ReadOnlySpan<byte> hash)
    {
        bool sameShape = want.Shape.Length == shape.Count;
        for (int i = 0; sameShape && i < shape.Count; i++)
        {
            sameShape = want.Shape[i] == shape[i];
        }

        if (!sameShape)
        {
            return $"shape [{string.Join(", ", shape)}], the log has [{string.Join(", ", want.Shape)}]";
        }

        if (want.DType != dtype)
        {
            return $"dtype {dtype.Name()}, the log has {want.DType.Name()}";
        }

        Span<char> hex = stackalloc char[32];
        Convert.TryToHexStringLower(hash, hex, out _);
        return want.Hash.AsSpan().SequenceEqual(hex) ? null : $"hash {hex}, the log has {want.Hash}";
    }

    /// <summary>For each tensor id, the index of the last entry that reads it (read ahead with a reader of its own).</summary>
    private sealed class LastUses
    {
        private const int DenseIds = 1 << 22;

        private readonly Dictionary<long, int> sparse = [];
        private int[] dense = [];

        public static LastUses Of(string logPath)
        {
            var uses = new LastUses();
            using var reader = LogReader.Open(logPath);
            reader.ScanInputs((index, inputs) =>
            {
                foreach (long id in inputs)
                {
                    uses.Set(id, index);
                }
            });
            return uses;
        }

        /// <summary>True when an entry after <paramref name="index"/> reads tensor <paramref name="id"/>.</summary>
        public bool UsedAfter(long id, int index) => Get(id) > index;

        private int Get(long id) =>
            id >= 0 && id < dense.Length ? dense[id] - 1
            : sparse.TryGetValue(id, out int at) ? at : -1;

        private void Set(long id, int index)
        {
            if (id >= 0 && id < DenseIds)
            {
                if (id >= dense.Length)
                {
                    Array.Resize(ref dense, (int)Math.Min(DenseIds, Math.Max(id + 1, dense.Length * 2L)));
                }

                // Stored plus one, so 0 means never read.
                dense[id] = index + 1;
                return;
            }

            sparse[id] = index;
        }
    }

    /// <summary>
    /// Verify's checks of a log against itself (<see cref="ReplayOptions.CheckLog"/>): what a checksum cannot catch, a
    /// record deleted whole, a blob swapped for another intact one, a summary or count rewritten with a valid checksum.
    /// Each mismatch is a <see cref="LogFormatException"/> at the record, naming the op, the field, and both values.
    /// </summary>
    private sealed class SelfCheck
    {
        // Distinct blob addresses referenced, as numbers (a capture-all log references one per op).
        private readonly HashSet<UInt128> blobs = [];
        private long lastSeq = -1;
        private LogFormatException? damage;

        /// <summary>Main thread, before the op runs: its seq follows the previous op's, and its stored outputs hold what it says.</summary>
        public void Op(OpRecord op, LogReader reader)
        {
            if (lastSeq >= 0 && op.Seq != lastSeq + 1)
            {
                throw Damaged(op.Position, $"op {op.Seq} ({op.Op}) follows op {lastSeq}: seq is {op.Seq}, expected {lastSeq + 1}; a record is missing");
            }

            lastSeq = op.Seq;
            foreach (var t in op.Outputs)
            {
                // A from_host output is read (and checked) when replay re-creates it.
                if (t.Blob is not null && !OpTable.Get(op.Op).HostData)
                {
                    reader.ReadStored(t, op.Position, out var stats);
                    Stored(op, t, stats);
                }
            }
        }

        /// <summary>A blob was read and matched its record's hash: the record's summary must be that of its values.</summary>
        public void Stored(LogEntry from, TensorRecord t, in SummaryValues stats)
        {
            blobs.Add(UInt128.Parse(t.Blob!, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
            Summary(from, t, stats, "its blob");
            ThrowIfDamaged();
        }

        /// <summary>Any thread: records the first field where <paramref name="t"/>'s stored summary differs from <paramref name="actual"/>.</summary>
        public void Summary(LogEntry from, TensorRecord t, in SummaryValues actual, string where)
        {
            if (t.Stats is not { } s)
            {
                return;
            }

            var (field, stored, real) =
                !Same(s.Min, actual.Min) ? ("min", Num(s.Min), Num(actual.Min))
                : !Same(s.Max, actual.Max) ? ("max", Num(s.Max), Num(actual.Max))
                : !Same(s.Mean, actual.Mean) ? ("mean", Num(s.Mean), Num(actual.Mean))
                : s.NaN != actual.NaN ? ("nan", Num(s.NaN), Num(actual.NaN))
                : s.PosInf != actual.PosInf ? ("pinf", Num(s.PosInf), Num(actual.PosInf))
                : s.NegInf != actual.NegInf ? ("ninf", Num(s.NegInf), Num(actual.NegInf))
                : s.Subnormal != actual.Subnormal ? ("sub", Num(s.Subnormal), Num(actual.Subnormal))
                : s.Zero != actual.Zero ? ("zero", Num(s.Zero), Num(actual.Zero))
                : default;
            if (field is null)
            {
                return;
            }

            string owner = from is OpRecord op ? $"op {op.Seq} ({op.Op})" : $"leaf tensor {t.Id}";
            Interlocked.CompareExchange(ref damage, Damaged(from.Position, $"{owner}: stats.{field} is {stored} in the log but {real} in {where}"), null);
        }

        /// <summary>After the last entry of a log that has an end record: its counts must be those read.</summary>
        public void End(EndRecord? end, long ops, long leaves)
        {
            if (end is null)
            {
                return;
            }

            var (field, stored, real, what) =
                end.Ops != ops ? ("ops", end.Ops, ops, "op records")
                : end.Leaves != leaves ? ("leaves", end.Leaves, leaves, "leaf records")
                : end.Blobs != blobs.Count ? ("blobs", end.Blobs, (long)blobs.Count, "distinct blobs referenced")
                : default;
            if (field is not null)
            {
                throw Damaged(end.Position, $"the end record's {field} is {stored}, but the log holds {real} {what}");
            }
        }

        public void ThrowIfDamaged()
        {
            if (Volatile.Read(ref damage) is { } d)
            {
                throw d;
            }
        }

        private static LogFormatException Damaged(LogPosition at, string what) => new(at, "damaged log: " + what);

        // Bit for bit: the log holds the values in round-trip form, -0 included.
        private static bool Same(double? a, double? b) =>
            a is { } x ? b is { } y && BitConverter.DoubleToInt64Bits(x) == BitConverter.DoubleToInt64Bits(y) : b is null;

        private static string Num(double? v) => v is { } d ? d.ToString("R", CultureInfo.InvariantCulture) : "null";

        private static string Num(long v) => v.ToString(CultureInfo.InvariantCulture);
    }

    private sealed class Context(LogReader reader, Backend backend, DType recorded, DType target, string recordedBackend, SelfCheck? self)
    {
        public Backend Backend => backend;

        public PrecisionPolicy? Policy { get; init; }

        public Recording? Recording { get; init; }

        public DType Recorded => recorded;

        /// <summary>Under a policy: the inputs of <paramref name="op"/> converted to <paramref name="dt"/> (views keep their input; assign converts its source to the target's dtype; a cast converts by itself).</summary>
        public Tensor[] Adapt(OpInfo op, Tensor[] inputs, DType dt)
        {
            if (op.IsView || op == OpTable.Cast)
            {
                return inputs;
            }

            if (op == OpTable.Assign)
            {
                if (inputs.Length == 2 && Converts(inputs[0].DType) && Converts(inputs[1].DType) && inputs[1].DType != inputs[0].DType)
                {
                    inputs[1] = Convert(inputs[1], inputs[0].DType);
                }

                return inputs;
            }

            for (int i = 0; i < inputs.Length; i++)
            {
                if (inputs[i].DType != dt && Converts(inputs[i].DType))
                {
                    inputs[i] = Convert(inputs[i], dt);
                }
            }

            return inputs;
        }

        // The dtypes a policy moves tensors between: the recorded run's, float32 and every dtype the policy names.
        private bool Converts(DType d) =>
            d == recorded || d == DType.Float32 || d == target || (Policy is { } p && p.Rules.Any(r => r.DType == d));

        private Tensor Convert(Tensor t, DType dt)
        {
            var rec = Recording!;
            rec.Hidden = true;
            Tensor c;
            try
            {
                c = t.To(dt);
            }
            finally
            {
                rec.Hidden = false;
            }

            rec.Alias(c, t);
            return c;
        }

        public OpAttributes Rewrite(OpInfo op, OpAttributes attrs) => Rewrite(op, attrs, target);

        public OpAttributes Rewrite(OpInfo op, OpAttributes attrs, DType target)
        {
            bool dtypeChange = recorded != target && op.Output == OutputDType.Attribute;
            bool backendChange = op == OpTable.ToBackend && recordedBackend != backend.Name;
            if (!dtypeChange && !backendChange)
            {
                return attrs;
            }

            var items = attrs.Items.Select(p =>
                dtypeChange && p.Key == "dtype" && p.Value is string s && s == recorded.Name() ? new KeyValuePair<string, object>(p.Key, target.Name())
                : backendChange && p.Key == "backend" && p.Value is string b && b == recordedBackend ? new KeyValuePair<string, object>(p.Key, backend.Name)
                : p);
            return new OpAttributes([.. items]);
        }

        /// <summary>A tensor re-created from its blob (a leaf record's, or a from_host op's output), checked against its record.</summary>
        public Tensor Leaf(TensorRecord t, LogEntry from) => Leaf(t, from, target);

        /// <summary>A leaf re-created at <paramref name="target"/> where it has the recorded run's dtype.</summary>
        public Tensor Leaf(TensorRecord t, LogEntry from, DType target)
        {
            var data = TensorBytes.ToArray(reader.ReadStored(t, from.Position, out var stats), t.DType);
            self?.Stored(from, t, stats);
            if (t.DType != recorded || recorded == target)
            {
                return Tensor.FromHost(data, t.DType, t.Shape, backend);
            }

            if (target == DType.Float64)
            {
                return Tensor.FromArray(ToDoubles(data), t.Shape, backend);
            }

            return Tensor.FromArray(ToFloats(data), t.Shape, target, backend);
        }

        // Widening to float32 is exact for float16 and bfloat16; float64 leaves round once to float32 first.
        private float[] ToFloats(Array data) => data switch
        {
            float[] f => f,
            double[] d => [.. d.Select(v => (float)v)],
            ushort[] u when recorded == DType.Float16 => [.. u.Select(v => (float)BitConverter.UInt16BitsToHalf(v))],
            ushort[] u => [.. u.Select(v => BitConverter.Int32BitsToSingle(v << 16))],
            _ => throw new ArgumentException($"cannot convert {data.GetType().Name} leaves"),
        };

        private double[] ToDoubles(Array data) => [.. ToFloats(data).Select(v => (double)v)];
    }
}
