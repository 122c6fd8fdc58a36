using Repro.Engine;

namespace Repro.Recorder.Tests;

/// <summary>
/// The recorder does not copy outputs: the writer reads them from their storage later. An in-place op (assign) that
/// overwrites a storage the writer has not read yet must not change what the log says about earlier ops.
/// </summary>
public sealed class CopyOnWriteTests
{
    [Fact]
    public void Outputs_and_views_overwritten_in_place_are_recorded_as_they_were()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        var expected = new Dictionary<long, string>();
        void Note(Tensor t) => expected[t.CreatedBy] = t.ContentHash();
        using (var rec = Recorder.Start(log))
        {
            // Nothing is hashed until the hold ends, so every assign below overwrites storage still queued.
            using (rec.HoldWriter())
            {
                var w = Tensor.FromArray([1f, -2f, 3f, 4f, float.NaN, 6f], [2, 3]);
                Note(w);
                var wt = w.Transpose();
                Note(wt);
                var row = w.Slice(0, 1, 2);
                Note(row);
                var flat = w.Reshape([6]);
                Note(flat);
                var wide = w.Slice(1, 1, 2).Expand([2, 4]);
                Note(wide);
                var m = w.Mul(2.0);
                Note(m);
                w.Assign(m);
                Note(w);
                var again = wt.Mul(wt);
                Note(again);
                w.Assign(w.Mul(0.5).Add(1.0));
                Note(w);
                row.Assign(Tensor.Full([1, 3], 7.0));
                Note(row);
                m.Assign(w);
                Note(m);
            }
        }

        var ops = Logs.Ops(log).ToDictionary(o => o.Seq);
        foreach (var (seq, hash) in expected)
        {
            Assert.True(hash == ops[seq].Output.Hash, $"op {seq} ({ops[seq].Op}): the log has {ops[seq].Output.Hash}, the value at the time was {hash}");
        }

        Assert.True(Replayer.Verify(log).Identical);
    }

    [Fact]
    public void A_leaf_overwritten_in_place_before_the_writer_reads_it_is_stored_as_it_was()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");

        // Made before the recording: leaves, which the writer stores by value when it first meets them as inputs.
        var w = Tensor.FromArray([1f, 2f, 3f, 4f], [2, 2]);
        var b = Tensor.FromArray([0.5f, -1f], [2]);
        string wBefore = w.ContentHash(), bBefore = b.ContentHash();
        using (var rec = Recorder.Start(log))
        {
            using (rec.HoldWriter())
            {
                w.Assign(w.MatMul(w).Add(b));
                b.Assign(b.Mul(3.0));
            }
        }

        var leaves = Logs.ReadAll(log).Entries.OfType<LeafRecord>().ToList();
        Assert.Equal([wBefore, bBefore], leaves.Select(l => l.Tensor.Hash));
        Assert.All(leaves, l => Assert.NotNull(l.Tensor.Blob));
        Assert.True(Replayer.Verify(log).Identical);
    }

    [Fact]
    public void Hashes_match_the_values_at_op_time_while_the_writer_races_in_place_writes()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        var oracle = new HashAtOpTime();
        using (Recorder.Start(log))
        using (Dispatcher.Observe(oracle))
        {
            var x = Tensor.Randn([64, 48], new Generator(5));
            var y = Tensor.Zeros([48, 64]);
            for (int i = 0; i < 300; i++)
            {
                var xt = x.Transpose();
                var s = xt.Mul(0.5).Add((double)i);
                y.Assign(s);
                x.Assign(x.Mul(0.999).Add(y.Transpose().Mul(0.001)));
            }
        }

        var ops = Logs.Ops(log);
        Assert.Equal(oracle.Hashes.Count, ops.Count);
        for (int i = 0; i < ops.Count; i++)
        {
            Assert.True(oracle.Hashes[i] == ops[i].Output.Hash, $"op {ops[i].Seq} ({ops[i].Op}): the log has {ops[i].Output.Hash}, the value at the time was {oracle.Hashes[i]}");
        }

        Assert.True(Replayer.Verify(log).Identical);
    }

    [Fact]
    public void The_writer_thread_allocates_almost_nothing_per_record()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        using (Recorder.Start(log))
        {
            // Warm up (pools, buffers, JIT), then measure a steady stretch.
            Loop(200);
        }

        long before = LogWriter.AllocatedOnWriterThreads;
        long records;
        using (var rec = Recorder.Start(dir.Sub("again.repro")))
        {
            Loop(4000);
            records = rec.Ops;
        }

        double perOp = (LogWriter.AllocatedOnWriterThreads - before) / (double)records;
        Assert.True(perOp < 32, $"the writer thread allocated {perOp:F1} bytes per record");

        static void Loop(int n)
        {
            var t = Tensor.Randn([16, 8], new Generator(1));
            for (int i = 0; i < n; i++)
            {
                t = t.Transpose().Mul(0.5).Transpose();
            }
        }
    }

    private sealed class HashAtOpTime : IOpObserver
    {
        public List<string> Hashes { get; } = [];

        public bool WantsSourceLocations => false;

        public void OnOp(OpEvent e) => Hashes.Add(e.Outputs[0].ContentHash());
    }
}
