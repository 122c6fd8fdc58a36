using Repro.Engine;

namespace Repro.Recorder.Tests;

/// <summary>
/// Once the log writer is far behind (it lost its core), the issuing thread hashes and summarizes new outputs itself
/// instead of queueing references to them. What it computes must be what the writer would have written.
/// </summary>
public sealed class IssuerDigestTests
{
    [Fact]
    public void Outputs_digested_on_the_issuing_thread_are_logged_as_the_writer_logs_them()
    {
        using var dir = new TempDir();
        var expected = new Dictionary<long, string>();
        var held = Record(dir.Sub("held.repro"), hold: true, expected, out var heldStats);
        var free = Record(dir.Sub("free.repro"), hold: false, null, out _);

        // The held writer took nothing for 300 ms: past the first 128 queued records, the issuing thread digested the
        // outputs itself (all but the non-contiguous views) until the queue was full.
        Assert.True(heldStats.IssuerDigests >= 40, $"{heldStats.IssuerDigests} outputs digested by the issuing thread");
        Assert.True(heldStats.IssuerDigests < heldStats.Ops, $"{heldStats.IssuerDigests} of {heldStats.Ops}");

        var ops = Logs.Ops(held).ToDictionary(o => o.Seq);
        Assert.True(expected.Count >= 170, $"{expected.Count} outputs noted");
        foreach (var (seq, hash) in expected)
        {
            Assert.True(hash == ops[seq].Output.Hash, $"op {seq} ({ops[seq].Op}): the log has {ops[seq].Output.Hash}, the value was {hash}");
        }

        // Hashes, summaries (NaN counts included), ids and blobs: the same bytes as a recording whose writer kept up.
        var heldLines = File.ReadAllLines(Logs.RecordsPath(held));
        var freeLines = File.ReadAllLines(Logs.RecordsPath(free));
        Assert.Equal(freeLines.Length, heldLines.Length);
        for (int i = 1; i < heldLines.Length; i++)
        {
            Assert.Equal(freeLines[i], heldLines[i]);
        }

        Assert.True(Replayer.Verify(held).Identical);
    }

    [Fact]
    public void Verify_compares_hashes_the_issuing_thread_computed()
    {
        // Without a log (as in verify) only each op's first output is hashed; past the backlog, on the issuing thread.
        var tensors = new List<Tensor>();
        var seen = new Dictionary<long, (int[] Shape, DType DType, string Hash)>();
        var writer = new LogWriter(null)
        {
            // The writer thread calls this: it only notes what it got (an assertion failing there would end the thread).
            OpWritten = (seq, shape, dtype, hash, in _) => seen[seq] = ([.. shape], dtype, Convert.ToHexStringLower(hash)),
        };
        using (writer.Hold())
        {
            var g = new Generator(7);
            for (int i = 0; i < 200; i++)
            {
                // Some NaNs (canonicalized before hashing), some float64.
                var t = i % 3 == 0 ? Tensor.Randn([3, 5], g).Log() : Tensor.Randn([4], g, DType.Float64);
                Assert.True(t.IsContiguous);
                tensors.Add(t);
                var slot = writer.BeginOp(i, "test", OpAttributes.Empty, OpPhase.Forward, -1, false, [], "managed", default);
                writer.AddTensor(slot, i, t, storeBlob: false);
                writer.AddTensor(slot, 1000 + i, t, storeBlob: false); // A second output is not hashed.
                writer.Publish(slot);
            }

            Assert.True(writer.Statistics(200).IssuerDigests >= 2 * (200 - 128), $"{writer.Statistics(200).IssuerDigests} digested");
        }

        Assert.Null(writer.Close(writeEnd: false));
        Assert.Equal(200, seen.Count);
        for (int i = 0; i < 200; i++)
        {
            Assert.Equal(tensors[i].ContentHash(), seen[i].Hash);
            Assert.Equal(tensors[i].Shape, seen[i].Shape);
            Assert.Equal(tensors[i].DType, seen[i].DType);
        }
    }

    /// <summary>
    /// Records about 210 ops with NaNs, reductions and views; with the writer held while they run, if asked (for at
    /// most 300 ms: should the queue fill, the issuing thread waits for the writer instead of forever).
    /// </summary>
    private static string Record(string log, bool hold, Dictionary<long, string>? expected, out RecordingStatistics stats)
    {
        var rec = Recorder.Start(log);
        using (rec)
        {
            var handle = hold ? rec.HoldWriter() : null;
            var release = new Thread(() =>
            {
                Thread.Sleep(300);
                handle?.Dispose();
            });
            release.Start();
            void Note(Tensor t)
            {
                expected?.Add(t.CreatedBy, t.ContentHash());
            }

            var g = new Generator(3);
            var x = Tensor.Randn([6, 4], g);
            Note(x);
            var w = Tensor.Randn([4, 4], g);
            Note(w);
            for (int i = 0; i < 34; i++)
            {
                x = x.MatMul(w);
                Note(x);
                var t = x.Transpose();
                Note(t);
                var l = t.Log(); // NaN where negative.
                Note(l);
                var s = l.Sum(1);
                Note(s);
                x = x.Mul(0.5).Add(-0.25);
                Note(x);
            }

            var y = Tensor.FromArray([1f, float.PositiveInfinity, 0f, 1e-40f], [4]);
            Note(y);
            Note(y.Mul(2.0));
            handle?.Dispose();
            release.Join();
        }

        stats = rec.Statistics;
        return log;
    }
}
