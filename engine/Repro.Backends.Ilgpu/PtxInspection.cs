using System.Numerics;
using System.Reflection;
using System.Text.RegularExpressions;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using Repro.Engine.Backends;
using Repro.Engine.Numerics;

namespace Repro.Backends.Ilgpu;

/// <summary>
/// Compiles every kernel of the backend to PTX without a GPU and checks the code for the two ways a GPU could
/// change Repro's bits: approximate instructions (<c>ex2.approx</c>, <c>tanh.approx</c>, <c>.ftz</c>, ...) and a
/// multiply whose result feeds an add or subtract (<c>mul.f32</c> then <c>add.f32</c> without a rounding
/// modifier, which ptxas may contract into one FMA). It also lists calls to functions the PTX module does not
/// define (such a kernel would not load on a device).
/// </summary>
public static partial class PtxInspection
{
    /// <summary>Every kernel the backend launches, by name (generic kernels in each instantiation the backend uses).</summary>
    public static IReadOnlyList<(string Name, MethodInfo Method)> Kernels { get; } = BuildCatalog();

    /// <summary>
    /// Kernels whose code reaches <see cref="DetMath{TFma}"/> (the transcendental unary ops, pow, normal draws): the
    /// largest kernels, listed so that a failure in them can be told apart from one in the simple kernels.
    /// </summary>
    public static IReadOnlySet<string> DetMathKernels { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "UnaryF32", "UnaryF64", "BinaryF32", "BinaryF64", "RandomF32", "RandomF64",
    };

    /// <summary>Compiles every kernel for <paramref name="architecture"/>; returns name to PTX text.</summary>
    public static IReadOnlyDictionary<string, string> Compile(CudaArchitecture architecture)
    {
        using var context = Context.Create(b => PtxIntrinsics.Register(b.Math(MathMode.Default).Optimize(OptimizationLevel.O1)));
        using var backend = new PTXBackend(context, new CudaCapabilityContext(architecture), architecture, CudaInstructionSet.ISA_85, null);
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, method) in Kernels)
        {
            var entry = EntryPointDescription.FromImplicitlyGroupedKernel(method);
            var compiled = (PTXCompiledKernel)backend.Compile(entry, default);
            result[name] = compiled.PTXAssembly;
        }

        return result;
    }

    /// <summary>Approximate or flush-to-zero instructions in the PTX (one entry per line found).</summary>
    public static IReadOnlyList<string> ApproximateInstructions(string ptx) =>
        [.. Instructions(ptx).Where(i => ApproxPattern().IsMatch(i.Opcode)).Select(i => i.Text)];

    /// <summary>
    /// Instructions that ILGPU 1.5.3 emits with the wrong meaning: <c>copysign</c>, whose operands it writes in .NET's
    /// order (magnitude, sign) while PTX takes the sign from the first operand. ILGPU emits it for
    /// <c>Math.CopySign</c> and inside its lowering of <c>Math.Round</c>; on an H200 that made every Exp, Tanh, Erf,
    /// Sin, Cos and Pow differ from the CPU. The engine uses neither (DetMath rounds and copies signs by bits).
    /// </summary>
    public static IReadOnlyList<string> MistranslatedInstructions(string ptx) =>
        [.. Instructions(ptx).Where(i => i.Opcode.StartsWith("copysign.", StringComparison.Ordinal)).Select(i => i.Text)];

    /// <summary>
    /// Float add/sub instructions that read the result of a float multiply (directly or through mov/neg) with no
    /// rounding modifier on either, i.e. the pairs ptxas may contract. A register counts as a multiply result if any
    /// instruction writing it is a multiply (flow-insensitive, so it errs on the side of reporting).
    /// </summary>
    public static IReadOnlyList<string> ContractionHazards(string ptx)
    {
        var instructions = Instructions(ptx).ToList();
        var products = new HashSet<string>(StringComparer.Ordinal);
        bool changed = true;
        while (changed)
        {
            changed = false;
            foreach (var ins in instructions)
            {
                if (ins.Operands.Length == 0 || products.Contains(ins.Operands[0]))
                {
                    continue;
                }

                bool isProduct = IsFloatOp(ins.Opcode, "mul") && !HasRounding(ins.Opcode);
                bool passesProduct = (IsFloatOp(ins.Opcode, "mov") || IsFloatOp(ins.Opcode, "neg")) && ins.Operands.Skip(1).Any(products.Contains);
                if (isProduct || passesProduct)
                {
                    products.Add(ins.Operands[0]);
                    changed = true;
                }
            }
        }

        return [.. instructions
            .Where(i => (IsFloatOp(i.Opcode, "add") || IsFloatOp(i.Opcode, "sub")) && !HasRounding(i.Opcode) && i.Operands.Skip(1).Any(products.Contains))
            .Select(i => i.Text)];
    }

    /// <summary>Names of functions the PTX calls but only declares (<c>.extern .func</c>).</summary>
    public static IReadOnlyList<string> UnresolvedCalls(string ptx)
    {
        var externs = ExternPattern().Matches(ptx).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        return [.. CallPattern().Matches(ptx).Select(m => m.Groups[1].Value).Where(externs.Contains).Distinct().Order(StringComparer.Ordinal)];
    }

    /// <summary>Histogram of float opcodes (for the docs: which instructions the kernels use).</summary>
    public static IReadOnlyDictionary<string, int> FloatOpcodes(string ptx) =>
        Instructions(ptx).Where(i => i.Opcode.Contains(".f32", StringComparison.Ordinal) || i.Opcode.Contains(".f64", StringComparison.Ordinal))
            .GroupBy(i => i.Opcode).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    private static bool IsFloatOp(string opcode, string op) =>
        opcode.StartsWith(op + ".", StringComparison.Ordinal) && (opcode.EndsWith(".f32", StringComparison.Ordinal) || opcode.EndsWith(".f64", StringComparison.Ordinal));

    private static bool HasRounding(string opcode) =>
        opcode.Contains(".rn.", StringComparison.Ordinal) || opcode.Contains(".rz.", StringComparison.Ordinal)
        || opcode.Contains(".rm.", StringComparison.Ordinal) || opcode.Contains(".rp.", StringComparison.Ordinal);

    private static IEnumerable<(string Opcode, string[] Operands, string Text)> Instructions(string ptx)
    {
        foreach (var raw in ptx.Split('\n'))
        {
            var line = raw.Trim();
            var m = InstructionPattern().Match(line);
            if (!m.Success)
            {
                continue;
            }

            var operands = m.Groups[2].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            yield return (m.Groups[1].Value, operands, line);
        }
    }

    private static List<(string Name, MethodInfo Method)> BuildCatalog()
    {
        var list = new List<(string, MethodInfo)>();
        void Add(Delegate d, string? suffix = null) => list.Add((d.Method.Name + (suffix is null ? string.Empty : "<" + suffix + ">"), d.Method));

        // The generic kernels, once per compute dtype, named by dtype (F32, F64, I32) as the CUDA backend launches them.
        AddCompute<float, FloatOps<float, Float32Kind, PtxFma>>(list, "F32");
        AddCompute<double, FloatOps<double, Float64Kind, PtxFma>>(list, "F64");
        AddCompute<int, Int32Ops>(list, "I32");
        Add((Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int>)Ilgpu.Kernels.Copy, "float");
        Add((Action<Index1D, ArrayView<double>, ArrayView<double>, ArrayView<int>, int, int>)Ilgpu.Kernels.Copy, "double");
        Add((Action<Index1D, ArrayView<int>, ArrayView<int>, ArrayView<int>, int, int>)Ilgpu.Kernels.Copy, "int");
        Add((Action<Index1D, ArrayView<ushort>, ArrayView<ushort>, ArrayView<int>, int, int>)Ilgpu.Kernels.Copy, "ushort");
        AddCasts(list);
        Add((Action<Index1D, ArrayView<float>, double, int, int>)Ilgpu.Kernels.Fill<float, Float32Element>, "float32");
        Add((Action<Index1D, ArrayView<double>, double, int, int>)Ilgpu.Kernels.Fill<double, Float64Element>, "float64");
        Add((Action<Index1D, ArrayView<int>, double, int, int>)Ilgpu.Kernels.Fill<int, Int32Element>, "int32");
        Add((Action<Index1D, ArrayView<ushort>, double, int, int>)Ilgpu.Kernels.Fill<ushort, Float16Element>, "float16");
        Add((Action<Index1D, ArrayView<ushort>, double, int, int>)Ilgpu.Kernels.Fill<ushort, BFloat16Element>, "bfloat16");
        Add((Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int>)Ilgpu.Kernels.Where<float, Float32Element, float>, "float32");
        Add((Action<Index1D, ArrayView<ushort>, ArrayView<double>, ArrayView<double>, ArrayView<double>, ArrayView<int>, int, int>)Ilgpu.Kernels.Where<ushort, Float16Element, double>, "float16,float64");
        Add((Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int, int, int>)Ilgpu.Kernels.Gather, "float");
        Add((Action<Index1D, ArrayView<ushort>, ArrayView<int>, ArrayView<ushort>, int, int, int, int, int>)Ilgpu.Kernels.Gather, "ushort");
        list.Add(("RandomBits", ((Action<Index1D, ArrayView<int>, ulong, ulong, int, int, int>)Ilgpu.Kernels.Random<int, Int32Draw>).Method));
        list.Add(("RandomF32", ((Action<Index1D, ArrayView<float>, ulong, ulong, int, int, int>)Ilgpu.Kernels.Random<float, Float32Draw<PtxFma>>).Method));
        list.Add(("RandomF64", ((Action<Index1D, ArrayView<double>, ulong, ulong, int, int, int>)Ilgpu.Kernels.Random<double, Float64Draw<PtxFma>>).Method));
        return list;
    }

    // Every kernel written once over a compute dtype, for one dtype: name + suffix, e.g. "MatMulF32".
    private static void AddCompute<T, TOps>(List<(string, MethodInfo)> list, string suffix)
        where T : unmanaged, INumber<T>
        where TOps : struct, INumberOps<T>
    {
        void Add(string name, Delegate d) => list.Add((name + suffix, d.Method));

        Add("Unary", (Action<Index1D, ArrayView<T>, ArrayView<T>, int, int, int>)Ilgpu.Kernels.Unary<T, TOps>);
        Add("Binary", (Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, ArrayView<int>, int, int, int>)Ilgpu.Kernels.Binary<T, TOps>);
        Add("SumLanes", (Action<Index1D, ArrayView<T>, ArrayView<T>, int, int, int, int>)Ilgpu.Kernels.SumLanes);
        Add("LaneTree", (Action<Index1D, ArrayView<T>, ArrayView<T>, int, int>)Ilgpu.Kernels.LaneTree);
        Add("RowTree", (Action<Index1D, ArrayView<T>, ArrayView<T>, int, int, int>)Ilgpu.Kernels.RowTree);
        Add("TreeLevel", (Action<Index1D, ArrayView<T>, ArrayView<T>, int, int, int, int, int>)Ilgpu.Kernels.TreeLevel);
        Add("MaxMin", (Action<Index1D, ArrayView<T>, ArrayView<T>, int, int, int, int>)Ilgpu.Kernels.MaxMin<T, TOps>);
        Add("Arg", (Action<Index1D, ArrayView<T>, ArrayView<int>, int, int, int, int>)Ilgpu.Kernels.Arg);
        Add("MatMul", (Action<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, int, int, int, int>)Ilgpu.Kernels.MatMul<T, TOps>);
        Add("Accumulate", (Action<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<T>, int, int, int, int, int, int>)Ilgpu.Kernels.Accumulate);
    }

    private static void AddCasts(List<(string, MethodInfo)> list)
    {
        // Every (source, destination) pair the backend can launch.
        void Cast<TS, ES, TD, ED>(string name)
            where TS : unmanaged
            where ES : struct, IElement<TS>
            where TD : unmanaged
            where ED : struct, IElement<TD> =>
            list.Add(($"Cast<{name}>", ((Action<Index1D, ArrayView<TS>, ArrayView<TD>, int, int>)Ilgpu.Kernels.Cast<TS, ES, TD, ED>).Method));

        void From<TS, ES>(string s)
            where TS : unmanaged
            where ES : struct, IElement<TS>
        {
            Cast<TS, ES, float, Float32Element>(s + "->float32");
            Cast<TS, ES, double, Float64Element>(s + "->float64");
            Cast<TS, ES, int, Int32Element>(s + "->int32");
            Cast<TS, ES, ushort, Float16Element>(s + "->float16");
            Cast<TS, ES, ushort, BFloat16Element>(s + "->bfloat16");
        }

        From<float, Float32Element>("float32");
        From<double, Float64Element>("float64");
        From<int, Int32Element>("int32");
        From<ushort, Float16Element>("float16");
        From<ushort, BFloat16Element>("bfloat16");
    }

    [GeneratedRegex(@"^(?:@!?%p\d+\s+)?([a-z][a-z0-9_.]*)\s+([^;{}]*);")]
    private static partial Regex InstructionPattern();

    [GeneratedRegex(@"\.approx\b|\.ftz\b|^(?:ex2|lg2|sin|cos|tanh|rsqrt)\.")]
    private static partial Regex ApproxPattern();

    [GeneratedRegex(@"\.extern\s+\.func\s+(?:\([^)]*\)\s*)?([A-Za-z_$][\w$]*)")]
    private static partial Regex ExternPattern();

    [GeneratedRegex(@"call(?:\.uni)?\s+(?:\([^)]*\)\s*,\s*)?([A-Za-z_$][\w$]*)")]
    private static partial Regex CallPattern();
}
