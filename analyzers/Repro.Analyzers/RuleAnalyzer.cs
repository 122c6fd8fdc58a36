using Microsoft.CodeAnalysis.Diagnostics;
using Repro.Analyzers.Internal;

namespace Repro.Analyzers;

/// <summary>
/// One rule (or a few related ones). The compiler loads <see cref="ReproAnalyzer"/>, which runs every rule behind
/// one set of callbacks; a rule class can also run on its own (the rule tests do), with the same callbacks.
/// </summary>
/// <remarks>Rule classes carry no <c>[DiagnosticAnalyzer]</c> attribute, so a compiler does not load them twice.</remarks>
public abstract class RuleAnalyzer : DiagnosticAnalyzer
{
    public sealed override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var registrar = new RuleRegistrar(start);
            Register(registrar);
            registrar.Commit();
        });
    }

    /// <summary>Registers the rule's callbacks for one compilation.</summary>
    internal abstract void Register(RuleRegistrar registrar);
}
