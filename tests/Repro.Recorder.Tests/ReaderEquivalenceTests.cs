using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Text.RegularExpressions;
using Repro.Engine;

namespace Repro.Recorder.Tests;

/// <summary>
/// The Utf8JsonReader decoder against the version 1 Newtonsoft decoder (Legacy.cs) on many mutated records, each
/// sealed with a valid checksum so that the JSON reaches both parsers: whatever the old reader refused, the new one
/// refuses (with a LogFormatException, never another exception); whatever both read, they read the same.
/// </summary>
public sealed partial class ReaderEquivalenceTests
{
    private static readonly string[] Values =
    [
        "null", "true", "false", "0", "-0", "1", "-1", "7", "01", "1.0", "1.5", "-2.5e3", "1e999", "-1e999", "1E5",
        "99999999999999999999", "-9223372036854775809", "9223372036854775807", "2147483648", "\"\"", "\"x\"",
        "\"op\"", "\"leaf\"", "\"end\"", "\"header\"", "\"backward\"", "\"forward\"", "\"\\u006fp\"", "\"\\u0062ackward\"",
        "\"float32\"", "\"\\u0066loat32\"", "\"int32\"", "\"float128\"", "\"../../etc/passwd\"", "\"0123456789abcdef0123456789abcdef\"",
        "\"0123456789ABCDEF0123456789ABCDEF\"", "\"\\ud800\"", "\"\\u0000\"", "\"$type\"", "[]", "[1]", "[1,2]", "[1.5]", "[-1]",
        "[1,\"a\"]", "[[1]]", "[{\"f64\":\"NaN\"}]", "[1,{\"f64\":\"Infinity\"},2.5]", "{}", "{\"f64\":\"NaN\"}",
        "{\"f64\":\"-Infinity\"}", "{\"f64\":\"nan\"}", "{\"f64\":\"NaN\",\"x\":1}", "{\"a\":1,\"a\":2}", "{\"a\":{\"b\":1,\"b\":2}}",
        "[{\"a\":1,\"a\":1}]", "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]", "{\"file\":\"f.cs\",\"line\":3,\"member\":\"M\"}",
        "{\"file\":\"f.cs\",\"line\":3}", "{\"id\":1,\"shape\":[2],\"dtype\":\"float32\",\"hash\":\"0123456789abcdef0123456789abcdef\"}",
    ];

    [Fact]
    public void The_new_reader_refuses_what_the_old_refused_and_reads_the_rest_the_same()
    {
        var lines = SampleLines();
        var rng = new Random(4242);
        var limits = LogLimits.Default;
        int bothRead = 0, bothRefused = 0, onlyNewRefused = 0;
        var newOnly = new List<string>();
        for (int trial = 0; trial < 12000; trial++)
        {
            var (source, isHeader) = lines[rng.Next(lines.Count)];
            var body = Mutate(rng, source[..source.LastIndexOf(",\"crc\"", StringComparison.Ordinal)]);

            // Op records that start as the writer writes them are read in one pass, others through a field table:
            // a space after the brace sends half of them down the second path.
            body = rng.Next(2) == 0 ? "{ " + body[1..] : body;
            var line = Encoding.UTF8.GetBytes(body + ",\"crc\":\"" + Crc32.HashToUInt32(Encoding.UTF8.GetBytes(body)).ToString("x8", CultureInfo.InvariantCulture) + "\"}");
            var pos = new LogPosition("records.jsonl", 2, 100);
            string? before = null;
            Exception? oldError = null;
            try
            {
                var o = Legacy.ParseLine(line, pos, limits);
                before = isHeader ? Text(Legacy.EncodeHeader(Legacy.DecodeHeader(o, pos))) : Encode(Legacy.DecodeEntry(o, pos, limits));
            }
            catch (Exception ex) when (ex is LogFormatException or OverflowException or InvalidCastException or ArgumentException or FormatException)
            {
                oldError = ex;
            }

            string? after = null;
            LogFormatException? newError = null;
            var decoder = new LogDecoder(limits);
            try
            {
                var entry = isHeader ? null : decoder.DecodeEntry(line, pos);
                after = isHeader ? Text(Legacy.EncodeHeader(decoder.DecodeHeader(line, pos))) : Encode(entry!);

                // Replay's look-ahead must see exactly the inputs of every op the reader accepts.
                var scanned = new List<long>();
                bool isOp = !isHeader && new LogDecoder(limits).ScanInputs(line, pos, scanned);
                Assert.Equal(entry is OpRecord, isOp);
                if (entry is OpRecord op)
                {
                    Assert.Equal(op.Inputs, scanned);
                }
            }
            catch (LogFormatException ex)
            {
                newError = ex;
                Assert.Equal(pos, ex.Position);
            }

            if (oldError is not null)
            {
                Assert.True(newError is not null, $"the old reader refused ({oldError.Message}), the new one read: {body}");
                bothRefused++;
            }
            else if (newError is null)
            {
                // One known difference: an integer literal beyond 64 bits where a double is expected (a stats value)
                // went through BigInteger in the old reader, which does not round correctly (99999999999999999999
                // read as 9.999999999999998E+19); the new reader parses it correctly rounded (1E+20).
                if (before != after && body.Contains("99999999999999999999", StringComparison.Ordinal))
                {
                    continue;
                }

                Assert.Equal(before, after);
                bothRead++;
            }
            else
            {
                onlyNewRefused++;
                newOnly.Add(newError.Detail + " | " + body);
            }
        }

        // Both must have met plenty of each case for the comparison to mean anything.
        Assert.True(bothRead > 2000 && bothRefused > 2000, $"read by both {bothRead}, refused by both {bothRefused}, only by the new reader {onlyNewRefused}");

        // The new reader is strict JSON (no leading zeros, comments, lone surrogates...): it may refuse a little more.
        Assert.True(onlyNewRefused < bothRefused / 10, $"refused only by the new reader: {onlyNewRefused}, e.g. {string.Join(" || ", newOnly.Take(5))}");
    }

    [Theory]
    [InlineData("{\"type\":\"\\u006fp\",\"seq\":0,\"op\":\"relu\",\"in\":[1],\"out\":[{\"id\":2,\"shape\":[],\"dtype\":\"\\u0066loat32\",\"hash\":\"0123456789abcdef0123456789abcdef\"}],\"backend\":\"managed\",\"phase\":\"\\u0062ackward\",\"of\":0", true)]
    [InlineData("{\"type\":\"end\",\"ops\":1,\"leaves\":0,\"blobs\":0,\"status\":\"complete\",\"extra\":{\"a\":1,\"a\":2}", false)]
    [InlineData("{\"type\":\"end\",\"ops\":1,\"leaves\":0,\"blobs\":0,\"status\":\"complete\",\"out\":[{\"a\":1,\"a\":2}]", false)]
    [InlineData("{\"type\":\"end\",\"ops\":1,\"leaves\":0,\"blobs\":0,\"status\":\"complete\",\"extra\":{\"a\":[1,{\"b\":2}]}", true)]
    [InlineData("{\"type\":\"end\",\"ops\":1,\"type\":\"end\",\"leaves\":0,\"blobs\":0,\"status\":\"complete\"", false)]
    [InlineData("{\"type\":\"end\",\"ops\":1,\"leaves\":0,\"blobs\":0,\"st\\u0061tus\":\"complete\"", true)]
    [InlineData("{\"type\":\"end\",\"ops\":1,\"leaves\":0,\"blobs\":0,\"status\":\"complete\",\"st\\u0061tus\":\"x\"", false)]
    public void Escapes_duplicates_and_unknown_fields_are_read_as_the_old_reader_read_them(string body, bool readable)
    {
        var line = Encoding.UTF8.GetBytes(body + ",\"crc\":\"" + Crc32.HashToUInt32(Encoding.UTF8.GetBytes(body)).ToString("x8", CultureInfo.InvariantCulture) + "\"}");
        var pos = new LogPosition("records.jsonl", 2, 0);
        if (readable)
        {
            var want = Encode(Legacy.DecodeEntry(Legacy.ParseLine(line, pos, LogLimits.Default), pos, LogLimits.Default));
            Assert.Equal(want, Encode(new LogDecoder(LogLimits.Default).DecodeEntry(line, pos)));
        }
        else
        {
            Assert.Throws<LogFormatException>(() => Legacy.DecodeEntry(Legacy.ParseLine(line, pos, LogLimits.Default), pos, LogLimits.Default));
            Assert.Throws<LogFormatException>(() => new LogDecoder(LogLimits.Default).DecodeEntry(line, pos));
        }
    }

    [Theory]
    [InlineData(14)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(400)]
    public void Nesting_is_limited_to_the_depth_the_old_reader_allowed_on_both_paths(int arrays)
    {
        // The record object is one level, so an unknown field of 'arrays' nested arrays makes arrays + 1 levels.
        foreach (var start in new[] { "{\"type\":\"op\",", "{ \"type\":\"op\"," })
        {
            var body = start + "\"seq\":0,\"op\":\"full\",\"zz\":" + new string('[', arrays) + "1" + new string(']', arrays)
                + ",\"in\":[],\"out\":[{\"id\":1,\"shape\":[],\"dtype\":\"float32\",\"hash\":\"0123456789abcdef0123456789abcdef\"}],\"backend\":\"managed\"";
            var line = Encoding.UTF8.GetBytes(body + ",\"crc\":\"" + Crc32.HashToUInt32(Encoding.UTF8.GetBytes(body)).ToString("x8", CultureInfo.InvariantCulture) + "\"}");
            var pos = new LogPosition("records.jsonl", 2, 0);
            var limits = new LogLimits { MaxJsonDepth = 16 };
            var decoder = new LogDecoder(limits);
            bool readable = Record.Exception(() => Legacy.DecodeEntry(Legacy.ParseLine(line, pos, limits), pos, limits)) is null;
            Assert.Equal(arrays <= 15, readable);
            if (readable)
            {
                Assert.IsType<OpRecord>(decoder.DecodeEntry(line, pos));
            }
            else
            {
                Assert.Contains("MaxDepth of 16", Assert.Throws<LogFormatException>(() => decoder.DecodeEntry(line, pos)).Message);
            }
        }
    }

    private static List<(string Line, bool Header)> SampleLines()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        var outside = Tensor.FromArray([1.5f, -2f], [2]);
        using (Recorder.Start(log))
        {
            TinyWorkload.Run(steps: 2);
            var x = Tensor.FromArray([float.NaN, 1f, -0f], [3]).Exp().Mul(outside.Sum());
            using (Dispatcher.Backward(x.CreatedBy, new SourceLocation("model \"quoted\".cs", 12, "Forward")))
            {
                x.Mul(2.0).Sum(0, keepdim: true);
            }

            Tensor.Full([2, 2], double.NegativeInfinity).Permute([1, 0]);

            // Ops of another thread carry a "thread" field.
            var worker = new Thread(() => Tensor.FromArray([2f, 3f], [2]).Neg().Sum()) { Name = "worker \"1\"" };
            worker.Start();
            worker.Join();
        }

        var text = File.ReadAllText(Logs.RecordsPath(log), Encoding.UTF8).Split('\n')[..^1];
        return [.. text.Select((l, i) => (l, i == 0))];
    }

    private static string Mutate(Random rng, string body)
    {
        int edits = rng.Next(4) == 0 ? 2 : 1;
        for (int e = 0; e < edits; e++)
        {
            var tokens = Token().Matches(body);
            var pairs = Pair().Matches(body);
            var token = tokens[rng.Next(tokens.Count)];
            int roll = rng.Next(100);
            if (roll < 25)
            {
                // Whitespace between tokens: harmless for both.
                body = body[..token.Index] + Pick(rng, [" ", "\t", "\r", "  \n "]) + body[token.Index..];
            }
            else if (roll < 45 && pairs.Count > 0)
            {
                // An unknown field with any value, before an existing pair.
                var p = pairs[rng.Next(pairs.Count)];
                body = body[..p.Index] + "\"zz" + rng.Next(3).ToString(CultureInfo.InvariantCulture) + "\":" + Pick(rng, Values) + "," + body[p.Index..];
            }
            else if (roll < 70)
            {
                // Replace a value (or, sometimes, a name) with another JSON value.
                body = body[..token.Index] + Pick(rng, Values) + body[(token.Index + token.Length)..];
            }
            else if (roll < 80 && pairs.Count > 0)
            {
                // Repeat a "name": value pair in the same object.
                var p = pairs[rng.Next(pairs.Count)];
                body = body[..p.Index] + p.Value + "," + body[p.Index..];
            }
            else if (roll < 90)
            {
                body = body[..token.Index] + body[(token.Index + token.Length)..];
            }
            else
            {
                // A random JSON-significant character.
                const string chars = "{}[]\":,0123456789-+.eEtrufalsn \\x\u00e9";
                body = body[..token.Index] + chars[rng.Next(chars.Length)] + body[(token.Index + 1)..];
            }
        }

        return body;
    }

    private static T Pick<T>(Random rng, T[] items) => items[rng.Next(items.Length)];

    private static string Encode(LogEntry e) => Text(e switch
    {
        OpRecord op => Legacy.EncodeOp(op),
        LeafRecord leaf => Legacy.EncodeLeaf(leaf),
        EndRecord end => Legacy.EncodeEnd(end),
        _ => throw new InvalidOperationException(e.ToString()),
    });

    private static string Text(byte[] b) => Encoding.UTF8.GetString(b);

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|[{}\[\]:,]")]
    private static partial Regex Token();

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*"":(?:""(?:[^""\\]|\\.)*""|-?[0-9.eE+-]+|true|false|null)")]
    private static partial Regex Pair();
}
