using Repro.Engine;

namespace Repro.Tests.Shared;

/// <summary>
/// Checks ops as they happen (or as a log recorded them) against their rows in <see cref="OpTable"/>: the op has a row,
/// its input count fits the row's arity, its input and output dtypes are ones the row declares, its view flag and its
/// link into autograd's graph follow the row. Shared by the engine, nn and golden tests.
/// </summary>
internal sealed class OpFacts : IOpObserver
{
    private readonly int thread = Environment.CurrentManagedThreadId;

    /// <summary>Every disagreement found, one line each.</summary>
    public List<string> Problems { get; } = [];

    /// <summary>Names of the ops seen.</summary>
    public SortedSet<string> Seen { get; } = new(StringComparer.Ordinal);

    /// <summary>Ops checked.</summary>
    public int Count { get; private set; }

    public bool WantsSourceLocations => false;

    public void OnOp(OpEvent e)
    {
        if (Environment.CurrentManagedThreadId != thread)
        {
            return;
        }

        Count++;
        Seen.Add(e.Op);
        var row = OpTable.Find(e.Op);
        if (row is null || !ReferenceEquals(row, e.Info))
        {
            Problems.Add($"op #{e.Seq} '{e.Op}' is not a row of the op table");
            return;
        }

        var output = e.Outputs[0];
        Problems.AddRange(Check(row, [.. e.Inputs.Select(t => t.DType)], output.DType, e.Attributes).Select(p => $"op #{e.Seq}: {p}"));

        // A row without a gradient never links its output into the graph; one with a gradient does whenever an input
        // needs one, grad mode is on and the output is a float (assign writes into its first input: skipped).
        bool linked = !output.IsLeaf && !e.Inputs.Contains(output);
        bool wanted = row.IsDifferentiable && Autograd.IsEnabled && e.Inputs.Any(t => t.RequiresGrad) && output.DType.IsFloat();
        if (!e.Inputs.Contains(output) && linked != wanted)
        {
            Problems.Add($"op #{e.Seq} '{e.Op}': its output is {(linked ? string.Empty : "not ")}in autograd's graph, but the row says {(row.IsDifferentiable ? "it has a gradient" : "it has none")}");
        }
    }

    /// <summary>The facts one op record shows: arity, input dtypes, output dtype.</summary>
    public static IEnumerable<string> Check(OpInfo row, IReadOnlyList<DType> inputs, DType output, OpAttributes attributes)
    {
        if (!row.TakesInputs(inputs.Count))
        {
            yield return $"'{row.Name}' has {inputs.Count} inputs, the row's arity is {row.Arity}";
            yield break;
        }

        for (int i = 0; i < inputs.Count; i++)
        {
            if (!row.Accepts(i, inputs[i]))
            {
                yield return $"'{row.Name}' input {i} is {inputs[i].Name()}, the row accepts {row.Inputs[Math.Min(i, row.Inputs.Count - 1)]}";
            }
        }

        if (!row.Produces.Contains(output))
        {
            yield return $"'{row.Name}' produced {output.Name()}, the row produces {row.Produces}";
        }

        DType? expected = row.Output switch
        {
            OutputDType.FirstInput => inputs.Count > 0 ? inputs[0] : null,
            OutputDType.SecondInput => inputs.Count > 1 ? inputs[1] : null,
            OutputDType.Int32 => DType.Int32,
            _ => DTypes.Parse(attributes.String("dtype")),
        };
        if (expected != output)
        {
            yield return $"'{row.Name}' produced {output.Name()}, the row's output rule ({row.Output}) gives {expected?.Name() ?? "nothing"}";
        }
    }
}
