namespace Repro.Bench;

/// <summary>Reads the kernel's figures under <c>/proc</c> for the benches' measurements of the machine.</summary>
internal static class LinuxProc
{
    /// <summary>The first line of <paramref name="path"/>; null where it cannot be read (not Linux, no such file, no access).</summary>
    public static string? FirstLine(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            using var reader = new StreamReader(path);
            return reader.ReadLine();
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
