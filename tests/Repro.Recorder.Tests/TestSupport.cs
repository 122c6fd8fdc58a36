using System.Text;
using Repro.Engine;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Repro.Recorder.Tests;

/// <summary>A temporary folder removed after the test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "repro-rec-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Reads logs whole for assertions, and rewrites records with valid checksums (to forge divergences).</summary>
internal static class Logs
{
    public static (LogHeader Header, List<LogEntry> Entries, LogTruncation? Truncation) ReadAll(string path)
    {
        using var r = LogReader.Open(path);
        var entries = r.Entries().ToList();
        return (r.Header, entries, r.Truncation);
    }

    public static List<OpRecord> Ops(string path) => [.. ReadAll(path).Entries.OfType<OpRecord>()];

    public static string RecordsPath(string log) => System.IO.Path.Combine(log, LogFormat.RecordsFile);

    /// <summary>A hash over every file of a folder (relative names and bytes): equal only if nothing was touched.</summary>
    public static string Fingerprint(string folder)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var f in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(System.IO.Path.GetRelativePath(folder, f)));
            hash.AppendData(File.ReadAllBytes(f));
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>Records the tiny workload into <paramref name="path"/> and returns its loss.</summary>
    public static double RecordTiny(string path, RecorderOptions? options = null, int steps = 3)
    {
        using var rec = Recorder.Start(path, options);
        return TinyWorkload.Run(steps: steps);
    }

    /// <summary>Replaces op <paramref name="seq"/>'s record with <paramref name="edit"/>(record), re-encoded with a valid checksum.</summary>
    public static void RewriteOp(string log, long seq, Func<OpRecord, OpRecord> edit)
    {
        var path = RecordsPath(log);
        var lines = File.ReadAllLines(path);
        using (var r = LogReader.Open(log))
        {
            foreach (var op in r.Ops())
            {
                if (op.Seq == seq)
                {
                    var line = Encoding.UTF8.GetString(LogCodec.EncodeOp(edit(op))).TrimEnd('\n');
                    lines[op.Position.Line - 1] = line;
                }
            }
        }

        File.WriteAllText(path, string.Join('\n', lines) + "\n");
    }

    public static Tensor[] Capture(Func<Tensor[]> body) => body();
}
