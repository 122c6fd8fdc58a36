namespace Corpus.Custom;

// A project's own type that happens to be called Random: not System.Random, so not a finding.
public sealed class Random
{
    private uint _state;

    public Random() => _state = 2463534242;

    public uint Next()
    {
        _state ^= _state << 13;
        _state ^= _state >> 17;
        _state ^= _state << 5;
        return _state;
    }
}

public static class Dice
{
    public static uint Roll() => new Random().Next() % 6;
}
