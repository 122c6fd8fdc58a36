using System.Globalization;
using System.Text;
using Repro.Engine;

namespace Repro.Recorder.Tests;

/// <summary>The allocation-free writer produces exactly the bytes the version 1 (Newtonsoft) encoder produced.</summary>
public sealed class WriterFormatTests
{
    private static readonly string[] Strings =
    [
        string.Empty,
        "plain",
        "with \"quotes\", 'single' and \\ backslashes",
        "tab\tnew\nline\rret\fform\bback",
        "\u0000\u0001\u0007\u001b\u001f\u007f",
        "next line \u0085, separators \u2028 \u2029",
        "accents é à ü, Ελληνικά, 日本語",
        "emoji 😀 and 🧪",
        "lone high \ud800 surrogate",
        "lone low \udc00 surrogate",
        "ends with high \ud83d",
        "html <script>&amp;</script> + '",
        "format chars \u200b\u200e\ufeff\ufffe\uffff",
        "/home/user/src/My Project/Model.cs",
        "C:\\Users\\someone\\source\\repos\\Thing\\Program.cs",
        "$type",
    ];

    private static readonly double[] Doubles =
    [
        0.0, -0.0, 1.0, -1.0, 0.1, 2.0, 100.0, 1e15, 1e16, 1e17, 123456789012345678.0, 1e-5, 1.5e-5, 0.0001, 1e-7,
        double.Epsilon, 2.2250738585072014E-308, double.MaxValue, double.MinValue, (double)0.1f, (double)float.MaxValue,
        (double)float.Epsilon, 1e-40, Math.PI, -Math.E, 1.0 / 3.0, 4.35, 1e21, 1e22, 0.3, 9007199254740993.0,
    ];

    [Fact]
    public void Op_leaf_header_and_end_records_are_the_version_1_bytes()
    {
        var rng = new Random(20240611);
        for (int n = 0; n < 3000; n++)
        {
            var op = RandomOp(rng, n);
            Assert.Equal(Text(Legacy.EncodeOp(op)), Text(LogCodec.EncodeOp(op)));
            var leaf = new LeafRecord(RandomTensor(rng), Pick(rng, Strings));
            Assert.Equal(Text(Legacy.EncodeLeaf(leaf)), Text(LogCodec.EncodeLeaf(leaf)));
        }

        for (int n = 0; n < 50; n++)
        {
            var vars = new SortedDictionary<string, string>(StringComparer.Ordinal);
            for (int k = rng.Next(4); k > 0; k--)
            {
                vars[Pick(rng, Strings) + k.ToString(CultureInfo.InvariantCulture)] = Pick(rng, Strings);
            }

            var env = new EnvironmentFingerprint(
                Pick(rng, Strings), Pick(rng, Strings), Pick(rng, Strings), [.. Enumerable.Range(0, rng.Next(4)).Select(_ => Pick(rng, Strings))],
                rng.Next(256), rng.Next(1, 64), Pick(rng, Strings), Pick(rng, Strings), "float32", (ulong)rng.NextInt64() * 3, vars, Pick(rng, Strings));
            var header = new LogHeader(1, Pick(rng, Strings), Pick(rng, Strings), env);
            Assert.Equal(Text(Legacy.EncodeHeader(header)), Text(LogCodec.EncodeHeader(header)));
            var end = new EndRecord(rng.NextInt64(), rng.Next(), rng.Next(), Pick(rng, Strings));
            Assert.Equal(Text(Legacy.EncodeEnd(end)), Text(LogCodec.EncodeEnd(end)));
            var failed = end with
            {
                Error = new RunError(
                    Pick(rng, Strings),
                    Pick(rng, Strings),
                    rng.Next(2) == 0 ? null : Pick(rng, Strings),
                    rng.Next(2) == 0 ? SourceLocation.Unknown : new SourceLocation(Pick(rng, Strings) + "x", rng.Next(), Pick(rng, Strings)),
                    rng.NextInt64(-1, long.MaxValue)),
            };
            Assert.Equal(Text(Legacy.EncodeEnd(failed)), Text(LogCodec.EncodeEnd(failed)));
        }
    }

    [Fact]
    public void A_recorded_log_is_line_for_line_what_the_version_1_encoder_writes()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        using (var rec = Recorder.Start(log))
        {
            TinyWorkload.Run(steps: 4);
            Tensor.FromArray([float.NaN, float.PositiveInfinity, -0f, 1e-40f, 3f], [5]).Exp().Sum();
            Tensor.FromArray([0.5, -2.25], [2]).Mul(3.0);
            Tensor.FromArray([1f, 2f, 3f], [3], DType.BFloat16).Mul(0.5);
            Tensor.FromArray([1f, 2f, 3f], [3], DType.Float16).Add(1.0);
            Tensor.FromArray([4, -5, 6], [3]).Sum();
            var worker = new Thread(() => Tensor.FromArray([1f, 2f], [2]).Mul(2.0)) { Name = "worker\t\"2\" \u00e9" };
            worker.Start();
            worker.Join();
            using (Dispatcher.UseThreadName("loader"))
            {
                Tensor.FromArray([5f], [1]).Neg();
            }
        }

        var lines = File.ReadAllText(Logs.RecordsPath(log), Encoding.UTF8).Split('\n')[..^1];
        using var r = LogReader.Open(log);
        Assert.Equal(lines[0] + "\n", Text(Legacy.EncodeHeader(r.Header)));
        var entries = r.Entries().ToList();
        Assert.Equal(lines.Length - 1, entries.Count);
        for (int i = 0; i < entries.Count; i++)
        {
            var legacy = entries[i] switch
            {
                OpRecord op => Legacy.EncodeOp(op),
                LeafRecord leaf => Legacy.EncodeLeaf(leaf),
                EndRecord end => Legacy.EncodeEnd(end),
                var other => throw new InvalidOperationException(other.ToString()),
            };
            Assert.Equal(lines[i + 1] + "\n", Text(legacy));
        }
    }

    [Fact]
    public void Doubles_written_again_from_the_recent_table_are_the_same_text()
    {
        // One writer, many values with repeats, signed zeros and values that share a table slot.
        var rng = new Random(99);
        var pool = Doubles.Concat(Enumerable.Range(0, 200).Select(_ => RandomDouble(rng))).ToArray();
        var w = new JsonLine();
        try
        {
            for (int i = 0; i < 20000; i++)
            {
                double v = rng.Next(4) == 0 ? RandomDouble(rng) : Pick(rng, pool);
                w.Clear();
                w.Double(v);
                string want = Newtonsoft.Json.JsonConvert.ToString(v);
                Assert.Equal(want, Encoding.UTF8.GetString(w.Written));
            }
        }
        finally
        {
            w.Release();
        }
    }

    private static string Text(byte[] line) => Encoding.UTF8.GetString(line);

    private static T Pick<T>(Random rng, T[] items) => items[rng.Next(items.Length)];

    private static double RandomDouble(Random rng) => rng.Next(3) switch
    {
        0 => Pick(rng, Doubles),
        1 => (rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-30, 30)),
        _ => BitConverter.Int64BitsToDouble(rng.NextInt64()) is var d && double.IsFinite(d) ? d : 1.25,
    };

    private static OpRecord RandomOp(Random rng, int n)
    {
        var attrs = new List<KeyValuePair<string, object>>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int k = rng.Next(5); k > 0; k--)
        {
            var name = Pick(rng, Strings);
            if (!names.Add(name))
            {
                continue;
            }

            object value = rng.Next(9) switch
            {
                0 => rng.Next(3) == 0 ? long.MinValue + rng.Next(2) : rng.NextInt64() - (long.MaxValue / 2),
                1 => RandomDouble(rng),
                2 => rng.Next(2) == 0,
                3 => Pick(rng, Strings),
                4 => Enumerable.Range(0, rng.Next(5)).Select(_ => rng.NextInt64(-1000, 1000)).ToArray(),
                5 => Enumerable.Range(0, rng.Next(5)).Select(_ => rng.Next(6) == 0 ? Pick(rng, [double.NaN, double.PositiveInfinity, double.NegativeInfinity]) : RandomDouble(rng)).ToArray(),
                6 => rng.Next(int.MinValue, int.MaxValue),
                7 => Pick(rng, [double.NaN, double.PositiveInfinity, double.NegativeInfinity]),
                _ => (float)RandomDouble(rng),
            };
            attrs.Add(new(name, value));
        }

        var phase = rng.Next(2) == 0 ? OpPhase.Forward : OpPhase.Backward;
        var src = rng.Next(4) == 0 ? SourceLocation.Unknown : new SourceLocation(Pick(rng, Strings) + "x", rng.Next(100000), Pick(rng, Strings));
        return new OpRecord(
            n,
            Pick(rng, Strings),
            new OpAttributes([.. attrs]),
            phase,
            phase == OpPhase.Backward ? rng.Next(n + 1) : -1,
            rng.Next(3) == 0,
            [.. Enumerable.Range(0, rng.Next(4)).Select(_ => rng.NextInt64(0, 1L << 40))],
            [.. Enumerable.Range(0, rng.Next(1, 3)).Select(_ => RandomTensor(rng))],
            Pick(rng, Strings),
            src) { Thread = rng.Next(3) == 0 ? Pick(rng, Strings) + "t" : LogFormat.MainThread };
    }

    private static TensorRecord RandomTensor(Random rng)
    {
        var hash = new byte[16];
        rng.NextBytes(hash);
        string? blob = null;
        if (rng.Next(3) == 0)
        {
            var b = new byte[16];
            rng.NextBytes(b);
            blob = Convert.ToHexStringLower(b);
        }

        HealthSummary? stats = rng.Next(5) == 0 ? null : new HealthSummary(
            rng.Next(4) == 0 ? null : RandomDouble(rng),
            rng.Next(4) == 0 ? null : RandomDouble(rng),
            rng.Next(4) == 0 ? null : RandomDouble(rng),
            rng.NextInt64(0, 1000),
            rng.NextInt64(0, 3),
            rng.NextInt64(0, 3),
            rng.NextInt64(0, 1L << 33),
            rng.NextInt64());
        return new TensorRecord(
            rng.NextInt64(0, 1L << 50),
            [.. Enumerable.Range(0, rng.Next(5)).Select(_ => rng.Next(0, 100000))],
            Pick(rng, [DType.Float32, DType.Float64, DType.Int32, DType.Float16, DType.BFloat16]),
            Convert.ToHexStringLower(hash),
            stats,
            blob);
    }
}
