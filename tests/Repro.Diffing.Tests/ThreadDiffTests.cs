using System.Text.Json.Nodes;
using Repro.Diffing;
using Repro.Diffing.Reports;
using Repro.Engine;
using Repro.Engine.Backends;
using Repro.Recorder;

namespace Repro.Diffing.Tests;

/// <summary>
/// Programs whose ops come from several threads: the scheduler interleaves them differently from run to run, and the
/// differ must compare them thread by thread. Each test forces its interleavings with a schedule of turns, so that
/// the runs really do interleave differently (checked), whatever the machine.
/// </summary>
[Collection("recording")]
public class ThreadDiffTests
{
    private const int Workers = 4;
    private const int Steps = 6;

    // Each worker takes Steps turns; run A goes round-robin, run B starts the workers in reverse and then shuffles.
    private static readonly int[] RoundRobin = [.. Enumerable.Range(0, Steps * Workers).Select(i => i % Workers)];
    private static readonly int[] Shuffled = [3, 2, 1, 0, .. Shuffle(RoundRobin[Workers..], seed: 7)];

    [Fact]
    public void Four_named_threads_interleaved_differently_diff_identical()
    {
        var a = Runs.Record("thr-a", ManagedBackend.Instance, program: () => Program(RoundRobin, Named));
        var b = Runs.Record("thr-b", ManagedBackend.Instance, program: () => Program(Shuffled, Named));
        Assert.NotEqual(ThreadOrder(a), ThreadOrder(b));

        foreach (var mode in new[] { DiffMode.Bitwise, DiffMode.Numeric })
        {
            var result = Differ.Run(a, b, new DiffOptions { Mode = mode });
            Assert.Equal(Verdict.Identical, result.Verdict);
            Assert.Null(result.Structural);
            Assert.Null(result.FirstDivergence);
            Assert.Equal(0, result.ExitCode);
            Assert.Equal(Ops(a), result.OpsCompared);
            Assert.Equal(new[] { "main", "worker-0", "worker-1", "worker-2", "worker-3" }, result.Threads.Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public void A_difference_in_one_named_thread_is_found_and_the_reports_name_that_thread()
    {
        var a = Runs.Record("thr-pa", ManagedBackend.Instance, program: () => Program(RoundRobin, Named));
        var b = Runs.Record("thr-pb", ManagedBackend.Instance, program: () => Program(Shuffled, Named, planted: 2));
        var result = Differ.Run(a, b);
        Assert.Equal(Verdict.Diverged, result.Verdict);
        Assert.Null(result.Structural);
        var first = result.FirstDivergence!;
        Assert.Equal("worker-2", first.Thread);
        Assert.Null(first.ThreadB);
        Assert.Equal(Cause.Origin, first.Cause);

        // Only thread 2's ops differ; the other threads' identical ops are not blamed.
        Assert.All(result.DivergedOps, c => Assert.Equal("worker-2", c.Thread));
        Assert.All(result.Context, c => Assert.Equal("worker-2", c.Thread));

        Assert.Contains("in thread 'worker-2'", TerminalReport.Render(result), StringComparison.Ordinal);
        Assert.Contains("in thread 'worker-2'", MarkdownReport.Render(result), StringComparison.Ordinal);
        Assert.Contains("in thread &#39;worker-2&#39;", HtmlReport.Render(result), StringComparison.Ordinal);
        Assert.Contains("in thread 'worker-2'", JUnitReport.Render(result), StringComparison.Ordinal);
        var json = JsonNode.Parse(JsonReport.Render(result))!;
        Assert.Equal("worker-2", (string?)json["firstDivergence"]!["thread"]);
        Assert.Equal(5, json["threads"]!.AsArray().Count);
    }

    [Fact]
    public void Single_thread_reports_do_not_mention_threads()
    {
        var a = Runs.Record("st-a", ManagedBackend.Instance);
        var b = Runs.Record("st-b", PlantedBackend.Get("exp-ulp"));
        var result = Differ.Run(a, b);
        Assert.False(result.MultiThreaded);
        Assert.DoesNotContain("thread '", TerminalReport.Render(result), StringComparison.Ordinal);
        Assert.Null(JsonNode.Parse(JsonReport.Render(result))!["firstDivergence"]!["thread"]);
    }

    [Fact]
    public void Unnamed_threads_started_in_another_order_are_paired_by_content()
    {
        var a = Runs.Record("un-a", ManagedBackend.Instance, program: () => Program(RoundRobin, Unnamed));
        var b = Runs.Record("un-b", ManagedBackend.Instance, program: () => Program(Shuffled, Unnamed));

        // The ids come from the call site of each thread's first op, numbered in the order the threads started.
        var idsA = FirstOps(a);
        var idsB = FirstOps(b);
        var site = idsA.Keys.Single(id => !id.Contains('#', StringComparison.Ordinal) && id != "main");
        Assert.Matches(@"^ThreadDiffTests\.cs:\d+ \(Shard\)$", site);
        Assert.Equal(idsA.Keys.Order(StringComparer.Ordinal), idsB.Keys.Order(StringComparer.Ordinal));

        // Shuffled, the shards start in another order: the same id holds another shard in run B.
        Assert.NotEqual(idsA[site], idsB[site]);

        foreach (var mode in new[] { DiffMode.Bitwise, DiffMode.Numeric })
        {
            var result = Differ.Run(a, b, new DiffOptions { Mode = mode });
            Assert.Equal(Verdict.Identical, result.Verdict);
            Assert.Null(result.Structural);
            Assert.Equal(Ops(a), result.OpsCompared);
        }

        // A difference in shard 2: found in the thread that ran shard 2 in A, whatever it is called in B.
        var planted = Runs.Record("un-p", ManagedBackend.Instance, program: () => Program(Shuffled, Unnamed, planted: 2));
        var diverged = Differ.Run(a, planted);
        Assert.Equal(Verdict.Diverged, diverged.Verdict);
        Assert.Null(diverged.Structural);
        var shard2 = site + "#3";
        Assert.Equal(shard2, diverged.FirstDivergence!.Thread);
        Assert.Equal(site + "#2", diverged.FirstDivergence.ThreadB);
        Assert.Equal(Cause.Origin, diverged.FirstDivergence.Cause);
        Assert.All(diverged.DivergedOps, c => Assert.Equal(shard2, c.Thread));
        Assert.Contains($"in thread '{shard2}'", TerminalReport.Render(diverged), StringComparison.Ordinal);
    }

    [Fact]
    public void A_thread_that_only_one_run_has_is_a_structural_difference_naming_it()
    {
        var a = Runs.Record("extra-a", ManagedBackend.Instance, program: () => Program(RoundRobin, Named));
        var b = Runs.Record("extra-b", ManagedBackend.Instance, program: () =>
        {
            Program(Shuffled, Named);
            var extra = new Thread(() => Tensor.Ones([3]).Exp()) { Name = "late" };
            extra.Start();
            extra.Join();
        });
        var result = Differ.Run(a, b);
        Assert.NotNull(result.Structural);
        Assert.Contains("run A has no thread 'late'", result.Structural!.Description, StringComparison.Ordinal);
        Assert.Equal(1, result.ExitCode);
    }

    [Fact]
    public void Truncated_prefixes_of_one_run_compare_their_common_prefix()
    {
        var full = Runs.Record("cut", ManagedBackend.Instance, program: () => Program(RoundRobin, Named));
        int lines = File.ReadAllLines(Path.Combine(full, LogFormat.RecordsFile)).Length;

        // Two kill -9'd recordings of the same run: one stops later than the other, both without an end record;
        // the second also with half a line at its end.
        var longer = Cut(full, "long", lines - 5, partial: false);
        var shorter = Cut(full, "short", lines - 30, partial: true);
        long shortOps = Ops(shorter);
        Assert.True(shortOps < Ops(longer));
        foreach (var mode in new[] { DiffMode.Bitwise, DiffMode.Numeric })
        {
            var result = Differ.Run(longer, shorter, new DiffOptions { Mode = mode });
            Assert.Equal(Verdict.Identical, result.Verdict);
            Assert.Null(result.Structural);
            Assert.Equal(0, result.ExitCode);
            Assert.Equal(shortOps, result.OpsCompared);
            Assert.NotNull(result.Prefix);
            Assert.Equal(Ops(longer) - shortOps, result.Prefix!.NotComparedA);
            Assert.Equal(0, result.Prefix.NotComparedB);
            Assert.StartsWith($"run B is truncated after op {LastSeq(shorter):N0}; the {shortOps:N0} ops both runs have agree", result.Notes[0], StringComparison.Ordinal);
            Assert.StartsWith("repro diff: IDENTICAL on the common prefix", TerminalReport.Render(result), StringComparison.Ordinal);
        }

        // Against the complete log, and the other way round.
        var complete = Differ.Run(full, shorter);
        Assert.Equal(Verdict.Identical, complete.Verdict);
        Assert.Null(complete.Structural);
        var reversed = Differ.Run(shorter, full);
        Assert.Equal(Verdict.Identical, reversed.Verdict);
        Assert.Null(reversed.Structural);
        Assert.StartsWith("run A is truncated after op", reversed.Notes[0], StringComparison.Ordinal);

        // A difference inside the common prefix is still found.
        var planted = Runs.Record("cut-p", ManagedBackend.Instance, program: () => Program(Shuffled, Named, planted: 2));
        var diverged = Differ.Run(Cut(planted, "p", lines - 30, partial: false), longer);
        Assert.Equal(Verdict.Diverged, diverged.Verdict);
        Assert.Equal("worker-2", diverged.FirstDivergence!.Thread);
    }

    [Fact]
    public void A_run_that_ended_with_an_exception_is_compared_as_a_prefix()
    {
        var full = Runs.Record("exc-full", ManagedBackend.Instance, program: () =>
        {
            Program(RoundRobin, Named);
            _ = Tensor.Ones([2]).Exp();
        });

        // Run B failed where run A went on: its log is complete as a file, but its run is a prefix of A's.
        var failed = Path.Combine(Path.GetDirectoryName(full)!, "exc-" + Guid.NewGuid().ToString("N")[..8]);
        var rec = Recorder.Recorder.Start(failed, new RecorderOptions { Backend = ManagedBackend.Instance });
        try
        {
            Program(RoundRobin, Named);
            throw new InvalidOperationException("the loader ran out of data");
        }
        catch (InvalidOperationException ex)
        {
            rec.Fail(ex);
        }

        var result = Differ.Run(full, failed);
        Assert.Equal(Verdict.Identical, result.Verdict);
        Assert.Null(result.Structural);
        Assert.NotNull(result.Prefix);
        Assert.Equal(2, result.Prefix!.NotComparedA);
        Assert.Contains(result.Notes, n => n.Contains("ended early (exception: System.InvalidOperationException: the loader ran out of data", StringComparison.Ordinal));
    }

    [Fact]
    public void A_complete_log_with_fewer_ops_is_still_a_structural_difference()
    {
        var a = Runs.Record("few-a", ManagedBackend.Instance, program: () => Program(RoundRobin, Named));
        var b = Runs.Record("few-b", ManagedBackend.Instance, program: () =>
        {
            Program(RoundRobin, Named);
            _ = Tensor.Ones([2]).Exp();
        });
        var result = Differ.Run(a, b);
        Assert.NotNull(result.Structural);
        Assert.Null(result.Prefix);
        Assert.Equal(1, result.ExitCode);
    }

    private static string Named(int t) => $"worker-{t}";

    private static string? Unnamed(int t) => null;

    /// <summary>
    /// Main makes a shared tensor, then four threads each transform a shard of their own, taking turns in the order
    /// <paramref name="schedule"/> gives. Thread <paramref name="planted"/> scales by another constant.
    /// </summary>
    private static void Program(int[] schedule, Func<int, string?> name, int planted = -1)
    {
        var shared = Tensor.Randn([4, 8], new Generator(1));
        using var turns = new Turns(Workers);
        var threads = Enumerable.Range(0, Workers).Select(t => new Thread(() => Shard(t, turns, shared, t == planted ? 0.75 : 0.5))).ToArray();
        for (int t = 0; t < Workers; t++)
        {
            if (name(t) is { } n)
            {
                threads[t].Name = n;
            }

            threads[t].Start();
        }

        turns.Run(schedule);
        foreach (var th in threads)
        {
            th.Join();
        }
    }

    private static void Shard(int t, Turns turns, Tensor shared, double scale)
    {
        Tensor? x = null;
        for (int step = 0; step < Steps; step++)
        {
            turns.Wait(t);
            x ??= Tensor.Randn([4, 8], new Generator((ulong)(10 + t)));
            x = ((x * scale) + shared).Tanh();
            _ = x.Sum();
            turns.Done();
        }
    }

    private static int[] Shuffle(int[] items, int seed)
    {
        var copy = (int[])items.Clone();
        new Random(seed).Shuffle(copy);
        return copy;
    }

    private static List<string> ThreadOrder(string log)
    {
        using var r = LogReader.Open(log);
        return [.. r.Ops().Select(o => o.Thread)];
    }

    /// <summary>Each thread's first output hash, by thread id.</summary>
    private static Dictionary<string, string> FirstOps(string log)
    {
        using var r = LogReader.Open(log);
        return r.Ops().GroupBy(o => o.Thread).ToDictionary(g => g.Key, g => g.First().Output.Hash);
    }

    private static long Ops(string log)
    {
        using var r = LogReader.Open(log);
        return r.Ops().LongCount();
    }

    private static long LastSeq(string log)
    {
        using var r = LogReader.Open(log);
        return r.Ops().Last().Seq;
    }

    /// <summary>A copy of the log whose records stop after <paramref name="lines"/> lines (and half the next, when <paramref name="partial"/>).</summary>
    private static string Cut(string log, string name, int lines, bool partial)
    {
        var copy = log + "-" + name;
        Directory.CreateDirectory(Path.Combine(copy, LogFormat.BlobsFolder));
        foreach (var blob in Directory.EnumerateFiles(Path.Combine(log, LogFormat.BlobsFolder)))
        {
            File.Copy(blob, Path.Combine(copy, LogFormat.BlobsFolder, Path.GetFileName(blob)));
        }

        var bytes = File.ReadAllBytes(Path.Combine(log, LogFormat.RecordsFile));
        int end = 0;
        for (int n = 0; n < lines; n++)
        {
            end = Array.IndexOf(bytes, (byte)'\n', end) + 1;
        }

        int next = Array.IndexOf(bytes, (byte)'\n', end);
        File.WriteAllBytes(Path.Combine(copy, LogFormat.RecordsFile), bytes[..(partial ? end + ((next - end) / 2) : end)]);
        return copy;
    }

    /// <summary>Lets threads take turns in an order the test gives: the interleaving is the test's, not the scheduler's.</summary>
    private sealed class Turns(int threads) : IDisposable
    {
        private readonly SemaphoreSlim[] go = [.. Enumerable.Range(0, threads).Select(_ => new SemaphoreSlim(0))];
        private readonly SemaphoreSlim done = new(0);

        public void Wait(int thread) => go[thread].Wait();

        public void Done() => done.Release();

        public void Run(IEnumerable<int> schedule)
        {
            foreach (int t in schedule)
            {
                go[t].Release();
                done.Wait();
            }
        }

        public void Dispose()
        {
            foreach (var s in go)
            {
                s.Dispose();
            }

            done.Dispose();
        }
    }
}
