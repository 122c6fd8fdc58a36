using Repro.Engine;
using Repro.Engine.Tests;
using Repro.Tests.Shared;

// First line: which vector widths the JIT accelerates here. Then "case<TAB>hash" for the probe subset of the suite.
Console.WriteLine(VectorWidths.Line());
foreach (var (name, run) in OpSuite.Cases())
{
    bool isPlainSum = name.StartsWith("sum[", StringComparison.Ordinal) && !name.Contains(':');
    if (isPlainSum && name is not ("sum[0]" or "sum[1]" or "sum[31]" or "sum[33]" or "sum[257]" or "sum[1025]" or "sum[70001]"))
    {
        continue;
    }

    var t = run();
    Console.WriteLine($"{name}\t{t.DType.Name()}{t.ShapeString}:{t.ContentHash()}");
}
