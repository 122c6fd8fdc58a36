namespace Repro.Hunt;

/// <summary>What a run is for.</summary>
public enum RunRole
{
    /// <summary>The first run: the program as it is; every other run is compared with it.</summary>
    Baseline,

    /// <summary>The same conditions as the baseline.</summary>
    Repeat,

    /// <summary>One condition changed.</summary>
    Single,

    /// <summary>Every varied condition changed at once.</summary>
    Combined,
}

/// <summary>One run of the plan.</summary>
/// <param name="Index">0 for the baseline, then 1, 2, ...</param>
/// <param name="Role">What the run is for.</param>
/// <param name="Changes">The conditions changed (none for the baseline and repeats).</param>
public sealed record PlannedRun(int Index, RunRole Role, IReadOnlyList<HuntVariant> Changes)
{
    /// <summary>"baseline", "repeat", a condition's name, or "combined".</summary>
    public string Label => Role switch
    {
        RunRole.Baseline => "baseline",
        RunRole.Repeat => HuntConditions.RepeatName,
        RunRole.Single => Changes[0].Condition,
        _ => "combined",
    };

    /// <summary>What the run changes, for the report: "REPRO_THREADS=3", or "identical conditions".</summary>
    public string Description => Role switch
    {
        RunRole.Baseline => "the program as it is",
        RunRole.Repeat => "identical conditions",
        _ => string.Join("; ", Changes.Select(c => c.Description)),
    };

    /// <summary>The log's folder name inside the hunt's output folder: "03-threads.repro".</summary>
    public string LogName => $"{Index:D2}-{Label}.repro";
}

/// <summary>
/// Chooses the runs: the baseline, one repeat, each condition changed alone (its first, most different
/// alternative), all of them changed together (alternatives picked by the seed), then further rounds of repeats,
/// single changes and combinations with other seed-picked alternatives, until the number of runs asked for.
/// </summary>
public static class HuntPlanner
{
    /// <summary>The number of runs when none is given: baseline, a repeat, one run per condition, the combination, and a second repeat.</summary>
    public static int DefaultRuns(IReadOnlyList<HuntCondition> vary, BaselineFacts facts)
    {
        bool repeat = vary.Any(c => c.IsRepeat);
        int singles = vary.Count(c => !c.IsRepeat && c.Alternatives(facts).Count > 0);
        return 1 + (repeat ? 2 : 0) + singles + (singles >= 2 ? 1 : 0);
    }

    /// <summary>The runs, the baseline first. Deterministic for given conditions, facts, count and seed.</summary>
    public static IReadOnlyList<PlannedRun> Plan(IReadOnlyList<HuntCondition> vary, BaselineFacts facts, int runs, ulong seed)
    {
        if (runs < 2)
        {
            throw new ArgumentException($"--runs {runs}: expected at least 2 (the baseline and one run to compare with it)");
        }

        var varied = vary.Where(c => !c.IsRepeat).Select(c => (Condition: c, Alternatives: c.Alternatives(facts))).Where(c => c.Alternatives.Count > 0).ToList();
        bool repeat = vary.Any(c => c.IsRepeat);
        if (!repeat && varied.Count == 0)
        {
            throw new ArgumentException("--vary: none of the conditions named can be changed here (no alternative to the baseline)");
        }

        // Per condition, the seed's order of the alternatives after the first.
        var orders = varied.ToDictionary(v => v.Condition.Name, v => Shuffle(v.Alternatives.Skip(1).ToList(), Mix(seed, v.Condition.Name)), StringComparer.Ordinal);
        HuntVariant Pick(HuntCondition c, IReadOnlyList<HuntVariant> alts, int k)
        {
            var rest = orders[c.Name];
            return k == 0 || rest.Count == 0 ? alts[0] : rest[(k - 1) % rest.Count];
        }

        var plan = new List<PlannedRun> { new(0, RunRole.Baseline, []) };
        void Add(RunRole role, IReadOnlyList<HuntVariant> changes)
        {
            if (plan.Count < runs)
            {
                plan.Add(new PlannedRun(plan.Count, role, changes));
            }
        }

        for (int round = 0; plan.Count < runs; round++)
        {
            if (repeat)
            {
                Add(RunRole.Repeat, []);
            }

            foreach (var (c, alts) in varied)
            {
                Add(RunRole.Single, [Pick(c, alts, round)]);
            }

            if (varied.Count >= 2)
            {
                Add(RunRole.Combined, [.. varied.Select(v => Pick(v.Condition, v.Alternatives, round + 1))]);
            }

            // The first round ends with a second repeat: what varies by itself shows twice before anything is blamed on a condition.
            if (round == 0 && repeat)
            {
                Add(RunRole.Repeat, []);
            }
        }

        return plan;
    }

    /// <summary>SplitMix64 of the seed and a name: a stream of its own for each condition.</summary>
    private static ulong Mix(ulong seed, string name)
    {
        ulong h = seed;
        foreach (char ch in name)
        {
            h = Next(ref h) ^ ch;
        }

        return Next(ref h);
    }

    private static ulong Next(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static List<T> Shuffle<T>(List<T> items, ulong state)
    {
        // Fisher-Yates with a seeded SplitMix64: the same order for the same seed on every machine and runtime.
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = (int)(Next(ref state) % (ulong)(i + 1));
            (items[i], items[j]) = (items[j], items[i]);
        }

        return items;
    }
}
