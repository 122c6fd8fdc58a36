using System.Globalization;

namespace Repro.Hunt;

/// <summary>What the hunt knows of the baseline run when it chooses the other runs' conditions.</summary>
/// <param name="Threads">Engine threads the baseline used (its log's <c>env.threads</c>).</param>
/// <param name="Processors">Logical CPUs the baseline saw (<c>env.processors</c>).</param>
/// <param name="Isa">Vector ISAs the baseline's JIT could use (<c>env.isa</c>).</param>
/// <param name="TimeZone">The time zone the program inherits (this process's).</param>
/// <param name="ZoneExists">Whether a time zone id can be loaded here (so that TZ=id changes something).</param>
public sealed record BaselineFacts(int Threads, int Processors, IReadOnlyList<string> Isa, string TimeZone, Func<string, bool> ZoneExists)
{
    /// <summary>The locale the program inherits ("de_DE.UTF-8"; "" or "C.UTF-8" for the invariant culture).</summary>
    public string Culture { get; init; } = string.Empty;
}

/// <summary>How a run orders the environment it passes to the program.</summary>
public enum EnvOrder
{
    /// <summary>Names sorted (ordinal): every run but the env condition's.</summary>
    Sorted,

    /// <summary>Names in reverse order.</summary>
    Reversed,
}

/// <summary>One changed condition: environment variables set (or removed, where the value is null), the environment's order, the working directory.</summary>
/// <param name="Condition">The condition's name (<see cref="HuntConditions"/>).</param>
/// <param name="Description">What is changed, as the report shows it: "REPRO_THREADS=3".</param>
public sealed record HuntVariant(string Condition, string Description)
{
    /// <summary>Variables to set; a null value removes the variable.</summary>
    public IReadOnlyList<KeyValuePair<string, string?>> Env { get; init; } = [];

    /// <summary>The order of the environment block.</summary>
    public EnvOrder Order { get; init; } = EnvOrder.Sorted;

    /// <summary>Run in a fresh empty folder (inside the hunt's output folder) instead of the current one.</summary>
    public bool FreshWorkingDirectory { get; init; }
}

/// <summary>
/// A condition the hunt can vary: its name, what it changes, and its alternatives to the baseline. The first
/// alternative is the one that changes most (the single-condition run uses it); the seed picks among the others for
/// the combined run and later rounds.
/// </summary>
/// <param name="Name">The name given to <c>--vary</c>.</param>
/// <param name="What">One line for the docs and the report.</param>
/// <param name="Alternatives">The settings that differ from the baseline's, given what the baseline was; empty when none would change anything here.</param>
public sealed record HuntCondition(string Name, string What, Func<BaselineFacts, IReadOnlyList<HuntVariant>> Alternatives)
{
    /// <summary>True for the condition that changes nothing (repeats under identical conditions).</summary>
    public bool IsRepeat => Name == HuntConditions.RepeatName;
}

/// <summary>The conditions <c>repro hunt</c> varies, in the order it varies them.</summary>
public static class HuntConditions
{
    /// <summary>Runs under identical conditions (alias <c>hash</c>: each process gets a new string-hash seed anyway).</summary>
    public const string RepeatName = "repeat";

    /// <summary>Every condition, in the order of the plan and the report.</summary>
    public static readonly IReadOnlyList<HuntCondition> All =
    [
        new(RepeatName, "nothing: the same command again (each process still gets a new string-hash seed, new timing and a new clock)", _ => []),
        new("threads", "the engine's worker threads (REPRO_THREADS)", f => Values("threads", "REPRO_THREADS", [1, 2, 3, 4, 7, 16], f.Threads)),
        new("cpus", "the processor count the runtime reports (DOTNET_PROCESSOR_COUNT: Environment.ProcessorCount, and the engine's default thread count with it)", f => Values("cpus", "DOTNET_PROCESSOR_COUNT", [1, 2, 3, 4, 8, 16], f.Processors)),
        new("threadpool", "the thread pool's minimum worker threads (DOTNET_ThreadPool_ForceMinWorkerThreads, a hexadecimal value)", _ =>
        [
            Set("threadpool", ("DOTNET_ThreadPool_ForceMinWorkerThreads", "0x1")),
            Set("threadpool", ("DOTNET_ThreadPool_ForceMinWorkerThreads", "0x40")),
        ]),
        new("isa", "the vector instructions the JIT may use (DOTNET_EnableAVX512, DOTNET_EnableAVX2, DOTNET_EnableHWIntrinsic)", Isa),
        new("tiering", "the JIT's tiers (DOTNET_TieredCompilation, DOTNET_TieredPGO, DOTNET_ReadyToRun)", _ =>
        [
            Set("tiering", ("DOTNET_TieredCompilation", "0")),
            Set("tiering", ("DOTNET_TieredPGO", "0")),
            Set("tiering", ("DOTNET_ReadyToRun", "0")),
        ]),
        new("culture", "the current culture (LANG and LC_ALL; nothing changes where globalization is invariant)", f =>
            [.. new[] { "de_DE", "fr_FR", "tr_TR", "en_US" }
                .Where(c => !f.Culture.Replace('-', '_').StartsWith(c, StringComparison.Ordinal))
                .OrderBy(c => Separator(c) == Separator(f.Culture) ? 1 : 0)
                .Take(3)
                .Select(c => Culture(c + ".UTF-8"))]),
        new("tz", "the local time zone (TZ)", f =>
            [.. new[] { "Pacific/Kiritimati", "America/St_Johns", "Asia/Kathmandu", "Pacific/Pago_Pago" }
                .Where(z => z != f.TimeZone && f.ZoneExists(z))
                .Select(z => Set("tz", ("TZ", z)))]),
        new("env", "the order of the environment block (reversed), plus one extra variable", _ =>
        [
            new HuntVariant("env", "environment in reverse order, REPRO_HUNT_PAD=1")
            {
                Env = [new("REPRO_HUNT_PAD", "1")],
                Order = EnvOrder.Reversed,
            },
        ]),
        new("cwd", "the working directory (a fresh empty folder)", _ =>
        [
            new HuntVariant("cwd", "working directory: an empty folder") { FreshWorkingDirectory = true },
        ]),
    ];

    /// <summary>The condition called <paramref name="name"/> (or <c>hash</c>, the repeat's alias); null when there is none.</summary>
    public static HuntCondition? Find(string name)
    {
        var n = name.Trim().ToLowerInvariant();
        if (n == "hash")
        {
            n = RepeatName;
        }

        return All.FirstOrDefault(c => c.Name == n);
    }

    /// <summary>
    /// Parses <c>--vary</c>: names separated by commas, or <c>all</c>; the result is in catalog order, each once.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown name, naming it and the known ones.</exception>
    public static IReadOnlyList<HuntCondition> Parse(string? vary)
    {
        if (string.IsNullOrWhiteSpace(vary) || vary.Trim() == "all")
        {
            return All;
        }

        var chosen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var part in vary.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var c = Find(part) ?? throw new ArgumentException($"--vary {vary}: unknown condition '{part}'; expected all or some of {string.Join(", ", All.Select(x => x.Name))}, hash");
            chosen.Add(c.Name);
        }

        return chosen.Count == 0
            ? throw new ArgumentException($"--vary {vary}: expected at least one condition")
            : [.. All.Where(c => chosen.Contains(c.Name))];
    }

    private static HuntVariant Set(string condition, params (string Name, string Value)[] vars) =>
        new(condition, string.Join(", ", vars.Select(v => v.Name + "=" + v.Value))) { Env = [.. vars.Select(v => new KeyValuePair<string, string?>(v.Name, v.Value))] };

    // The decimal separator of a locale ("de_DE", "de-DE.UTF-8"; "" or C/POSIX is the invariant culture): the first
    // alternative is one whose separator differs from the baseline's, the change that breaks most parsing and
    // formatting. A table, not CultureInfo: this process may run with invariant globalization.
    private static string Separator(string locale)
    {
        var language = locale.Split('.', '@')[0].Replace('-', '_');
        return language is "de_DE" or "fr_FR" or "tr_TR" or "es_ES" or "it_IT" or "ru_RU" or "pt_BR" or "nl_NL" or "pl_PL" or "sv_SE" ? "," : ".";
    }

    /// <summary>The locale a child process inherits on Linux and macOS: LC_ALL, else LC_MESSAGES, else LANG ("" when none).</summary>
    public static string InheritedLocale(Func<string, string?> env) =>
        new[] { "LC_ALL", "LC_MESSAGES", "LANG" }.Select(env).FirstOrDefault(v => !string.IsNullOrEmpty(v)) ?? string.Empty;

    private static HuntVariant Culture(string locale) => Set("culture", ("LANG", locale), ("LC_ALL", locale));

    private static List<HuntVariant> Values(string condition, string variable, int[] values, int baseline) =>
        [.. values.Where(v => v != baseline).Select(v => Set(condition, (variable, v.ToString(CultureInfo.InvariantCulture))))];

    // Only settings that change something on this CPU, the one that changes most first: no vectors at all, then no
    // AVX2 where the JIT had it, then no AVX-512 where it had that.
    private static List<HuntVariant> Isa(BaselineFacts f)
    {
        var list = new List<HuntVariant> { Set("isa", ("DOTNET_EnableHWIntrinsic", "0")) };
        if (f.Isa.Contains("avx2"))
        {
            list.Add(Set("isa", ("DOTNET_EnableAVX2", "0")));
        }

        if (f.Isa.Contains("avx512f"))
        {
            list.Add(Set("isa", ("DOTNET_EnableAVX512", "0")));
        }

        return list;
    }
}
