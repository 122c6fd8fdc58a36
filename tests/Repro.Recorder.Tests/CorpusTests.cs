using System.Text;

namespace Repro.Recorder.Tests;

/// <summary>
/// The corpus is the format's oracle (docs/log-format.md says what it must be; corpus/README.md what it holds): every
/// valid log reads to its committed decoded form, and every hostile header, record and log is refused with its
/// committed error, naming the line and byte where it starts.
/// </summary>
public sealed class CorpusTests
{
    public static TheoryData<string> ValidLogs => new(
        Directory.GetFiles(Corpus.PathOf("valid"), "*.jsonl")
            .Select(Path.GetFileName)
            .Where(f => !f!.EndsWith(".decoded.jsonl", StringComparison.Ordinal))
            .Select(f => f![..^".jsonl".Length])
            .Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(ValidLogs))]
    public void A_valid_log_reads_to_its_committed_decoded_form(string name)
    {
        using var dir = new TempDir();
        Corpus.Expect($"valid/{name}.decoded.jsonl", Read(Corpus.AsLog(dir, $"valid/{name}.jsonl"), position: true));
    }

    [Fact]
    public void Spelled_otherwise_the_writers_records_read_the_same()
    {
        // spelling.jsonl holds the records of writer.jsonl, line for line, in other spellings the spec allows: fields in
        // other orders, whitespace, escapes, unknown fields, defaults written out, numbers written otherwise.
        using var dir = new TempDir();
        var writer = Read(Corpus.AsLog(dir, "valid/writer.jsonl"), position: false);
        var spelled = Read(Corpus.AsLog(dir, "valid/spelling.jsonl"), position: false);
        Assert.Equal(writer.Count, spelled.Count);
        for (int i = 0; i < writer.Count; i++)
        {
            Assert.True(writer[i] == spelled[i], $"line {i + 1}\n  writer.jsonl:   {writer[i]}\n  spelling.jsonl: {spelled[i]}");
        }

        Assert.NotEqual(Corpus.Bytes("valid/writer.jsonl"), Corpus.Bytes("valid/spelling.jsonl"));
    }

    [Fact]
    public void Hostile_headers_are_refused_with_the_committed_errors()
    {
        // Each line is the first line of a log of its own.
        using var dir = new TempDir();
        var cases = Corpus.Lines("hostile/headers.jsonl");
        Check("hostile/headers.expected", cases.ConvertAll(line => Refusal(dir, [.. line, (byte)'\n'])));
    }

    [Fact]
    public void Hostile_records_are_refused_with_the_committed_errors()
    {
        // The first line is a valid header; each line after it is the second line of a log of its own.
        using var dir = new TempDir();
        var lines = Corpus.Lines("hostile/records.jsonl");
        byte[] header = [.. lines[0], (byte)'\n'];
        using (LogReader.Open(Corpus.AsLog(dir, header)))
        {
        }

        Check("hostile/records.expected", lines.Skip(1).Select(line => Refusal(dir, [.. header, .. line, (byte)'\n'])).ToList());
    }

    [Fact]
    public void Hostile_logs_are_refused_with_the_committed_errors()
    {
        // Whole records files: what is wrong is in the order of their records, or in their bytes as a whole.
        using var dir = new TempDir();
        var files = Directory.GetFiles(Corpus.PathOf("hostile/logs"), "*.jsonl").Order(StringComparer.Ordinal).ToList();
        var messages = files.ConvertAll(f => Refusal(dir, File.ReadAllBytes(f)));
        Check("hostile/logs.expected", messages, [.. files.Select(Path.GetFileNameWithoutExtension)!]);
    }

    /// <summary>The header, every entry and the reader's state after the entries, each as its decoded form.</summary>
    internal static List<string> Read(string log, bool position)
    {
        using var r = LogReader.Open(log);
        var lines = new List<string> { DecodedForm.Of(r.Header, position) };
        lines.AddRange(r.Entries().Select(e => DecodedForm.Of(e, position)));
        lines.Add(DecodedForm.Of(r));
        return lines;
    }

    /// <summary>The message a reader refuses the log with (reading it whole), without the folder it was read from.</summary>
    private static string Refusal(TempDir dir, byte[] records)
    {
        var log = Corpus.AsLog(dir, records);
        var ex = Assert.Throws<LogFormatException>(() =>
        {
            using var r = LogReader.Open(log);
            _ = r.Entries().Count();
        });

        // One line, bounded, naming where: the CLI prints it as it is.
        Assert.DoesNotContain(ex.Message, c => char.IsControl(c));
        Assert.True(ex.Message.Length < 600, ex.Message);
        Assert.Equal(Path.Combine(log, LogFormat.RecordsFile), ex.Position.File);
        return ex.Message.Replace(log + Path.DirectorySeparatorChar, string.Empty, StringComparison.Ordinal);
    }

    /// <summary>
    /// Compares each case's message with the expected file's line for it ("name TAB message", in the order of the
    /// cases; the message may hold '*' for text that changes as the engine grows), listing every difference.
    /// </summary>
    private static void Check(string expectedFile, List<string> messages, string[]? names = null)
    {
        var path = Corpus.PathOf(expectedFile);
        var expected = File.Exists(path) ? File.ReadAllText(path, Encoding.UTF8).Split('\n')[..^1] : [];
        names ??= [.. expected.Select(l => l.Split('\t')[0])];
        if (Corpus.Writing)
        {
            Assert.Equal(names.Length, messages.Count);
            Corpus.Expect(expectedFile, [.. names.Select((n, i) => n + "\t" + (i < expected.Length && Corpus.Matches(expected[i].Split('\t', 2)[1], messages[i]) ? expected[i].Split('\t', 2)[1] : messages[i]))]);
            return;
        }

        Assert.True(expected.Length == messages.Count, $"{expectedFile}: {expected.Length} cases expected, {messages.Count} in the corpus");
        var wrong = new List<string>();
        for (int i = 0; i < messages.Count; i++)
        {
            var parts = expected[i].Split('\t', 2);
            if (parts[0] != names[i] || !Corpus.Matches(parts[1], messages[i]))
            {
                wrong.Add($"{names[i]} (case {i + 1})\n  expected: {parts[1]}\n  actual:   {messages[i]}");
            }
        }

        Assert.True(wrong.Count == 0, $"{expectedFile}: {wrong.Count} of {messages.Count} cases differ:\n" + string.Join("\n", wrong));
    }
}
