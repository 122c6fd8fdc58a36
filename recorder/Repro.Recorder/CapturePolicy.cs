using System.Globalization;

namespace Repro.Recorder;

/// <summary>
/// Which op outputs a recording stores by value. Leaves (from_host data and tensors from outside the recording) are
/// always stored; hashes and health summaries are always written. Intermediate values are never needed for replay.
/// </summary>
public sealed record CapturePolicy
{
    private CapturePolicy(string text, long from, long to)
    {
        Text = text;
        From = from;
        To = to;
    }

    /// <summary>Hashes and summaries only (the cheap default).</summary>
    public static CapturePolicy Default { get; } = new("default", 1, 0);

    /// <summary>Every op output by value.</summary>
    public static CapturePolicy All { get; } = new("all", 0, long.MaxValue);

    /// <summary>How the policy is written in a header and on the command line.</summary>
    public string Text { get; }

    /// <summary>First op (sequence number) captured by value.</summary>
    public long From { get; }

    /// <summary>Last op captured by value (inclusive).</summary>
    public long To { get; }

    /// <summary>Ops <paramref name="from"/>..<paramref name="to"/> (inclusive) by value.</summary>
    public static CapturePolicy Range(long from, long to)
    {
        if (from < 0 || to < from)
        {
            throw new ArgumentException($"capture range {from}..{to} is empty or negative: expected 0 <= from <= to");
        }

        return new CapturePolicy(string.Create(CultureInfo.InvariantCulture, $"{from}..{to}"), from, to);
    }

    /// <summary>Parses "default", "all", "N..M" or "N" (one op).</summary>
    public static CapturePolicy Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim();
        if (t.Equals("default", StringComparison.OrdinalIgnoreCase) || t.Equals("hashes", StringComparison.OrdinalIgnoreCase))
        {
            return Default;
        }

        if (t.Equals("all", StringComparison.OrdinalIgnoreCase))
        {
            return All;
        }

        int dots = t.IndexOf("..", StringComparison.Ordinal);
        var a = dots < 0 ? t : t[..dots];
        var b = dots < 0 ? t : t[(dots + 2)..];
        if (long.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out long from)
            && long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out long to) && to >= from)
        {
            return Range(from, to);
        }

        throw new ArgumentException($"capture policy '{text}' is not understood: expected default, all, or a range of ops N..M");
    }

    /// <summary>True when op <paramref name="seq"/>'s outputs are stored by value.</summary>
    public bool Includes(long seq) => seq >= From && seq <= To;

    /// <inheritdoc/>
    public override string ToString() => Text;
}
