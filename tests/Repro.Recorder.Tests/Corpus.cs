using System.Text;
using System.Text.RegularExpressions;

namespace Repro.Recorder.Tests;

/// <summary>
/// The committed corpus of log records (tests/Repro.Recorder.Tests/corpus, see its README): inputs, and the expected
/// decoded forms, error messages and writer bytes that tests compare with. With REPRO_CORPUS=write in the environment
/// the tests write the expected files instead of comparing (review the diff before committing it).
/// </summary>
internal static class Corpus
{
    public static string RepoRoot { get; } = FindRoot();

    public static string Folder { get; } = Path.Combine(RepoRoot, "tests", "Repro.Recorder.Tests", "corpus");

    public static bool Writing { get; } = Environment.GetEnvironmentVariable("REPRO_CORPUS") == "write";

    public static string PathOf(string relative) => Path.Combine(Folder, relative);

    public static byte[] Bytes(string relative) => File.ReadAllBytes(PathOf(relative));

    /// <summary>The corpus file's lines (split at \n only, as a reader splits them), without the empty one after the last newline.</summary>
    public static List<byte[]> Lines(string relative)
    {
        var bytes = Bytes(relative);
        var lines = new List<byte[]>();
        int start = 0;
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n')
            {
                lines.Add(bytes[start..i]);
                start = i + 1;
            }
        }

        if (start < bytes.Length)
        {
            lines.Add(bytes[start..]);
        }

        return lines;
    }

    /// <summary>A log folder in <paramref name="dir"/> whose records file holds the corpus file's bytes.</summary>
    public static string AsLog(TempDir dir, string relative) => AsLog(dir, Bytes(relative));

    public static string AsLog(TempDir dir, byte[] records)
    {
        var log = dir.Sub("log-" + Guid.NewGuid().ToString("N") + ".repro");
        Directory.CreateDirectory(log);
        File.WriteAllBytes(Path.Combine(log, LogFormat.RecordsFile), records);
        return log;
    }

    /// <summary>Compares <paramref name="actual"/> with the expected file line by line (or writes it), naming the first line that differs.</summary>
    public static void Expect(string relative, IReadOnlyList<string> actual)
    {
        var path = PathOf(relative);
        if (Writing)
        {
            File.WriteAllText(path, string.Concat(actual.Select(l => l + "\n")), new UTF8Encoding(false));
            return;
        }

        var expected = File.ReadAllText(path, Encoding.UTF8).Split('\n')[..^1];
        for (int i = 0; i < Math.Min(expected.Length, actual.Count); i++)
        {
            Assert.True(expected[i] == actual[i], $"{relative}:{i + 1}\n  expected: {expected[i]}\n  actual:   {actual[i]}");
        }

        Assert.True(expected.Length == actual.Count, $"{relative}: {expected.Length} lines expected, {actual.Count} made");
    }

    public static void ExpectBytes(string relative, byte[] actual)
    {
        if (Writing)
        {
            File.WriteAllBytes(PathOf(relative), actual);
            return;
        }

        Expect(relative, Encoding.UTF8.GetString(actual).Split('\n')[..^1]);
        Assert.Equal(Bytes(relative), actual);
    }

    /// <summary>
    /// Whether a message matches an expected one, in which '*' stands for any text (for the parts that change as the
    /// engine grows, such as how many ops it knows).
    /// </summary>
    public static bool Matches(string expected, string actual) =>
        Regex.IsMatch(actual, "^" + string.Join(".*", expected.Split('*').Select(Regex.Escape)) + "$", RegexOptions.Singleline);

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Repro.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Repro.sln not found above " + AppContext.BaseDirectory);
    }
}
