using System.Security.Cryptography;
using Repro.Engine;
using Repro.Engine.Backends;

namespace Repro.Tests.Shared;

/// <summary>Bit-for-bit comparison (every NaN counts as the one canonical NaN, as in Repro's hashes) and test data.</summary>
/// <remarks>Linked into the backend test projects, so every suite compares and generates data alike.</remarks>
internal static class Bits
{
    /// <summary>
    /// When REPRO_CONFORMANCE_HASHES names a file, every comparison appends a line to it: what was compared and the
    /// SHA-256 of both sides (NaNs canonical). Running a suite before and after a kernel change, then sorting and
    /// comparing the two files, shows that no output changed, not only that the backends still agree.
    /// </summary>
    private static readonly string? HashFile = Environment.GetEnvironmentVariable("REPRO_CONFORMANCE_HASHES");
    private static readonly Lock HashGate = new();

    /// <summary>
    /// When set (the device-check program sets it), a differing element is recorded here, once per comparison, and
    /// the comparison returns instead of failing: one run then lists every op and dtype that differs, not the first.
    /// </summary>
    public static List<string>? Collected { get; set; }

    public static void Same(Array expected, Array actual, string what)
    {
        Assert.Equal(expected.GetType(), actual.GetType());
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        if (HashFile is not null)
        {
            string line = $"{what}\t{Hash(expected)}\t{Hash(actual)}\n";
            lock (HashGate)
            {
                File.AppendAllText(HashFile, line);
            }
        }

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

    /// <summary>Uploads the same host data to two backends: the one that defines the result, and the one under test.</summary>
    public static (Storage Expected, Storage Actual) Both(Backend expected, Backend actual, Array host, DType dtype) =>
        (expected.FromHost(host, dtype), actual.FromHost(host, dtype));

    // SHA-256 of the elements' bytes, every NaN written as the canonical NaN (as Repro's own hashes do).
    private static string Hash(Array values)
    {
        byte[] bytes = values switch
        {
            float[] f => [.. f.SelectMany(x => BitConverter.GetBytes(float.IsNaN(x) ? ScalarOps.CanonicalNaNBits32 : BitConverter.SingleToUInt32Bits(x)))],
            double[] d => [.. d.SelectMany(x => BitConverter.GetBytes(double.IsNaN(x) ? ScalarOps.CanonicalNaNBits64 : BitConverter.DoubleToUInt64Bits(x)))],
            int[] n => [.. n.SelectMany(BitConverter.GetBytes)],
            _ => [.. ((ushort[])values).SelectMany(BitConverter.GetBytes)],
        };
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }
}
