using System.Globalization;
using System.IO.Hashing;
using System.Reflection;
using System.Text;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Repro.Engine;

namespace Repro.Recorder.Tests;

/// <summary>
/// Verify checks a log against itself: what a checksum cannot catch (a record deleted whole, a captured blob damaged,
/// a summary or count rewritten with a valid checksum) is a damaged log, named by record, field and both values.
/// Records are edited here with Newtonsoft's JSON reader and writer, not the recorder's codec.
/// </summary>
public sealed class SelfCheckTests
{
    [Fact]
    public void Every_captured_blob_is_rehashed_a_flipped_bit_or_a_cut_fails_verify()
    {
        using var dir = new TempDir();
        var log = dir.Sub("all.repro");
        Logs.RecordTiny(log, new RecorderOptions { Capture = CapturePolicy.All });
        Assert.True(Replayer.Verify(log).Identical);

        // Blobs that only captured outputs reference: replay never needs them, so only the self-check reads them.
        var entries = Logs.ReadAll(log).Entries;
        var needed = entries.OfType<OpRecord>().Where(o => o.Op == "from_host").Select(o => o.Output.Blob)
            .Concat(entries.OfType<LeafRecord>().Select(l => l.Tensor.Blob)).ToHashSet();
        var captured = entries.OfType<OpRecord>().SelectMany(o => o.Outputs).Select(t => t.Blob!).Where(b => !needed.Contains(b)).Distinct().ToList();
        Assert.True(captured.Count > 20, $"{captured.Count} captured blobs");
        var rng = new Random(5);
        foreach (var blob in captured)
        {
            var path = Path.Combine(log, LogFormat.BlobsFolder, blob + ".bin");
            var original = File.ReadAllBytes(path);
            var flipped = (byte[])original.Clone();
            flipped[rng.Next(flipped.Length)] ^= (byte)(1 << rng.Next(8));
            foreach (var damaged in new[] { flipped, original[..^1] })
            {
                File.WriteAllBytes(path, damaged);
                var ex = Assert.Throws<LogFormatException>(() => Replayer.Verify(log));
                Assert.Contains(blob, ex.Message);
            }

            File.WriteAllBytes(path, original);
        }
    }

    [Fact]
    public void A_record_pointing_at_another_intact_blob_is_refused_by_verify_and_by_readers()
    {
        using var dir = new TempDir();
        var log = dir.Sub("all.repro");
        Logs.RecordTiny(log, new RecorderOptions { Capture = CapturePolicy.All });
        var ops = Logs.Ops(log);
        var target = ops.First(o => o.Op == "relu");
        var other = ops.First(o => o.Seq > target.Seq && o.Output.Bytes == target.Output.Bytes && o.Output.Hash != target.Output.Hash);
        Forge.Edit(log, r => (long?)r["seq"] == target.Seq, r => r["out"]![0]!["blob"] = other.Output.Blob);

        var ex = Assert.Throws<LogFormatException>(() => Replayer.Verify(log));
        Assert.Contains($"blob {other.Output.Blob} holds a tensor whose hash is {other.Output.Hash}; the record's hash is {target.Output.Hash}", ex.Message);
        Assert.Equal(target.Position.Line, ex.Position.Line);

        using var reader = LogReader.Open(log);
        var forged = reader.Ops().First(o => o.Seq == target.Seq);
        Assert.Throws<LogFormatException>(() => reader.ReadStored(forged.Output, forged.Position));
    }

    [Fact]
    public void A_summary_rewritten_with_a_valid_checksum_is_damage_naming_the_op_field_and_values()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        Logs.RecordTiny(log);
        var target = Logs.Ops(log).First(o => o.Op == "relu");
        var mean = target.Output.Stats!.Mean!.Value;
        Forge.Edit(log, r => (long?)r["seq"] == target.Seq, r => r["out"]![0]!["stats"]!["nan"] = 3);

        var ex = Assert.Throws<LogFormatException>(() => Replayer.Verify(log));
        Assert.Equal($"damaged log: op {target.Seq} (relu): stats.nan is 3 in the log but 0 in the replayed output", ex.Detail);
        Assert.Equal(target.Position.Line, ex.Position.Line);

        // A mean one ulp off: compared bit for bit. (Newtonsoft takes a value within its epsilon of the old one for
        // no change, so the property is replaced whole.)
        var again = dir.Sub("again.repro");
        Logs.RecordTiny(again);
        Forge.Edit(again, r => (long?)r["seq"] == target.Seq, r => ((JObject)r["out"]![0]!["stats"]!).Property("mean")!.Replace(new JProperty("mean", Math.BitIncrement(mean))));
        Assert.Contains($"stats.mean is {Math.BitIncrement(mean).ToString("R", CultureInfo.InvariantCulture)} in the log but {mean.ToString("R", CultureInfo.InvariantCulture)} in the replayed output", Assert.Throws<LogFormatException>(() => Replayer.Verify(again)).Message);
    }

    [Fact]
    public void A_stored_summary_must_be_that_of_its_blob()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        Logs.RecordTiny(log);
        var leaf = Logs.Ops(log).First(o => o.Op == "from_host");
        Forge.Edit(log, r => (long?)r["seq"] == leaf.Seq, r => r["out"]![0]!["stats"]!["max"] = 1e30);
        var ex = Assert.Throws<LogFormatException>(() => Replayer.Verify(log));
        Assert.Contains($"op {leaf.Seq} (from_host): stats.max is 1E+30 in the log but ", ex.Message);
        Assert.EndsWith("in its blob", ex.Message);
    }

    [Fact]
    public void A_record_deleted_from_the_middle_is_found_by_its_sequence_number()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        Logs.RecordTiny(log);
        var ops = Logs.Ops(log);

        // An op whose output no later op reads: replay alone does not miss it.
        var unread = ops.Where(o => ops.All(later => later.Seq <= o.Seq || !later.Inputs.Contains(o.Output.Id))).ToList();
        var gone = unread[unread.Count / 2];
        Assert.True(gone.Seq > 0 && gone.Seq < ops[^1].Seq);
        var path = Logs.RecordsPath(log);
        var lines = File.ReadAllLines(path).ToList();
        lines.RemoveAt(gone.Position.Line - 1);
        File.WriteAllText(path, string.Join('\n', lines) + "\n");

        var ex = Assert.Throws<LogFormatException>(() => Replayer.Verify(log));
        Assert.Contains($"op {gone.Seq + 1} ({ops.First(o => o.Seq == gone.Seq + 1).Op}) follows op {gone.Seq - 1}: seq is {gone.Seq + 1}, expected {gone.Seq}; a record is missing", ex.Message);

        // Without the end record too (a log cut short): the sequence alone tells.
        File.WriteAllText(path, string.Join('\n', lines.SkipLast(1)) + "\n");
        Assert.Contains("a record is missing", Assert.Throws<LogFormatException>(() => Replayer.Verify(log)).Message);
    }

    [Theory]
    [InlineData("ops", 1, "op records")]
    [InlineData("leaves", 1, "leaf records")]
    [InlineData("blobs", -1, "distinct blobs referenced")]
    public void The_end_records_counts_must_be_what_the_log_holds(string field, long delta, string what)
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        Logs.RecordTiny(log);
        var end = Assert.IsType<EndRecord>(Logs.ReadAll(log).Entries[^1]);
        long real = field switch { "ops" => end.Ops, "leaves" => end.Leaves, _ => end.Blobs };
        Forge.Edit(log, r => (string?)r["type"] == "end", r => r[field] = real + delta);
        var ex = Assert.Throws<LogFormatException>(() => Replayer.Verify(log));
        Assert.Equal($"damaged log: the end record's {field} is {real + delta}, but the log holds {real} {what}", ex.Detail);
    }

    [Fact]
    public void Verify_reports_the_end_records_status()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        Logs.RecordTiny(log);
        Assert.Equal("complete", Replayer.Verify(log).End!.Status);
    }

    [Fact]
    public void The_log_numbers_on_past_an_op_the_recording_did_not_observe()
    {
        using var dir = new TempDir();
        var log = dir.Sub("gap.repro");
        var x = Tensor.FromArray([1f, -2f, 3f], [3]);
        var y = x.Relu();
        var z = y.Neg();
        var w = z.Relu();
        using (var rec = Recorder.Start(log))
        {
            // As the dispatcher would report them if op 101 was taken by a thread that had not seen the recording attach.
            rec.OnOp(Event(100, "relu", [x], y, OpPhase.Forward, -1));
            rec.OnOp(Event(102, "neg", [y], z, OpPhase.Forward, -1));
            rec.OnOp(Event(103, "relu", [z], w, OpPhase.Backward, 102));
        }

        var ops = Logs.Ops(log);
        Assert.Equal([100L, 101, 102], ops.Select(o => o.Seq));
        Assert.Equal(101, ops[2].BackwardOf);
    }

    [Fact]
    public void Readers_refuse_a_blobs_folder_or_records_file_that_is_a_link()
    {
        using var dir = new TempDir();
        var real = dir.Sub("real.repro");
        Logs.RecordTiny(real);

        var linkedBlobs = dir.Sub("blobs-link.repro");
        Directory.CreateDirectory(linkedBlobs);
        File.Copy(Logs.RecordsPath(real), Logs.RecordsPath(linkedBlobs));
        Directory.CreateSymbolicLink(Path.Combine(linkedBlobs, LogFormat.BlobsFolder), Path.Combine(real, LogFormat.BlobsFolder));
        var ex = Assert.Throws<LogFormatException>(() => LogReader.Open(linkedBlobs));
        Assert.Contains("the blobs folder is a link", ex.Message);
        Assert.Throws<LogFormatException>(() => Replayer.Verify(linkedBlobs));

        var linkedRecords = dir.Sub("records-link.repro");
        Directory.CreateDirectory(linkedRecords);
        File.CreateSymbolicLink(Logs.RecordsPath(linkedRecords), Logs.RecordsPath(real));
        Assert.Contains("the records file is a link", Assert.Throws<LogFormatException>(() => LogReader.Open(linkedRecords)).Message);
        Assert.Contains("is a link", Assert.Throws<LogFormatException>(() => LogReader.Open(Logs.RecordsPath(linkedRecords))).Message);

        // A blobs folder replaced by a link after the log was opened is refused when a blob is read.
        var swapped = dir.Sub("swapped.repro");
        Directory.CreateDirectory(swapped);
        File.Copy(Logs.RecordsPath(real), Logs.RecordsPath(swapped));
        using var reader = LogReader.Open(swapped);
        Directory.CreateSymbolicLink(Path.Combine(swapped, LogFormat.BlobsFolder), Path.Combine(real, LogFormat.BlobsFolder));
        var leaf = reader.Ops().First(o => o.Op == "from_host");
        Assert.Contains("the blobs folder is a link", Assert.Throws<LogFormatException>(() => reader.ReadStored(leaf.Output, leaf.Position)).Message);
    }

    private static OpEvent Event(long seq, string op, Tensor[] inputs, Tensor output, OpPhase phase, long of)
    {
        var ctor = typeof(OpEvent).GetConstructors(BindingFlags.Instance | BindingFlags.NonPublic).Single(c => c.GetParameters().Length == 9);
        return (OpEvent)ctor.Invoke([seq, OpTable.Get(op), OpAttributes.Empty, inputs, new[] { output }, SourceLocation.Unknown, phase, of, null]);
    }
}

/// <summary>Edits log records through Newtonsoft's JSON (independent of the recorder's codec) and seals them with a valid checksum.</summary>
internal static class Forge
{
    public static void Edit(string log, Func<JObject, bool> which, Action<JObject> edit)
    {
        var path = Logs.RecordsPath(log);
        var lines = File.ReadAllText(path).Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int crc = lines[i].LastIndexOf(",\"crc\":\"", StringComparison.Ordinal);
            if (crc < 0)
            {
                continue;
            }

            var record = JsonConvert.DeserializeObject<JObject>(lines[i][..crc] + "}", new JsonSerializerSettings { DateParseHandling = DateParseHandling.None })!;
            if (which(record))
            {
                edit(record);
                lines[i] = Seal(record.ToString(Formatting.None)[..^1]);
            }
        }

        File.WriteAllText(path, string.Join('\n', lines));
    }

    /// <summary>A record's body (without its closing brace) with the checksum field that closes it.</summary>
    public static string Seal(string body) =>
        body + ",\"crc\":\"" + Crc32.HashToUInt32(Encoding.UTF8.GetBytes(body)).ToString("x8", CultureInfo.InvariantCulture) + "\"}";
}
