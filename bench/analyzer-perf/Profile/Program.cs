// In-process analyzer profiler: replays one compiler command line (taken from a `dotnet build -v:d` log) and runs
// analyzer assemblies on it single-threaded, so that changes to the rules can be compared on a shared, loaded
// machine, where the wall-clock times of -p:ReportAnalyzer=true move by tens of percent from run to run.
//
//   Profile --cmdline FILE --analyzers A.dll[;B.dll...] [--runs N] [--diagnostics PREFIX] [--telemetry-only true]
//           [--count-operations true] [--rules true]
//
// Each assembly in --analyzers is one set, loaded into its own AssemblyLoadContext (so two builds of the same
// assembly can be compared in one process). Each run times, on fresh compilations and in CPU time: the compile
// alone (binding, lowering, emit to memory), the analysis with a null analyzer subscribed to the same operation
// kinds, and the analysis with each set; the sets are interleaved so that load changes hit them alike. It prints
// medians over the runs after the first (which includes JIT), per set: the extra CPU over the null analyzer, the
// analyzers' own execution time as the driver measures it (the figure ReportAnalyzer prints) and its share of the
// compile, and each analyzer's time (median and minimum). --diagnostics writes PREFIX.<set>.txt with every finding.
// --telemetry-only skips the compile and null-analyzer passes. --count-operations counts operations by kind.
// --rules true loads each rule class as an analyzer of its own (the classes without [DiagnosticAnalyzer], which
// Repro.Analyzers' ReproAnalyzer runs together), so the driver times each rule separately.
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

var options = ParseArgs(args);
var runs = int.Parse(options.GetValueOrDefault("runs", "3"), CultureInfo.InvariantCulture);
var telemetryOnly = options.GetValueOrDefault("telemetry-only", "false") == "true";
var perRule = options.GetValueOrDefault("rules", "false") == "true";
var sets = options["analyzers"].Split(';', StringSplitOptions.RemoveEmptyEntries)
    .Select((path, i) => new AnalyzerSet($"{i}:{Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(path)))}", LoadAnalyzers(path, i, perRule)))
    .ToList();
var nullSet = ImmutableArray.Create<DiagnosticAnalyzer>(new Repro.Bench.AnalyzerPerf.EmptyAnalyzer());

var compilation = CreateCompilation(await File.ReadAllTextAsync(options["cmdline"]));
Console.WriteLine($"{compilation.SyntaxTrees.Length} files, {compilation.SyntaxTrees.Sum(t => t.GetText().Lines.Count)} lines; "
    + string.Join(", ", sets.Select(s => $"set {s.Name}: {s.Analyzers.Length} analyzers")));
if (options.GetValueOrDefault("count-operations", "false") == "true")
    CountOperations(compilation);

var compileTimes = new List<double>();
var nullTimes = new List<double>();
for (var run = 0; run <= runs; run++)
{
    compileTimes.Add(telemetryOnly ? double.NaN : CpuSeconds(() => Emit(compilation)));
    nullTimes.Add(telemetryOnly ? double.NaN : CpuSeconds(() => Analyze(compilation, nullSet)));
    var line = FormattableString.Invariant($"run {run}{(run == 0 ? " (cold)" : string.Empty)}: compile {compileTimes[^1]:F2} s, null analyzer {nullTimes[^1]:F2} s");
    foreach (var set in sets)
    {
        CompilationWithAnalyzers? with = null;
        set.PassTimes.Add(CpuSeconds(() => (with, set.Diagnostics) = Analyze(compilation, set.Analyzers)));
        foreach (var analyzer in set.Analyzers)
            set.PerAnalyzer[analyzer].Add((await with!.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None)).ExecutionTime.TotalSeconds);
        set.Telemetry.Add(set.Analyzers.Sum(a => set.PerAnalyzer[a][^1]));
        line += FormattableString.Invariant($", set {set.Name} {set.PassTimes[^1]:F2} s (driver-timed {set.Telemetry[^1]:F3} s)");
    }

    Console.WriteLine(line);
}

var compile = Median(compileTimes);
foreach (var set in sets)
{
    var marginal = Median(set.PassTimes.Zip(nullTimes, (a, e) => a - e).ToList());
    var telemetry = Median(set.Telemetry);
    Console.WriteLine(FormattableString.Invariant(
        $"set {set.Name}, medians of {runs} warm runs: compile CPU {compile:F2} s; extra CPU over the null analyzer {marginal:F2} s ({marginal / compile:P1}); driver-timed analyzer time {telemetry:F3} s ({telemetry / compile:P2}, min {set.Telemetry.Skip(1).DefaultIfEmpty(double.NaN).Min():F3} s, cold {set.Telemetry[0]:F3} s)"));
    foreach (var (analyzer, times) in set.PerAnalyzer.OrderByDescending(p => Median(p.Value)))
    {
        var ids = string.Join(", ", analyzer.SupportedDiagnostics.Select(d => d.Id).Distinct());
        Console.WriteLine(FormattableString.Invariant(
            $"  {Median(times),7:F4} s (min {times.Skip(1).DefaultIfEmpty(double.NaN).Min(),7:F4}, cold {times[0],7:F4})  {analyzer.GetType().Name} ({ids})"));
    }

    Console.WriteLine("  diagnostics: " + string.Join(" ", set.Diagnostics.GroupBy(d => d.Id).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key + "=" + g.Count())));
    if (options.TryGetValue("diagnostics", out var prefix))
    {
        var lines = set.Diagnostics.Select(d => d.Location.GetLineSpan() is var span
                ? FormattableString.Invariant($"{Path.GetFileName(span.Path)}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}): {d.Id} {d.GetMessage(CultureInfo.InvariantCulture)}")
                : d.ToString())
            .Order(StringComparer.Ordinal);
        await File.WriteAllLinesAsync($"{prefix}.{set.Name.Replace(':', '-')}.txt", lines);
    }
}

return 0;

static double Median(List<double> values)
{
    var warm = values.Skip(1).Order().ToList();
    if (warm.Count == 0)
        return values[0];

    return warm.Count % 2 == 1 ? warm[warm.Count / 2] : (warm[(warm.Count / 2) - 1] + warm[warm.Count / 2]) / 2;
}

static Dictionary<string, string> ParseArgs(string[] args)
{
    var result = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 0; i + 1 < args.Length; i += 2)
        result[args[i].TrimStart('-')] = args[i + 1];

    if (!result.ContainsKey("cmdline") || !result.ContainsKey("analyzers"))
    {
        throw new ArgumentException(
            "usage: Profile --cmdline FILE --analyzers A.dll[;B.dll...] [--runs N] [--diagnostics PREFIX] [--telemetry-only true] [--count-operations true] [--rules true]");
    }

    return result;
}

// Each set gets its own load context; Microsoft.CodeAnalysis and the framework resolve to the default context.
static ImmutableArray<DiagnosticAnalyzer> LoadAnalyzers(string path, int index, bool perRule)
{
    var context = new AssemblyLoadContext("analyzers-" + index.ToString(CultureInfo.InvariantCulture));
    var types = context.LoadFromAssemblyPath(Path.GetFullPath(path)).GetTypes()
        .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetConstructor(Type.EmptyTypes) is not null)
        .OrderBy(t => t.FullName, StringComparer.Ordinal)
        .ToList();
    var loaded = types.Where(t => t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null).ToList();
    var rules = types.Except(loaded).ToList();
    return (perRule && rules.Count > 0 ? rules : loaded).Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!).ToImmutableArray();
}

static CSharpCompilation CreateCompilation(string commandLine)
{
    // The logged line starts with the compiler's path; the rest are its arguments (paths are absolute: /fullpaths).
    var arguments = CommandLineParser.SplitCommandLineIntoArguments(commandLine.Trim(), removeHashComments: false).Skip(1).ToList();
    var parsed = CSharpCommandLineParser.Default.Parse(arguments, Environment.CurrentDirectory, sdkDirectory: null);
    var errors = parsed.Errors.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
    if (errors.Count > 0)
        throw new InvalidOperationException(string.Join(Environment.NewLine, errors));

    var trees = parsed.SourceFiles.AsParallel().AsOrdered()
        .Select(f => CSharpSyntaxTree.ParseText(
            Microsoft.CodeAnalysis.Text.SourceText.From(File.ReadAllText(f.Path), System.Text.Encoding.UTF8), parsed.ParseOptions, f.Path))
        .ToList();
    var references = parsed.MetadataReferences.Select(r => (MetadataReference)MetadataReference.CreateFromFile(r.Reference));
    return CSharpCompilation.Create(parsed.CompilationName, trees, references, parsed.CompilationOptions);
}

// How many operations of each kind the bodies hold: each is one callback per analyzer subscribed to its kind.
static void CountOperations(CSharpCompilation compilation)
{
    var counts = new Dictionary<OperationKind, int>();
    var total = 0;
    foreach (var tree in compilation.SyntaxTrees)
    {
        var model = compilation.GetSemanticModel(tree);
        foreach (var node in tree.GetRoot().DescendantNodes())
        {
            var body = node switch
            {
                BaseMethodDeclarationSyntax method => (SyntaxNode?)method.Body ?? method.ExpressionBody,
                AccessorDeclarationSyntax accessor => (SyntaxNode?)accessor.Body ?? accessor.ExpressionBody,
                PropertyDeclarationSyntax property => property.ExpressionBody,
                _ => null,
            };
            if (body is null || model.GetOperation(body) is not { } operation)
                continue;

            foreach (var op in operation.DescendantsAndSelf())
            {
                counts[op.Kind] = counts.GetValueOrDefault(op.Kind) + 1;
                total++;
            }
        }
    }

    Console.WriteLine($"operations in member bodies: {total}; "
        + string.Join(", ", counts.OrderByDescending(p => p.Value).Take(14).Select(p => $"{p.Key} {p.Value}")));
}

static void Emit(CSharpCompilation compilation)
{
    using var stream = new MemoryStream();
    var result = compilation.Clone().Emit(stream);
    if (!result.Success)
        throw new InvalidOperationException(string.Join(Environment.NewLine, result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(10)));
}

static (CompilationWithAnalyzers With, ImmutableArray<Diagnostic> Diagnostics) Analyze(
    CSharpCompilation compilation, ImmutableArray<DiagnosticAnalyzer> analyzers)
{
    var with = compilation.Clone().WithAnalyzers(analyzers, new CompilationWithAnalyzersOptions(
        new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), onAnalyzerException: null, concurrentAnalysis: false,
        logAnalyzerExecutionTime: true, reportSuppressedDiagnostics: false));
    return (with, with.GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult());
}

static double CpuSeconds(Action action)
{
    GC.Collect();
    GC.WaitForPendingFinalizers();
    var process = Process.GetCurrentProcess();
    var before = process.TotalProcessorTime;
    action();
    process.Refresh();
    return (process.TotalProcessorTime - before).TotalSeconds;
}

internal sealed class AnalyzerSet(string name, ImmutableArray<DiagnosticAnalyzer> analyzers)
{
    public string Name { get; } = name;
    public ImmutableArray<DiagnosticAnalyzer> Analyzers { get; } = analyzers;
    public Dictionary<DiagnosticAnalyzer, List<double>> PerAnalyzer { get; } = analyzers.ToDictionary(a => a, _ => new List<double>());
    public List<double> PassTimes { get; } = new();
    public List<double> Telemetry { get; } = new();
    public ImmutableArray<Diagnostic> Diagnostics { get; set; }
}
