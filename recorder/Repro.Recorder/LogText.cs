using System.Buffers;
using System.Globalization;
using System.Text;

namespace Repro.Recorder;

/// <summary>
/// Text from a log, made safe to print. A log is input: a source file name, an attribute, a member name or the command
/// line in it may hold terminal control sequences (ESC [2J clears the screen, OSC sequences retitle the window or
/// write links), a carriage return that overwrites what a line said, or a bidirectional override that shows a reader
/// other text than is there. Every such character is written as a visible <c>\uXXXX</c> escape (four lower-case hex
/// digits, as in JSON), wherever text from a log is printed: the command line's output, its errors and every report.
/// </summary>
public static class LogText
{
    // C0 controls (tab and newline included: a printed value is one line), DEL, C1 controls, the Arabic letter mark,
    // the left-to-right and right-to-left marks, embeddings, overrides, isolates, and the line and paragraph separators.
    private static readonly SearchValues<char> Unsafe = SearchValues.Create(
        string.Concat(Enumerable.Range(0, 0x20).Concat(Enumerable.Range(0x7F, 0x21)).Select(c => (char)c))
        + "\u061C\u200E\u200F\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069\u2028\u2029");

    /// <summary>True for a character that <see cref="Visible"/> escapes.</summary>
    public static bool IsUnsafe(char c) => Unsafe.Contains(c);

    /// <summary><paramref name="text"/> with every control or bidirectional-formatting character written as <c>\uXXXX</c>; null reads as empty.</summary>
    public static string Visible(string? text) => Escape(text ?? string.Empty, keepJsonWhitespace: false);

    /// <summary>
    /// JSON text with every such character (other than the tab, newline and carriage return that may lay it out) as a
    /// JSON <c>\uXXXX</c> escape. Outside strings JSON is ASCII, so each one is inside a string, where the escape
    /// stands for the same character: the document means exactly what it meant, and prints safely.
    /// </summary>
    public static string EscapeJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Escape(json, keepJsonWhitespace: true);
    }

    private static string Escape(string text, bool keepJsonWhitespace)
    {
        int at = Next(text, 0, keepJsonWhitespace);
        if (at < 0)
        {
            return text;
        }

        var sb = new StringBuilder(text.Length + 16);
        int done = 0;
        while (at >= 0)
        {
            sb.Append(text, done, at - done).Append("\\u").Append(((int)text[at]).ToString("x4", CultureInfo.InvariantCulture));
            done = at + 1;
            at = Next(text, done, keepJsonWhitespace);
        }

        return sb.Append(text, done, text.Length - done).ToString();
    }

    private static int Next(string text, int from, bool keepJsonWhitespace)
    {
        while (from < text.Length)
        {
            int i = text.AsSpan(from).IndexOfAny(Unsafe);
            if (i < 0)
            {
                return -1;
            }

            i += from;
            if (!keepJsonWhitespace || text[i] is not ('\t' or '\n' or '\r'))
            {
                return i;
            }

            from = i + 1;
        }

        return -1;
    }
}
