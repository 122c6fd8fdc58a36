namespace Repro.Engine;

/// <summary>
/// What a precision policy sees of one op: its name, sequence number, phase, source location and scope. The scope is a
/// generic "module path or ONNX node name" string (e.g. <c>encoder.layers.0.ln1</c>); null where the op carries none.
/// </summary>
/// <param name="Op">The op table name ("matmul", "exp").</param>
/// <param name="Seq">The op's sequence number in the float32 run (replay: the log's; live: see <see cref="Autocast.Use"/>).</param>
/// <param name="Phase">Forward or backward.</param>
/// <param name="Source">Where the user's code called it.</param>
/// <param name="Scope">Module path or node name, or null.</param>
public readonly record struct PrecisionOp(string Op, long Seq, OpPhase Phase, SourceLocation Source, string? Scope);

/// <summary>
/// One rule of a <see cref="PrecisionPolicy"/>: the ops it matches (every field given must match; a rule with no field
/// matches every op) and the dtype they compute in.
/// </summary>
public sealed record PrecisionRule
{
    /// <summary>The op name, exactly ("sum").</summary>
    public string? Op { get; init; }

    /// <summary>The first sequence number matched (inclusive).</summary>
    public long? SeqFrom { get; init; }

    /// <summary>The last sequence number matched (inclusive).</summary>
    public long? SeqTo { get; init; }

    /// <summary>The source file: the op's path ends with it at a folder boundary ("Layers.cs", "nn/Layers.cs").</summary>
    public string? File { get; init; }

    /// <summary>The source line.</summary>
    public int? Line { get; init; }

    /// <summary>The calling member ("Forward").</summary>
    public string? Member { get; init; }

    /// <summary>
    /// The scope (module path or ONNX node name): exact, a prefix at a '.' or '/' boundary ("encoder" matches
    /// "encoder.ln1"), or a pattern where '*' stands for any characters.
    /// </summary>
    public string? Scope { get; init; }

    /// <summary>Forward or backward only.</summary>
    public OpPhase? Phase { get; init; }

    /// <summary>The dtype matched ops compute in (default float32).</summary>
    public DType DType { get; init; } = DType.Float32;

    /// <summary>True when every given field matches <paramref name="op"/>.</summary>
    public bool Matches(in PrecisionOp op) =>
        (Op is null || string.Equals(Op, op.Op, StringComparison.Ordinal))
        && (SeqFrom is not { } from || op.Seq >= from)
        && (SeqTo is not { } to || op.Seq <= to)
        && (File is null || FileMatches(File, op.Source.File))
        && (Line is not { } line || op.Source.Line == line)
        && (Member is null || string.Equals(Member, op.Source.Member, StringComparison.Ordinal))
        && (Scope is null || (op.Scope is { } s && ScopeMatches(Scope, s)))
        && (Phase is not { } phase || phase == op.Phase);

    /// <summary>One line for people: the fields given.</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (Op is not null)
        {
            parts.Add("op " + Op);
        }

        if (SeqFrom is { } f && SeqTo is { } t)
        {
            parts.Add(f == t ? $"seq {f}" : $"seq {f}..{t}");
        }
        else if (SeqFrom is { } f2)
        {
            parts.Add($"seq {f2}..");
        }
        else if (SeqTo is { } t2)
        {
            parts.Add($"seq ..{t2}");
        }

        if (File is not null)
        {
            parts.Add(Line is { } l ? $"{File}:{l}" : File);
        }
        else if (Line is { } l2)
        {
            parts.Add($"line {l2}");
        }

        if (Member is not null)
        {
            parts.Add("in " + Member);
        }

        if (Scope is not null)
        {
            parts.Add("scope " + Scope);
        }

        if (Phase is { } p)
        {
            parts.Add(p == OpPhase.Backward ? "backward" : "forward");
        }

        return (parts.Count == 0 ? "every op" : string.Join(", ", parts)) + " -> " + DType.Name();
    }

    private static bool FileMatches(string want, string file)
    {
        if (file.Length == 0)
        {
            return false;
        }

        var w = want.Replace('\\', '/');
        var f = file.Replace('\\', '/');
        return f.EndsWith(w, StringComparison.Ordinal) && (f.Length == w.Length || f[f.Length - w.Length - 1] == '/' || w[0] == '/');
    }

    private static bool ScopeMatches(string pattern, string scope)
    {
        if (pattern.Contains('*', StringComparison.Ordinal))
        {
            return Glob(pattern, 0, scope, 0);
        }

        return string.Equals(pattern, scope, StringComparison.Ordinal)
            || (scope.Length > pattern.Length && scope.StartsWith(pattern, StringComparison.Ordinal) && scope[pattern.Length] is '.' or '/');
    }

    // '*' matches any run of characters; iterative over the pattern, backtracking to the last star (linear in practice).
    private static bool Glob(string p, int pi, string s, int si)
    {
        int star = -1;
        int mark = 0;
        while (si < s.Length)
        {
            if (pi < p.Length && p[pi] == '*')
            {
                star = pi++;
                mark = si;
            }
            else if (pi < p.Length && p[pi] == s[si])
            {
                pi++;
                si++;
            }
            else if (star >= 0)
            {
                pi = star + 1;
                si = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (pi < p.Length && p[pi] == '*')
        {
            pi++;
        }

        return pi == p.Length;
    }
}

/// <summary>
/// Which ops compute in which dtype: the first rule that matches an op decides; ops no rule matches compute in
/// <see cref="LowDType"/>. A policy that keeps some ops in float32 and runs the rest in bfloat16 is
/// <c>new PrecisionPolicy(DType.BFloat16, [new PrecisionRule { Op = "sum" }])</c>. Where the dtype changes between
/// ops, the consumer converts its inputs (an explicit cast op in a live run; an unrecorded conversion in replay, so a
/// replayed log keeps one record per original op). See docs/precision.md.
/// </summary>
public sealed class PrecisionPolicy
{
    /// <summary>A policy.</summary>
    /// <param name="lowDType">The dtype of ops no rule matches (float16 or bfloat16; float32 or float64 are allowed too).</param>
    /// <param name="rules">The rules, first match wins.</param>
    /// <exception cref="ArgumentException">int32 as a compute dtype.</exception>
    public PrecisionPolicy(DType lowDType, IEnumerable<PrecisionRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        if (!lowDType.IsFloat())
        {
            throw new ArgumentException($"a precision policy's dtype must be a floating-point one, got {lowDType.Name()}", nameof(lowDType));
        }

        LowDType = lowDType;
        Rules = [.. rules];
        bool bySeq = Rules.Count > 8;
        foreach (var r in Rules)
        {
            if (!r.DType.IsFloat())
            {
                throw new ArgumentException($"a precision rule's dtype must be a floating-point one, got {r.DType.Name()} ({r})", nameof(rules));
            }

            bySeq &= r.SeqFrom is { } f && r.SeqTo == f;
        }

        if (bySeq)
        {
            // Policies the advisor writes hold one rule per op: found by sequence number, not by a scan of every rule.
            seqIndex = [];
            for (int i = 0; i < Rules.Count; i++)
            {
                long seq = Rules[i].SeqFrom!.Value;
                seqIndex[seq] = seqIndex.TryGetValue(seq, out var at) ? [.. at, i] : [i];
            }
        }
    }

    private readonly Dictionary<long, int[]>? seqIndex;

    /// <summary>The dtype of ops no rule matches.</summary>
    public DType LowDType { get; }

    /// <summary>The rules, in order.</summary>
    public IReadOnlyList<PrecisionRule> Rules { get; }

    /// <summary>A copy with another low dtype (the rules kept).</summary>
    public PrecisionPolicy WithLowDType(DType dtype) => new(dtype, Rules);

    /// <summary>The dtype <paramref name="op"/> computes in.</summary>
    public DType ComputeDType(in PrecisionOp op)
    {
        if (seqIndex is not null)
        {
            if (seqIndex.TryGetValue(op.Seq, out var at))
            {
                foreach (int i in at)
                {
                    if (Rules[i].Matches(op))
                    {
                        return Rules[i].DType;
                    }
                }
            }

            return LowDType;
        }

        foreach (var r in Rules)
        {
            if (r.Matches(op))
            {
                return r.DType;
            }
        }

        return LowDType;
    }
}
