using Repro.Engine;
using Repro.Engine.Backends;

namespace Repro.Engine.Tests;

/// <summary>
/// The fused path runs only while no observer is attached anywhere in the process, and other test classes attach
/// observers; so these tests run alone, after the parallel ones.
/// </summary>
[CollectionDefinition("fused", DisableParallelization = true)]
public sealed class FusedCollection;

/// <summary>
/// The fused row kernels (softmax, log_softmax, logsumexp; layer norm is in Repro.Nn.Tests) against the composition the
/// front end records, bit for bit: at 1, 2, 3, 7 and 16 threads, per row of a batch against the row alone, and with the
/// op sequence advanced exactly as the composition advances it. Observed runs take the composition.
/// </summary>
[Collection("fused")]
public class RowKernelTests
{
    public static TheoryData<string> Cases() => ["softmax", "log_softmax", "logsumexp", "logsumexp keep"];

    private static Tensor Apply(string op, Tensor x) => op switch
    {
        "softmax" => x.Softmax(-1),
        "log_softmax" => x.LogSoftmax(-1),
        "logsumexp" => x.LogSumExp(-1),
        _ => x.LogSumExp(x.Rank - 1, keepdim: true),
    };

    private static Tensor Input(int rows, int n, ulong seed, DType dtype = DType.Float32)
    {
        var data = (Tensor.Randn([rows, n], new Generator(seed)) * 12.0).ToFloatArray();
        // Special values in the first rows: NaN, infinities, signed zeros, huge and tiny values.
        float[] specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 0f, 1e30f, -1e30f, 88.7f, -104f, 1e-40f];
        for (int i = 0; i < specials.Length && i < data.Length; i++)
        {
            data[(i % Math.Min(rows, 4) * n) + (i * 7 % n)] = specials[i];
        }

        if (rows > 5)
        {
            Array.Fill(data, float.NegativeInfinity, 5 * n, n);
        }

        var t = Tensor.FromArray(data, [rows, n]);
        return dtype == DType.Float32 ? t : t.To(dtype);
    }

    private static string Composed(string op, Tensor x)
    {
        RowFastPath.Off = true;
        try
        {
            return TestUtil.Fingerprint(Apply(op, x));
        }
        finally
        {
            RowFastPath.Off = false;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fused_equals_the_composition_on_1_2_3_7_16_threads(string op)
    {
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            foreach (var (rows, n) in new[] { (9, 1000), (7, 3000), (17, 33), (6, 1), (3, 1024), (2, 2049) })
            {
                var x = Input(rows, n, (ulong)(rows * n), dtype);
                Assert.True(RowFastPath.Applies(x, -1));
                string expected = Composed(op, x);
                foreach (int threads in new[] { 1, 2, 3, 7, 16 })
                {
                    using var scope = Settings.UseThreads(threads);
                    Assert.Equal(expected, TestUtil.Fingerprint(Apply(op, x)));
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_row_of_a_batch_equals_the_row_alone(string op)
    {
        var batch = Input(64, 1500, 3);
        var all = Apply(op, batch);
        foreach (int r in new[] { 0, 5, 31, 63 })
        {
            var single = Apply(op, batch.Slice(0, r, r + 1).Contiguous());
            Assert.Equal(TestUtil.Fingerprint(all.Slice(0, r, r + 1).Contiguous()), TestUtil.Fingerprint(single));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_fused_kernel_counts_as_many_ops_as_the_composition_emits(string op)
    {
        // The composition's ops, counted on this thread by an observer (which also makes this run take the composition).
        var x = Input(4, 100, 9);
        var events = new List<string>();
        using (Dispatcher.Observe(new Collect(events)))
        {
            _ = Apply(op, x);
        }

        int expected = op switch
        {
            "softmax" => RowFastPath.SoftmaxOps,
            "log_softmax" => RowFastPath.LogSoftmaxOps,
            "logsumexp" => RowFastPath.LogSumExpOps + 1,
            _ => RowFastPath.LogSumExpOps,
        };
        Assert.Equal(expected, events.Count);

        long before = Dispatcher.NextSeq;
        var fused = Apply(op, x);
        Assert.True(fused.CreatedBy >= before + expected - 1, $"created by {fused.CreatedBy}, sequence was {before}");
    }

    [Fact]
    public void Observed_runs_and_gradients_take_the_composition()
    {
        var x = Input(4, 50, 11);
        var events = new List<string>();
        using (Dispatcher.Observe(new Collect(events)))
        {
            Assert.False(RowFastPath.Applies(x, -1));
            _ = x.Softmax(-1);
        }

        Assert.Equal(["max", "sub", "exp", "sum", "div"], events);
        var p = x.Detach();
        p.RequiresGrad = true;
        Assert.False(RowFastPath.Applies(p, -1));
        Assert.False(RowFastPath.Applies(x, 0));
        Assert.False(RowFastPath.Applies(x.To(DType.BFloat16), -1));
        using (Settings.UseBackend(ReferenceBackend.Instance))
        {
            Assert.False(RowFastPath.Applies(Tensor.Zeros([2, 3]), -1));
        }
    }

    // Ops of this test's thread only: tests of other classes run at the same time.
    private sealed class Collect(List<string> names) : IOpObserver
    {
        private readonly int thread = Environment.CurrentManagedThreadId;

        public bool WantsSourceLocations => false;

        public void OnOp(OpEvent e)
        {
            if (Environment.CurrentManagedThreadId == thread)
            {
                names.Add(e.Op);
            }
        }
    }
}
