using System.Globalization;
using System.Text;
using Repro.Engine;

namespace Repro.Recorder.Tests;

/// <summary>
/// The writer's bytes are frozen by the corpus: a fixed set of records encodes to the committed corpus/valid/writer.jsonl
/// byte for byte, and what the recorder writes while it runs is the codec's encoding of the records it holds. Every
/// record the writer encodes decodes back to itself.
/// </summary>
public sealed class WriterFormatTests
{
    /// <summary>Strings a writer must spell exactly: escapes, control characters, non-ASCII, lone surrogates (written as U+FFFD).</summary>
    internal static readonly string[] Strings =
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

    /// <summary>Doubles whose text a writer must get exactly right (signed zeros, subnormals, the ends of the range, where "R" switches to exponents).</summary>
    internal static readonly double[] Doubles =
    [
        0.0, -0.0, 1.0, -1.0, 0.1, 2.0, 100.0, 1e15, 1e16, 1e17, 123456789012345678.0, 1e-5, 1.5e-5, 0.0001, 1e-7,
        double.Epsilon, 2.2250738585072014E-308, double.MaxValue, double.MinValue, (double)0.1f, (double)float.MaxValue,
        (double)float.Epsilon, 1e-40, Math.PI, -Math.E, 1.0 / 3.0, 4.35, 1e21, 1e22, 0.3, 9007199254740993.0,
    ];

    [Fact]
    public void The_writers_bytes_for_a_fixed_set_of_records_are_the_committed_ones()
    {
        var bytes = new List<byte>(LogCodec.EncodeHeader(FixedLog.Header));
        foreach (var entry in FixedLog.Entries)
        {
            bytes.AddRange(Encode(entry));
        }

        Corpus.ExpectBytes("valid/writer.jsonl", [.. bytes]);
    }

    [Fact]
    public void The_fixed_records_decode_back_to_themselves()
    {
        using var dir = new TempDir();
        using var r = LogReader.Open(Corpus.AsLog(dir, "valid/writer.jsonl"));
        Assert.Equal(DecodedForm.Of(FixedLog.Header, position: false), DecodedForm.Of(r.Header, position: false));
        var entries = r.Entries().ToList();
        Assert.Equal(FixedLog.Entries.Length, entries.Count);
        for (int i = 0; i < entries.Count; i++)
        {
            Assert.Equal(DecodedForm.Of(FixedLog.Entries[i], position: false), DecodedForm.Of(entries[i], position: false));
        }

        Assert.Null(r.Truncation);
    }

    [Fact]
    public void A_recorded_log_is_line_for_line_the_codecs_encoding_of_its_records()
    {
        // The recorder writes records field by field from its queue (a cached source location, hashes as bytes,
        // outputs its issuing thread digested); the codec encodes a record object. Both must give the same bytes.
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        using (Recorder.Start(log))
        {
            TinyWorkload.Run(steps: 4);
            Tensor.FromArray([float.NaN, float.PositiveInfinity, -0f, 1e-40f, 3f], [5]).Exp().Sum();
            Tensor.FromArray([0.5, -2.25], [2]).Mul(3.0);
            Tensor.FromArray([1f, 2f, 3f], [3], DType.BFloat16).Mul(0.5);
            Tensor.FromArray([1f, 2f, 3f], [3], DType.Float16).Add(1.0);
            Tensor.FromArray([4, -5, 6], [3]).Sum();
            Tensor.Full([2, 2], double.NegativeInfinity).Permute([1, 0]);
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
        Assert.Equal(lines[0] + "\n", Text(LogCodec.EncodeHeader(r.Header)));
        var entries = r.Entries().ToList();
        Assert.Equal(lines.Length - 1, entries.Count);
        for (int i = 0; i < entries.Count; i++)
        {
            Assert.Equal(lines[i + 1] + "\n", Text(Encode(entries[i])));
        }
    }

    [Fact]
    public void The_golden_log_reads_to_the_records_its_bytes_encode()
    {
        // The committed golden log, written by an earlier build: each of its lines is the encoding of the record this
        // reader makes of it, so nothing it says is lost or changed in reading.
        var path = Path.Combine(Corpus.RepoRoot, "tests", "golden", "conformance.repro", LogFormat.RecordsFile);
        var lines = File.ReadAllText(path, Encoding.UTF8).Split('\n')[..^1];
        using var r = LogReader.Open(path);
        Assert.Equal(lines[0] + "\n", Text(LogCodec.EncodeHeader(r.Header)));
        var entries = r.Entries().ToList();
        Assert.Equal(lines.Length - 1, entries.Count);
        Assert.True(r.End is { IsComplete: true } && r.Truncation is null);
        for (int i = 0; i < entries.Count; i++)
        {
            Assert.Equal(lines[i + 1] + "\n", Text(Encode(entries[i])));
        }
    }

    [Fact]
    public void Random_records_the_writer_encodes_decode_back_to_themselves()
    {
        var rng = new Random(20240611);
        var decoder = new LogDecoder(LogLimits.Default);
        var pos = new LogPosition("records.jsonl", 2, 0);
        for (int n = 0; n < 3000; n++)
        {
            var op = RandomOp(rng, n);
            Assert.Equal(DecodedForm.Of(op, position: false), DecodedForm.Of(decoder.DecodeEntry(Line(LogCodec.EncodeOp(op)), pos), position: false));
            var leaf = new LeafRecord(RandomTensor(rng), Pick(rng, Strings));
            Assert.Equal(DecodedForm.Of(leaf, position: false), DecodedForm.Of(decoder.DecodeEntry(Line(LogCodec.EncodeLeaf(leaf)), pos), position: false));
        }

        for (int n = 0; n < 100; n++)
        {
            var vars = new SortedDictionary<string, string>(StringComparer.Ordinal);
            for (int k = rng.Next(4); k > 0; k--)
            {
                vars[Pick(rng, Strings) + k.ToString(CultureInfo.InvariantCulture)] = Pick(rng, Strings);
            }

            var env = new EnvironmentFingerprint(
                Pick(rng, Strings), Pick(rng, Strings), Pick(rng, Strings), [.. Enumerable.Range(0, rng.Next(4)).Select(_ => Pick(rng, Strings))],
                rng.Next(256), rng.Next(1, 64), Pick(rng, Strings), Pick(rng, Strings), Pick(rng, ["float32", "float64", "float16", "bfloat16"]), (ulong)rng.NextInt64() * 3, vars, Pick(rng, Strings));
            var header = new LogHeader(1, Pick(rng, Strings), Pick(rng, Strings), env);
            Assert.Equal(DecodedForm.Of(header, position: false), DecodedForm.Of(decoder.DecodeHeader(Line(LogCodec.EncodeHeader(header)), pos), position: false));
            var end = new EndRecord(rng.NextInt64(), rng.Next(), rng.Next(), Pick(rng, [EndStatus.Complete, EndStatus.Exception, EndStatus.Interrupted, .. Strings]))
            {
                Error = rng.Next(3) == 0 ? null : new RunError(
                    Pick(rng, Strings),
                    Pick(rng, Strings),
                    rng.Next(2) == 0 ? null : Pick(rng, Strings),
                    rng.Next(2) == 0 ? SourceLocation.Unknown : new SourceLocation(Pick(rng, Strings) + "x", rng.Next(), Pick(rng, Strings)),
                    rng.NextInt64(-1, long.MaxValue)),
            };
            Assert.Equal(DecodedForm.Of(end, position: false), DecodedForm.Of(decoder.DecodeEntry(Line(LogCodec.EncodeEnd(end)), pos), position: false));
        }
    }

    [Fact]
    public void Doubles_are_written_as_the_committed_text()
    {
        // Each line: the double's bits in hex, then its text in a record. The text reads back to the same bits.
        var w = new JsonLine();
        try
        {
            var lines = new List<string>();
            foreach (double d in Doubles.Concat(Doubles.Select(d => -d)).DistinctBy(BitConverter.DoubleToInt64Bits))
            {
                w.Clear();
                w.Double(d);
                var text = Encoding.UTF8.GetString(w.Written);
                Assert.Equal(BitConverter.DoubleToInt64Bits(d), BitConverter.DoubleToInt64Bits(double.Parse(text, CultureInfo.InvariantCulture)));
                lines.Add(BitConverter.DoubleToInt64Bits(d).ToString("x16", CultureInfo.InvariantCulture) + " " + text);
            }

            Corpus.Expect("valid/doubles.txt", lines);
        }
        finally
        {
            w.Release();
        }
    }

    [Fact]
    public void Doubles_written_again_from_the_recent_table_are_the_same_text()
    {
        // One writer, many values with repeats, signed zeros and values that share a table slot, against a fresh
        // writer (an empty table) for each value.
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
                var fresh = new JsonLine();
                fresh.Double(v);
                Assert.Equal(Encoding.UTF8.GetString(fresh.Written), Encoding.UTF8.GetString(w.Written));
                fresh.Release();
            }
        }
        finally
        {
            w.Release();
        }
    }

    /// <summary>A record's line without its newline, as a reader hands it to the decoder.</summary>
    internal static byte[] Line(byte[] encoded) => encoded[..^1];

    internal static byte[] Encode(LogEntry entry) => entry switch
    {
        OpRecord op => LogCodec.EncodeOp(op),
        LeafRecord leaf => LogCodec.EncodeLeaf(leaf),
        EndRecord end => LogCodec.EncodeEnd(end),
        _ => throw new InvalidOperationException(entry.ToString()),
    };

    private static string Text(byte[] line) => Encoding.UTF8.GetString(line);

    private static T Pick<T>(Random rng, T[] items) => items[rng.Next(items.Length)];

    private static double RandomDouble(Random rng) => rng.Next(3) switch
    {
        0 => Pick(rng, Doubles),
        1 => (rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-30, 30)),
        _ => BitConverter.Int64BitsToDouble(rng.NextInt64()) is var d && double.IsFinite(d) ? d : 1.25,
    };

    /// <summary>A random op record the spec allows: a known op with its arity, one output, a backward op's "of" at most its seq.</summary>
    private static OpRecord RandomOp(Random rng, int n)
    {
        var attrs = new List<KeyValuePair<string, object>>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int k = rng.Next(5); k > 0; k--)
        {
            // Names that differ as written (a lone surrogate is written as U+FFFD).
            var name = Pick(rng, Strings);
            if (!names.Add(DecodedForm.Valid(name)))
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
                5 => Enumerable.Range(0, rng.Next(1, 5)).Select(_ => rng.Next(6) == 0 ? Pick(rng, [double.NaN, double.PositiveInfinity, double.NegativeInfinity]) : RandomDouble(rng)).ToArray(),
                6 => rng.Next(int.MinValue, int.MaxValue),
                7 => Pick(rng, [double.NaN, double.PositiveInfinity, double.NegativeInfinity]),
                _ => (float)RandomDouble(rng),
            };
            attrs.Add(new(name, value));
        }

        var op = Pick(rng, [.. OpRegistry.Names]);
        int arity = OpRegistry.Arity(op);
        var phase = rng.Next(2) == 0 ? OpPhase.Forward : OpPhase.Backward;
        var src = rng.Next(4) == 0 ? SourceLocation.Unknown : new SourceLocation(Pick(rng, Strings) + "x", rng.Next(100000), Pick(rng, Strings));
        return new OpRecord(
            n,
            op,
            new OpAttributes([.. attrs]),
            phase,
            phase == OpPhase.Backward ? rng.Next(n + 1) : -1,
            rng.Next(3) == 0,
            [.. Enumerable.Range(0, arity >= 0 ? arity : rng.Next(12)).Select(_ => rng.NextInt64(0, 1L << 40))],
            [RandomTensor(rng)],
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
            [.. Enumerable.Range(0, rng.Next(5)).Select(_ => rng.Next(0, 100))],
            Pick(rng, [DType.Float32, DType.Float64, DType.Int32, DType.Float16, DType.BFloat16]),
            Convert.ToHexStringLower(hash),
            stats,
            blob);
    }
}

/// <summary>
/// The records of corpus/valid/writer.jsonl: a log that uses every record type, every attribute type, every dtype,
/// both phases, views, threads, source locations, non-finite and extreme doubles, and every string in
/// <see cref="WriterFormatTests.Strings"/>.
/// </summary>
internal static class FixedLog
{
    public static readonly LogHeader Header = new(
        1,
        "0.1.0",
        "default",
        new EnvironmentFingerprint(
            "Debian GNU/Linux 12 (bookworm) (x64)",
            ".NET 10.0.0",
            "AMD EPYC 7B13",
            ["sse4.2", "avx2", "fma", "vector256", "vector<T>=256bit"],
            2,
            1,
            "managed",
            "managed",
            "float32",
            ulong.MaxValue,
            new SortedDictionary<string, string>(StringComparer.Ordinal) { ["DOTNET_TieredPGO"] = "0", ["REPRO_THREADS"] = "1" },
            "repro record --out \"run 1.repro\" -- dotnet app.dll"));

    public static readonly LogEntry[] Entries =
    [
        new LeafRecord(Tensor(0, [2, 3], DType.Float32, 'a', Stats(-1.5, 3.25, 0.5, zero: 1), blob: true), "managed"),
        Op(0, "from_host", [], Tensor(1, [4], DType.Float32, 'b', Stats(0.0, 1.0, 0.25), blob: true), src: new("/src/app/Program.cs", 12, "<Main>$")),
        Op(1, "full", [], Tensor(2, [2, 2], DType.Float64, 'c', Stats(0.1, 0.1, 0.1)), Attrs(("shape", new long[] { 2, 2 }), ("value", 0.1), ("dtype", "float64"))),
        Op(2, "arange", [], Tensor(3, [5], DType.Int32, 'd', Stats(0.0, 4.0, 2.0, zero: 1)), Attrs(("n", 5L), ("dtype", "int32"))),
        Op(3, "rand", [], Tensor(4, [3], DType.Float16, 'e', Stats(0.0498046875, 0.9501953125, 0.5)), Attrs(("shape", new long[] { 3 }), ("dtype", "float16"), ("seed", 42L), ("stream", 7L))),
        Op(4, "randn", [], Tensor(5, [0, 3], DType.BFloat16, 'f', Stats(null, null, null)), Attrs(("shape", new long[] { 0, 3 }), ("dtype", "bfloat16"), ("seed", long.MaxValue), ("stream", long.MinValue))),
        Op(5, "add", [1, 4], Tensor(6, [4], DType.Float32, '0', null)),
        Op(6, "reshape", [6], Tensor(6, [2, 2], DType.Float32, '0', null), Attrs(("shape", new long[] { 2, 2 })), view: true),
        Op(7, "sum", [6], Tensor(7, [], DType.Float32, '1', Stats(-0.0, -0.0, -0.0, zero: 1)), Attrs(("axes", Array.Empty<long>()), ("keepdim", true))),
        Op(8, "mul", [6, 7], Tensor(8, [2, 2], DType.Float32, '2', Stats(double.Epsilon, double.MaxValue, 1e21, sub: 1)), phase: OpPhase.Backward, of: 5, thread: "worker \"1\"\t\u00e9"),
        Op(9, "pad", [8], Tensor(9, [4, 4], DType.Float32, '3', Stats(null, null, null, nan: 16)), Attrs(("pads", new long[] { 1, 1 }), ("value", double.NaN))),
        Op(10, "full", [], Tensor(10, [1], DType.Float64, '4', Stats(double.MinValue, 2.2250738585072014E-308, -1e-300, pinf: 1, ninf: 2)), Attrs(
            ("shape", new long[] { 1 }),
            ("value", double.PositiveInfinity),
            ("dtype", "float64"),
            ("values", new[] { 1.5, double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0, double.Epsilon, double.MaxValue, 1e-7, 100.0 }),
            ("bounds", double.NegativeInfinity),
            ("flag", false))),
        Op(11, "cast", [10], Tensor(11, [1], DType.Float32, '5', null), Attrs([("dtype", (object)"float32"), .. WriterFormatTests.Strings.Select((s, i) => ("s" + i.ToString(CultureInfo.InvariantCulture), (object)s))]), thread: "main#2"),
        Op(12, "concat", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], Tensor(12, [11], DType.Float32, '6', null), Attrs(("axis", 0L)), src: new("C:\\Users\\someone\\source\\repos\\Thing\\Program.cs", 28, "Train")),
        Op(13, "matmul", [12, 12], Tensor(13, [], DType.Float32, '7', null), src: new("model \"quoted\".cs", int.MaxValue, "Forward"), thread: new string('t', LogFormat.MaxThreadIdLength)),
        new EndRecord(14, 1, 3, EndStatus.Exception)
        {
            Error = new RunError("Repro.Engine.ShapeException", "matmul: expected [2,3] x [3,4], got [2,3] x [2,4]\nat the second line", "Tensor.MatMul", new SourceLocation("/src/app/Program.cs", 28, "<Main>$"), 13),
        },
    ];

    private static OpRecord Op(long seq, string op, long[] inputs, TensorRecord output, OpAttributes? attrs = null, bool view = false, OpPhase phase = OpPhase.Forward, long of = -1, SourceLocation src = default, string? thread = null) =>
        new(seq, op, attrs ?? OpAttributes.Empty, phase, of, view, inputs, [output], "managed", src.File is null ? SourceLocation.Unknown : src) { Thread = thread ?? LogFormat.MainThread };

    private static OpAttributes Attrs(params (string Name, object Value)[] pairs) => OpAttributes.Of(pairs);

    private static TensorRecord Tensor(long id, int[] shape, DType dtype, char digit, HealthSummary? stats, bool blob = false) =>
        new(id, shape, dtype, new string(digit, 31) + "9", stats, blob ? new string(digit, 30) + "ff" : null);

    private static HealthSummary Stats(double? min, double? max, double? mean, long nan = 0, long pinf = 0, long ninf = 0, long sub = 0, long zero = 0) =>
        new(min, max, mean, nan, pinf, ninf, sub, zero);
}
