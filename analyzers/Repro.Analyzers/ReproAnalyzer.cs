using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Repro.Analyzers.FloatingPoint;
using Repro.Analyzers.Gpu;
using Repro.Analyzers.Internal;
using Repro.Analyzers.MachineLearning;
using Repro.Analyzers.Ordering;
using Repro.Analyzers.Randomness;
using Repro.Analyzers.Time;

namespace Repro.Analyzers;

/// <summary>
/// The analyzer the compiler loads: every rule of <see cref="RuleCatalog"/>, run behind one callback per operation
/// kind (see <see cref="RuleRegistrar"/>). <c>-p:ReportAnalyzer=true</c> shows its time on one line; the time of
/// each rule can be measured with <c>bench/analyzer-perf</c>.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ReproAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Every rule class, in the order their callbacks run.</summary>
    internal static ImmutableArray<RuleAnalyzer> Rules { get; } = ImmutableArray.Create<RuleAnalyzer>(
        new UnseededRandomAnalyzer(), new VolatileSeedAnalyzer(), new RandomSortKeyAnalyzer(), new PerProcessHashAnalyzer(),
        new ParallelFloatAccumulationAnalyzer(), new FloatCompareExchangeAnalyzer(), new PlinqFloatReductionAnalyzer(),
        new CompletionOrderAnalyzer(), new ConcurrentCollectionOrderAnalyzer(), new UnorderedCollectionAnalyzer(),
        new DirectoryOrderAnalyzer(), new VectorWidthAnalyzer(), new HardwareBranchAnalyzer(), new EstimateApiAnalyzer(),
        new BitExactAnalyzer(), new WallClockAnalyzer(), new StopwatchControlFlowAnalyzer(), new KernelAnalyzer(),
        new MachineLearningAnalyzer(), new EnvironmentAnalyzer());

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        Rules.SelectMany(r => r.SupportedDiagnostics).Distinct().ToImmutableArray();

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var registrar = new RuleRegistrar(start);
            foreach (var rule in Rules)
                rule.Register(registrar);

            registrar.Commit();
        });
    }
}
