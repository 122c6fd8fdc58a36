using Repro.Engine;
using Repro.Engine.Backends;
using Repro.Tests.Shared;

namespace Repro.Engine.Tests;

public class BackendInvarianceTests
{
    [Fact]
    public void Managed_backend_matches_reference_bit_for_bit_on_every_suite_case()
    {
        Dictionary<string, string> reference;
        using (Settings.UseBackend(ReferenceBackend.Instance))
        {
            reference = TestUtil.RunSuite();
        }

        Dictionary<string, string> managed;
        using (Settings.UseBackend(ManagedBackend.Instance))
        {
            managed = TestUtil.RunSuite();
        }

        Assert.True(reference.Count > 400, $"suite too small: {reference.Count}");
        TestUtil.AssertSame(reference, managed, "managed vs reference");
    }
}

public class ThreadInvarianceTests
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(16)]
    public void Suite_hashes_are_identical_on_any_thread_count(int threads)
    {
        Dictionary<string, string> one;
        using (Settings.UseThreads(1))
        {
            one = TestUtil.RunSuite();
        }

        Dictionary<string, string> many;
        using (Settings.UseThreads(threads))
        {
            many = TestUtil.RunSuite();
        }

        TestUtil.AssertSame(one, many, $"1 vs {threads} threads");
    }

    [Fact]
    public void Large_sum_and_matmul_are_identical_on_1_2_3_7_16_threads()
    {
        var x = Tensor.Randn([1 << 20], new Generator(5));
        var a = Tensor.Randn([200, 300], new Generator(6));
        var b = Tensor.Randn([300, 150], new Generator(7));
        var hashes = new HashSet<string>();
        foreach (int t in new[] { 1, 2, 3, 7, 16 })
        {
            using (Settings.UseThreads(t))
            {
                hashes.Add(x.Sum().ContentHash() + "/" + Tensor.MatMul(a, b).ContentHash() + "/" + x.Reshape([1024, 1024]).Softmax(1).ContentHash());
            }
        }

        Assert.Single(hashes);
    }
}

public class BatchInvarianceTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    public void Row_results_do_not_depend_on_the_batch_size(int rows)
    {
        var big = Tensor.Randn([64, 1500], new Generator(8));
        var w = Tensor.Randn([1500, 33], new Generator(9));
        var small = big.Slice(0, 0, rows).Contiguous();
        for (int r = 0; r < rows; r++)
        {
            Assert.Equal(Row(big.Sum(1), r), Row(small.Sum(1), r));
            Assert.Equal(Row(big.Softmax(1), r), Row(small.Softmax(1), r));
            Assert.Equal(Row(Tensor.MatMul(big, w), r), Row(Tensor.MatMul(small, w), r));
        }

        // Batch of exactly one row, built on its own.
        var single = Tensor.FromArray(big.Slice(0, 3, 4).ToFloatArray(), [1, 1500]);
        Assert.Equal(Row(big.Sum(1), 3), Row(single.Sum(1), 0));
        Assert.Equal(Row(Tensor.MatMul(big, w), 3), Row(Tensor.MatMul(single, w), 0));
    }

    private static string Row(Tensor t, int r) =>
        TestUtil.Fingerprint(t.Rank == 1 ? t.Slice(0, r, r + 1) : t.Slice(0, r, r + 1).Contiguous());
}

public class HardwareInvarianceTests
{
    // The runtime does not accelerate Vector512 by default on every AVX-512 CPU (it avoids frequency throttling),
    // so one child asks for 512-bit vectors explicitly. Each child must report exactly the widths its setting gives
    // on this machine (VectorWidths works them out from this process's hardware), so a setting the runtime ignores
    // fails here instead of silently testing the default width again.
    public static TheoryData<string, string> Knobs()
    {
        var data = new TheoryData<string, string>();
        foreach (var (variable, value) in VectorWidths.Knobs)
        {
            data.Add(variable, value);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Knobs))]
    public void Child_process_with_another_vector_width_computes_the_same_bits(string variable, string value)
    {
        var probe = ProbeRunner.Run(new Dictionary<string, string> { [variable] = value });
        Assert.Equal(VectorWidths.ExpectedInChild(variable, value), probe.Isa);
        TestUtil.AssertSame(TestUtil.RunSuite(ProbeRunner.Filter), probe.Hashes, $"{variable}={value} child ({probe.Isa}) vs this process");
    }
}

internal static class ProbeRunner
{
    /// <summary>The probe runs a subset of the suite (enough to cross every width), to keep the software-vector child fast.</summary>
    public static bool Filter(string name) => !name.StartsWith("sum[", StringComparison.Ordinal) || name.Contains(':') || name is "sum[0]" or "sum[1]" or "sum[31]" or "sum[33]" or "sum[257]" or "sum[1025]" or "sum[70001]";

    public static (string Isa, Dictionary<string, string> Hashes) Run(Dictionary<string, string> env)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "probe", "Repro.Engine.Probe.dll");
        Assert.True(File.Exists(dll), $"probe not built at {dll}");
        var r = ChildProcess.Run(dll, [], env, timeoutMs: 300_000);
        Assert.True(r.ExitCode == 0, $"probe failed: {r}");
        var lines = r.Lines;
        var hashes = new Dictionary<string, string>();
        foreach (var l in lines.Skip(1))
        {
            int tab = l.IndexOf('\t');
            hashes[l[..tab]] = l[(tab + 1)..];
        }

        return (lines[0], hashes);
    }
}

public class SplitInvarianceTests
{
    [Fact]
    public void Results_do_not_depend_on_the_cost_based_split()
    {
        // From "every op on its own thread range" (1 unit per thread) to "never split" (a huge minimum), on 3 threads.
        Dictionary<string, string>? first = null;
        foreach (long units in new[] { 1L, 997L, long.MaxValue / 4 })
        {
            using var threads = Settings.UseThreads(3);
            using var split = Parallelism.UseMinUnitsPerThread(units);
            var hashes = TestUtil.RunSuite(name => name.StartsWith("matmul", StringComparison.Ordinal) || name.StartsWith("sum", StringComparison.Ordinal) || name.StartsWith("softmax", StringComparison.Ordinal) || name.StartsWith("conv", StringComparison.Ordinal));
            if (first is null)
            {
                first = hashes;
                Assert.True(first.Count > 20, $"too few cases: {first.Count}");
            }
            else
            {
                TestUtil.AssertSame(first, hashes, $"min units per thread {units}");
            }
        }
    }

    [Theory]
    [InlineData(1000, 1L, 2, 8)]
    [InlineData(1000, 1L, 1, 1)]
    [InlineData(1, 1_000_000_000L, 16, 1)]
    public void Parts_follow_the_cost(int count, long cost, int threads, int expectedAtMost)
    {
        using var split = Parallelism.UseMinUnitsPerThread(100);
        int parts = Parallelism.Parts(count, cost, threads);
        Assert.InRange(parts, 1, expectedAtMost);
        if (count * cost >= 200 * threads * 4 && threads > 1)
        {
            Assert.Equal(Math.Min(count, threads * 4), parts);
        }
    }
}
