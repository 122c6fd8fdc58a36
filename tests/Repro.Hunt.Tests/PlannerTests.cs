using System.Text.RegularExpressions;

namespace Repro.Hunt.Tests;

/// <summary>The plan of runs, the conditions' parsing, and the causes named: no program is run.</summary>
public sealed class PlannerTests
{
    private static readonly BaselineFacts Facts = new(Threads: 1, Processors: 2, Isa: ["sse4.2", "avx2", "fma", "vector256"], TimeZone: "Etc/UTC", ZoneExists: _ => true);

    private static string Describe(IReadOnlyList<PlannedRun> plan) => string.Join("\n", plan.Select(p => $"{p.Index} {p.Label}: {p.Description}"));

    [Fact]
    public void The_default_plan_is_baseline_repeat_each_condition_combined_repeat()
    {
        var vary = HuntConditions.Parse("hash,threads,isa,culture");
        int n = HuntPlanner.DefaultRuns(vary, Facts);
        var plan = HuntPlanner.Plan(vary, Facts, n, seed: 0);
        Assert.Equal(["baseline", "repeat", "threads", "isa", "culture", "combined", "repeat"], plan.Select(p => p.Label));
        // The single-condition runs take the first, most different alternative: never the baseline's own setting.
        Assert.Equal("REPRO_THREADS=2", plan[2].Description);
        Assert.Equal("DOTNET_EnableHWIntrinsic=0", plan[3].Description);
        Assert.Equal("LANG=de_DE.UTF-8, LC_ALL=de_DE.UTF-8", plan[4].Description);
        Assert.Equal(3, plan[5].Changes.Count);
        Assert.Equal("01-repeat.repro", plan[1].LogName);
    }

    [Fact]
    public void The_first_culture_has_another_decimal_separator_than_the_current_one()
    {
        var culture = HuntConditions.Find("culture")!;
        Assert.Equal("LANG=de_DE.UTF-8, LC_ALL=de_DE.UTF-8", culture.Alternatives(Facts)[0].Description);
        var german = culture.Alternatives(Facts with { Culture = "de_DE.UTF-8" });
        Assert.Equal("LANG=en_US.UTF-8, LC_ALL=en_US.UTF-8", german[0].Description);
        Assert.DoesNotContain(german, v => v.Description.Contains("de_DE", StringComparison.Ordinal));
        Assert.Equal("de_DE.UTF-8", HuntConditions.InheritedLocale(n => n switch { "LANG" => "de_DE.UTF-8", _ => null }));
        Assert.Equal("fr_FR", HuntConditions.InheritedLocale(n => n switch { "LANG" => "de_DE.UTF-8", "LC_ALL" => "fr_FR", _ => string.Empty }));
    }

    [Fact]
    public void The_seed_alone_decides_the_later_choices()
    {
        var vary = HuntConditions.Parse("threads,cpus,culture,tz,tiering");
        var a = Describe(HuntPlanner.Plan(vary, Facts, 20, seed: 1));
        Assert.Equal(a, Describe(HuntPlanner.Plan(vary, Facts, 20, seed: 1)));
        var others = Enumerable.Range(2, 5).Select(s => Describe(HuntPlanner.Plan(vary, Facts, 20, seed: (ulong)s))).ToList();
        Assert.Contains(others, o => o != a);
        // Later rounds try the other alternatives too.
        Assert.Contains("TZ=Asia/Kathmandu", a);
        Assert.Contains("DOTNET_TieredPGO=0", a);
    }

    [Fact]
    public void Fewer_runs_cut_the_plan_and_bad_counts_or_names_are_refused()
    {
        var vary = HuntConditions.Parse("all");
        Assert.Equal(3, HuntPlanner.Plan(vary, Facts, 3, 0).Count);
        Assert.Equal(HuntConditions.All.Select(c => c.Name), vary.Select(c => c.Name));
        Assert.Contains("expected at least 2", Assert.Throws<ArgumentException>(() => HuntPlanner.Plan(vary, Facts, 1, 0)).Message);
        Assert.Contains("unknown condition 'gpu'", Assert.Throws<ArgumentException>(() => HuntConditions.Parse("threads,gpu")).Message);
        // No zone loads here: the tz condition has nothing to offer, and alone it cannot make a plan.
        var noZones = Facts with { ZoneExists = _ => false };
        Assert.Empty(HuntConditions.Find("tz")!.Alternatives(noZones));
        Assert.Throws<ArgumentException>(() => HuntPlanner.Plan(HuntConditions.Parse("tz"), noZones, 3, 0));
    }

    [Fact]
    public void Every_rule_named_as_a_cause_has_its_page()
    {
        var conditions = HuntConditions.All.Where(c => !c.IsRepeat).Select(c => c.Name).ToList();
        var named = new HashSet<string>(StringComparer.Ordinal);
        foreach (var cls in Enum.GetValues<DifferenceClass>())
        {
            named.UnionWith(Hunter.Explain(cls, Attribution.RunToRun, []).Rules);
            foreach (var c in conditions)
            {
                var (cause, rules) = Hunter.Explain(cls, Attribution.Conditions, [c]);
                Assert.False(string.IsNullOrWhiteSpace(cause));
                named.UnionWith(rules);
            }
        }

        Assert.NotEmpty(named);
        foreach (var rule in named)
        {
            Assert.Matches(new Regex("^(RPR[1-5][0-9]{3}|CA[0-9]{4})$"), rule);
            if (rule.StartsWith("RPR", StringComparison.Ordinal))
            {
                Assert.True(File.Exists(Path.Combine(ChildProcess.RepoRoot, "docs", "rules", rule + ".md")), rule);
            }
        }
    }
}
