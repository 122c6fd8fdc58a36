namespace Repro.Recorder;

/// <summary>
/// A log's blobs folder as the writer fills it: each distinct tensor's bytes once, under their content address, in a
/// file that exists only once it is complete. Writer thread only.
/// </summary>
internal sealed class BlobStore
{
    private readonly string folder;
    private readonly HashSet<string> written = new(StringComparer.Ordinal);

    /// <summary>Creates the folder <paramref name="folder"/> if it is not there.</summary>
    public BlobStore(string folder)
    {
        this.folder = folder;
        Directory.CreateDirectory(folder);
    }

    /// <summary>Distinct blobs written (or found complete) so far.</summary>
    public int Count => written.Count;

    /// <summary>Writes the blob <paramref name="address"/> unless this log has it already.</summary>
    public void Write(string address, ReadOnlySpan<byte> bytes)
    {
        if (!written.Add(address))
        {
            return;
        }

        var final = Path.Combine(folder, address + ".bin");
        if (File.Exists(final) && new FileInfo(final).Length == bytes.Length)
        {
            return;
        }

        // Written under a temporary name and renamed, so a blob file exists only once it is complete.
        var temp = final + ".tmp";
        File.Delete(temp); // Left by an interrupted run, if at all; then a new file, not a truncated one (see the records file).
        using (var f = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            f.Write(bytes);
        }

        File.Move(temp, final, overwrite: true);
    }
}
