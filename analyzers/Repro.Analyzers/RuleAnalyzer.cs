using System.Collections.Immutable;
using Microsoft.CodeAnalysis.Diagnostics;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers;

/// <summary>
/// One rule (or a few related ones). The compiler loads <see cref="ReproAnalyzer"/>, which runs every rule behind
/// one set of callbacks; a rule class can also run on its own (the rule tests do), with the same callbacks.
/// </summary>
/// <remarks>
/// Rule classes carry no <c>[DiagnosticAnalyzer]</c> attribute, so a compiler does not load them twice. On its own a
/// rule is gated by its severity settings like in the group, but its exceptions reach the driver (AD0001): it does not
/// support RPR0001.
/// </remarks>
public abstract class RuleAnalyzer : DiagnosticAnalyzer
{
    public sealed override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        var self = ImmutableArray.Create(this);
        context.RegisterCompilationStartAction(start => RuleRegistrar.Register(start, self, isolateFailures: false));
    }

    /// <summary>Registers the rule's callbacks for one compilation.</summary>
    internal abstract void Register(RuleRegistrar registrar);
}
