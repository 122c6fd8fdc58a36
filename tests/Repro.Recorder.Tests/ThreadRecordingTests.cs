using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using Repro.Engine;

namespace Repro.Recorder.Tests;

/// <summary>The logical thread of each op: what the recorder writes (read back with an independent JSON parser), what the reader accepts, and what replay keeps.</summary>
public sealed class ThreadRecordingTests
{
    [Fact]
    public void Ops_of_other_threads_carry_a_stable_thread_id_and_the_recording_thread_s_ops_carry_none()
    {
        using var dir = new TempDir();
        var log = dir.Sub("threads.repro");
        using (Recorder.Start(log))
        {
            Work(0);
            OnThread("loader", () => Work(1));
            OnThread(null, () => Work(2));
            OnThread(null, () => Work(3));
            OnThread(new string('n', 1000), () => Work(4));
            OnThread("main", () => Work(5));
            OnPool(() => Work(6));
            OnPool(() => Work(7));
        }

        // Read with System.Text.Json's document model, not the recorder's reader: one entry per op, its "thread" or null.
        var threads = new List<string?>();
        foreach (var line in File.ReadAllLines(Logs.RecordsPath(log)))
        {
            using var doc = JsonDocument.Parse(line);
            var o = doc.RootElement;
            if (o.GetProperty("type").GetString() == "op")
            {
                threads.Add(o.TryGetProperty("thread", out var t) ? t.GetString() : null);
            }
        }

        // Work issues three ops; each call's ops belong to one thread.
        Assert.Equal(8 * 3, threads.Count);
        var byCall = threads.Chunk(3).Select(c => Assert.Single(c.Distinct())).ToList();
        var site = $"ThreadRecordingTests.cs:{workLine} (Work)";
        Assert.Equal(
            new string?[] { null, "loader", site, site + "#2", new string('n', LogFormat.MaxThreadIdLength - 24), "main#2", site + "#3", site + "#4" },
            byCall);

        // The recorder's reader reads the same ids ("main" where the field is absent).
        var ops = Logs.Ops(log);
        Assert.Equal(threads.Select(t => t ?? LogFormat.MainThread), ops.Select(o => o.Thread));
    }

    [Fact]
    public void A_named_scope_names_the_ops_inside_it_and_flows_into_tasks()
    {
        using var dir = new TempDir();
        var log = dir.Sub("scopes.repro");
        using (Recorder.Start(log))
        {
            using (Dispatcher.UseThreadName("eval"))
            {
                Work(0);
                OnPool(() => Work(1));
            }

            Work(2);
            OnThread("renamed", () =>
            {
                using (Dispatcher.UseThreadName("main"))
                {
                    Work(3);
                }
            });
        }

        var threads = Logs.Ops(log).Chunk(3).Select(c => Assert.Single(c.Select(o => o.Thread).Distinct())).ToList();
        Assert.Equal(new[] { "eval", "eval", "main", "main" }, threads);
    }

    [Fact]
    public void Replay_keeps_each_op_s_thread()
    {
        using var dir = new TempDir();
        var log = dir.Sub("orig.repro");
        using (Recorder.Start(log))
        {
            Work(0);
            OnThread("w1", () => Work(1));
            OnThread(null, () => Work(2));
        }

        var replayed = dir.Sub("replayed.repro");
        var result = Replayer.Replay(log, new ReplayOptions { OutPath = replayed });
        Assert.True(result.Identical);
        Assert.Equal(Logs.Ops(log).Select(o => (o.Seq, o.Thread)), Logs.Ops(replayed).Select(o => (o.Seq, o.Thread)));
        Assert.Contains(Logs.Ops(replayed), o => o.Thread == "w1");
    }

    [Theory]
    [InlineData("5", "thread must be a string")]
    [InlineData("null", "thread must be a string")]
    [InlineData("[\"w\"]", "thread must be a string")]
    [InlineData("\"\"", "thread id must be 1 to 256 characters long, got 0")]
    [InlineData("\"LONG\"", "thread id must be 1 to 256 characters long, got 257")]
    [InlineData("\"MAX\"", null)]
    [InlineData("\"tab\\there \\u0001 \\u001b[31m\"", null)]
    [InlineData("\"main\"", null)]
    public void The_reader_checks_the_thread_field_on_both_paths(string value, string? error)
    {
        using var dir = new TempDir();
        var log = dir.Sub("one.repro");
        using (Recorder.Start(log))
        {
            Tensor.Ones([2]).Exp();
        }

        value = value.Replace("LONG", new string('x', 257), StringComparison.Ordinal).Replace("MAX", new string('y', 256), StringComparison.Ordinal);
        var line = File.ReadAllLines(Logs.RecordsPath(log)).First(l => l.StartsWith("{\"type\":\"op\"", StringComparison.Ordinal));
        var body = line[..line.LastIndexOf(",\"crc\"", StringComparison.Ordinal)] + ",\"thread\":" + value;

        // The writer's own layout is known by its first bytes; anything else (here: a space after the brace) by its type field.
        foreach (var variant in new[] { body, "{ " + body[1..] })
        {
            var bytes = Encoding.UTF8.GetBytes(variant + ",\"crc\":\"" + Crc32.HashToUInt32(Encoding.UTF8.GetBytes(variant)).ToString("x8", CultureInfo.InvariantCulture) + "\"}");
            var pos = new LogPosition("records.jsonl", 2, 300);
            var decoder = new LogDecoder(LogLimits.Default);
            if (error is null)
            {
                var op = Assert.IsType<OpRecord>(decoder.DecodeEntry(bytes, pos));
                Assert.Equal(JsonDocument.Parse(value).RootElement.GetString(), op.Thread);
            }
            else
            {
                var ex = Assert.Throws<LogFormatException>(() => decoder.DecodeEntry(bytes, pos));
                Assert.Contains(error, ex.Message, StringComparison.Ordinal);
                Assert.StartsWith("records.jsonl:2 (byte 300): op ", ex.Message, StringComparison.Ordinal);
            }
        }
    }

    // The line of Work's first op, which names the unnamed threads that call it first.
    private static int workLine;

    private static void Work(int k)
    {
        workLine = Line(); var x = Tensor.FromArray([k, k + 1f], [2]);
        x.Exp().Sum();
    }

    private static int Line([System.Runtime.CompilerServices.CallerLineNumber] int line = 0) => line;

    private static void OnThread(string? name, Action body)
    {
        var t = new Thread(() => body());
        if (name is not null)
        {
            t.Name = name;
        }

        t.Start();
        t.Join();
    }

    /// <summary>Runs on a thread-pool thread (a queued work item is never run inline by the waiting thread).</summary>
    private static void OnPool(Action body)
    {
        using var done = new ManualResetEventSlim();
        ThreadPool.QueueUserWorkItem(_ =>
        {
            body();
            done.Set();
        });
        done.Wait();
    }
}
