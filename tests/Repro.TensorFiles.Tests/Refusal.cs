namespace Repro.TensorFiles.Tests;

/// <summary>What every reader owes a bad file: one line naming the file and the problem, and no allocation sized by a claim.</summary>
internal static class Refusal
{
    public static void Check(Func<byte[], object> read, byte[] file, string prefix, string expected, string what)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<InvalidDataException>(() => read(file));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.StartsWith(prefix, ex.Message);
        Assert.True(ex.Message.Contains(expected, StringComparison.Ordinal), $"{what}: {ex.Message}");
        Assert.DoesNotContain('\n', ex.Message);
        Assert.True(allocated < (1 << 20), $"{what}: reading {file.Length} bytes allocated {allocated} bytes");
    }
}
