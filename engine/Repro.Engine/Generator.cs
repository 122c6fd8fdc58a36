namespace Repro.Engine;

/// <summary>
/// A seeded source of Philox4x32-10 streams. Each random op takes the next stream id; its values then depend only
/// on (seed, stream, element index), never on threads, backends or how many elements other ops drew.
/// </summary>
public sealed class Generator
{
    private static Generator defaultGenerator = new(ReadSeed());
    private long nextStream;

    /// <summary>Creates a generator whose first op gets stream 0.</summary>
    public Generator(ulong seed)
    {
        Seed = seed;
    }

    /// <summary>The process-wide generator used when an op is given none (seed from REPRO_SEED, default 0).</summary>
    public static Generator Default => Volatile.Read(ref defaultGenerator);

    /// <summary>The seed.</summary>
    public ulong Seed { get; }

    /// <summary>The stream id the next random op will take.</summary>
    public ulong PeekStream => (ulong)Interlocked.Read(ref nextStream);

    /// <summary>Replaces the default generator with a fresh one for <paramref name="seed"/>.</summary>
    public static void ManualSeed(ulong seed) => Volatile.Write(ref defaultGenerator, new Generator(seed));

    /// <summary>Takes the next stream id.</summary>
    public ulong NextStream() => (ulong)(Interlocked.Increment(ref nextStream) - 1);

    private static ulong ReadSeed()
    {
        var text = Environment.GetEnvironmentVariable("REPRO_SEED");
        return ulong.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : 0;
    }
}
