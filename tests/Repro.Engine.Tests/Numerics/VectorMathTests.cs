using System.Runtime.Intrinsics;
using Repro.Engine.Backends;
using Repro.Engine.Numerics;

namespace Repro.Engine.Tests.Numerics;

/// <summary>
/// <see cref="VectorMath"/> against the scalar functions (<see cref="ScalarOps"/>, i.e. <see cref="DetMath"/>) bit for bit,
/// at each of the three vector widths run directly (unaccelerated widths run in software, with the same bits), for float32
/// and float64: special values, the edges of every branch and of the ranges the vector code covers, random bit patterns
/// and random values in each function's working range. The same comparison over all 2^32 float inputs is the benchmark's
/// (<c>transcendentals vector</c>); the hardware-invariance tests run the backend at each width in child processes.
/// </summary>
public sealed class VectorMathTests
{
    public static TheoryData<UnaryOp> Ops() => [UnaryOp.Exp, UnaryOp.Log, UnaryOp.Tanh, UnaryOp.Sigmoid, UnaryOp.Erf, UnaryOp.Gelu, UnaryOp.Sin, UnaryOp.Cos];

    private static readonly double[] Edges =
    [
        0, 1, 0.5, 0.55, 0.5499999, 0.5500001, 1.9, 2, 2.0000001, 3.5, 3.4999999, 4.75, 5.999999, 6, 6.000001, 9.01, 19.1,
        36.8, 88.72283, 88.72284, 89, 103.97, 104, 126, 149, 150, 350, 350.0001, 355, 355.1, 700, 700.0001, 709.78, 710,
        710.0001, 745.1, 746, 746.0001, 1000, 1e30, 3.4028234663852886e38, 1e300, double.MaxValue, 1.17549435e-38,
        1.401298464324817e-45, 2.2250738585072014E-308, 4.9e-324, 1.4142135623730951, 0.7071067811865476, 1.4142135,
        0.70710677, 1e-7, 1e-20, double.PositiveInfinity, double.NaN, 0.6931471805599453, 0.34657359, 0.3501,
        0.7853981633974483, 1.5707963267948966, 3.141592653589793, 4.71238898038469, 6.283185307179586, 1e6, 1e10, 1e15,
        1125899906842624.0, 1125899906842623.0, 2.5e15, 4.5e15,
    ];

    [Theory]
    [MemberData(nameof(Ops))]
    public void Float32_every_width_matches_the_scalar_function(UnaryOp op)
    {
        var inputs = FloatInputs(op);
        var expected = inputs.Select(x => ScalarOps.Apply(op, x)).ToArray();
        foreach (var (name, map) in FloatWidths(op))
        {
            var actual = new float[inputs.Length];
            int done = map(inputs, actual);
            Assert.Equal(inputs.Length, done);
            for (int i = 0; i < done; i++)
            {
                if (BitConverter.SingleToUInt32Bits(actual[i]) != BitConverter.SingleToUInt32Bits(expected[i]))
                {
                    Assert.Fail($"{op} {name}: x = {inputs[i]:R} (0x{BitConverter.SingleToUInt32Bits(inputs[i]):X8}): vector {actual[i]:R}, scalar {expected[i]:R}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void Float64_every_width_matches_the_scalar_function(UnaryOp op)
    {
        var inputs = DoubleInputs();
        var expected = inputs.Select(x => ScalarOps.Apply(op, x)).ToArray();
        foreach (var (name, map) in DoubleWidths(op))
        {
            var actual = new double[inputs.Length];
            int done = map(inputs, actual);
            Assert.Equal(inputs.Length, done);
            for (int i = 0; i < done; i++)
            {
                if (BitConverter.DoubleToUInt64Bits(actual[i]) != BitConverter.DoubleToUInt64Bits(expected[i]))
                {
                    Assert.Fail($"{op} {name}: x = {inputs[i]:R}: vector {actual[i]:R}, scalar {expected[i]:R}");
                }
            }
        }
    }

    [Fact]
    public void Lanes_outside_the_vector_range_take_the_scalar_function()
    {
        // One NaN (and one exp input in the subnormal scaling range) in an otherwise ordinary vector.
        var x = Enumerable.Range(0, 64).Select(i => (float)(i - 30) * 0.37f).ToArray();
        x[5] = float.NaN;
        x[40] = -720f;
        var y = new float[64];
        int done = VectorMath.Map<float, Vector128<double>, Lanes128>(UnaryOp.Exp, x, y);
        Assert.Equal(64, done);
        Assert.True(float.IsNaN(y[5]));
        Assert.Equal(DetMath.Exp(-720f), y[40]);
        Assert.Equal(DetMath.Exp(x[6]), y[6]);
    }

    [Fact]
    public void Partial_last_vectors_give_the_same_bits_in_place()
    {
        foreach (int n in new[] { 1, 3, 7, 15, 17, 33, 1000 })
        {
            var x = Enumerable.Range(0, n).Select(i => (float)Math.Sin(i) * 9f).ToArray();
            var expected = x.Select(v => ScalarOps.Apply(UnaryOp.Tanh, v)).ToArray();
            Assert.Equal(n, VectorMath.Map<float, Vector512<double>, Lanes512>(UnaryOp.Tanh, x, x));
            Assert.Equal(expected, x);
        }
    }

    [Fact]
    public void Uncovered_ops_are_left_to_the_caller()
    {
        var x = new float[64];
        Assert.Equal(0, VectorMath.Map<float, Vector256<double>, Lanes256>(UnaryOp.Softplus, x, new float[64]));
        Assert.False(VectorMath.Covers(UnaryOp.Neg));
    }

    private static (string, Func<float[], float[], int>)[] FloatWidths(UnaryOp op) =>
    [
        ("v128", (x, y) => VectorMath.Map<float, Vector128<double>, Lanes128>(op, x, y)),
        ("v256", (x, y) => VectorMath.Map<float, Vector256<double>, Lanes256>(op, x, y)),
        ("v512", (x, y) => VectorMath.Map<float, Vector512<double>, Lanes512>(op, x, y)),
    ];

    private static (string, Func<double[], double[], int>)[] DoubleWidths(UnaryOp op) =>
    [
        ("v128", (x, y) => VectorMath.Map<double, Vector128<double>, Lanes128>(op, x, y)),
        ("v256", (x, y) => VectorMath.Map<double, Vector256<double>, Lanes256>(op, x, y)),
        ("v512", (x, y) => VectorMath.Map<double, Vector512<double>, Lanes512>(op, x, y)),
    ];

    private static float[] FloatInputs(UnaryOp op)
    {
        var list = new List<float>();
        foreach (double e in Edges)
        {
            foreach (float f in new[] { (float)e, -(float)e })
            {
                list.Add(f);
                list.Add(BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(f) + 1));
                list.Add(BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(f) - 1));
            }
        }

        list.Add(float.Epsilon);
        list.Add(-float.Epsilon);
        list.Add(float.NegativeInfinity);

        // Random bit patterns (every binade, NaNs included) and random values in the working range.
        var random = new Random(20261207 + (int)op);
        for (int i = 0; i < 40_000; i++)
        {
            list.Add(BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32)));
        }

        double span = op switch
        {
            UnaryOp.Exp => 110,
            UnaryOp.Log => 1e6,
            UnaryOp.Tanh => 12,
            UnaryOp.Sigmoid => 120,
            UnaryOp.Sin or UnaryOp.Cos => 1e5,
            _ => 8,
        };
        for (int i = 0; i < 40_000; i++)
        {
            double v = ((random.NextDouble() * 2) - 1) * span;
            list.Add((float)(op == UnaryOp.Log ? Math.Abs(v) : v));
        }

        // Runs of ordinary values, so that most vectors take the vector path whole.
        for (int i = 0; i < 4096; i++)
        {
            list.Add((float)(((i % 997) - 498) * span / 498.0));
        }

        return [.. list];
    }

    private static double[] DoubleInputs()
    {
        var list = new List<double>();
        foreach (double e in Edges)
        {
            foreach (double d in new[] { e, -e })
            {
                list.Add(d);
                list.Add(Math.BitIncrement(d));
                list.Add(Math.BitDecrement(d));
            }
        }

        var random = new Random(777);
        for (int i = 0; i < 20_000; i++)
        {
            list.Add(BitConverter.Int64BitsToDouble(random.NextInt64()));
            list.Add(((random.NextDouble() * 2) - 1) * 30);
            list.Add(random.NextDouble() * 1e-300);
        }

        return [.. list];
    }
}
