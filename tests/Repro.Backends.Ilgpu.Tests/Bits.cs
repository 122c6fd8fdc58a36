using Repro.Engine;
using Repro.Engine.Backends;

namespace Repro.Backends.Ilgpu.Tests;

/// <summary>Bit-for-bit comparison (every NaN counts as the one canonical NaN, as in Repro's hashes) and test data.</summary>
internal static class Bits
{
    /// <summary>
    /// When set (the device-check program sets it), a differing element is recorded here, once per comparison, and
    /// the comparison returns instead of failing: one run then lists every op and dtype that differs, not the first.
    /// </summary>
    public static List<string>? Collected { get; set; }

    public static void Same(Array expected, Array actual, string what)
    {
        Assert.Equal(expected.GetType(), actual.GetType());
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            (ulong e, ulong a, bool nan) = expected switch
            {
                float[] f => (BitConverter.SingleToUInt32Bits(f[i]), BitConverter.SingleToUInt32Bits(((float[])actual)[i]), float.IsNaN(f[i]) && float.IsNaN(((float[])actual)[i])),
                double[] d => (BitConverter.DoubleToUInt64Bits(d[i]), BitConverter.DoubleToUInt64Bits(((double[])actual)[i]), double.IsNaN(d[i]) && double.IsNaN(((double[])actual)[i])),
                int[] n => ((ulong)(uint)n[i], (ulong)(uint)((int[])actual)[i], false),
                _ => (((ushort[])expected)[i], ((ushort[])actual)[i], false),
            };
            if (!nan && e != a)
            {
                string message = $"{what}: element {i} differs: expected bits 0x{e:X}, got 0x{a:X}";
                if (Collected is null)
                {
                    Assert.Fail(message);
                }

                Collected.Add(message);
                return;
            }
        }
    }

    /// <summary>Values of every kind: normal, tiny, huge, subnormal, signed zeros, infinities, NaN, integers.</summary>
    public static double[] Values(int n, int seed)
    {
        var rng = new Random(seed);
        double[] specials = [0.0, -0.0, 1.0, -1.0, 0.5, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 1e-40, -3e-42, 65504, 70000, 1e30, -2.5, 3.0, 88.5, -104.0];
        var v = new double[n];
        for (int i = 0; i < n; i++)
        {
            v[i] = (i % 11) switch
            {
                0 => specials[rng.Next(specials.Length)],
                1 => rng.Next(-20, 20),
                2 => (rng.NextDouble() - 0.5) * 200,
                _ => (rng.NextDouble() - 0.5) * 8,
            };
        }

        return v;
    }

    /// <summary>Host data of a dtype from doubles (finite-only when <paramref name="finite"/>).</summary>
    public static Array Host(DType dtype, int n, int seed, bool finite = false)
    {
        var v = Values(n, seed);
        if (finite)
        {
            for (int i = 0; i < n; i++)
            {
                if (!double.IsFinite(v[i]))
                {
                    v[i] = i % 7;
                }
            }
        }

        return dtype switch
        {
            DType.Float32 => v.Select(x => (float)x).ToArray(),
            DType.Float64 => v,
            DType.Int32 => v.Select(x => double.IsFinite(x) ? (int)Math.Clamp(x, -1000, 1000) : 3).ToArray(),
            DType.Float16 => v.Select(x => Engine.Numerics.HalfBits.FromFloat((float)x)).ToArray(),
            _ => v.Select(x => Engine.Numerics.BFloat16.RoundToBits((float)x)).ToArray(),
        };
    }

    /// <summary>Uploads the same host data to two backends.</summary>
    public static (Storage M, Storage D) Both(Backend device, Array host, DType dtype) =>
        (ManagedBackend.Instance.FromHost(host, dtype), device.FromHost(host, dtype));
}
