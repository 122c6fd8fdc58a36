using Repro.Diffing;
using Repro.Engine;
using Repro.Engine.Backends;
using Repro.Recorder;

namespace Repro.Diffing.Tests;

/// <summary>The dispatcher is process-wide: recordings must not overlap with other tests' ops.</summary>
[CollectionDefinition("recording", DisableParallelization = true)]
public sealed class RecordingCollection;

internal static class Runs
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "repro-diff-tests-" + Environment.ProcessId);

    public static string Record(string name, Backend backend, DType dtype = DType.Float32, Action? program = null)
    {
        var path = Path.Combine(Root, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        using (Settings.UseBackend(backend))
        using (Recorder.Recorder.Start(path, new RecorderOptions { Backend = backend, DType = dtype }))
        {
            (program ?? (() => PlantedWorkload.Run(dtype)))();
        }

        return path;
    }
}

[Collection("recording")]
public class PlantedDivergenceTests
{
    [Fact]
    public void An_exact_widening_cast_is_never_the_origin()
    {
        // Run B computes the softmax in float16 and casts back to float32, run A in float64: every 16-bit op stays
        // within its tolerance, the widening cast's float32 outputs differ. The cast rounds nothing, so it inherited
        // the difference; the report must point upstream, at the 16-bit computation or the narrowing cast.
        static Action Program(DType compute) => () =>
        {
            var x = Tensor.Randn([4, 33], new Generator(11));
            _ = x.To(compute).Softmax(1).To(DType.Float32).Sum();
        };
        var a = Runs.Record("wide-a", ManagedBackend.Instance, program: Program(DType.Float64));
        var b = Runs.Record("wide-b", ManagedBackend.Instance, program: Program(DType.Float16));
        var result = Differ.Run(a, b, new DiffOptions { Mode = DiffMode.Numeric });
        var first = result.FirstDivergence!;
        Assert.Equal("cast", first.Op);
        Assert.Equal(Cause.Propagated, first.Cause);
        Assert.NotNull(result.GrowthStart);
        Assert.NotEqual(first.Index, result.GrowthStart!.Index);
        Assert.Contains(result.DivergedOps, c => c.Op == "cast");
        Assert.DoesNotContain(result.DivergedOps, c => c.Op == "cast" && c.Cause == Cause.Origin);
    }

    [Theory]
    [InlineData("sum-order", "sum", "sum")]
    [InlineData("unfused-matmul", "matmul", "matmul")]
    [InlineData("exp-ulp", "exp", "exp")]
    [InlineData("flush-subnormals", "mul", "mul")]
    [InlineData("dropped-index-add", "index_add", "index_add")]
    [InlineData("dropped-scatter-add", "scatter_add", "scatter_add")]
    public void Differ_names_the_planted_op_its_line_and_calls_it_the_origin(string plant, string op, string lineKey)
    {
        var a = Runs.Record("a", ManagedBackend.Instance);
        var b = Runs.Record("b-" + plant, PlantedBackend.Get(plant));
        foreach (var mode in new[] { DiffMode.Bitwise, DiffMode.Numeric })
        {
            var result = Differ.Run(a, b, new DiffOptions { Mode = mode });
            Assert.Equal(Verdict.Diverged, result.Verdict);
            Assert.Equal(1, result.ExitCode);
            Assert.Null(result.Structural);
            var first = result.FirstDivergence!;
            Assert.Equal(op, first.Op);
            Assert.Equal(PlantedWorkload.Lines[lineKey], first.Source.Line);
            Assert.EndsWith("Planted.cs", first.Source.File, StringComparison.Ordinal);
            Assert.Equal(Cause.Origin, first.Cause);
            var later = result.DivergedOps.Where(c => c.Index > first.Index).ToList();
            Assert.NotEmpty(later);
            Assert.All(later, c => Assert.Equal(Cause.Propagated, c.Cause));
        }
    }

    [Fact]
    public void Identical_runs_on_different_thread_counts_diff_clean()
    {
        string a;
        string b;
        using (Settings.UseThreads(1))
        {
            a = Runs.Record("t1", ManagedBackend.Instance);
        }

        using (Settings.UseThreads(2))
        {
            b = Runs.Record("t2", ManagedBackend.Instance);
        }

        var result = Differ.Run(a, b);
        Assert.Equal(DiffMode.Bitwise, result.Mode);
        Assert.Equal(Verdict.Identical, result.Verdict);
        Assert.Equal(0, result.ExitCode);
        Assert.True(result.OpsCompared > 20);
        Assert.Null(result.FirstDivergence);
        var numeric = Differ.Run(a, Runs.Record("ref", ReferenceBackend.Instance), new DiffOptions { Mode = DiffMode.Numeric });
        Assert.Equal(Verdict.Identical, numeric.Verdict);
    }

    [Fact]
    public void Bfloat16_run_diverges_numerically_with_an_origin_that_makes_sense()
    {
        int line = 0;
        void Program(DType dtype)
        {
            var x = Tensor.Randn([8, 16], new Generator(4), dtype);
            var shifted = x + 1000.0;
            line = Line(); var back = shifted - 1000.0;
            _ = back.Softmax(1).Sum();
        }

        var a = Runs.Record("f32", ManagedBackend.Instance, program: () => Program(DType.Float32));
        var b = Runs.Record("bf16", ManagedBackend.Instance, DType.BFloat16, () => Program(DType.BFloat16));
        var result = Differ.Run(a, b);
        Assert.Equal(DiffMode.Numeric, result.Mode);
        Assert.Equal(Verdict.Diverged, result.Verdict);
        var first = result.FirstDivergence!;
        // Adding 1000 in bfloat16 keeps the error inside the budget; subtracting it back cancels and exposes it.
        Assert.Equal("sub", first.Op);
        Assert.Equal(line, first.Source.Line);
        Assert.False(first.Metrics!.WithinTolerance);
        Assert.Equal(Cause.Origin, first.Cause);
        Assert.False(first.LocalMetrics!.WithinTolerance);
        Assert.NotNull(result.HeatMap);
        Assert.All(result.DivergedOps.Skip(1), c => Assert.Equal(Cause.Propagated, c.Cause));
    }

    /// <summary>The differ takes each op's reduction length from its row: K for a matmul, 1 for an elementwise op.</summary>
    [Fact]
    public void Numeric_tolerances_take_the_reduction_length_from_the_op_table()
    {
        static void Program(DType dtype)
        {
            var y = Tensor.Randn([4, 1000], new Generator(5), dtype).MatMul(Tensor.Randn([1000, 3], new Generator(6), dtype));
            var z = y * y;

            // Cancels in bfloat16: a divergence after the ops above, so that they are all compared and reported.
            _ = (z + 1000.0) - 1000.0;
        }

        var a = Runs.Record("k-f32", ManagedBackend.Instance, program: () => Program(DType.Float32));
        var b = Runs.Record("k-bf16", ManagedBackend.Instance, DType.BFloat16, () => Program(DType.BFloat16));
        var result = Differ.Run(a, b);
        Assert.Equal(DiffMode.Numeric, result.Mode);
        var compared = result.Context.Concat(result.DivergedOps).ToList();
        var matmul = compared.First(c => c.Op == OpTable.MatMul.Name).Tolerance!;
        var mul = compared.First(c => c.Op == OpTable.Mul.Name).Tolerance!;
        Assert.Equal(Tolerance.For(DType.Float32, DType.BFloat16, reductionLength: 1000).Rtol, matmul.Rtol, 15);
        Assert.Equal(Tolerance.For(DType.Float32, DType.BFloat16), mul);
    }

    private static int Line([System.Runtime.CompilerServices.CallerLineNumber] int line = 0) => line;

    [Fact]
    public void A_different_op_sequence_is_reported_as_a_structural_difference()
    {
        var a = Runs.Record("s-a", ManagedBackend.Instance, program: () => Program(extra: false));
        var b = Runs.Record("s-b", ManagedBackend.Instance, program: () => Program(extra: true));
        var result = Differ.Run(a, b);
        Assert.NotNull(result.Structural);
        Assert.Contains("extra", result.Structural!.Description, StringComparison.Ordinal);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(result.Context, c => c.Status == OpStatus.OnlyInB);
        // After re-aligning, the sum reads tanh(exp(x)) in B but exp(x) in A: it differs, and not by its own doing.
        Assert.Equal("sum", result.FirstDivergence!.Op);
        Assert.Equal(Cause.Propagated, result.FirstDivergence.Cause);

        static void Program(bool extra)
        {
            var x = Tensor.Randn([4, 5], new Generator(3));
            var y = x.Exp();
            if (extra)
            {
                y = y.Tanh();
            }

            _ = y.Sum(1).Max();
        }
    }

    [Fact]
    public void First_nan_is_found_with_its_inputs_health()
    {
        var a = Runs.Record("nan", ManagedBackend.Instance, program: () =>
        {
            var x = Tensor.FromArray(new float[] { 1, -1, 4 }, [3]);
            var y = x.Sqrt();
            _ = y.Sum();
        });
        var result = Differ.Run(a, a);
        Assert.Equal(Verdict.Identical, result.Verdict);
        Assert.NotNull(result.NonFinite);
        Assert.Equal("sqrt", result.NonFinite!.Op);
        Assert.Single(result.NonFinite.Inputs);
        Assert.Equal(0, result.NonFinite.Inputs[0]!.NaN);
        Assert.Equal(1, result.NonFinite.Output!.NaN);
    }
}
