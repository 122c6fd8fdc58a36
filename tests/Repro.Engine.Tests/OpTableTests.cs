using System.Text.RegularExpressions;
using Repro.Engine.Backends;
using Repro.Tests.Shared;

namespace Repro.Engine.Tests;

/// <summary>
/// The op table is the one source of an op's facts: every row has them all, every op the engine emits is a row whose
/// facts its events bear out, and no component outside the table decides anything by an op name.
/// </summary>
[Collection("dispatcher")]
public sealed partial class OpTableTests
{
    [Fact]
    public void Every_row_states_every_fact()
    {
        var missing = OpTable.All.SelectMany(MissingFacts).ToList();
        Assert.True(missing.Count == 0, string.Join(Environment.NewLine, missing));
    }

    /// <summary>The check above can fail: a row without its facts is reported fact by fact.</summary>
    [Fact]
    public void A_row_missing_its_facts_is_reported()
    {
        var bare = new OpInfo("bare", OpKind.Unary, 2, [DTypeSet.All], OutputDType.FirstInput, DTypeSet.None, null!, null!, null!, cost: 0, " ");
        var missing = MissingFacts(bare).ToList();
        foreach (var fact in new[] { "arity", "produces", "replay", "gradient", "reduction length", "cost", "canonical order" })
        {
            Assert.Contains(missing, m => m.Contains(fact, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Names_are_unique_and_the_registry_is_the_table()
    {
        var names = OpTable.All.Select(r => r.Name).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(names.Order(StringComparer.Ordinal), OpRegistry.Names);
        foreach (var row in OpTable.All)
        {
            Assert.Same(row, OpTable.Get(row.Name));
            Assert.True(OpRegistry.IsKnown(row.Name));
            Assert.Equal(row.Arity, OpRegistry.Arity(row.Name));
        }

        Assert.False(OpRegistry.IsKnown("mean"));
        Assert.Throws<UnknownOpException>(() => OpRegistry.Arity("logsumexp"));
        Assert.Contains("from_host", OpRegistry.Names);
    }

    [Fact]
    public void Every_kernel_enum_value_has_its_row()
    {
        Assert.All(Enum.GetValues<UnaryOp>(), op => Assert.Equal(OpKind.Unary, OpTable.Of(op).Kind));
        Assert.All(Enum.GetValues<BinaryOp>(), op => Assert.Equal(OpKind.Binary, OpTable.Of(op).Kind));
        Assert.All(Enum.GetValues<ReduceOp>(), op => Assert.Equal(OpKind.Reduction, OpTable.Of(op).Kind));
        Assert.All(Enum.GetValues<RandomKind>(), kind => Assert.Equal(OpKind.Random, OpTable.Of(kind).Kind));

        // The int32 semantics of the unary kernels are the table's, and so is the thread-splitting cost they had.
        Assert.All(Enum.GetValues<UnaryOp>(), op => Assert.Equal(OpTable.Of(op).Accepts(0, DType.Int32), ScalarOps.IsDefinedForInt(op)));
        Assert.Equal(
            new[] { UnaryOp.Neg, UnaryOp.Abs, UnaryOp.Relu, UnaryOp.Sign },
            Enum.GetValues<UnaryOp>().Where(op => OpTable.Of(op).Cost == 1));
        Assert.All(Enum.GetValues<UnaryOp>(), op => Assert.Contains(OpTable.Of(op).Cost, new[] { 1, 16 }));
    }

    /// <summary>
    /// Every op the op suite emits is a row, and its events show the row's facts: the input count fits the arity, the
    /// dtypes are the row's, the view flag and the autograd link follow it; replaying each op through its row gives
    /// the same bits.
    /// </summary>
    [Fact]
    public void Every_op_the_suite_emits_is_a_row_with_the_facts_its_events_show()
    {
        var facts = new OpFacts();
        var events = new List<OpEvent>();
        using (Dispatcher.Observe(facts))
        using (Dispatcher.Observe(new Collect(events)))
        {
            foreach (var (_, run) in OpSuite.Cases())
            {
                _ = run();
            }

            // A backward pass, so that gradient rules run under the same checks.
            var w = Tensor.Randn([6, 5], new Generator(3)).RequireGrad();
            var x = Tensor.Randn([4, 6], new Generator(4));
            var loss = x.MatMul(w).Tanh().Pow(Tensor.Full([1], 2.0)).Sum();
            loss.Backward();
        }

        Assert.True(facts.Problems.Count == 0, string.Join(Environment.NewLine, facts.Problems.Take(20)));
        Assert.True(facts.Count > 500, $"only {facts.Count} ops seen");
        Assert.True(facts.Seen.Count > 40, $"only {facts.Seen.Count} distinct ops seen: {string.Join(", ", facts.Seen)}");
        foreach (var e in events.Where(e => e.Info.IsView))
        {
            Assert.True(e.IsView);
        }
    }

    /// <summary>The check above can fail: an event whose facts disagree with its row is reported.</summary>
    [Fact]
    public void An_event_that_contradicts_its_row_is_reported()
    {
        Assert.Single(OpFacts.Check(OpTable.MatMul, [DType.Float32], DType.Float32, OpAttributes.Empty));
        Assert.Contains(OpFacts.Check(OpTable.Exp, [DType.Int32], DType.Int32, OpAttributes.Empty), p => p.Contains("input 0 is int32", StringComparison.Ordinal));
        Assert.Contains(OpFacts.Check(OpTable.ArgMax, [DType.Float32], DType.Float32, OpAttributes.Empty), p => p.Contains("output rule (Int32)", StringComparison.Ordinal));
        Assert.NotEmpty(OpFacts.Check(OpTable.Cast, [DType.Float32], DType.Float16, OpAttributes.Of(("dtype", DType.BFloat16))));
        Assert.Empty(OpFacts.Check(OpTable.Cast, [DType.Float32], DType.BFloat16, OpAttributes.Of(("dtype", DType.BFloat16))));
        Assert.Empty(OpFacts.Check(OpTable.Concat, [DType.Float64, DType.Float64, DType.Float64], DType.Float64, OpAttributes.Empty));
    }

    /// <summary>
    /// No source file of the engine, recorder, differ or command line decides anything by an op-name literal
    /// (comparisons, switch arms, patterns, name sets, name-keyed tables): such decisions read the op table.
    /// </summary>
    [Fact]
    public void No_component_decides_by_an_op_name_literal()
    {
        string root = ChildProcess.RepoRoot;
        string sep = Path.DirectorySeparatorChar.ToString();
        var found = new List<string>();

        // The ONNX importer is skipped: its literals are ONNX's own operator and attribute names ("min", "max" of
        // Clip), which share spellings with engine ops but decide nothing about them.
        foreach (string folder in new[] { "engine", "recorder", "diffing", "cli" })
        {
            foreach (string file in Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                if (file.Contains(sep + "bin" + sep, StringComparison.Ordinal) || file.Contains(sep + "obj" + sep, StringComparison.Ordinal)
                    || Path.GetFileName(file) == "OpTable.cs"
                    || file.Contains(sep + "Repro.Onnx" + sep, StringComparison.Ordinal))
                {
                    continue;
                }

                found.AddRange(OpNameDecisions(File.ReadAllText(file)).Select(d => Path.GetRelativePath(root, file) + ": " + d));
            }
        }

        Assert.True(found.Count == 0, "decide by the op table instead:" + Environment.NewLine + string.Join(Environment.NewLine, found));
    }

    /// <summary>The scan above can fail: each of these decides by an op name; JSON keys and messages do not.</summary>
    [Theory]
    [InlineData("if (e.Op == \"from_host\")", true)]
    [InlineData("bool b = op != \"to_backend\";", true)]
    [InlineData("case \"matmul\":", true)]
    [InlineData("case \"sum\" or \"mean\" or \"logsumexp\":", true)]
    [InlineData("_ when op is \"maximum\" => 2,", true)]
    [InlineData("else if (e is OpRecord { Op: \"from_host\" } f)", true)]
    [InlineData("new HashSet<string> { \"full\", \"arange\", \"rand\" };", true)]
    [InlineData("[\"exp\"] = c => [Mul(c.G, c.Y)],", true)]
    [InlineData("[\"min\"] = h.Min is { } mn ? Finite(mn) : JValue.CreateNull(),", false)]
    [InlineData("throw Throw.DType(\"mean\", \"a float dtype\", DType);", false)]
    [InlineData("string name = OpTable.MatMul.Name;", false)]
    public void The_op_name_scan_flags_decisions_only(string code, bool flagged) =>
        Assert.Equal(flagged, OpNameDecisions(code).Count > 0);

    // Names the engine emits, and names of composites that have no row (the differ once matched "mean" and "logsumexp").
    private static readonly string OpNames = string.Join("|", OpTable.All.Select(r => Regex.Escape(r.Name)).Concat(["mean", "logsumexp", "softmax", "log_softmax", "var"]));

    private static readonly Regex Comparison = new($@"(?:==|!=|\bcase|\bis|\bor|\band|\bOp\s*:)\s*""(?:{OpNames})""", RegexOptions.CultureInvariant);

    private static readonly Regex NameList = new($@"""(?:{OpNames})""\s*,\s*""(?:{OpNames})""", RegexOptions.CultureInvariant);

    private static readonly Regex NameKeyedRule = new($@"\[\s*""(?:{OpNames})""\s*\]\s*=[^;\n]*=>", RegexOptions.CultureInvariant);

    [GeneratedRegex(@"^\s*//.*$", RegexOptions.Multiline)]
    private static partial Regex LineComment();

    private static List<string> OpNameDecisions(string source)
    {
        string code = LineComment().Replace(source, string.Empty);
        return [.. new[] { Comparison, NameList, NameKeyedRule }.SelectMany(r => r.Matches(code)).Select(m => m.Value)];
    }

    private static IEnumerable<string> MissingFacts(OpInfo row)
    {
        string name = row.Name;
        if (string.IsNullOrEmpty(name) || !Regex.IsMatch(name, "^[a-z][a-z0-9_]*$"))
        {
            yield return $"a row has no usable name: '{name}'";
        }

        if (row.Arity < OpInfo.Variadic || row.Inputs.Count != (row.Arity == OpInfo.Variadic ? 1 : row.Arity) || row.Inputs.Any(s => s == DTypeSet.None))
        {
            yield return $"{name}: arity {row.Arity} and its input dtypes ({row.Inputs.Count} entries) do not agree";
        }

        if (row.Produces == DTypeSet.None)
        {
            yield return $"{name}: no dtype it produces";
        }

        if (row.Replay is null)
        {
            yield return $"{name}: no replay entry";
        }

        if (row.Gradient is null)
        {
            yield return $"{name}: no gradient decision (a rule, or OpGradient.None)";
        }

        if (row.ReductionLengthRule is null)
        {
            yield return $"{name}: no reduction length function";
        }

        if (row.Cost < 1)
        {
            yield return $"{name}: no thread-splitting cost";
        }

        if (string.IsNullOrWhiteSpace(row.CanonicalOrder) || row.CanonicalOrder.Contains('\n', StringComparison.Ordinal))
        {
            yield return $"{name}: no one-line canonical order description";
        }
    }

    private sealed class Collect(List<OpEvent> events) : IOpObserver
    {
        private readonly int thread = Environment.CurrentManagedThreadId;

        public bool WantsSourceLocations => false;

        public void OnOp(OpEvent e)
        {
            if (Environment.CurrentManagedThreadId == thread)
            {
                events.Add(e);
            }
        }
    }
}
