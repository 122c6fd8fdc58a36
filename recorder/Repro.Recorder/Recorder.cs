using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Repro.Engine;
using Repro.Engine.Backends;

namespace Repro.Recorder;

/// <summary>Options of a recording.</summary>
public sealed record RecorderOptions
{
    /// <summary>What is stored by value beyond the leaves.</summary>
    public CapturePolicy Capture { get; init; } = CapturePolicy.Default;

    /// <summary>The run's floating-point dtype, written in the header (replay at another dtype rewrites this one).</summary>
    public DType DType { get; init; } = DType.Float32;

    /// <summary>The run's backend (default: <see cref="Settings.DefaultBackend"/>).</summary>
    public Backend? Backend { get; init; }

    /// <summary>The seed written in the header (default: the default generator's).</summary>
    public ulong? Seed { get; init; }

    /// <summary>The command line written in the header (default: this process's).</summary>
    public string? CommandLine { get; init; }

    /// <summary>The header's environment fingerprint (default: captured from this process); tools that rewrite logs and tests set it.</summary>
    public EnvironmentFingerprint? Fingerprint { get; init; }

    /// <summary>Whether to resolve source locations from the stack for operator calls (slow; API calls carry theirs cheaply).</summary>
    public bool StackSourceLocations { get; init; } = true;

    /// <summary>
    /// While the engine runs on its default thread count (one per core; see <see cref="Settings.ThreadsAreDefault"/>),
    /// run it on one fewer while recording, so that the log writer's thread (which hashes and summarizes every output)
    /// has a core of its own instead of taking turns with the engine's workers. Results never depend on the thread
    /// count (the determinism contract), so this changes only speed; the log's header names the thread count the run
    /// used. A thread count chosen on purpose (REPRO_THREADS, <see cref="Settings.UseThreads"/>, <c>--threads</c>) is
    /// always kept.
    /// </summary>
    public bool ReserveWriterCore { get; init; } = true;

    /// <summary>Restart the dispatcher's sequence numbers at 0 so the log's ops count from 0 (when nothing else observes).</summary>
    public bool ResetSequence { get; init; } = true;

    /// <summary>
    /// Replace an existing log at the path (<c>--force</c>). Without it, a path that holds a log is refused before
    /// anything runs. Either way only a folder that holds nothing but a log (records.jsonl and blobs/) is ever
    /// replaced, and only once the new log is complete.
    /// </summary>
    public bool Force { get; init; }

    /// <summary>
    /// Close the log when the process gets SIGINT (Ctrl-C) or SIGTERM, with an end record whose status is
    /// <see cref="EndStatus.Interrupted"/>, before the process stops as it would have (default on). An unhandled
    /// exception always closes the log with status <see cref="EndStatus.Exception"/>.
    /// </summary>
    public bool CloseOnSignal { get; init; } = true;

    /// <summary>Called once the log was closed because of a signal or an unhandled exception (after it is in place).</summary>
    public Action<Recording, RunError>? Stopped { get; init; }

    /// <summary>
    /// Called on the log writer's thread once it has written its last record, just before the thread ends: for
    /// measurements only that thread can take (the recorder bench reads how often the kernel preempted it). It must not
    /// throw: an exception there would end the process.
    /// </summary>
    public Action? WriterThreadDone { get; init; }
}

/// <summary>
/// How a recording's two threads got along: the thread that issues ops (it queues each op's outputs) and the log
/// writer (it hashes, summarizes and writes them). A recording costs the issuing thread time in four ways: queueing
/// each op (a fraction of a microsecond), digesting outputs itself while the writer is far behind
/// (<see cref="IssuerDigests"/>, about a microsecond each), waiting when the writer is a full queue behind
/// (<see cref="IssuerWaits"/>), and waking the writer when it slept (<see cref="WriterWakeUps"/>). <see cref="WriterBusy"/> against the run's
/// length says how much of a core the writer needs. (How often the writer lost its core to another thread, the usual
/// reason for a wait, only the writer's thread can read: see <see cref="RecorderOptions.WriterThreadDone"/>.)
/// </summary>
/// <param name="Ops">Ops recorded.</param>
/// <param name="IssuerWaits">Times the issuing thread waited for the writer because its queue was full (in records or in bytes).</param>
/// <param name="IssuerWaited">Time the issuing thread spent in those waits.</param>
/// <param name="WriterWakeUps">Times the issuing thread woke the writer from sleep (a system call).</param>
/// <param name="WakeUpTime">Time the issuing thread spent in those calls.</param>
/// <param name="WriterSleeps">Times the writer went to sleep with nothing to write.</param>
/// <param name="WriterBusy">Wall time the writer spent writing records (including any time it lost its core meanwhile).</param>
/// <param name="IssuerDigests">
/// Outputs the issuing thread hashed and summarized itself because the writer was far behind (instead of queueing them
/// and, once the queue was full, waiting).
/// </param>
public sealed record RecordingStatistics(
    long Ops,
    long IssuerWaits,
    TimeSpan IssuerWaited,
    long WriterWakeUps,
    TimeSpan WakeUpTime,
    long WriterSleeps,
    TimeSpan WriterBusy,
    long IssuerDigests);

/// <summary>Starts recordings. <c>using var rec = Recorder.Start("run.repro");</c> records every op until disposed.</summary>
public static class Recorder
{
    /// <summary>
    /// Starts recording every op of this process into the log folder <paramref name="path"/>. The log is written into
    /// a sibling folder (<c>path.partial-PID</c>) and moved to <paramref name="path"/> when the recording is closed, so
    /// a run that crashes never destroys an earlier log: its readable prefix stays in the partial folder.
    /// </summary>
    /// <exception cref="IOException">
    /// The path is a file, a folder that is not empty and holds no Repro log (or holds other files besides one), or a
    /// log and <see cref="RecorderOptions.Force"/> is not set.
    /// </exception>
    public static Recording Start(string path, RecorderOptions? options = null) => new(path, options ?? new RecorderOptions(), null);
}

/// <summary>
/// An active recording: an <see cref="IOpObserver"/> attached to the dispatcher. The engine holds no reference to it
/// beyond the observer list. Ops issued from several threads are serialized by the dispatcher (one lock, one sequence
/// number each), so the log has a defined order and records are never interleaved; that order is the scheduler's, so
/// each op also names its logical thread (<see cref="ThreadIds"/>), by which a differ compares runs thread by thread.
/// </summary>
public sealed class Recording : IOpObserver, IDisposable
{
    /// <summary>
    /// How long the writer spins for the next record before it sleeps, when the engine runs on fewer threads than
    /// there are cores (as with the writer's core reserved): the writer keeps up op by op instead of waking for
    /// batches, so fewer outputs wait in its queue across garbage collections. Long enough to outlast most pauses
    /// between ops (a gen-0 collection, a small host-side step): waking a sleeping writer cost the issuing thread
    /// 0.1-0.3 ms a time on a 2-core virtual machine, 20-30 times a digits-mlp run with a 200 µs spin.
    /// </summary>
    private static readonly TimeSpan WriterSpin = TimeSpan.FromMilliseconds(1);

    private readonly LogWriter writer;
    private readonly IDisposable attachment;
    // Tensor ids in the log count from 0 in order of first appearance, so a log does not depend on what else the
    // process did before the recording (the engine's ids are process-wide).
    private readonly LogIds logIds = new();
    private readonly RecorderOptions options;
    private readonly IDisposable? threads;
    private readonly string? partial;
    private readonly List<IDisposable> stopHooks = [];
    private readonly ThreadIds threadIds = new();
    private long expectedSeq = -1;
    private long lastSeq = -1;
    private string? expectedThread;
    private long lastEngineSeq = -1;
    private long skipped;
    private List<(long From, long Skipped)>? gaps;
    private bool expectLeaf;
    private bool disposed;
    private int closing;

    /// <summary>
    /// A recording into the log folder <paramref name="path"/>; with null, no log is written and only each op's output
    /// hash is computed for <paramref name="opWritten"/> (verify), with its health summary when <paramref name="summarize"/>.
    /// </summary>
    internal Recording(string? path, RecorderOptions options, OpWrittenHandler? opWritten, bool summarize = false)
    {
        this.options = options;
        Path = path is null ? string.Empty : System.IO.Path.GetFullPath(path);
        if (path is not null)
        {
            partial = LogFolder.PreparePartial(Path, options.Force);
        }

        // Before the header, which names the thread count the run uses.
        threads = options.ReserveWriterCore ? ReserveWriterCore() : null;
        LogWriter? created = null;
        try
        {
            created = new LogWriter(partial)
            {
                OpWritten = opWritten,
                Summarize = summarize,
                SpinBeforeSleep = Settings.Threads < Environment.ProcessorCount ? WriterSpin : TimeSpan.Zero,
                WriterThreadDone = options.WriterThreadDone,
            };
            if (path is not null)
            {
                var backend = options.Backend ?? Settings.DefaultBackend;
                var header = new LogHeader(
                    LogFormat.Version,
                    LogFormat.ReproVersion,
                    options.Capture.Text,
                    options.Fingerprint ?? Fingerprint.Capture(backend, options.DType, options.Seed, commandLine: options.CommandLine));
                created.WriteHeader(header);
            }
        }
        catch
        {
            // A recording that never started gives its thread count back, stops its writer thread and leaves nothing.
            created?.Close(writeEnd: false);
            threads?.Dispose();
            LogFolder.DeletePartial(partial);
            throw;
        }

        writer = created;

        if (options.ResetSequence && !Dispatcher.IsObserved)
        {
            Dispatcher.ResetSequence();
        }

        attachment = Dispatcher.Observe(this);
        if (path is not null)
        {
            WatchForStops();
        }
    }

    /// <summary>The log folder (where the log is once the recording is closed).</summary>
    public string Path { get; }

    /// <summary>The folder the log is written into while the recording runs (a sibling of <see cref="Path"/>); empty when no log is written.</summary>
    public string PartialPath => partial ?? string.Empty;

    /// <summary>Ops seen so far.</summary>
    public long Ops { get; private set; }

    /// <summary>How the issuing thread and the log writer got along so far (complete once the recording is disposed).</summary>
    public RecordingStatistics Statistics => writer.Statistics(Ops);

    /// <inheritdoc/>
    public bool WantsSourceLocations => options.StackSourceLocations;

    /// <summary>Number of ops observed while recording but not yet counted (for replay's bookkeeping).</summary>
    internal int Observed { get; private set; }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void OnOp(OpEvent e)
    {
        if (disposed || Hidden)
        {
            return;
        }

        Observed++;
        if (expectLeaf)
        {
            // Replay re-creating a tensor that came from outside the original recording: a leaf, not an op.
            expectLeaf = false;
            var t = e.Outputs[0];
            writer.WriteLeaf(LogId(t), t, t.Backend.Name);
            return;
        }

        // The dispatcher's lists are arrays: indexed as such, not through the interface, on this per-op path.
        var inputs = e.Inputs as Tensor[] ?? [.. e.Inputs];
        Span<long> ids = inputs.Length <= 8 ? stackalloc long[8] : new long[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            var t = inputs[i];
            if (!logIds.TryGetValue(t.Id, out ids[i]))
            {
                ids[i] = LogId(t);
                writer.WriteLeaf(ids[i], t, t.Backend.Name);
            }
        }

        long seq = expectedSeq >= 0 ? expectedSeq : LogSeq(e.Seq);
        long of = expectedSeq >= 0 || gaps is null ? e.BackwardOf : LogSeqOf(e.BackwardOf);
        string? thread = expectedSeq >= 0 ? expectedThread : threadIds.Of(e);
        expectedSeq = -1;
        lastSeq = seq;
        bool byValue = e.Info.HostData || options.Capture.Includes(seq);
        var outputs = e.Outputs as Tensor[] ?? [.. e.Outputs];
        int slot = writer.BeginOp(seq, e.Op, e.Attributes, e.Phase, of, e.IsView, ids[..inputs.Length], e.Backend, e.Source, thread, e.Module);

        for (int i = 0; i < outputs.Length; i++)
        {
            var t = outputs[i];
            writer.AddTensor(slot, LogId(t), t, byValue);
        }

        Ops++;
        writer.Publish(slot);
    }

    /// <inheritdoc/>
    public void BeforeWrite(Tensor target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (!disposed)
        {
            writer.BeforeWrite(target.Storage);
        }
    }

    /// <summary>Stops recording, writes the end record (status complete) and moves the log into place.</summary>
    /// <exception cref="IOException">Writing the log failed (the incomplete log stays at <see cref="PartialPath"/>), or the path was taken meanwhile.</exception>
    public void Dispose() => _ = Close(EndStatus.Complete, null);

    /// <summary>
    /// Stops recording because the program failed: the end record's status is <see cref="EndStatus.Exception"/> and
    /// it names <paramref name="exception"/> (type, message, the engine API that threw, the user's line) and the last
    /// op recorded. For programs that catch an exception around their work and still want the log to say so; an
    /// unhandled exception does this by itself. Does not throw when writing the log failed (the exception being
    /// handled matters more; the incomplete log stays at <see cref="PartialPath"/>).
    /// </summary>
    public void Fail(Exception exception)
    {
        try
        {
            _ = Close(EndStatus.Exception, Describe(exception));
        }
        catch (IOException)
        {
            // Already reported by the exception the caller is handling; the partial folder keeps what was written.
            return;
        }
    }

    /// <summary>The error an end record keeps for <paramref name="exception"/>.</summary>
    internal RunError Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var inner = exception is System.Reflection.TargetInvocationException { InnerException: { } ie } ? ie : exception;
        var (api, source) = Dispatcher.LocateException(inner);
        var message = inner.Message.Length <= RunError.MaxMessageLength ? inner.Message : inner.Message[..RunError.MaxMessageLength];
        return new RunError(inner.GetType().FullName ?? inner.GetType().Name, message, api, source, Volatile.Read(ref lastSeq));
    }

    /// <summary>Closes the log once; returns the error written in its end record (null for another caller, or none).</summary>
    private RunError? Close(string status, RunError? error)
    {
        // Once: a signal or an unhandled exception on another thread may close the log while the program's own
        // using block gets there too.
        if (Interlocked.Exchange(ref closing, 1) != 0)
        {
            return null;
        }

        foreach (var h in stopHooks)
        {
            h.Dispose();
        }

        // Detaching waits for an op in flight on another thread (the dispatcher's lock), after which none arrives;
        // only then is the last op known (a signal's handler runs while the program goes on).
        attachment.Dispose();
        disposed = true;
        error = error is null ? null : error with { LastSeq = Volatile.Read(ref lastSeq) };
        var failure = writer.Close(writeEnd: true, status, error);
        threads?.Dispose();
        if (failure is not null)
        {
            throw new IOException($"recording to {Path} failed: {failure.Message}; the incomplete log is at {partial}", failure);
        }

        if (partial is not null)
        {
            LogFolder.MoveIntoPlace(partial, Path, options.Force);
        }

        return error;
    }

    /// <summary>Closes the log on an unhandled exception, and on SIGINT and SIGTERM where <see cref="RecorderOptions.CloseOnSignal"/>.</summary>
    private void WatchForStops()
    {
        UnhandledExceptionEventHandler onUnhandled = (_, args) =>
        {
            if (args.ExceptionObject is Exception ex)
            {
                Stop(EndStatus.Exception, Describe(ex));
            }
        };
        AppDomain.CurrentDomain.UnhandledException += onUnhandled;
        stopHooks.Add(new Unsubscribe(() => AppDomain.CurrentDomain.UnhandledException -= onUnhandled));
        if (!options.CloseOnSignal)
        {
            return;
        }

        foreach (var (signal, name, meaning) in new[] { (PosixSignal.SIGINT, "SIGINT", "interrupted (Ctrl-C)"), (PosixSignal.SIGTERM, "SIGTERM", "terminated") })
        {
            try
            {
                // The handler does not cancel the signal: the process stops as it would have, with its log closed.
                stopHooks.Add(PosixSignalRegistration.Create(signal, _ => Stop(EndStatus.Interrupted, new RunError(name, meaning, null, SourceLocation.Unknown, Volatile.Read(ref lastSeq)))));
            }
            catch (PlatformNotSupportedException)
            {
                // Not every platform delivers every signal: the log then closes as before (or stays partial).
            }
        }
    }

    private void Stop(string status, RunError error)
    {
        RunError? written;
        try
        {
            written = Close(status, error);
        }
        catch (IOException)
        {
            // The process is going away: what could be written is in the partial folder.
            return;
        }

        if (written is not null)
        {
            options.Stopped?.Invoke(this, written);
        }
    }

    /// <summary>Tests: how long the writer spins for the next record before it sleeps.</summary>
    internal TimeSpan WriterSpinsBeforeSleep => writer.SpinBeforeSleep;

    /// <summary>Tests: holds the writer thread (nothing is hashed or written) until the handle is disposed.</summary>
    internal IDisposable HoldWriter() => writer.Hold();

    /// <summary>The next op observed gets sequence number <paramref name="seq"/> and logical thread <paramref name="thread"/> (replay keeps the original numbering and threads).</summary>
    internal void ExpectSeq(long seq, string thread = LogFormat.MainThread)
    {
        expectedSeq = seq;
        expectedThread = thread == LogFormat.MainThread ? null : thread;
    }

    /// <summary>The next op observed is written as a leaf record.</summary>
    internal void ExpectLeaf() => expectLeaf = true;

    /// <summary>While true, ops are not observed (replay's own dtype conversions under a precision policy).</summary>
    internal bool Hidden { get; set; }

    /// <summary>Gives <paramref name="alias"/> the log id of <paramref name="of"/> (a conversion of it made while <see cref="Hidden"/>).</summary>
    internal void Alias(Tensor alias, Tensor of)
    {
        if (!logIds.TryGetValue(alias.Id, out _))
        {
            logIds.Add(alias.Id, LogId(of), alias: true);
        }
    }

    /// <summary>Writes an op that the engine did not emit (replay of an op that became a no-op on this configuration).</summary>
    internal void WriteSynthetic(OpRecord original, IReadOnlyList<Tensor> inputs, Tensor output)
    {
        Ops++;
        expectedSeq = -1;
        var ids = new long[inputs.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            ids[i] = LogId(inputs[i]);
        }

        int slot = writer.BeginOp(
            original.Seq,
            original.Op,
            original.Attributes,
            original.Phase,
            original.BackwardOf,
            original.IsView,
            ids,
            output.Backend.Name,
            original.Source,
            original.Thread == LogFormat.MainThread ? null : original.Thread,
            original.Module);
        writer.AddTensor(slot, LogId(output), output, options.Capture.Includes(original.Seq));
        writer.Publish(slot);
    }

    /// <summary>
    /// The log's number for the dispatcher's op <paramref name="engineSeq"/>. The dispatcher numbers ops one after the
    /// other, but an op issued on another thread just as this recording attached can take a number without being
    /// observed; the log numbers on past such a gap, so that each op's seq is the previous op's plus one, which verify
    /// checks to find a record missing from a log.
    /// </summary>
    private long LogSeq(long engineSeq)
    {
        if (lastEngineSeq >= 0 && engineSeq > lastEngineSeq + 1)
        {
            skipped += engineSeq - lastEngineSeq - 1;
            (gaps ??= []).Add((engineSeq, skipped));
        }

        lastEngineSeq = engineSeq;
        return engineSeq - skipped;
    }

    /// <summary>The log's number for an earlier op of the dispatcher's (the forward op of a backward op), past the gaps before it.</summary>
    private long LogSeqOf(long engineSeq)
    {
        for (int i = gaps!.Count - 1; i >= 0; i--)
        {
            if (engineSeq >= gaps[i].From)
            {
                return engineSeq - gaps[i].Skipped;
            }
        }

        return engineSeq;
    }

    private long LogId(Tensor t)
    {
        if (!logIds.TryGetValue(t.Id, out long id))
        {
            id = logIds.Count;
            logIds.Add(t.Id, id);
        }

        return id;
    }

    /// <summary>One engine thread fewer than the cores while the thread count is the default (none on a single core).</summary>
    private static IDisposable? ReserveWriterCore()
    {
        int cores = Environment.ProcessorCount;
        return cores >= 2 && Settings.ThreadsAreDefault ? Settings.UseThreads(Math.Min(Settings.Threads, cores) - 1) : null;
    }
}

/// <summary>Runs an action when disposed (an event handler's removal).</summary>
internal sealed class Unsubscribe(Action action) : IDisposable
{
    private Action? action = action;

    public void Dispose() => Interlocked.Exchange(ref action, null)?.Invoke();
}

/// <summary>
/// Log ids by engine tensor id. The engine's ids increase, so the ids of tensors made during the recording are kept
/// in pages of a dense table (4096 ids a page, below the large-object size: a long recording does not churn the
/// large-object heap, which a growing dictionary did, with a full collection each time); the few older ones in a
/// dictionary.
/// </summary>
internal sealed class LogIds
{
    private const int PageBits = 12;
    private const int PageSize = 1 << PageBits;

    private readonly Dictionary<long, long> older = [];
    private long[]?[] pages = new long[]?[16];
    private long first = -1;

    /// <summary>Ids assigned so far.</summary>
    public long Count { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryGetValue(long tensorId, out long logId)
    {
        if (first >= 0 && tensorId >= first)
        {
            long at = tensorId - first;
            long page = at >> PageBits;
            var all = pages;
            if ((ulong)page < (ulong)all.Length && all[page] is { } p && p[at & (PageSize - 1)] is var v && v != 0)
            {
                logId = v - 1;
                return true;
            }
        }

        return older.TryGetValue(tensorId, out logId);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(long tensorId, long logId, bool alias = false)
    {
        if (!alias)
        {
            // An alias shares an id already counted.
            Count++;
        }

        if (first < 0)
        {
            first = tensorId;
        }

        long at = tensorId - first;
        if (at < 0 || at >> PageBits > int.MaxValue / 2)
        {
            older[tensorId] = logId;
            return;
        }

        int page = (int)(at >> PageBits);
        if (page >= pages.Length)
        {
            Array.Resize(ref pages, Math.Max(page + 1, pages.Length * 2));
        }

        var p = pages[page] ??= new long[PageSize];

        // Stored plus one: 0 marks an id not seen.
        p[at & (PageSize - 1)] = logId + 1;
    }
}
