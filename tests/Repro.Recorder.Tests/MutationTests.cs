using System.Globalization;
using System.IO.Hashing;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Repro.Recorder.Tests;

/// <summary>
/// The decoder on thousands of mutated records, each sealed with a valid checksum so that the JSON reaches it. Every
/// mutated record is read or refused with a LogFormatException (never another exception), and the decision is the
/// spec's (docs/log-format.md): what is read is strict JSON without a name twice and reads the same once re-encoded;
/// a record spelled otherwise in a way the spec allows reads the same; one without a required field, or with a field
/// twice, is refused for that.
/// </summary>
public sealed partial class MutationTests
{
    private static readonly string[] Values =
    [
        "null", "true", "false", "0", "-0", "1", "-1", "7", "01", "1.0", "1.5", "-2.5e3", "1e999", "-1e999", "1E5",
        "99999999999999999999", "-9223372036854775809", "9223372036854775807", "2147483648", "\"\"", "\"x\"",
        "\"op\"", "\"leaf\"", "\"end\"", "\"header\"", "\"backward\"", "\"forward\"", "\"\\u006fp\"", "\"\\u0062ackward\"",
        "\"float32\"", "\"\\u0066loat32\"", "\"int32\"", "\"float128\"", "\"../../etc/passwd\"", "\"0123456789abcdef0123456789abcdef\"",
        "\"0123456789ABCDEF0123456789ABCDEF\"", "\"\\ud800\"", "\"\\u0000\"", "\"$type\"", "[]", "[1]", "[1,2]", "[1.5]", "[-1]",
        "[1,\"a\"]", "[[1]]", "[{\"f64\":\"NaN\"}]", "[1,{\"f64\":\"Infinity\"},2.5]", "{}", "{\"f64\":\"NaN\"}",
        "{\"f64\":\"-Infinity\"}", "{\"f64\":\"nan\"}", "{\"f64\":\"NaN\",\"x\":1}", "{\"a\":1,\"a\":2}", "{\"a\":{\"b\":1,\"b\":2}}",
        "[{\"a\":1,\"a\":1}]", "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]", "{\"file\":\"f.cs\",\"line\":3,\"member\":\"M\"}",
        "{\"file\":\"f.cs\",\"line\":3}", "{\"id\":1,\"shape\":[2],\"dtype\":\"float32\",\"hash\":\"0123456789abcdef0123456789abcdef\"}",
    ];

    /// <summary>Values of unknown fields that the spec lets a reader skip: any JSON without a name twice, within the depth limit.</summary>
    private static readonly string[] SkippableValues =
    [
        "null", "true", "false", "0", "-0", "1e999", "-1.5E-300", "99999999999999999999", "\"\"", "\"\\u00e9\\n\\\"\"",
        "[]", "{}", "[1,\"a\",null,[2,[3]]]", "{\"a\":{\"b\":[1,{\"c\":null}]},\"b\":2}", "{\"type\":\"op\",\"seq\":\"x\"}",
        "{\"f64\":\"nan\"}", "\"0123456789ABCDEF0123456789ABCDEF\"",
    ];

    /// <summary>The fields the spec requires, by the kind of object that holds them.</summary>
    private static readonly Dictionary<string, string[]> Required = new(StringComparer.Ordinal)
    {
        ["header"] = ["type", "format", "version", "repro", "capture", "env"],
        ["env"] = ["os", "runtime", "cpu", "isa", "processors", "threads", "backend", "device", "dtype", "seed", "vars", "command"],
        ["op"] = ["type", "seq", "op", "in", "out", "backend"],
        ["leaf"] = ["type", "tensor", "backend"],
        ["end"] = ["type", "ops", "leaves", "blobs", "status"],
        ["tensor"] = ["id", "shape", "dtype", "hash"],
        ["stats"] = ["nan", "pinf", "ninf", "sub", "zero"],
        ["src"] = ["file", "line", "member"],
        ["error"] = ["type", "message"],
    };

    [Fact]
    public void Mutated_records_are_read_or_refused_and_what_is_read_is_strict_json_that_reads_the_same_reencoded()
    {
        var lines = SampleLines();
        var rng = new Random(4242);
        var pos = new LogPosition("records.jsonl", 2, 100);
        int read = 0, refused = 0;
        for (int trial = 0; trial < 12000; trial++)
        {
            var (source, isHeader) = lines[rng.Next(lines.Count)];
            var body = Mutate(rng, source[..source.LastIndexOf(",\"crc\"", StringComparison.Ordinal)]);

            // A space after the brace: the record type is then found by its field, not by the writer's first bytes.
            body = rng.Next(2) == 0 ? "{ " + body[1..] : body;
            var line = Seal(body);
            var decoder = new LogDecoder(LogLimits.Default);
            try
            {
                if (isHeader)
                {
                    var header = decoder.DecodeHeader(line, pos);
                    Assert.Equal(DecodedForm.Of(header, position: false), DecodedForm.Of(decoder.DecodeHeader(WriterFormatTests.Line(LogCodec.EncodeHeader(header)), pos), position: false));
                }
                else
                {
                    var entry = decoder.DecodeEntry(line, pos);
                    Assert.Equal(DecodedForm.Of(entry, position: false), DecodedForm.Of(decoder.DecodeEntry(WriterFormatTests.Line(WriterFormatTests.Encode(entry)), pos), position: false));

                    // Replay's look-ahead sees exactly the inputs of every op the reader accepts.
                    var scanned = new List<long>();
                    Assert.Equal(entry is OpRecord, new LogDecoder(LogLimits.Default).ScanInputs(line, pos, scanned));
                    if (entry is OpRecord op)
                    {
                        Assert.Equal(op.Inputs, scanned);
                    }
                }

                Assert.True(IsStrictJson(line, LogLimits.Default.MaxJsonDepth), "read, but not strict JSON without a name twice: " + body);
                read++;
            }
            catch (LogFormatException ex)
            {
                Assert.Equal(pos, ex.Position);
                Assert.False(ex.Message.Any(char.IsControl), ex.Message);
                refused++;
            }
        }

        // Plenty of each, or the comparison means little.
        Assert.True(read > 2000 && refused > 2000, $"read {read}, refused {refused}");
    }

    [Fact]
    public void Records_spelled_otherwise_as_the_spec_allows_read_the_same()
    {
        var rng = new Random(77);
        var pos = new LogPosition("records.jsonl", 2, 0);
        var decoder = new LogDecoder(LogLimits.Default);
        foreach (var (source, isHeader) in TreeLines())
        {
            var want = Decode(decoder, Encoding.UTF8.GetBytes(source), isHeader, pos);
            for (int trial = 0; trial < 12; trial++)
            {
                var node = Parse(source);
                var objects = Objects(node);
                for (int k = rng.Next(1, 4); k > 0; k--)
                {
                    var (obj, kind) = objects[rng.Next(objects.Count)];
                    if (kind is "attrs" or "f64")
                    {
                        // Attributes keep their order, and a non-finite number has one field only.
                        continue;
                    }

                    if (kind != "vars" && rng.Next(2) == 0)
                    {
                        // An unknown field, anywhere it would not be a variable.
                        Insert(obj, rng, "zz" + k.ToString(CultureInfo.InvariantCulture), JsonNode.Parse(SkippableValues[rng.Next(SkippableValues.Length)]));
                    }
                    else
                    {
                        Shuffle(obj, rng);
                    }
                }

                var text = Respell(rng, Serialize(node, rng));
                var got = Decode(decoder, Seal(text[..^1]), isHeader, pos);
                Assert.True(want == got, $"{text}\n  reads as {got}\n  the original as {want}");
            }
        }
    }

    [Fact]
    public void A_record_without_a_required_field_is_refused_naming_the_field_and_optional_ones_may_go()
    {
        var pos = new LogPosition("records.jsonl", 2, 0);
        var decoder = new LogDecoder(LogLimits.Default);
        int checkedFields = 0;
        foreach (var (source, isHeader) in TreeLines())
        {
            foreach (var (path, kind) in Objects(Parse(source)).Select((o, i) => (i, o.Kind)))
            {
                var names = Objects(Parse(source))[path].Object.Select(p => p.Key).ToList();
                foreach (var name in names)
                {
                    var node = Parse(source);
                    var obj = Objects(node)[path].Object;
                    bool backward = kind == "op" && (string?)obj["phase"] == "backward";
                    var required = Required.GetValueOrDefault(kind, []).Concat(backward ? ["of"] : []).FirstOrDefault(r => r == name);
                    obj.Remove(name);
                    var line = Seal(node.ToJsonString()[..^1]);
                    if (required is not null)
                    {
                        var ex = Assert.Throws<LogFormatException>(() => Decode(decoder, line, isHeader, pos));
                        // Named with its path in the record ("out[0].stats.nan").
                        Assert.Matches($"^field '([a-z]+(\\[0\\])?\\.)*{Regex.Escape(required)}' is missing$", ex.Detail);
                        checkedFields++;
                    }
                    else if (kind is not ("f64" or "unknown"))
                    {
                        // Optional fields: the record still reads (without them: another record, but a valid one).
                        Decode(decoder, line, isHeader, pos);
                    }
                }
            }
        }

        Assert.True(checkedFields > 200, $"{checkedFields} required fields removed");
    }

    [Fact]
    public void A_field_twice_in_any_object_is_refused_however_its_name_is_spelled()
    {
        var rng = new Random(5);
        var pos = new LogPosition("records.jsonl", 2, 0);
        var decoder = new LogDecoder(LogLimits.Default);
        foreach (var (source, isHeader) in TreeLines())
        {
            for (int trial = 0; trial < 6; trial++)
            {
                var node = Parse(source);
                var candidates = Objects(node).Where(o => o.Kind != "f64" && o.Object.Count > 0).ToList();
                var (obj, _) = candidates[rng.Next(candidates.Count)];
                var (name, value) = obj.ElementAt(rng.Next(obj.Count));
                Insert(obj, rng, "zzTWICEzz", value?.DeepClone());

                // The second occurrence spelled plainly or with every character escaped: names compare once unescaped.
                var spelled = rng.Next(2) == 0 ? JsonSerializer.Serialize(name) : "\"" + string.Concat(name.Select(c => $"\\u{(int)c:x4}")) + "\"";
                var text = Serialize(node, rng).Replace("\"zzTWICEzz\"", spelled, StringComparison.Ordinal);
                var ex = Assert.Throws<LogFormatException>(() => Decode(decoder, Seal(text[..^1]), isHeader, pos));
                Assert.Contains("occurs twice in one object", ex.Detail, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [InlineData("{\"type\":\"\\u006fp\",\"seq\":0,\"op\":\"relu\",\"in\":[1],\"out\":[{\"id\":2,\"shape\":[],\"dtype\":\"\\u0066loat32\",\"hash\":\"0123456789abcdef0123456789abcdef\"}],\"backend\":\"managed\",\"phase\":\"\\u0062ackward\",\"of\":0", null)]
    [InlineData("{\"type\":\"end\",\"ops\":1,\"leaves\":0,\"blobs\":0,\"status\":\"complete\",\"extra\":{\"a\":1,\"a\":2}", "invalid JSON: property 'a' occurs twice in one object")]
    [InlineData("{\"type\":\"end\",\"ops\":1,\"leaves\":0,\"blobs\":0,\"status\":\"complete\",\"out\":[{\"a\":1,\"a\":2}]", "invalid JSON: property 'a' occurs twice in one object")]
    [InlineData("{\"type\":\"end\",\"ops\":1,\"leaves\":0,\"blobs\":0,\"status\":\"complete\",\"extra\":{\"a\":[1,{\"b\":2}]}", null)]
    [InlineData("{\"type\":\"end\",\"ops\":1,\"type\":\"end\",\"leaves\":0,\"blobs\":0,\"status\":\"complete\"", "invalid JSON: property 'type' occurs twice in one object")]
    [InlineData("{\"type\":\"end\",\"ops\":1,\"leaves\":0,\"blobs\":0,\"st\\u0061tus\":\"complete\"", null)]
    [InlineData("{\"type\":\"end\",\"ops\":1,\"leaves\":0,\"blobs\":0,\"status\":\"complete\",\"st\\u0061tus\":\"x\"", "invalid JSON: property 'status' occurs twice in one object")]
    public void Escapes_duplicates_and_unknown_fields_are_read_as_the_spec_says(string body, string? error)
    {
        var line = Seal(body);
        var pos = new LogPosition("records.jsonl", 2, 0);
        if (error is null)
        {
            var unescaped = Regex.Replace(body, @"\\u([0-9a-f]{4})", m => ((char)int.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToString());
            Assert.Equal(DecodedForm.Of(new LogDecoder(LogLimits.Default).DecodeEntry(Seal(unescaped), pos)), DecodedForm.Of(new LogDecoder(LogLimits.Default).DecodeEntry(line, pos)));
        }
        else
        {
            Assert.True(Corpus.Matches(error, Assert.Throws<LogFormatException>(() => new LogDecoder(LogLimits.Default).DecodeEntry(line, pos)).Detail));
        }
    }

    [Theory]
    [InlineData(14)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(400)]
    public void Nesting_is_limited_to_the_depth_limit_however_the_record_starts(int arrays)
    {
        // The record object is one level, so an unknown field of 'arrays' nested arrays makes arrays + 1 levels.
        foreach (var start in new[] { "{\"type\":\"op\",", "{ \"type\":\"op\"," })
        {
            var line = Seal(start + "\"seq\":0,\"op\":\"full\",\"zz\":" + new string('[', arrays) + "1" + new string(']', arrays)
                + ",\"in\":[],\"out\":[{\"id\":1,\"shape\":[],\"dtype\":\"float32\",\"hash\":\"0123456789abcdef0123456789abcdef\"}],\"backend\":\"managed\"");
            var pos = new LogPosition("records.jsonl", 2, 0);
            var decoder = new LogDecoder(new LogLimits { MaxJsonDepth = 16 });
            if (arrays + 1 <= 16)
            {
                Assert.IsType<OpRecord>(decoder.DecodeEntry(line, pos));
            }
            else
            {
                Assert.Contains("MaxDepth of 16", Assert.Throws<LogFormatException>(() => decoder.DecodeEntry(line, pos)).Message);
            }
        }
    }

    /// <summary>Valid records to mutate: the valid corpus's complete lines, and a recording of ops of several threads.</summary>
    private static List<(string Line, bool Header)> SampleLines()
    {
        var lines = new List<(string, bool)>();
        foreach (var file in Directory.GetFiles(Corpus.PathOf("valid"), "*.jsonl").Where(f => !f.EndsWith(".decoded.jsonl", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var text = File.ReadAllText(file, Encoding.UTF8).Split('\n')[..^1];
            lines.AddRange(text.Select((l, i) => (l, i == 0)));
        }

        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        var outside = Repro.Engine.Tensor.FromArray([1.5f, -2f], [2]);
        using (Recorder.Start(log))
        {
            TinyWorkload.Run(steps: 1);
            Repro.Engine.Tensor.FromArray([float.NaN, 1f, -0f], [3]).Exp().Mul(outside.Sum());
            var worker = new Thread(() => Repro.Engine.Tensor.FromArray([2f, 3f], [2]).Neg().Sum()) { Name = "worker \"1\"" };
            worker.Start();
            worker.Join();
        }

        var recorded = File.ReadAllText(Logs.RecordsPath(log), Encoding.UTF8).Split('\n')[..^1];
        lines.AddRange(recorded.Select((l, i) => (l, i == 0)));

        // Only lines that read: the corpus has a log cut short (its last line is incomplete).
        var decoder = new LogDecoder(LogLimits.Default);
        var pos = new LogPosition("records.jsonl", 1, 0);
        return [.. lines.Where(l => Record.Exception(() => Decode(decoder, Encoding.UTF8.GetBytes(l.Item1), l.Item2, pos)) is null)];
    }

    /// <summary>The sample lines that System.Text.Json's tree can write back (not one with a lone surrogate escape in a skipped field).</summary>
    private static List<(string Line, bool Header)> TreeLines() =>
        [.. SampleLines().Where(l => Record.Exception(() => Parse(l.Line).ToJsonString()) is null)];

    private static string Decode(LogDecoder decoder, byte[] line, bool isHeader, LogPosition pos) =>
        isHeader ? DecodedForm.Of(decoder.DecodeHeader(line, pos), position: false) : DecodedForm.Of(decoder.DecodeEntry(line, pos), position: false);

    /// <summary>A record's body (without its closing brace) with the checksum field that closes it.</summary>
    private static byte[] Seal(string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        return [.. bytes, .. Encoding.UTF8.GetBytes(",\"crc\":\"" + Crc32.HashToUInt32(bytes).ToString("x8", CultureInfo.InvariantCulture) + "\"}")];
    }

    /// <summary>A record line as a tree, without its checksum field.</summary>
    private static JsonObject Parse(string line) => JsonNode.Parse(line[..line.LastIndexOf(",\"crc\"", StringComparison.Ordinal)] + "}")!.AsObject();

    /// <summary>Every object of a record, with what the spec calls it ("unknown" inside fields it does not define).</summary>
    private static List<(JsonObject Object, string Kind)> Objects(JsonObject root)
    {
        var all = new List<(JsonObject, string)>();
        void Walk(JsonNode? node, string kind)
        {
            switch (node)
            {
                case JsonObject o:
                    all.Add((o, kind));
                    foreach (var (name, child) in o)
                    {
                        Walk(child, (kind, name) switch
                        {
                            ("header", "env") => "env",
                            ("env", "vars") => "vars",
                            ("op", "attrs") => "attrs",
                            ("attrs", _) => "f64",
                            ("op", "out") or ("leaf", "tensor") => "tensor",
                            ("tensor", "stats") => "stats",
                            ("op" or "error", "src") => "src",
                            ("end", "error") => "error",
                            _ => "unknown",
                        });
                    }

                    break;
                case JsonArray a:
                    foreach (var child in a)
                    {
                        Walk(child, kind is "tensor" or "f64" ? kind : "unknown");
                    }

                    break;
                default:
                    break;
            }
        }

        Walk(root, (string?)root["type"] ?? "unknown");
        return all;
    }

    private static void Shuffle(JsonObject obj, Random rng)
    {
        var members = obj.ToList();
        for (int i = members.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (members[i], members[j]) = (members[j], members[i]);
        }

        obj.Clear();
        foreach (var (name, value) in members)
        {
            obj.Add(name, value);
        }
    }

    private static void Insert(JsonObject obj, Random rng, string name, JsonNode? value)
    {
        var members = obj.ToList();
        obj.Clear();
        int at = rng.Next(members.Count + 1);
        for (int i = 0; i <= members.Count; i++)
        {
            if (i == at)
            {
                obj.Add(name, value);
            }

            if (i < members.Count)
            {
                obj.Add(members[i].Key, members[i].Value);
            }
        }
    }

    /// <summary>The tree as JSON, escaping non-ASCII and HTML characters or not (both are the same JSON).</summary>
    private static string Serialize(JsonNode node, Random rng) =>
        node.ToJsonString(new JsonSerializerOptions { Encoder = rng.Next(2) == 0 ? JavaScriptEncoder.Default : JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    /// <summary>The same JSON spelled otherwise: whitespace between tokens, and letters in strings and names written as \u escapes.</summary>
    private static string Respell(Random rng, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var edits = new List<(int At, int Length, string With)>();
        var r = new Utf8JsonReader(bytes);
        while (r.Read())
        {
            int start = (int)r.TokenStartIndex;
            if (start > 0 && rng.Next(4) == 0)
            {
                edits.Add((start, 0, Pick(rng, [" ", "\t", "\r", " \t "])));
            }

            if (r.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && rng.Next(3) == 0)
            {
                // A plain ASCII letter or digit of the token (not part of an escape), written as \u00XX.
                int end = start + 1 + r.ValueSpan.Length;
                var plain = new List<int>();
                for (int i = start + 1; i < end; i++)
                {
                    if (bytes[i] == (byte)'\\')
                    {
                        i += bytes[i + 1] == (byte)'u' ? 5 : 1;
                    }
                    else if (char.IsAsciiLetterOrDigit((char)bytes[i]))
                    {
                        plain.Add(i);
                    }
                }

                if (plain.Count > 0)
                {
                    int at = plain[rng.Next(plain.Count)];
                    edits.Add((at, 1, $"\\u{bytes[at]:x4}"));
                }
            }
        }

        var text = new StringBuilder();
        int from = 0;
        foreach (var (at, length, with) in edits.OrderBy(e => e.At))
        {
            text.Append(Encoding.UTF8.GetString(bytes, from, at - from)).Append(with);
            from = at + length;
        }

        text.Append(Encoding.UTF8.GetString(bytes, from, bytes.Length - from));
        return text.ToString();
    }

    /// <summary>Strict RFC 8259 JSON (as System.Text.Json's document reads it), nested at most <paramref name="depth"/> deep, no name twice in an object.</summary>
    private static bool IsStrictJson(byte[] line, int depth)
    {
        try
        {
            using var doc = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = depth, AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
            return System.Text.Unicode.Utf8.IsValid(line) && Unique(doc.RootElement);
        }
        catch (JsonException)
        {
            return false;
        }

        static bool Unique(JsonElement e) => e.ValueKind switch
        {
            JsonValueKind.Object => e.EnumerateObject().Select(p => p.Name).Distinct(StringComparer.Ordinal).Count() == e.EnumerateObject().Count() && e.EnumerateObject().All(p => Unique(p.Value)),
            JsonValueKind.Array => e.EnumerateArray().All(Unique),
            _ => true,
        };
    }

    private static string Mutate(Random rng, string body)
    {
        int edits = rng.Next(4) == 0 ? 2 : 1;
        for (int e = 0; e < edits; e++)
        {
            var tokens = Token().Matches(body);
            var pairs = Pair().Matches(body);
            var token = tokens[rng.Next(tokens.Count)];
            int roll = rng.Next(100);
            if (roll < 25)
            {
                // Whitespace between tokens.
                body = body[..token.Index] + Pick(rng, [" ", "\t", "\r", "  \n "]) + body[token.Index..];
            }
            else if (roll < 45 && pairs.Count > 0)
            {
                // An unknown field with any value, before an existing pair.
                var p = pairs[rng.Next(pairs.Count)];
                body = body[..p.Index] + "\"zz" + rng.Next(3).ToString(CultureInfo.InvariantCulture) + "\":" + Pick(rng, Values) + "," + body[p.Index..];
            }
            else if (roll < 70)
            {
                // Replace a value (or, sometimes, a name) with another JSON value.
                body = body[..token.Index] + Pick(rng, Values) + body[(token.Index + token.Length)..];
            }
            else if (roll < 80 && pairs.Count > 0)
            {
                // Repeat a "name": value pair in the same object.
                var p = pairs[rng.Next(pairs.Count)];
                body = body[..p.Index] + p.Value + "," + body[p.Index..];
            }
            else if (roll < 90)
            {
                body = body[..token.Index] + body[(token.Index + token.Length)..];
            }
            else
            {
                // A random JSON-significant character.
                const string chars = "{}[]\":,0123456789-+.eEtrufalsn \\x\u00e9";
                body = body[..token.Index] + chars[rng.Next(chars.Length)] + body[(token.Index + 1)..];
            }
        }

        return body;
    }

    private static T Pick<T>(Random rng, T[] items) => items[rng.Next(items.Length)];

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null|[{}\[\]:,]")]
    private static partial Regex Token();

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*"":(?:""(?:[^""\\]|\\.)*""|-?[0-9.eE+-]+|true|false|null)")]
    private static partial Regex Pair();
}
