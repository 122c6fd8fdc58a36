using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace Repro.Recorder.Tests;

public sealed class LogTextTests
{
    private static readonly char[] Bidi = ['\u061C', '\u200E', '\u200F', '\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069', '\u2028', '\u2029'];

    [Fact]
    public void Control_and_bidi_characters_become_visible_escapes_and_nothing_else_changes()
    {
        Assert.Equal(@"a\u001b[2Jb\u0007c\u000dd\u202ee\u009bf\u007fg\u000ah\u0009i\u0000", LogText.Visible("a\u001b[2Jb\u0007c\rd\u202Ee\u009bf\u007fg\nh\ti\0"));
        foreach (var plain in new[] { string.Empty, "Model.cs", @"C:\src\Model.cs", "Modèle_日本.cs", "\\u001b", "[red]x[/]" })
        {
            Assert.Same(plain, LogText.Visible(plain));
        }

        Assert.Equal(string.Empty, LogText.Visible(null));
        for (int c = 0; c <= 0xFFFF; c++)
        {
            bool unsafeChar = c < 0x20 || (c >= 0x7F && c <= 0x9F) || Array.IndexOf(Bidi, (char)c) >= 0;
            Assert.Equal(unsafeChar, LogText.IsUnsafe((char)c));
            var text = ((char)c).ToString();
            Assert.Equal(unsafeChar ? $"\\u{c:x4}" : text, LogText.Visible(text));
        }
    }

    [Fact]
    public void Json_keeps_its_meaning_and_loses_every_raw_control_character()
    {
        var hostile = "\u001b]0;pwned\u0007 \u009b31m \u202Egnp.exe \u007f \u2028 \r\n\t";
        var doc = new JObject { ["file"] = hostile, ["list"] = new JArray(hostile, "plain") }.ToString(Formatting.Indented);
        var safe = LogText.EscapeJson(doc);
        Assert.DoesNotContain(safe, c => LogText.IsUnsafe(c) && c is not ('\n' or '\r' or '\t'));
        var back = JObject.Parse(safe);
        Assert.Equal(hostile, (string?)back["file"]);
        Assert.Equal(hostile, (string?)back["list"]![0]);
        var plain = new JObject { ["file"] = "Model.cs", ["n"] = 1 }.ToString(Formatting.Indented);
        Assert.Same(plain, LogText.EscapeJson(plain));
    }
}
