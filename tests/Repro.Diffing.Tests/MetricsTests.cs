using Repro.Diffing;
using Repro.Engine;

namespace Repro.Diffing.Tests;

public class UlpTests
{
    [Fact]
    public void Adjacent_floats_are_one_ulp_apart_and_signed_zeros_meet()
    {
        float one = 1f;
        float next = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(one) + 1);
        Assert.Equal(1, Ulps.Distance(one, next, DType.Float32));
        Assert.Equal(0, Ulps.Distance(0.0, -0.0, DType.Float32));
        // The smallest subnormals on both sides of zero are two steps apart (through +0/-0).
        Assert.Equal(2, Ulps.Distance(float.Epsilon, -float.Epsilon, DType.Float32));
        Assert.Equal(1, Ulps.Distance(1.0, 1.0 + (1.0 / 128), DType.BFloat16));
        Assert.Equal(1, Ulps.Distance(1.0, 1.0 + (1.0 / 1024), DType.Float16));
        Assert.Equal(1, Ulps.Distance(1.0, Math.BitIncrement(1.0), DType.Float64));
    }
}

public class CompareTests
{
    [Fact]
    public void Metrics_find_the_largest_errors_and_where_they_are()
    {
        double[] a = [1, 2, 3, 4, double.NaN, double.PositiveInfinity];
        double[] b = [1, 2.5, 3, 3.999, double.NaN, double.NegativeInfinity];
        var m = ErrorMetrics.Compare(a, b, DType.Float32, new Tolerance(0.01, 0, 0));
        Assert.Equal(6, m.Count);
        Assert.Equal(double.PositiveInfinity, m.MaxAbs);
        Assert.Equal(1, m.NonFiniteMismatches);
        Assert.Equal(2, m.OverTolerance);
        Assert.Equal(5, m.WorstIndex);
        var finite = ErrorMetrics.Compare(a.AsSpan(0, 4), b.AsSpan(0, 4), DType.Float32, new Tolerance(0.01, 0, 0));
        Assert.Equal(0.5, finite.MaxAbs, 12);
        Assert.Equal(0.25, finite.MaxRel, 12);
        Assert.Equal(1, finite.WorstIndex);
        Assert.Equal(0.25, finite.ShareOverTolerance, 12);
    }

    [Fact]
    public void Exact_tolerance_flags_a_one_ulp_change_and_accepts_equal_values()
    {
        double x = 0.1f;
        double y = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(0.1f) + 1);
        Assert.False(ErrorMetrics.Compare([x], [y], DType.Float32, Tolerance.Exact).WithinTolerance);
        Assert.True(ErrorMetrics.Compare([x], [x], DType.Float32, Tolerance.Exact).WithinTolerance);
    }

    [Fact]
    public void Default_tolerance_follows_the_coarser_dtype_and_the_reduction_length()
    {
        Assert.Same(Tolerance.Exact, Tolerance.For(DType.Float32, DType.Float32));
        var elementwise = Tolerance.For(DType.Float32, DType.BFloat16);
        var matmul = Tolerance.For(DType.Float32, DType.BFloat16, reductionLength: 1024);
        Assert.Equal(4 * Math.ScaleB(1, -8) + 2 * Math.ScaleB(1, -8), elementwise.Rtol, 15);
        Assert.True(matmul.Rtol > 10 * elementwise.Rtol / 2);
        Assert.True(Tolerance.For(DType.Float32, DType.Float16).Rtol < elementwise.Rtol);
        // bfloat16 rounding of a float32 value stays inside the elementwise budget; a 5% error does not.
        float v = 3.14159f;
        double rounded = (float)(Repro.Engine.Numerics.BFloat16)v;
        Assert.True(ErrorMetrics.Compare([v], [rounded], DType.BFloat16, elementwise).WithinTolerance);
        Assert.False(ErrorMetrics.Compare([v], [v * 1.05], DType.BFloat16, elementwise).WithinTolerance);
    }

    [Fact]
    public void Reduction_length_comes_from_the_op_table_and_the_axes()
    {
        var attrs = OpAttributes.Of(("axes", new[] { 1, 2 }), ("keepdim", false));
        Assert.Equal(20, OpTable.Sum.ReductionLength([[3, 4, 5]], attrs));
        Assert.Equal(7, OpTable.MatMul.ReductionLength([[2, 7], [7, 3]], OpAttributes.Empty));
        Assert.Equal(7, OpTable.MatMul.ReductionLength([[7], [7]], OpAttributes.Empty));
        Assert.Equal(1, OpTable.Add.ReductionLength([[2, 7], [2, 7]], OpAttributes.Empty));
        Assert.Equal(1, OpTable.Max.ReductionLength([[3, 4, 5]], attrs));

        // index_add: each output element takes x plus at most one term per index entry.
        Assert.Equal(5, OpTable.IndexAdd.ReductionLength([[6, 3], [4], [4, 3]], OpAttributes.Of(("axis", 0))));
    }

    [Fact]
    public void The_differ_budgets_an_op_by_its_rows_reduction_length()
    {
        // A matmul with K = 1000 sums 1000 products per output element: the sum budget, Atol scaled by the inputs.
        var matmul = Tolerance.ForOp(OpTable.MatMul, [[4, 1000], [1000, 3]], OpAttributes.Empty, DType.Float32, DType.BFloat16, inputScale: 8);
        double u = Math.ScaleB(1, -8);
        Assert.Equal(u * (4 + (2 * Math.Sqrt(1000))), matmul.Rtol, 15);
        Assert.Equal(matmul.Rtol * 8, matmul.Atol, 15);
        Assert.Equal(Tolerance.For(DType.Float32, DType.BFloat16, 1000, 8), matmul);

        // An elementwise op gets length 1, and its Atol is not scaled by the inputs.
        var add = Tolerance.ForOp(OpTable.Add, [[4, 1000], [4, 1000]], OpAttributes.Empty, DType.Float32, DType.BFloat16, inputScale: 8);
        Assert.Equal(Tolerance.For(DType.Float32, DType.BFloat16), add);
        Assert.Equal(u * 6, add.Rtol, 15);

        var sum = Tolerance.ForOp(OpTable.Sum, [[9, 300]], OpAttributes.Of(("axes", new[] { 1 }), ("keepdim", false)), DType.Float32, DType.Float16);
        Assert.Equal(Tolerance.For(DType.Float32, DType.Float16, 300), sum);
    }

    [Theory]
    [InlineData("mean")]
    [InlineData("logsumexp")]
    [InlineData("softmax")]
    public void Composites_are_not_ops_so_no_tolerance_names_them(string composite)
    {
        // Composites are recorded as their primitives (sum, div, exp, ...): the table, and so the differ, has no row for them.
        Assert.Null(OpTable.Find(composite));
        Assert.Throws<UnknownOpException>(() => OpTable.Get(composite));
    }
}
