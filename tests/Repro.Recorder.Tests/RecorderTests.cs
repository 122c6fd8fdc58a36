using System.Reflection;
using Repro.Engine;

namespace Repro.Recorder.Tests;

public sealed class RecorderTests
{
    [Fact]
    public void Records_every_op_with_hashes_that_match_the_engine()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        var hashes = new Dictionary<long, string>();
        using (var rec = Recorder.Start(log))
        {
            var a = Tensor.FromArray([1f, 2f, 3f, 4f], [2, 2]);
            var b = Tensor.Randn([2, 2], new Generator(3));
            var c = a.MatMul(b).Relu();
            var d = c.Sum();
            foreach (var t in new[] { a, b, c, d })
            {
                hashes[t.CreatedBy] = t.ContentHash();
            }
        }

        var (header, entries, truncation) = Logs.ReadAll(log);
        Assert.Null(truncation);
        Assert.Equal(LogFormat.Version, header.Version);
        Assert.Equal("float32", header.Environment.DType);
        Assert.Equal(Settings.DefaultBackend.Name, header.Environment.Backend);
        var ops = entries.OfType<OpRecord>().ToList();
        Assert.Equal([.. Enumerable.Range(0, ops.Count).Select(i => (long)i)], ops.Select(o => o.Seq));
        Assert.Equal(["from_host", "randn", "matmul", "relu", "sum"], ops.Select(o => o.Op));
        foreach (var (seq, hash) in hashes)
        {
            Assert.Equal(hash, ops.Single(o => o.Seq == seq).Output.Hash);
        }

        var end = Assert.IsType<EndRecord>(entries[^1]);
        Assert.Equal(ops.Count, end.Ops);
        Assert.Equal(ops[0].Output.Id, ops[2].Inputs[0]);
        Assert.Contains("RecorderTests.cs", ops[2].Source.File);
        Assert.Equal(nameof(Records_every_op_with_hashes_that_match_the_engine), ops[2].Source.Member);
    }

    [Fact]
    public void Leaves_are_stored_by_value_and_intermediates_only_hashed()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        Logs.RecordTiny(log);
        using var r = LogReader.Open(log);
        var ops = r.Ops().ToList();
        var leaf = ops.First(o => o.Op == "from_host");
        Assert.NotNull(leaf.Output.Blob);
        var data = Assert.IsType<float[]>(r.ReadTensor(leaf.Output, leaf.Position));
        Assert.Equal(48, data.Length);
        Assert.Equal(-5 / 4f, data[0]);
        Assert.All(ops.Where(o => o.Op != "from_host"), o => Assert.Null(o.Output.Blob));
        Assert.Contains(ops, o => o.Op == "randn" && o.Attributes.Long("seed") == 7);
        Assert.Contains(ops, o => o.Op == "assign" && o.Output.Id == o.Inputs[0]);
    }

    [Fact]
    public void Capture_all_stores_every_output_and_a_range_only_those_ops()
    {
        using var dir = new TempDir();
        Logs.RecordTiny(dir.Sub("all"), new RecorderOptions { Capture = CapturePolicy.All });
        Assert.All(Logs.Ops(dir.Sub("all")), o => Assert.NotNull(o.Output.Blob));

        Logs.RecordTiny(dir.Sub("range"), new RecorderOptions { Capture = CapturePolicy.Parse("5..7") });
        var ops = Logs.Ops(dir.Sub("range"));
        Assert.All(ops.Where(o => o.Seq is >= 5 and <= 7), o => Assert.NotNull(o.Output.Blob));
        Assert.All(ops.Where(o => o.Seq is > 7 && o.Op != "from_host"), o => Assert.Null(o.Output.Blob));
        Assert.Equal("5..7", Logs.ReadAll(dir.Sub("range")).Header.Capture);
    }

    [Fact]
    public void Health_summary_counts_nan_inf_subnormal_and_zero()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        using (Recorder.Start(log))
        {
            Tensor.FromArray([float.NaN, float.PositiveInfinity, float.NegativeInfinity, 1e-40f, 0f, -0f, 2f, -4f], [8]);
        }

        var s = Logs.Ops(log).Single().Output.Stats!;
        Assert.Equal((1L, 1L, 1L, 1L, 2L), (s.NaN, s.PosInf, s.NegInf, s.Subnormal, s.Zero));
        Assert.Equal(-4.0, s.Min);
        Assert.Equal(2.0, s.Max);
        Assert.Equal((1e-40f + 2f - 4f) / 5.0, s.Mean!.Value, 12);
    }

    [Fact]
    public void Hash_canonicalizes_nan_payloads()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        using (Recorder.Start(log))
        {
            Tensor.FromHost(new[] { BitConverter.Int32BitsToSingle(0x7FC00001), 1f }, DType.Float32, [2]);
            Tensor.FromHost(new[] { BitConverter.Int32BitsToSingle(0x7FC00000), 1f }, DType.Float32, [2]);
        }

        var ops = Logs.Ops(log);
        Assert.Equal(ops[0].Output.Hash, ops[1].Output.Hash);
        Assert.NotEqual(ops[0].Output.Blob, ops[1].Output.Blob);
    }

    [Fact]
    public void Tensors_from_before_the_recording_become_leaf_records()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        var w = Tensor.FromArray([1f, -2f, 3f], [3]);
        string expected;
        using (Recorder.Start(log))
        {
            expected = w.Mul(2.0).ContentHash();
        }

        var (_, entries, _) = Logs.ReadAll(log);
        var leaf = Assert.Single(entries.OfType<LeafRecord>());
        Assert.True(entries.IndexOf(leaf) < entries.FindIndex(e => e is OpRecord { Op: "mul" }));
        Assert.Equal(leaf.Tensor.Id, entries.OfType<OpRecord>().First(o => o.Op == "mul").Inputs[0]);
        Assert.NotNull(leaf.Tensor.Blob);
        Assert.Equal(expected, entries.OfType<OpRecord>().Last().Output.Hash);
        Assert.True(Replayer.Verify(log).Identical);
    }

    [Fact]
    public void Backward_phase_and_owner_are_recorded()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        using (Recorder.Start(log))
        {
            var x = Tensor.Ones([2]);
            var y = x.Exp();
            using (Dispatcher.Backward(y.CreatedBy, new SourceLocation("model.cs", 12, "Forward")))
            {
                y.Mul(x);
            }
        }

        var back = Logs.Ops(log).Last();
        Assert.Equal(OpPhase.Backward, back.Phase);
        Assert.Equal(1, back.BackwardOf);
        Assert.Equal(new SourceLocation("model.cs", 12, "Forward"), back.Source);
        Assert.True(Replayer.Verify(log).Identical);
        Assert.Equal(OpPhase.Backward, Logs.Ops(log).Last().Phase);
    }

    [Fact]
    public void Ops_from_several_threads_get_a_defined_order_and_replay()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        using (Recorder.Start(log))
        {
            var threads = Enumerable.Range(0, 4).Select(k => new Thread(() =>
            {
                var t = Tensor.Full([16], k);
                for (int i = 0; i < 50; i++)
                {
                    t = t.Add(1.0).Mul(0.5);
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
        }

        var ops = Logs.Ops(log);
        Assert.Equal(4 * (1 + (50 * 4)), ops.Count);
        Assert.Equal([.. Enumerable.Range(0, ops.Count).Select(i => (long)i)], ops.Select(o => o.Seq));
        Assert.True(Replayer.Verify(log).Identical);
    }

    [Fact]
    public void Ops_with_more_inputs_than_a_slot_holds_keep_every_input_across_reused_slots()
    {
        // A slot holds a few input ids itself and the rest in an array kept with it; more ops than the writer's ring
        // holds, alternating wide and narrow ones, so slots are reused both ways.
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        var expected = new Dictionary<long, long[]>();
        using (Recorder.Start(log))
        {
            var parts = Enumerable.Range(0, 7).Select(k => Tensor.Full([3], k)).ToArray();
            for (int i = 0; i < 700; i++)
            {
                int width = 2 + (i % 6);
                var wide = Tensor.Concat(parts[..width]);
                expected[wide.CreatedBy] = [.. parts[..width].Select(p => p.CreatedBy)];
                var a = wide.Sum();
                var b = parts[0].Sum();
                var narrow = a.Add(b);
                expected[narrow.CreatedBy] = [a.CreatedBy, b.CreatedBy];
                parts[i % 7] = parts[i % 7].Add(1.0);
            }
        }

        var ops = Logs.Ops(log);
        var idOf = ops.ToDictionary(o => o.Seq, o => o.Output.Id);
        foreach (var (seq, inputs) in expected)
        {
            Assert.Equal(inputs.Select(s => idOf[s]), ops.Single(o => o.Seq == seq).Inputs);
        }

        Assert.True(Replayer.Verify(log).Identical);
    }

    [Fact]
    public void Lines_found_from_the_stack_in_optimized_code_are_marked_approximate()
    {
        // Operators carry no caller information: their line comes from the stack, whose IL offsets the JIT keeps
        // only at statement boundaries in optimized code. API calls carry exact lines. The log keeps the mark.
        bool optimized = typeof(RecorderTests).Assembly.GetCustomAttribute<System.Diagnostics.DebuggableAttribute>() is not { IsJITOptimizerDisabled: true };
        using var dir = new TempDir();
        var log = dir.Sub("approx.repro");
        using (Recorder.Start(log))
        {
            var a = Tensor.FromArray([1f, 2f], [2]);
            _ = a + a;
            _ = a.Mul(a);
        }

        var ops = Logs.Ops(log);
        var byOperator = ops.Single(o => o.Op == "add").Source;
        var byApi = ops.Single(o => o.Op == "mul").Source;
        Assert.Equal(optimized, byOperator.Approximate);
        Assert.False(byApi.Approximate);
        Assert.Equal(optimized, byOperator.ToString().Contains(":~", StringComparison.Ordinal));

        // The field as an independent parser sees it: present only when true.
        var lines = File.ReadLines(Logs.RecordsPath(log)).Select(Newtonsoft.Json.Linq.JObject.Parse).Where(j => (string?)j["type"] == "op").ToList();
        Assert.Equal(optimized, (bool?)lines.Single(j => (string?)j["op"] == "add")["src"]!["approx"] == true);
        Assert.Null(lines.Single(j => (string?)j["op"] == "mul")["src"]!["approx"]);
    }

    [Fact]
    public void Each_op_records_its_module_path_and_type_and_replay_keeps_them()
    {
        using var dir = new TempDir();
        var log = dir.Sub("modules.repro");
        using (Recorder.Start(log))
        {
            var a = Tensor.FromArray([1f, 2f], [2]);
            a.RequiresGrad = true;
            Tensor y;
            using (Dispatcher.Module(string.Empty, "Net"))
            using (Dispatcher.Module("encoder", "Encoder"))
            using (Dispatcher.Module("fc1", "Linear"))
            {
                y = a.Mul(a);
            }

            y.Sum().Backward();
        }

        var ops = Logs.Ops(log);
        var mul = ops.Single(o => o.Op == "mul" && o.Phase == OpPhase.Forward);
        Assert.Equal(new OpModule("encoder.fc1", "Linear"), mul.Module);
        Assert.Null(ops.Single(o => o.Op == "sum" && o.Phase == OpPhase.Forward).Module);
        Assert.All(ops.Where(o => o.Phase == OpPhase.Backward && o.BackwardOf == mul.Seq), o => Assert.Equal(mul.Module, o.Module));

        // The field as an independent parser sees it: present only for ops that ran in a module.
        var lines = File.ReadLines(Logs.RecordsPath(log)).Select(Newtonsoft.Json.Linq.JObject.Parse).Where(j => (string?)j["type"] == "op").ToList();
        var mulJson = lines.Single(j => (string?)j["op"] == "mul" && j["phase"] is null);
        Assert.Equal("encoder.fc1", (string?)mulJson["module"]!["path"]);
        Assert.Equal("Linear", (string?)mulJson["module"]!["type"]);
        Assert.Null(lines.First(j => (string?)j["op"] == "sum")["module"]);

        // A replay re-issues each op in the module it was recorded in.
        var again = dir.Sub("replayed.repro");
        Assert.True(Replayer.Replay(log, new ReplayOptions { OutPath = again }).Identical);
        Assert.Equal(ops.Select(o => o.Module), Logs.Ops(again).Select(o => o.Module));
    }

    [Theory]
    [InlineData("type", "module.type")]
    [InlineData("path", "module.path")]
    public void A_malformed_module_field_is_refused_with_its_name(string field, string expected)
    {
        using var dir = new TempDir();
        var log = dir.Sub("bad-module.repro");
        using (Recorder.Start(log))
        {
            using (Dispatcher.Module("fc1", "Linear"))
            {
                _ = Tensor.FromArray([1f], [1]).Neg();
            }
        }

        Forge.Edit(log, j => j["module"] is not null, j =>
        {
            if (field == "type")
            {
                j["module"]!["type"] = string.Empty;
            }
            else
            {
                ((Newtonsoft.Json.Linq.JObject)j["module"]!).Remove("path");
            }
        });
        var e = Assert.ThrowsAny<Exception>(() => Logs.Ops(log));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Recording_refuses_a_folder_that_is_not_a_log()
    {
        using var dir = new TempDir();
        var folder = dir.Sub("busy");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "mine");
        var ex = Assert.Throws<IOException>(() => Recorder.Start(folder));
        Assert.Contains("not empty", ex.Message);
        Assert.True(File.Exists(Path.Combine(folder, "notes.txt")));
    }

    [Fact]
    public void Recording_over_an_earlier_log_is_refused_without_force_and_touches_nothing()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        Logs.RecordTiny(log, new RecorderOptions { Capture = CapturePolicy.All });
        var before = Logs.Fingerprint(log);

        var ex = Assert.Throws<IOException>(() => Recorder.Start(log));
        Assert.Contains("a log is already there; pass --force", ex.Message);
        Assert.Equal(before, Logs.Fingerprint(log));
        Assert.Equal(["run.repro"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        // Nor is a folder with other files in it replaced, even with Force.
        File.WriteAllText(Path.Combine(log, "notes.txt"), "mine");
        before = Logs.Fingerprint(log);
        ex = Assert.Throws<IOException>(() => Recorder.Start(log, new RecorderOptions { Force = true }));
        Assert.Contains("notes.txt", ex.Message);
        Assert.Equal(before, Logs.Fingerprint(log));
    }

    [Fact]
    public void Force_replaces_the_earlier_log_only_once_the_new_one_is_closed()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        Logs.RecordTiny(log, new RecorderOptions { Capture = CapturePolicy.All });
        var before = Logs.Fingerprint(log);
        using (var rec = Recorder.Start(log, new RecorderOptions { Force = true }))
        {
            TinyWorkload.Run(steps: 2);

            // While the new run goes, the earlier log is whole and the new one grows beside it.
            Assert.Equal(before, Logs.Fingerprint(log));
            Assert.True(Replayer.Verify(log).Identical);
            Assert.StartsWith(log + LogFolder.PartialMarker, rec.PartialPath, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(rec.PartialPath, LogFormat.RecordsFile)));
        }

        var (header, _, truncation) = Logs.ReadAll(log);
        Assert.Null(truncation);
        Assert.Equal(CapturePolicy.Default.Text, header.Capture);
        Assert.NotEqual(before, Logs.Fingerprint(log));
        Assert.Equal(["run.repro"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.True(Replayer.Verify(log).Identical);
    }

    [Fact]
    public void A_run_that_has_not_closed_leaves_the_earlier_log_whole_and_its_prefix_readable()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        Logs.RecordTiny(log);
        var before = Logs.Fingerprint(log);
        var rec = Recorder.Start(log, new RecorderOptions { Force = true });
        TinyWorkload.Run(steps: 2);
        Thread.Sleep(50); // The writer hands what it has to the OS every few milliseconds.

        // What a crash at this moment would leave: the earlier log, and the new run's prefix in the partial folder.
        Assert.Equal(before, Logs.Fingerprint(log));
        var partial = Assert.Single(LogFolder.FindPartials(log, Environment.ProcessId));
        Assert.Equal(rec.PartialPath, partial);
        rec.Dispose();
        Assert.Empty(LogFolder.FindPartials(log, Environment.ProcessId));
    }

    [Fact]
    public void Reading_a_log_that_is_still_being_written_names_its_partial_folder()
    {
        using var dir = new TempDir();
        var log = dir.Sub("fresh.repro");
        using (var rec = Recorder.Start(log))
        {
            TinyWorkload.Run(steps: 1);
            var ex = Assert.Throws<LogFormatException>(() => LogReader.Open(log));
            Assert.Contains("no such log", ex.Message);
            Assert.Contains("an unfinished recording to it is at " + rec.PartialPath, ex.Message);
        }

        using var reader = LogReader.Open(log);
        Assert.True(reader.Ops().Any());
    }

    [Fact]
    public void Fail_closes_the_log_with_the_exception_the_api_that_threw_and_the_users_line()
    {
        using var dir = new TempDir();
        var log = dir.Sub("failed.repro");
        var rec = Recorder.Start(log);
        var a = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], [2, 3]);
        var b = Tensor.FromArray([1f, 2f], [2, 1]);
        try
        {
            _ = a.Relu().MatMul(b);
        }
        catch (ArgumentException ex)
        {
            rec.Fail(ex);
        }

        var (_, entries, truncation) = Logs.ReadAll(log);
        Assert.Null(truncation);
        var end = Assert.IsType<EndRecord>(entries[^1]);
        Assert.Equal(EndStatus.Exception, end.Status);
        Assert.False(end.IsComplete);
        var error = end.Error!;
        Assert.Equal("Repro.Engine.ShapeException", error.Type);
        Assert.StartsWith("matmul:", error.Message, StringComparison.Ordinal);
        Assert.Equal("Tensor.MatMul", error.Op);
        Assert.EndsWith("RecorderTests.cs", error.Source.File, StringComparison.Ordinal);
        Assert.Equal(nameof(Fail_closes_the_log_with_the_exception_the_api_that_threw_and_the_users_line), error.Source.Member);
        Assert.Equal(entries.OfType<OpRecord>().Last().Seq, error.LastSeq);
        Assert.Equal(end with { Position = default }, LogReader.ReadEnd(log)! with { Position = default });

        // An independent parser sees the same end record.
        var json = Newtonsoft.Json.Linq.JObject.Parse(File.ReadLines(Logs.RecordsPath(log)).Last());
        Assert.Equal("exception", (string?)json["status"]);
        Assert.Equal("Tensor.MatMul", (string?)json["error"]!["op"]);
        Assert.Equal(error.Source.Line, (int)json["error"]!["src"]!["line"]!);

        // Disposing afterwards changes nothing.
        rec.Dispose();
        Assert.Equal(end with { Position = default }, LogReader.ReadEnd(log)! with { Position = default });
    }

    [Fact]
    public void A_recording_closed_from_another_thread_while_ops_run_ends_cleanly()
    {
        // What a signal handler does: close the log on its own thread while the program goes on issuing ops. Ops
        // that raced the close must neither reach the closed writer nor fail.
        using var dir = new TempDir();
        for (int round = 0; round < 5; round++)
        {
            var log = dir.Sub($"r{round}.repro");
            var rec = Recorder.Start(log);
            using var started = new ManualResetEventSlim();
            var closer = new Thread(() =>
            {
                started.Wait();
                Thread.Sleep(2);
                rec.Dispose();
            });
            closer.Start();
            var x = Tensor.FromArray([1f, 2f, 3f], [3]);
            for (int i = 0; i < 3000; i++)
            {
                x = x.Mul(0.5).Add(1.0);
                if (i == 10)
                {
                    started.Set();
                }
            }

            closer.Join();
            var (_, entries, truncation) = Logs.ReadAll(log);
            Assert.Null(truncation);
            var end = Assert.IsType<EndRecord>(entries[^1]);
            Assert.Equal(entries.OfType<OpRecord>().LongCount(), end.Ops);
            Assert.True(Replayer.Verify(log).Identical);
        }
    }

    [Fact]
    public void Log_ids_map_engine_ids_across_pages_and_from_before_the_first()
    {
        var ids = new LogIds();
        var rng = new Random(3);
        var expected = new Dictionary<long, long>();
        foreach (long tensorId in new long[] { 5000, 4999, 1, 5001, 5000 + 4096, 5000 + 4095, 5000 + (10 * 4096) + 7, long.MaxValue - 1 }
            .Concat(Enumerable.Range(0, 3000).Select(_ => 5000 + rng.NextInt64(0, 100_000))))
        {
            if (!expected.ContainsKey(tensorId))
            {
                Assert.False(ids.TryGetValue(tensorId, out _));
                expected[tensorId] = ids.Count;
                ids.Add(tensorId, ids.Count);
            }
        }

        Assert.Equal(expected.Count, ids.Count);
        foreach (var (tensorId, logId) in expected)
        {
            Assert.True(ids.TryGetValue(tensorId, out long got));
            Assert.Equal(logId, got);
        }

        Assert.False(ids.TryGetValue(5000 + 200_000, out _));
        Assert.False(ids.TryGetValue(2, out _));
    }
}
