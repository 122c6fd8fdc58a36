using System.Diagnostics;
using System.Globalization;
using Repro.Engine;
using Repro.Recorder;
using Repro.Samples;

namespace Repro.Bench;

/// <summary>
/// Recording overhead of a workload's training (digits-mlp unless <c>--workload</c> names another) in the default
/// capture mode, as the ratio of a recorded run to the same run without recording, measured in one process: after W
/// warm-ups of each (default 3, so that the per-op code has tiered up, as it has in any training run longer than a
/// few seconds; methods that run once a run keep being compiled for dozens of runs, on the core the writer uses), R rounds each time a plain run and a recorded run back to back (alternating which goes first); the figure is the median of the per-round ratios
/// (also the ratio of the fastest runs of each kind, and, on Linux, the issuing thread's wall time split into time on
/// a processor, runnable without one, and asleep, and the processor time the hypervisor took from this machine during
/// each run, "steal", with the median ratio of the rounds in which it took none; see <see cref="HostSteal"/>). Also
/// log bytes per op and the time of verifying (replaying) the log relative to the plain run.
/// Usage: <c>recorder [--steps N] [--rounds R] [--capture default|all|N..M] [--warmup W] [--workload NAME]
/// [--no-reserve] [--no-stack-sources] [--breakdown | --only plain|recorded]</c> (defaults 100, 5, default, 3).
/// With <c>--no-reserve</c>: the recorder does not take a core for its writer (<see cref="RecorderOptions.ReserveWriterCore"/>).
/// With <c>--no-stack-sources</c>: the recorder locates ops from caller information only (<see cref="RecorderOptions.StackSourceLocations"/>).
/// With <c>--only plain</c> or <c>--only recorded</c>: R runs of that kind alone, for a profiler, each with its garbage
/// collections (count, pause, the part of it spent stopping threads, and the bytes they promoted: outputs a recording
/// holds until its writer gets to them survive a collection and are copied), the JIT's work during the run, and the
/// run's start and end on the monotonic clock (for <c>perf record -k CLOCK_MONOTONIC</c>: samples cut at the runs' edges).
/// With <c>--breakdown</c>: instead, where the per-op cost goes, as the minimum over R passes of each configuration
/// (plain; plain on the engine threads a recording leaves, one fewer while the writer has a core of its own; an
/// observer that does nothing, without and with stack source locations, the latter also on the engine threads a
/// recording leaves, and also holding the last 256 ops' outputs; the recorder without stack source
/// locations; the recorder), in process CPU time, wall time and the issuing thread's processor time, and the
/// difference to plain per op.
/// </summary>
[Bench("recorder", "recording overhead of a workload, digits-mlp by default (recorded/plain, same process), log bytes per op, replay time")]
public static class RecorderBench
{
    public static int Run(string[] args)
    {
        int steps = 100, rounds = 5, warmups = 3;
        string workloadName = "digits-mlp";
        bool breakdown = false;
        bool reserve = true;
        bool stackSources = true;
        string? only = null;
        var capture = CapturePolicy.Default;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--steps" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int s) && s > 0:
                    steps = s;
                    i++;
                    break;
                case "--rounds" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int r) && r > 0:
                    rounds = r;
                    i++;
                    break;
                case "--warmup" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int w) && w >= 0:
                    warmups = w;
                    i++;
                    break;
                case "--workload" when i + 1 < args.Length:
                    workloadName = args[++i];
                    break;
                case "--capture" when i + 1 < args.Length:
                    capture = CapturePolicy.Parse(args[++i]);
                    break;
                case "--breakdown":
                    breakdown = true;
                    break;
                case "--no-reserve":
                    reserve = false;
                    break;
                case "--no-stack-sources":
                    stackSources = false;
                    break;
                case "--only" when i + 1 < args.Length && args[i + 1] is "plain" or "recorded":
                    only = args[++i];
                    break;
                default:
                    Console.Error.WriteLine($"recorder: expected [--steps N] [--rounds R] [--capture policy] [--warmup W] [--workload NAME] [--no-reserve] [--no-stack-sources] [--breakdown | --only plain|recorded], got '{string.Join(' ', args)}'");
                    return 2;
            }
        }

        if (!Workloads.All.Any(w => w.Name == workloadName))
        {
            Console.Error.WriteLine($"recorder: unknown workload '{workloadName}'; known: {string.Join(", ", Workloads.All.Select(w => w.Name))}");
            return 2;
        }

        var workload = Workloads.Get(workloadName);
        var options = new WorkloadOptions(Seed: 0, Steps: steps);
        var folder = Path.Combine(Path.GetTempPath(), "repro-recorder-bench-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        var recorderOptions = new RecorderOptions { Capture = capture, ReserveWriterCore = reserve, StackSourceLocations = stackSources, Force = true, WriterThreadDone = WriterPreemptions.Read };
        if (breakdown)
        {
            return Breakdown(workload, options, folder, recorderOptions, rounds);
        }

        if (only is not null)
        {
            return Only(only == "recorded", workload, options, folder, recorderOptions, rounds);
        }

        var process = Process.GetCurrentProcess();
        double Cpu()
        {
            process.Refresh();
            return process.TotalProcessorTime.TotalSeconds;
        }

        var cpuRatios = new List<double>();
        double lastCpu = 0;
        ThreadTimes.Split? lastSplit = null;
        double? lastSteal = null;
        double Plain()
        {
            double c0 = Cpu();
            var s0 = HostSteal.Now();
            var t0 = ThreadTimes.Now();
            var sw = Stopwatch.StartNew();
            workload.Run(options);
            double seconds = sw.Elapsed.TotalSeconds;
            lastSplit = ThreadTimes.Since(t0, seconds);
            lastSteal = HostSteal.Since(s0);
            lastCpu = Cpu() - c0;
            return seconds;
        }

        var stats = new List<RecordingStatistics>();
        var preempted = new List<long>();
        (double Seconds, long Ops) Recorded()
        {
            RemoveLog(folder);
            double c0 = Cpu();
            var s0 = HostSteal.Now();
            var t0 = ThreadTimes.Now();
            var sw = Stopwatch.StartNew();
            using var rec = Recorder.Recorder.Start(folder, recorderOptions);
            workload.Run(options);
            rec.Dispose();
            double seconds = sw.Elapsed.TotalSeconds;
            lastSplit = ThreadTimes.Since(t0, seconds);
            lastSteal = HostSteal.Since(s0);
            lastCpu = Cpu() - c0;
            stats.Add(rec.Statistics);
            preempted.Add(WriterPreemptions.Last);
            return (seconds, rec.Ops);
        }

        Console.WriteLine($"recorder: {workloadName}, {steps} steps, capture {capture}, {warmups} warm-ups, {rounds} rounds, backend {Settings.DefaultBackend.Name}, {Settings.Threads} threads{WriterCore(reserve)}, {Environment.ProcessorCount} logical CPUs");
        for (int w = 0; w < warmups; w++)
        {
            Plain();
            Recorded();
        }

        stats.Clear();
        preempted.Clear();
        var ratios = new List<double>();
        var plainTimes = new List<double>();
        var recTimes = new List<double>();
        var plainSplits = new List<ThreadTimes.Split>();
        var recSplits = new List<ThreadTimes.Split>();
        var steals = new List<(double Plain, double Recorded)>();
        var calmRatios = new List<double>();
        long ops = 0;
        for (int r = 0; r < rounds; r++)
        {
            double p, q, pc, qc;
            ThreadTimes.Split? ps, qs;
            double? pst, qst;
            if (r % 2 == 0)
            {
                p = Plain();
                (pc, ps, pst) = (lastCpu, lastSplit, lastSteal);
                (q, ops) = Recorded();
                (qc, qs, qst) = (lastCpu, lastSplit, lastSteal);
            }
            else
            {
                (q, ops) = Recorded();
                (qc, qs, qst) = (lastCpu, lastSplit, lastSteal);
                p = Plain();
                (pc, ps, pst) = (lastCpu, lastSplit, lastSteal);
            }

            string split = string.Empty;
            if (ps is { } plainSplit && qs is { } recSplit)
            {
                plainSplits.Add(plainSplit);
                recSplits.Add(recSplit);
                split = $"; issuing thread plain: {plainSplit}, recorded: {recSplit}";
            }

            if (pst is { } plainSteal && qst is { } recSteal)
            {
                steals.Add((plainSteal, recSteal));
                if (plainSteal == 0 && recSteal == 0)
                {
                    calmRatios.Add(q / p);
                }

                split += string.Create(CultureInfo.InvariantCulture, $"; host steal plain {plainSteal * 1000:F0} ms, recorded {recSteal * 1000:F0} ms");
            }

            cpuRatios.Add(qc / pc);

            plainTimes.Add(p);
            recTimes.Add(q);
            ratios.Add(q / p);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  round {r + 1}: plain {p:F3} s, recorded {q:F3} s, ratio {q / p:F3}; CPU {pc:F3} s vs {qc:F3} s, ratio {qc / pc:F3}; {Describe(stats[^1], preempted[^1])}{split}"));
        }

        long recordBytes = new FileInfo(Path.Combine(folder, LogFormat.RecordsFile)).Length;
        long blobBytes = Directory.EnumerateFiles(Path.Combine(folder, LogFormat.BlobsFolder)).Order(StringComparer.Ordinal).Sum(f => new FileInfo(f).Length);
        // Verify: the first replay in the process (its code still cold, as in a fresh `repro verify`), then more.
        var verifyTimes = new List<double>();
        ReplayResult? result = null;
        for (int r = 0; r <= rounds; r++)
        {
            var verify = Stopwatch.StartNew();
            result = Replayer.Verify(folder);
            verifyTimes.Add(verify.Elapsed.TotalSeconds);
        }

        double replaySeconds = verifyTimes[0];
        double warmReplay = Median(verifyTimes[1..]);
        Directory.Delete(folder, recursive: true);

        double plainMedian = Median(plainTimes);
        Console.WriteLine("| measure | value |");
        Console.WriteLine("| --- | ---: |");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| plain run (median) | {plainMedian:F3} s |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| recorded run (median) | {Median(recTimes):F3} s |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| recording overhead (median of per-round ratios) | {Median(ratios):F3}x |"));
        // The fastest runs of each kind: what each costs when nothing else on the machine gets in the way (interference
        // only ever adds time), against the median above, which includes what a shared machine does to each run.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| recording overhead (fastest recorded run / fastest plain run) | {recTimes.Min() / plainTimes.Min():F3}x |"));
        if (steals.Count > 0)
        {
            // Rounds in which the hypervisor took no processor time from either run: the overhead without the host's
            // interference (which lands on one run of a pair and not the other), when there are any.
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| host steal, both processors: plain / recorded (medians per run) | {Median([.. steals.Select(x => x.Plain)]) * 1000:F0} ms / {Median([.. steals.Select(x => x.Recorded)]) * 1000:F0} ms |"));
            Console.WriteLine(calmRatios.Count > 0
                ? string.Create(CultureInfo.InvariantCulture, $"| recording overhead, rounds without host steal (median of {calmRatios.Count} of {rounds}) | {Median(calmRatios):F3}x |")
                : $"| recording overhead, rounds without host steal | none of {rounds} rounds |");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| CPU time recorded/plain (median of per-round ratios) | {Median(cpuRatios):F3}x |"));
        if (plainSplits.Count > 0)
        {
            // The issuing thread's wall time, split by the kernel's accounting: the recorded run's excess as work on
            // the thread, time preempted, and time asleep (waiting for the writer, a collection, the other worker).
            foreach (var (what, pick) in new (string, Func<ThreadTimes.Split, double>)[] { ("on a processor", x => x.OnCpu), ("runnable, without a processor", x => x.Runnable), ("asleep", x => x.Asleep) })
            {
                double plainPart = Median([.. plainSplits.Select(pick)]), recPart = Median([.. recSplits.Select(pick)]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| issuing thread {what}: plain / recorded (medians) | {plainPart * 1000:F0} ms / {recPart * 1000:F0} ms ({(recPart - plainPart) * 1000:+0;-0} ms) |"));
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| issuing thread waiting for a full queue (median per recorded run) | {Median([.. stats.Select(x => x.IssuerWaited.TotalMilliseconds)]):F1} ms in {Median([.. stats.Select(x => (double)x.IssuerWaits)]):F0} waits |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| outputs the issuing thread digested itself, the writer far behind (median per recorded run) | {Median([.. stats.Select(x => (double)x.IssuerDigests)]):F0} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| issuing thread waking the writer (median per recorded run) | {Median([.. stats.Select(x => x.WakeUpTime.TotalMilliseconds)]):F1} ms in {Median([.. stats.Select(x => (double)x.WriterWakeUps)]):F0} wake-ups |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| writer busy / recorded run (median) | {Median([.. stats.Zip(recTimes, (x, t) => x.WriterBusy.TotalSeconds / t)]):F2} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| writer preemptions (median per recorded run) | {Median([.. preempted.Select(x => (double)x)]):F0} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| ops recorded | {ops} |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| log bytes per op (records + blobs) | {(double)(recordBytes + blobBytes) / ops:F1} ({(double)recordBytes / ops:F1} + {(double)blobBytes / ops:F1}) |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| verify (replay + hash check) / plain run, first in the process | {replaySeconds / plainMedian:F2}x ({replaySeconds:F3} s, identical: {result!.Identical}) |"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| verify / plain run, median of the next {rounds} | {warmReplay / plainMedian:F2}x ({warmReplay:F3} s) |"));
        return result.Identical ? 0 : 1;
    }

    private static int Breakdown(IWorkload workload, WorkloadOptions options, string folder, RecorderOptions recorder, int rounds)
    {
        var process = Process.GetCurrentProcess();
        double Cpu()
        {
            process.Refresh();
            return process.TotalProcessorTime.TotalSeconds;
        }

        long ops = 0;
        var configurations = new (string Name, Func<IDisposable?> Start)[]
        {
            ("plain", () => null),
            ("plain on the engine threads a recording leaves", () => RecordingThreads(recorder.ReserveWriterCore) is int n ? Settings.UseThreads(n) : null),
            ("observer that does nothing", () => Dispatcher.Observe(new NullObserver(false))),
            ("observer that does nothing, stack source locations", () => Dispatcher.Observe(new NullObserver(true))),
            ("the same on the engine threads a recording leaves", () => Both(RecordingThreads(recorder.ReserveWriterCore) is int n ? Settings.UseThreads(n) : null, Dispatcher.Observe(new NullObserver(true)))),
            ("the same, holding the last 256 ops' outputs (as the writer's queue does)", () => Both(RecordingThreads(recorder.ReserveWriterCore) is int n ? Settings.UseThreads(n) : null, Dispatcher.Observe(new HoldingObserver()))),
            ("recorder without stack source locations", () => Recorder.Recorder.Start(folder, recorder with { StackSourceLocations = false })),
            ("recorder (default)", () => Recorder.Recorder.Start(folder, recorder)),
        };
        var cpu = new double[configurations.Length];
        var wall = new double[configurations.Length];
        var issuer = new double[configurations.Length];
        Array.Fill(cpu, double.MaxValue);
        Array.Fill(wall, double.MaxValue);
        Array.Fill(issuer, double.MaxValue);
        Console.WriteLine($"recorder breakdown: {workload.Name}, {options.Steps} steps, capture {recorder.Capture}, minimum of {rounds} passes, backend {Settings.DefaultBackend.Name}, {Settings.Threads} threads{WriterCore(recorder.ReserveWriterCore)}, {Environment.ProcessorCount} logical CPUs");
        for (int r = -1; r < rounds; r++)
        {
            for (int k = 0; k < configurations.Length; k++)
            {
                RemoveLog(folder);
                long seq0 = Dispatcher.NextSeq;
                double c0 = Cpu();
                var t0 = ThreadTimes.Now();
                var sw = Stopwatch.StartNew();
                var scope = configurations[k].Start();
                workload.Run(options);
                scope?.Dispose();
                double w = sw.Elapsed.TotalSeconds;
                double onCpu = ThreadTimes.Since(t0, w)?.OnCpu ?? double.NaN;
                double c = Cpu() - c0;
                if (k == 0)
                {
                    ops = Dispatcher.NextSeq - seq0;
                }

                if (r >= 0)
                {
                    cpu[k] = Math.Min(cpu[k], c);
                    wall[k] = Math.Min(wall[k], w);
                    issuer[k] = Math.Min(issuer[k], onCpu);
                }
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{ops} ops per run"));
        // The issuing thread's own processor time (Linux): the work on the thread that runs the program, without the
        // time it was preempted or asleep, so the least disturbed by the machine's other load.
        Console.WriteLine("| configuration | CPU | per op over plain | wall | per op over plain | issuing thread on CPU | per op over plain |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (int k = 0; k < configurations.Length; k++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {configurations[k].Name} | {cpu[k] * 1000:F0} ms | {PerOp(cpu[k] - cpu[0], ops)} µs | {wall[k] * 1000:F0} ms | {PerOp(wall[k] - wall[0], ops)} µs | {(double.IsNaN(issuer[k]) ? "n/a" : $"{issuer[k] * 1000:F0} ms")} | {(double.IsNaN(issuer[k]) ? "n/a" : PerOp(issuer[k] - issuer[0], ops) + " µs")} |"));
        }

        Directory.Delete(folder, recursive: true);
        return 0;
    }

    /// <summary>Only plain or only recorded runs, one after another (for a profiler: every sample is of one kind).</summary>
    private static int Only(bool recorded, IWorkload workload, WorkloadOptions options, string folder, RecorderOptions recorder, int rounds)
    {
        using var gc = new GcListener();
        for (int r = 0; r < rounds; r++)
        {
            long promoted0 = gc.Promoted0, promoted1 = gc.Promoted1;
            var suspending = gc.Suspending;
            int g0 = GC.CollectionCount(0), g1 = GC.CollectionCount(1), g2 = GC.CollectionCount(2);
            var pause = GC.GetTotalPauseDuration();
            long allocated = GC.GetTotalAllocatedBytes();
            var jitTime = System.Runtime.JitInfo.GetCompilationTime();
            long jitted = System.Runtime.JitInfo.GetCompiledMethodCount();
            RemoveLog(folder);
            var steal = HostSteal.Now();
            var times = ThreadTimes.Now();
            long from = Stopwatch.GetTimestamp();
            var rec = recorded ? Recorder.Recorder.Start(folder, recorder) : null;
            using (rec)
            {
                workload.Run(options);
            }

            long to = Stopwatch.GetTimestamp();
            double seconds = Stopwatch.GetElapsedTime(from, to).TotalSeconds;
            string writer = (rec is null ? string.Empty : "; " + Describe(rec.Statistics, WriterPreemptions.Last)) + (ThreadTimes.Since(times, seconds) is { } split ? $"; issuing thread {split}" : string.Empty)
                + (HostSteal.Since(steal) is { } stolen ? string.Create(CultureInfo.InvariantCulture, $"; host steal {stolen * 1000:F0} ms") : string.Empty);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {(recorded ? "recorded" : "plain")} run {r + 1}: {seconds:F3} s; collections {GC.CollectionCount(0) - g0}/{GC.CollectionCount(1) - g1}/{GC.CollectionCount(2) - g2} (gen 0/1/2), paused {(GC.GetTotalPauseDuration() - pause).TotalMilliseconds:F0} ms (suspending threads {(gc.Suspending - suspending).TotalMilliseconds:F1} ms), allocated {(GC.GetTotalAllocatedBytes() - allocated) >> 20} MiB, promoted {(gc.Promoted0 - promoted0) >> 10} KiB from gen 0 and {(gc.Promoted1 - promoted1) >> 10} KiB from gen 1, JIT compiled {System.Runtime.JitInfo.GetCompiledMethodCount() - jitted} methods in {(System.Runtime.JitInfo.GetCompilationTime() - jitTime).TotalMilliseconds:F0} ms{writer}; clock {Monotonic(from):F6}-{Monotonic(to):F6} s"));
        }

        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        return 0;
    }

    /// <summary>
    /// A timestamp in seconds of the clock <see cref="Stopwatch"/> reads (CLOCK_MONOTONIC on Linux, the clock of
    /// <c>perf record -k CLOCK_MONOTONIC</c>), so a profile's samples can be cut at the runs' edges.
    /// </summary>
    private static double Monotonic(long timestamp) => (double)timestamp / Stopwatch.Frequency;

    /// <summary>A recorded run's statistics on one line.</summary>
    private static string Describe(RecordingStatistics s, long preemptions) => string.Create(
        CultureInfo.InvariantCulture,
        $"waited {s.IssuerWaits}x ({s.IssuerWaited.TotalMilliseconds:F1} ms), woke writer {s.WriterWakeUps}x ({s.WakeUpTime.TotalMilliseconds:F1} ms), digested {s.IssuerDigests} outputs itself, writer busy {s.WriterBusy.TotalMilliseconds:F0} ms, slept {s.WriterSleeps}x, preempted {preemptions}x");

    /// <summary>
    /// Deletes the previous round's log before the clock starts: replacing a log deletes its files (tens of MB), which
    /// is not part of recording a run and took milliseconds of each recorded round when it was timed.
    /// </summary>
    private static void RemoveLog(string folder)
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>How many engine threads a recording runs on, when the writer's core reservation changes it.</summary>
    private static string WriterCore(bool reserve) => RecordingThreads(reserve) is int n
        ? string.Create(CultureInfo.InvariantCulture, $" ({n} while recording: a core for the writer)")
        : string.Empty;

    /// <summary>The engine threads a recording runs on when it reserves the writer's core (the recorder's rule); null when it reserves none.</summary>
    private static int? RecordingThreads(bool reserve) =>
        reserve && Settings.ThreadsAreDefault && Environment.ProcessorCount >= 2 ? Math.Min(Settings.Threads, Environment.ProcessorCount) - 1 : null;

    /// <summary>Two scopes as one, closed in reverse order.</summary>
    private static IDisposable Both(IDisposable? outer, IDisposable inner) => new Pair(outer, inner);

    private static string PerOp(double seconds, long ops)
    {
        double us = Math.Round(seconds / ops * 1e6, 2);
        return (us >= 0 ? "+" : "-") + Math.Abs(us).ToString("F2", CultureInfo.InvariantCulture);
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[(s.Count / 2) - 1] + s[s.Count / 2]) / 2;
    }

    private sealed class Pair(IDisposable? outer, IDisposable inner) : IDisposable
    {
        public void Dispose()
        {
            inner.Dispose();
            outer?.Dispose();
        }
    }

    /// <summary>Does nothing with each op but keep references to the outputs of the last 256 (the writer's queue holds that many records).</summary>
    private sealed class HoldingObserver : IOpObserver
    {
        private readonly IReadOnlyList<Tensor>[] held = new IReadOnlyList<Tensor>[256];
        private int next;

        public bool WantsSourceLocations => true;

        public void OnOp(OpEvent e)
        {
            held[next] = e.Outputs;
            next = (next + 1) & 255;
        }
    }

    private sealed class NullObserver(bool sources) : IOpObserver
    {
        public bool WantsSourceLocations => sources;

        public void OnOp(OpEvent e)
        {
        }
    }
}
