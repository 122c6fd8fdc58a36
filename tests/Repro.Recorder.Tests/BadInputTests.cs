using System.Globalization;
using Repro.Engine;

namespace Repro.Recorder.Tests;

public sealed class BadInputTests
{
    private static string SmallRecording(TempDir dir)
    {
        var log = dir.Sub("small.repro");
        using (Recorder.Start(log))
        {
            var a = Tensor.FromArray([1f, 2f, 3f, 4f], [2, 2]);
            var b = a.MatMul(a).Relu();
            b.Sum();
        }

        return log;
    }

    [Fact]
    public void Truncation_at_every_byte_offset_reads_the_complete_prefix()
    {
        using var dir = new TempDir();
        var log = SmallRecording(dir);
        var full = File.ReadAllBytes(Logs.RecordsPath(log));
        var lineEnds = Enumerable.Range(0, full.Length).Where(i => full[i] == '\n').ToArray();
        var cut = dir.Sub("cut.repro");
        Directory.CreateDirectory(cut);
        // A copy: readers refuse a blobs folder that is a link.
        Directory.CreateDirectory(Path.Combine(cut, LogFormat.BlobsFolder));
        foreach (var blob in Directory.GetFiles(Path.Combine(log, LogFormat.BlobsFolder)))
        {
            File.Copy(blob, Path.Combine(cut, LogFormat.BlobsFolder, Path.GetFileName(blob)));
        }

        for (int n = 0; n <= full.Length; n++)
        {
            File.WriteAllBytes(Logs.RecordsPath(cut), full[..n]);
            int completeLines = lineEnds.Count(e => e < n);
            if (completeLines == 0)
            {
                // Nothing to work on without a header: a clear error, not a crash.
                var ex = Assert.Throws<LogFormatException>(() => LogReader.Open(cut).Dispose());
                Assert.Contains(n == 0 ? "empty" : "truncated inside its header", ex.Message);
                continue;
            }

            using var r = LogReader.Open(cut);
            var entries = r.Entries().ToList();
            Assert.Equal(completeLines - 1, entries.Count);
            long lastSeq = entries.OfType<OpRecord>().Select(o => o.Seq).DefaultIfEmpty(-1).Max();
            Assert.Equal(lastSeq, r.LastSeq);
            if (n == full.Length)
            {
                Assert.Null(r.Truncation);
                Assert.NotNull(r.End);
            }
            else
            {
                Assert.NotNull(r.Truncation);
                Assert.Equal(lastSeq, r.Truncation!.LastSeq);
                Assert.Equal(lineEnds[completeLines - 1] + 1, r.Truncation.Position.Offset);
            }
        }
    }

    [Fact]
    public void Every_single_bit_flip_in_the_records_is_detected_with_its_line_and_offset()
    {
        using var dir = new TempDir();
        var log = SmallRecording(dir);
        var path = Logs.RecordsPath(log);
        var original = File.ReadAllBytes(path);
        var lineStarts = new List<int> { 0 };
        lineStarts.AddRange(Enumerable.Range(0, original.Length - 1).Where(i => original[i] == '\n').Select(i => i + 1));
        var rng = new Random(1234);
        for (int trial = 0; trial < 400; trial++)
        {
            int at = rng.Next(original.Length);
            int bit = rng.Next(8);
            var bytes = (byte[])original.Clone();
            bytes[at] ^= (byte)(1 << bit);
            File.WriteAllBytes(path, bytes);
            int line = lineStarts.Count(s => s <= at);
            bool lastByte = at == original.Length - 1;
            Exception? error = Record.Exception(() =>
            {
                using var r = LogReader.Open(log);
                _ = r.Entries().ToList();
                if (lastByte)
                {
                    // The final newline flipped: the last line reads as incomplete.
                    Assert.NotNull(r.Truncation);
                }
                else
                {
                    Assert.Fail($"flip of bit {bit} at byte {at} (line {line}) went undetected");
                }
            });
            if (lastByte)
            {
                Assert.Null(error);
                continue;
            }

            var ex = Assert.IsType<LogFormatException>(error);
            Assert.True(ex.Position.Line == line || (original[at] == '\n' && ex.Position.Line == line + 1) || (bytes[at] == '\n' && ex.Position.Line == line), $"flip at byte {at} (line {line}) reported at {ex.Position}: {ex.Message}");
            Assert.Equal(lineStarts[ex.Position.Line - 1], ex.Position.Offset);
        }
    }

    [Fact]
    public void A_bit_flip_in_a_blob_is_detected_naming_the_blob_and_the_record()
    {
        using var dir = new TempDir();
        var log = SmallRecording(dir);
        var leaf = Logs.Ops(log).First(o => o.Op == "from_host");
        var blob = Path.Combine(log, LogFormat.BlobsFolder, leaf.Output.Blob + ".bin");
        var bytes = File.ReadAllBytes(blob);
        bytes[5] ^= 0x10;
        File.WriteAllBytes(blob, bytes);
        var ex = Assert.Throws<LogFormatException>(() => Replayer.Verify(log));
        Assert.Contains(leaf.Output.Blob!, ex.Message);
        Assert.Contains("corrupt", ex.Message);
        Assert.Contains($"records.jsonl:{leaf.Position.Line} (byte {leaf.Position.Offset})", ex.Message);
    }

    public static TheoryData<string, string> HostileOps => new()
    {
        { "path traversal", Op(0, "from_host", "{\"shape\":[2],\"dtype\":\"float32\"}", Out(1, "[2]", blob: "../../../../etc/passwd")) },
        { "absolute blob path", Op(0, "from_host", "{\"shape\":[2],\"dtype\":\"float32\"}", Out(1, "[2]", blob: "/etc/passwd")) },
        { "absurd shape", Op(0, "full", "{\"shape\":[2147483647,2147483647],\"value\":0.0,\"dtype\":\"float32\"}", Out(1, "[2147483647,2147483647]")) },
        { "negative dim", Op(0, "full", "{\"shape\":[-1],\"value\":0.0,\"dtype\":\"float32\"}", Out(1, "[-1]")) },
        { "huge dim", Op(0, "full", "{\"shape\":[99999999999999999999999],\"value\":0.0,\"dtype\":\"float32\"}", Out(1, "[99999999999999999999999]")) },
        { "rank 100", Op(0, "full", "{}", Out(1, "[" + string.Join(",", Enumerable.Repeat("1", 100)) + "]")) },
        { "deep nesting", Op(0, "full", "{\"x\":" + new string('[', 500) + new string(']', 500) + "}", Out(1, "[1]")) },
        { "unknown op", Op(0, "frobnicate", "{}", Out(1, "[1]")) },
        { "unknown dtype", Op(0, "full", "{}", Out(1, "[1]", dtype: "float128")) },
        { "wrong arity", "{\"type\":\"op\",\"seq\":0,\"op\":\"add\",\"in\":[1],\"out\":[" + Out(2, "[1]") + "],\"backend\":\"managed\"" },
        { "unknown record type", "{\"type\":\"exec\",\"cmd\":\"rm -rf /\"" },
        { "second header", "{\"type\":\"header\"" },
        { "string where number", "{\"type\":\"op\",\"seq\":\"zero\",\"op\":\"full\",\"in\":[],\"out\":[" + Out(1, "[1]") + "],\"backend\":\"managed\"" },
    };

    [Theory]
    [MemberData(nameof(HostileOps))]
    public void Hostile_records_are_refused_with_a_clear_error(string what, string body)
    {
        using var dir = new TempDir();
        var log = Hostile(dir, body);
        var ex = Assert.Throws<LogFormatException>(() =>
        {
            using var r = LogReader.Open(log);
            _ = r.Entries().ToList();
        });
        Assert.Equal(2, ex.Position.Line);
        Assert.True(ex.Message.Length < 400, what + ": " + ex.Message);
    }

    [Fact]
    public void Type_names_in_a_log_are_plain_strings()
    {
        using var dir = new TempDir();
        var log = Hostile(dir, Op(0, "full", "{\"$type\":\"System.Diagnostics.Process, System\",\"shape\":[1],\"value\":1.0,\"dtype\":\"float32\"}", Out(1, "[1]")));
        using var r = LogReader.Open(log);
        var op = r.Ops().Single();
        Assert.Equal("System.Diagnostics.Process, System", op.Attributes.String("$type"));
    }

    [Fact]
    public void A_blob_that_is_a_link_or_the_wrong_size_is_refused_before_reading()
    {
        using var dir = new TempDir();
        var addr = new string('a', 32);
        var log = Hostile(dir, Op(0, "from_host", "{\"shape\":[1000000],\"dtype\":\"float32\"}", Out(1, "[1000000]", blob: addr)));
        var blobs = Path.Combine(log, LogFormat.BlobsFolder);
        Directory.CreateDirectory(blobs);
        File.WriteAllBytes(Path.Combine(blobs, addr + ".bin"), new byte[16]);
        var size = Assert.Throws<LogFormatException>(() => Replayer.Replay(log));
        Assert.Contains("is 16 bytes; the record expects 4000000", size.Message);

        File.Delete(Path.Combine(blobs, addr + ".bin"));
        var outside = dir.Sub("secret.bin");
        File.WriteAllBytes(outside, new byte[4000000]);
        File.CreateSymbolicLink(Path.Combine(blobs, addr + ".bin"), outside);
        var link = Assert.Throws<LogFormatException>(() => Replayer.Replay(log));
        Assert.Contains("is a link", link.Message);
    }

    [Fact]
    public void Unknown_format_versions_and_non_logs_are_refused()
    {
        using var dir = new TempDir();
        var log = SmallRecording(dir);
        var path = Logs.RecordsPath(log);
        var lines = File.ReadAllLines(path);
        lines[0] = Forge.Seal(lines[0][..lines[0].LastIndexOf(",\"crc\"", StringComparison.Ordinal)].Replace("\"version\":1", "\"version\":99", StringComparison.Ordinal));
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
        var ex = Assert.Throws<LogFormatException>(() => LogReader.Open(log));
        Assert.Contains("unknown log format version 99", ex.Message);

        File.WriteAllText(path, "hello world\n");
        Assert.Contains("not a record", Assert.Throws<LogFormatException>(() => LogReader.Open(log)).Message);
    }

    [Fact]
    public void Lines_over_the_limit_are_refused_without_reading_them_whole()
    {
        using var dir = new TempDir();
        var log = Hostile(dir, Op(0, "full", "{\"pad\":\"" + new string('x', 10_000) + "\"}", Out(1, "[1]")));
        var ex = Assert.Throws<LogFormatException>(() =>
        {
            using var r = LogReader.Open(log, new LogLimits { MaxLineBytes = 4096 });
            _ = r.Entries().ToList();
        });
        Assert.Contains("longer than 4096 bytes", ex.Message);
    }

    [Fact]
    public void An_input_that_no_record_produced_stops_replay_with_the_record()
    {
        using var dir = new TempDir();
        var log = Hostile(dir, "{\"type\":\"op\",\"seq\":0,\"op\":\"relu\",\"in\":[42],\"out\":[" + Out(43, "[1]") + "],\"backend\":\"managed\"");
        var ex = Assert.Throws<LogFormatException>(() => Replayer.Replay(log));
        Assert.Contains("input tensor 42 was not produced", ex.Message);
        Assert.Equal(2, ex.Position.Line);
    }

    private static string Op(long seq, string op, string attrs, string output) =>
        "{\"type\":\"op\",\"seq\":" + seq.ToString(CultureInfo.InvariantCulture) + ",\"op\":\"" + op + "\",\"attrs\":" + attrs + ",\"in\":[],\"out\":[" + output + "],\"backend\":\"managed\"";

    private static string Out(long id, string shape, string dtype = "float32", string? blob = null) =>
        "{\"id\":" + id.ToString(CultureInfo.InvariantCulture) + ",\"shape\":" + shape + ",\"dtype\":\"" + dtype + "\",\"hash\":\"" + new string('0', 32) + "\"" + (blob is null ? string.Empty : ",\"blob\":\"" + blob + "\"") + "}";

    /// <summary>A log whose header is real and whose second line is <paramref name="body"/>, sealed with a valid checksum.</summary>
    private static string Hostile(TempDir dir, string body)
    {
        var real = SmallRecording(dir);
        var header = File.ReadLines(Logs.RecordsPath(real)).First();
        var log = dir.Sub("hostile.repro");
        Directory.CreateDirectory(log);
        File.WriteAllText(Logs.RecordsPath(log), header + "\n" + Forge.Seal(body) + "\n");
        return log;
    }
}
