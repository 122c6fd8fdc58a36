using System.Collections;
using System.Globalization;
using System.Text;
using Repro.Engine;
using Repro.Engine.Backends;
using Repro.Recorder;

namespace Repro.Golden;

/// <summary>
/// The golden log: a recording of the golden program (<see cref="Conformance"/>, then <see cref="TrainingSteps"/>)
/// committed at tests/golden/conformance.repro. Verifying it replays every op and checks every output hash, so a
/// machine whose kernels give other bits fails; re-recording the program and comparing op for op catches a kernel
/// or a program that changed its bits since the log was written.
/// </summary>
public static class GoldenLog
{
    /// <summary>The committed log, relative to the repository root.</summary>
    public const string RelativePath = "tests/golden/conformance.repro";

    /// <summary>
    /// Engine threads the program records with; the header keeps the count and verify replays on it. Three, so
    /// reductions split their chunks unevenly between threads.
    /// </summary>
    public const int Threads = 3;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Runs the golden program on the managed backend while recording it to <paramref name="path"/> (which must not hold anything but a log).</summary>
    public static void Record(string path)
    {
        using (Settings.UseBackend(ManagedBackend.Instance))
        using (Settings.UseThreads(Threads))
        using (Recorder.Recorder.Start(path, new RecorderOptions { Backend = ManagedBackend.Instance, Seed = 0, CommandLine = "repro-golden" }))
        {
            Conformance.Run();
            TrainingSteps.Run();
        }
    }

    /// <summary>
    /// Compares two logs of the golden program record for record: op names, attributes, phases, inputs, output
    /// shapes, dtypes, hashes, blobs and health summaries, leaves and the end record; from the header the format
    /// version, capture, backend, dtype and seed. Not compared: the rest of the environment (machine, runtime, thread
    /// count, command line) and source locations (lines move when the program is edited).
    /// </summary>
    /// <returns>Null when the logs agree; otherwise a description of the first difference.</returns>
    public static string? FirstDifference(string expected, string actual)
    {
        using var a = LogReader.Open(expected);
        using var b = LogReader.Open(actual);
        string ha = Header(a.Header), hb = Header(b.Header);
        if (ha != hb)
        {
            return $"the headers differ:\n  golden: {ha}\n  now:    {hb}";
        }

        using var ea = a.Entries().GetEnumerator();
        using var eb = b.Entries().GetEnumerator();
        while (true)
        {
            bool moreA = ea.MoveNext(), moreB = eb.MoveNext();
            if (!moreA && !moreB)
            {
                break;
            }

            if (!moreA || !moreB)
            {
                var extra = moreA ? ea.Current : eb.Current;
                return $"{(moreA ? "the golden log goes on" : "the program now goes on")} with {Name(extra)}: {Describe(extra)}";
            }

            string da = Describe(ea.Current), db = Describe(eb.Current);
            if (da != db)
            {
                return $"{Name(ea.Current)} differs:\n  golden: {da}\n  now:    {db}";
            }
        }

        return a.Truncation is { } ta ? "the golden log is truncated: " + ta.Message
            : b.Truncation is { } tb ? "the new log is truncated: " + tb.Message
            : null;
    }

    /// <summary>
    /// Replays <paramref name="path"/> on <paramref name="backend"/> and compares every op's output hashes with the
    /// log's (a replay on another backend does not check hashes itself, its log keeps them for a diff).
    /// </summary>
    /// <returns>The number of ops compared and the first op whose outputs differ (null when none).</returns>
    public static (long Ops, string? FirstDifference) VerifyOn(string path, string backend)
    {
        var replayed = Path.Combine(Path.GetTempPath(), "repro-golden-" + Guid.NewGuid().ToString("N"));
        try
        {
            using (Settings.UseThreads(Threads))
            {
                Replayer.Replay(path, new ReplayOptions { Backend = backend, OutPath = replayed });
            }

            using var a = LogReader.Open(path);
            using var b = LogReader.Open(replayed);
            long ops = 0;
            foreach (var (x, y) in a.Ops().Zip(b.Ops()))
            {
                ops++;
                string hx = Hashes(x), hy = Hashes(y);
                if (x.Seq != y.Seq || hx != hy)
                {
                    return (ops, $"op {x.Seq} ({x.Op}) at {x.Source}: outputs {hx} in the log, {hy} on {backend}");
                }
            }

            return (ops, null);
        }
        finally
        {
            if (Directory.Exists(replayed))
            {
                Directory.Delete(replayed, recursive: true);
            }
        }
    }

    private static string Hashes(OpRecord op) => string.Join(", ", op.Outputs.Select(t => $"{t.DType.Name()}{Shape(t.Shape)} {t.Hash}"));

    private static string Header(LogHeader h) =>
        $"version {h.Version}, capture {h.Capture}, backend {h.Environment.Backend}, dtype {h.Environment.DType}, seed {h.Environment.Seed.ToString(Inv)}";

    /// <summary>Which record: an op by its sequence number and where the program issues it.</summary>
    private static string Name(LogEntry e) => e switch
    {
        OpRecord op => string.Create(Inv, $"op {op.Seq} ({op.Op} at {op.Source})"),
        EndRecord => "the end record",
        _ => string.Create(Inv, $"the record at line {e.Position.Line}"),
    };

    /// <summary>Everything compared about a record, as one line.</summary>
    private static string Describe(LogEntry e) => e switch
    {
        OpRecord op => string.Create(
            Inv,
            $"op {op.Seq} {op.Op} {op.Phase}{(op.Phase == OpPhase.Backward ? $" of {op.BackwardOf}" : string.Empty)}{(op.IsView ? " view" : string.Empty)} attrs {{{Attributes(op.Attributes)}}} in [{string.Join(", ", op.Inputs)}] out [{string.Join("; ", op.Outputs.Select(TensorText))}] on {op.Backend}"),
        LeafRecord leaf => $"leaf {TensorText(leaf.Tensor)} on {leaf.Backend}",
        EndRecord end => string.Create(Inv, $"end: {end.Ops} ops, {end.Leaves} leaves, {end.Blobs} blobs, {end.Status}"),
        _ => e.GetType().Name,
    };

    private static string TensorText(TensorRecord t)
    {
        var s = new StringBuilder();
        s.Append(Inv, $"#{t.Id} {t.DType.Name()}{Shape(t.Shape)} {t.Hash}");
        if (t.Blob is not null)
        {
            s.Append(" blob ").Append(t.Blob);
        }

        if (t.Stats is { } h)
        {
            s.Append(Inv, $" stats min {Value(h.Min)} max {Value(h.Max)} mean {Value(h.Mean)} nan {h.NaN} +inf {h.PosInf} -inf {h.NegInf} sub {h.Subnormal} zero {h.Zero}");
        }

        return s.ToString();
    }

    private static string Shape(int[] shape) => "[" + string.Join(", ", shape) + "]";

    private static string Attributes(OpAttributes a) => string.Join(", ", a.Items.Select(kv => kv.Key + ": " + Value(kv.Value)));

    private static string Value(object? v) => v switch
    {
        null => "null",
        string s => "\"" + s + "\"",
        bool b => b ? "true" : "false",
        double d => d.ToString("R", Inv),
        IFormattable f => f.ToString(null, Inv),
        IEnumerable e => "[" + string.Join(", ", e.Cast<object?>().Select(Value)) + "]",
        _ => v.ToString() ?? string.Empty,
    };
}
