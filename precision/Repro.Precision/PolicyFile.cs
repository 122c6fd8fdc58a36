using System.Globalization;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Repro.Engine;

namespace Repro.Precision;

/// <summary>
/// Precision policies as JSON files (docs/precision.md, "Policy files"):
/// <c>{"format": "repro-precision-policy", "version": 1, "dtype": "bfloat16", "rules": [{"op": "sum", "seq": 12}]}</c>.
/// Unknown keys are errors, so a misspelt field never widens a rule to every op.
/// </summary>
public static class PolicyFile
{
    /// <summary>The value of the "format" key.</summary>
    public const string Format = "repro-precision-policy";

    /// <summary>The version written; files of a later version are refused.</summary>
    public const int Version = 1;

    /// <summary>Largest policy file read.</summary>
    public const long MaxBytes = 16L << 20;

    private static readonly HashSet<string> RuleKeys = ["op", "seq", "seqFrom", "seqTo", "file", "line", "member", "scope", "phase", "dtype", "note"];
    private static readonly HashSet<string> TopKeys = ["format", "version", "dtype", "rules", "note", "source"];

    /// <summary>Reads a policy file; <paramref name="lowDType"/> overrides the file's dtype (one of the two is needed).</summary>
    /// <exception cref="FormatException">The file is not a valid policy; the message names the file, the key and the bad value.</exception>
    /// <exception cref="IOException">The file cannot be read or is too large.</exception>
    public static PrecisionPolicy Load(string path, DType? lowDType = null)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"policy file {path} does not exist", path);
        }

        if (info.Length > MaxBytes)
        {
            throw new IOException($"policy file {path} is {info.Length} bytes; at most {MaxBytes} are read");
        }

        return Parse(File.ReadAllText(path), path, lowDType);
    }

    /// <summary>Parses policy JSON; <paramref name="name"/> names it in errors.</summary>
    public static PrecisionPolicy Parse(string json, string name = "policy", DType? lowDType = null)
    {
        JObject root;
        try
        {
            using var reader = new JsonTextReader(new StringReader(json)) { MaxDepth = 16, DateParseHandling = DateParseHandling.None };
            root = JToken.ReadFrom(reader) as JObject ?? throw new FormatException($"{name}: expected a JSON object");
        }
        catch (JsonException ex)
        {
            throw new FormatException($"{name}: not valid JSON: {ex.Message}", ex);
        }

        Unknown(name, root, TopKeys, string.Empty);
        if (root["format"] is { } f && (f.Type != JTokenType.String || (string?)f != Format))
        {
            throw new FormatException($"{name}: format is '{f}', expected '{Format}'");
        }

        if (root["version"] is { } v && (v.Type != JTokenType.Integer || (long)v < 1 || (long)v > Version))
        {
            throw new FormatException($"{name}: version {v} is not supported (this build reads version {Version})");
        }

        DType? fileDType = root["dtype"] is { } d ? ParseDType(name, "dtype", d) : null;
        var low = lowDType ?? fileDType ?? throw new FormatException($"{name}: no dtype: give \"dtype\" in the file or --dtype");
        var rules = new List<PrecisionRule>();
        if (root["rules"] is { } rs)
        {
            if (rs is not JArray array)
            {
                throw new FormatException($"{name}: rules must be an array");
            }

            for (int i = 0; i < array.Count; i++)
            {
                rules.Add(ParseRule(name, $"rules[{i}]", array[i]));
            }
        }

        try
        {
            return new PrecisionPolicy(low, rules);
        }
        catch (ArgumentException ex)
        {
            throw new FormatException($"{name}: {ex.Message}", ex);
        }
    }

    /// <summary>The policy as JSON (rules with their notes, when given).</summary>
    public static string ToJson(PrecisionPolicy policy, IReadOnlyList<string?>? notes = null, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var rules = new JArray();
        for (int i = 0; i < policy.Rules.Count; i++)
        {
            var r = policy.Rules[i];
            var o = new JObject();
            if (r.Op is not null)
            {
                o["op"] = r.Op;
            }

            if (r.SeqFrom is { } from && r.SeqTo == from)
            {
                o["seq"] = from;
            }
            else
            {
                if (r.SeqFrom is { } sf)
                {
                    o["seqFrom"] = sf;
                }

                if (r.SeqTo is { } st)
                {
                    o["seqTo"] = st;
                }
            }

            if (r.File is not null)
            {
                o["file"] = r.File;
            }

            if (r.Line is { } line)
            {
                o["line"] = line;
            }

            if (r.Member is not null)
            {
                o["member"] = r.Member;
            }

            if (r.Scope is not null)
            {
                o["scope"] = r.Scope;
            }

            if (r.Phase is { } p)
            {
                o["phase"] = p == OpPhase.Backward ? "backward" : "forward";
            }

            o["dtype"] = r.DType.Name();
            if (notes is not null && i < notes.Count && notes[i] is { } note)
            {
                o["note"] = note;
            }

            rules.Add(o);
        }

        var root = new JObject
        {
            ["format"] = Format,
            ["version"] = Version,
            ["dtype"] = policy.LowDType.Name(),
        };
        if (source is not null)
        {
            root["source"] = source;
        }

        root["rules"] = rules;
        return root.ToString(Formatting.Indented) + "\n";
    }

    private static PrecisionRule ParseRule(string name, string at, JToken token)
    {
        if (token is not JObject o)
        {
            throw new FormatException($"{name}: {at} must be an object");
        }

        Unknown(name, o, RuleKeys, at + ".");
        long? seq = Long(name, at, o, "seq");
        long? from = Long(name, at, o, "seqFrom");
        long? to = Long(name, at, o, "seqTo");
        if (seq is not null && (from is not null || to is not null))
        {
            throw new FormatException($"{name}: {at}: give seq or seqFrom/seqTo, not both");
        }

        if (from is { } a && to is { } b && a > b)
        {
            throw new FormatException($"{name}: {at}: seqFrom {a} is after seqTo {b}");
        }

        long? line = Long(name, at, o, "line");
        if (line is < 0 or > int.MaxValue)
        {
            throw new FormatException($"{name}: {at}.line: {line} is not a line number");
        }

        OpPhase? phase = o["phase"] is { } ph
            ? (string?)ph switch
            {
                "forward" when ph.Type == JTokenType.String => OpPhase.Forward,
                "backward" when ph.Type == JTokenType.String => OpPhase.Backward,
                _ => throw new FormatException($"{name}: {at}.phase: expected forward or backward, got {ph.ToString(Formatting.None)}"),
            }
            : null;
        return new PrecisionRule
        {
            Op = Str(name, at, o, "op"),
            SeqFrom = seq ?? from,
            SeqTo = seq ?? to,
            File = Str(name, at, o, "file"),
            Line = (int?)line,
            Member = Str(name, at, o, "member"),
            Scope = Str(name, at, o, "scope"),
            Phase = phase,
            DType = o["dtype"] is { } d ? ParseDType(name, at + ".dtype", d) : DType.Float32,
        };
    }

    private static void Unknown(string name, JObject o, HashSet<string> known, string prefix)
    {
        foreach (var p in o.Properties())
        {
            if (!known.Contains(p.Name))
            {
                throw new FormatException($"{name}: unknown key '{prefix}{p.Name}' (expected one of {string.Join(", ", known)})");
            }
        }
    }

    private static string? Str(string name, string at, JObject o, string key) =>
        o[key] is not { } t ? null
        : t.Type == JTokenType.String && ((string?)t)!.Length > 0 ? (string)t!
        : throw new FormatException($"{name}: {at}.{key}: expected a non-empty string, got {t.ToString(Formatting.None)}");

    private static long? Long(string name, string at, JObject o, string key) =>
        o[key] is not { } t ? null
        : t.Type == JTokenType.Integer && t is JValue { Value: long or int } v && Convert.ToInt64(v.Value, CultureInfo.InvariantCulture) >= 0 ? Convert.ToInt64(((JValue)t).Value, CultureInfo.InvariantCulture)
        : throw new FormatException($"{name}: {at}.{key}: expected a non-negative integer, got {t.ToString(Formatting.None)}");

    private static DType ParseDType(string name, string at, JToken t)
    {
        if (t.Type != JTokenType.String)
        {
            throw new FormatException($"{name}: {at}: expected a dtype name, got {t.ToString(Formatting.None)}");
        }

        var s = (string)t!;
        DType d;
        try
        {
            d = DTypes.Parse(s);
        }
        catch (ArgumentException)
        {
            throw new FormatException($"{name}: {at}: unknown dtype '{s}' (float32, float64, float16, bfloat16)");
        }

        return d.IsFloat() ? d : throw new FormatException($"{name}: {at}: {s} is not a floating-point dtype");
    }
}
