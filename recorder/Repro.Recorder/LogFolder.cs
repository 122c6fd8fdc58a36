namespace Repro.Recorder;

/// <summary>
/// Where a new log is written and how it reaches its path without ever destroying what was there: a recording
/// writes into a sibling folder (<c>name.partial-PID</c>, on the same file system) and moves it into place once
/// closed. An existing log is replaced only when asked (<c>--force</c>), and only a folder holding nothing but a
/// log is ever replaced.
/// </summary>
public static class LogFolder
{
    /// <summary>The part of a partial folder's name after the log's own name.</summary>
    public const string PartialMarker = ".partial-";

    /// <summary>
    /// Checks that a log may be written at <paramref name="path"/> (refusing before anything runs) and creates the
    /// empty partial folder beside it, which it returns.
    /// </summary>
    /// <exception cref="IOException">The path is a file, a folder holding other things than a log, or a log and <paramref name="force"/> is false.</exception>
    public static string PreparePartial(string path, bool force)
    {
        var full = Path.GetFullPath(path);
        CheckTarget(full, force);
        var parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(full)) ?? throw new IOException($"cannot record to '{full}': a log cannot be a root folder");
        Directory.CreateDirectory(parent);
        var stem = Path.TrimEndingDirectorySeparator(full) + PartialMarker + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var partial = stem;
        for (int n = 2; Directory.Exists(partial) || File.Exists(partial); n++)
        {
            partial = stem + "-" + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        Directory.CreateDirectory(partial);
        return partial;
    }

    /// <summary>
    /// Checks that a log may be written at <paramref name="path"/>: nothing there, an empty folder, or (with
    /// <paramref name="force"/>) a folder that holds a log and nothing else.
    /// </summary>
    /// <exception cref="IOException">The path may not be written.</exception>
    public static void CheckTarget(string path, bool force)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
        {
            throw new IOException($"cannot record to '{full}': it is a file; a log is a folder");
        }

        if (!Directory.Exists(full) || !Directory.EnumerateFileSystemEntries(full).Any())
        {
            return;
        }

        if (!File.Exists(Path.Combine(full, LogFormat.RecordsFile)))
        {
            throw new IOException($"cannot record to '{full}': the folder is not empty and holds no Repro log");
        }

        if (!force)
        {
            throw new IOException($"cannot record to '{full}': a log is already there; pass --force (RecorderOptions.Force) to replace it");
        }

        var other = OtherEntries(full).FirstOrDefault();
        if (other is not null)
        {
            throw new IOException($"cannot replace the log at '{full}': the folder also holds '{Path.GetFileName(other)}', which is not part of a log; move it away first");
        }
    }

    /// <summary>
    /// Refuses an output log that is the input log, lies inside it, or contains it (a replay would delete what it
    /// reads). Links are resolved, so another name for the same folder is caught too.
    /// </summary>
    /// <exception cref="IOException">The two overlap.</exception>
    public static void CheckSeparate(string input, string output)
    {
        var a = RealPath(input);
        var b = RealPath(output);
        if (string.Equals(a, b, StringComparison.Ordinal))
        {
            throw new IOException($"--out '{output}' is the log being read ('{input}'): write the new log elsewhere");
        }

        if (IsUnder(b, a))
        {
            throw new IOException($"--out '{output}' lies inside the log being read ('{input}'): write the new log elsewhere");
        }

        if (IsUnder(a, b))
        {
            throw new IOException($"--out '{output}' contains the log being read ('{input}'): write the new log elsewhere");
        }
    }

    /// <summary>The partial folders a process with id <paramref name="processId"/> left beside <paramref name="path"/> (a recording that did not close), in name order.</summary>
    public static IReadOnlyList<string> FindPartials(string path, int processId) =>
        Partials(path, PartialMarker + processId.ToString(System.Globalization.CultureInfo.InvariantCulture), exact: true);

    /// <summary>The partial folders any process left beside <paramref name="path"/>, in name order.</summary>
    public static IReadOnlyList<string> FindPartialsOfAnyProcess(string path) => Partials(path, PartialMarker, exact: false);

    private static IReadOnlyList<string> Partials(string path, string suffix, bool exact)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var parent = Path.GetDirectoryName(full);
        if (parent is null || !Directory.Exists(parent))
        {
            return [];
        }

        // With a process id, "name.partial-12" must not match "name.partial-123": the id ends the name or a "-n" follows.
        var stem = Path.GetFileName(full) + suffix;
        return [.. Directory.EnumerateDirectories(parent)
            .Select(Path.GetFileName)
            .Where(n => n?.StartsWith(stem, StringComparison.Ordinal) == true && !n.EndsWith(".old", StringComparison.Ordinal)
                && (!exact || n.Length == stem.Length || n[stem.Length] == '-'))
            .Order(StringComparer.Ordinal)
            .Select(n => Path.Combine(parent, n!))];
    }

    /// <summary>Moves a closed log from its partial folder to <paramref name="path"/>, replacing a log there only with <paramref name="force"/>.</summary>
    /// <exception cref="IOException">The path was taken while the recording ran (the new log stays in the partial folder).</exception>
    internal static void MoveIntoPlace(string partial, string path, bool force)
    {
        string? old = null;
        if (Directory.Exists(path) && !Directory.EnumerateFileSystemEntries(path).Any())
        {
            Directory.Delete(path);
        }
        else if (Directory.Exists(path) || File.Exists(path))
        {
            try
            {
                CheckTarget(path, force);
            }
            catch (IOException ex)
            {
                throw new IOException($"{ex.Message} (it appeared while recording); the new log is at '{partial}'", ex);
            }

            // Aside first, so that there is always a complete log at one of the two names.
            old = partial + ".old";
            Directory.Move(path, old);
        }

        Directory.Move(partial, path);
        if (old is not null)
        {
            DeleteLog(old);
        }
    }

    /// <summary>Removes a partial folder that holds nothing but a log's files (a recording that never started).</summary>
    internal static void DeletePartial(string? partial)
    {
        if (partial is not null && Directory.Exists(partial))
        {
            DeleteLog(partial);
        }
    }

    /// <summary>Deletes a log's records and blobs, then the folder if nothing else is in it.</summary>
    private static void DeleteLog(string folder)
    {
        File.Delete(Path.Combine(folder, LogFormat.RecordsFile));
        var blobs = Path.Combine(folder, LogFormat.BlobsFolder);
        if (Directory.Exists(blobs) && new DirectoryInfo(blobs).LinkTarget is null)
        {
            foreach (var f in Directory.EnumerateFiles(blobs))
            {
                File.Delete(f);
            }

            if (!Directory.EnumerateFileSystemEntries(blobs).Any())
            {
                Directory.Delete(blobs);
            }
        }

        if (!Directory.EnumerateFileSystemEntries(folder).Any())
        {
            Directory.Delete(folder);
        }
    }

    /// <summary>Entries of a log folder that are not part of the log.</summary>
    private static IEnumerable<string> OtherEntries(string folder) =>
        Directory.EnumerateFileSystemEntries(folder)
            .Where(e => Path.GetFileName(e) is not (LogFormat.RecordsFile or LogFormat.BlobsFolder))
            .Order(StringComparer.Ordinal);

    private static bool IsUnder(string path, string folder) =>
        path.StartsWith(Path.EndsInDirectorySeparator(folder) ? folder : folder + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>The absolute path with every link along it resolved (for the parts that exist).</summary>
    private static string RealPath(string path)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var root = Path.GetPathRoot(full) ?? string.Empty;
        var current = root;
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            for (int hops = 0; hops < 40; hops++)
            {
                FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
                if (!info.Exists || info.LinkTarget is null)
                {
                    break;
                }

                current = Path.TrimEndingDirectorySeparator(Path.GetFullPath(info.LinkTarget, Path.GetDirectoryName(current) ?? root));
            }
        }

        return current;
    }
}
