using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Repro.Backends.Conformance.Tests;
using Repro.Backends.Ilgpu;
using Repro.Engine;
using Repro.Engine.Backends;
using Repro.Samples;
using Repro.Tests.Shared;

// The GPU check, for machines that have a GPU but no .NET SDK (so no `dotnet test`): runs the backend conformance
// suite (the same test methods `dotnet test` runs, invoked directly) on one accelerator against the reference backend,
// listing every op and dtype that differs rather than stopping at the first, then a few training steps of every
// sample on both backends, comparing parameter hashes. Exit 0: all bit-identical; 1: something differs; 2: usage or
// no such device.
// Usage: Repro.Backends.Ilgpu.DeviceCheck [cuda|opencl|cpu] [--steps N]
string kind = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "cuda";
int steps = 5;
int stepsAt = Array.IndexOf(args, "--steps");
if (stepsAt >= 0 && (stepsAt + 1 >= args.Length || !int.TryParse(args[stepsAt + 1], NumberStyles.None, CultureInfo.InvariantCulture, out steps)))
{
    Console.Error.WriteLine("--steps takes a positive whole number");
    return 2;
}

string? backendName = kind switch
{
    "cuda" => "ilgpu-cuda",
    "opencl" => "ilgpu-opencl",
    "cpu" => "ilgpu-cpu",
    _ => null,
};
if (backendName is null || args.Contains("--help") || args.Contains("-h"))
{
    Console.Error.WriteLine("usage: Repro.Backends.Ilgpu.DeviceCheck [cuda|opencl|cpu] [--steps N]");
    return 2;
}

Console.WriteLine("devices: " + string.Join("; ", IlgpuBackends.DescribeDevices()));
Backend device;
try
{
    device = kind switch
    {
        "cuda" => IlgpuBackends.Cuda,
        "opencl" => IlgpuBackends.OpenCL,
        _ => IlgpuBackends.Cpu,
    };
}
catch (InvalidOperationException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

Console.WriteLine($"checking {device.Name} ({device.DeviceName}) against the reference backend, bit for bit");
IlgpuBackends.Register();
var suite = typeof(BackendConformance);
int failed = 0;
var total = Stopwatch.StartNew();
foreach (var method in suite.GetMethods(BindingFlags.Public | BindingFlags.Instance)
    .Where(m => m.GetCustomAttributes().Any(a => a is Xunit.FactAttribute))
    .OrderBy(m => m.Name, StringComparer.Ordinal))
{
    Bits.Collected = [];
    var sw = Stopwatch.StartNew();
    string? error = null;
    try
    {
        method.Invoke(Activator.CreateInstance(suite), [backendName]);
    }
    catch (TargetInvocationException e)
    {
        error = (e.InnerException ?? e).GetType().Name + ": " + (e.InnerException ?? e).Message;
    }

    var diffs = Bits.Collected;
    Bits.Collected = null;
    bool ok = error is null && diffs.Count == 0;
    failed += ok ? 0 : 1;
    Console.WriteLine($"{(ok ? "IDENTICAL" : "DIFFERS  ")} {method.Name} ({sw.Elapsed.TotalSeconds:F1} s)");
    foreach (var group in diffs.GroupBy(d => string.Join(' ', d.Split(' ').Take(2)), StringComparer.Ordinal))
    {
        Console.WriteLine($"    {group.Key}: {group.Count()} comparison(s) differ, first: {group.First()}");
    }

    if (error is not null)
    {
        Console.WriteLine($"    stopped: {error.Split('\n')[0]}");
    }
}

foreach (var (name, dtype) in Workloads.All.Select(w => (w.Name, DType.Float32))
    .Concat([("digits-mlp", DType.BFloat16), ("digits-mlp", DType.Float16)]))
{
    var sw = Stopwatch.StartNew();
    var workload = Workloads.Get(name);
    var managed = workload.Run(new WorkloadOptions(Seed: 1, Steps: steps, DType: dtype, Backend: ManagedBackend.Instance));
    WorkloadResult onDevice;
    try
    {
        onDevice = workload.Run(new WorkloadOptions(Seed: 1, Steps: steps, DType: dtype, Backend: device));
    }
    catch (NotSupportedException e)
    {
        failed++;
        Console.WriteLine($"FAILED    training {name} {dtype.ToString().ToLowerInvariant()}: {e.Message}");
        continue;
    }

    bool same = managed.ParameterHash == onDevice.ParameterHash && managed.Steps == onDevice.Steps;
    failed += same ? 0 : 1;
    Console.WriteLine($"{(same ? "IDENTICAL" : "DIFFERS  ")} training {name} {dtype.ToString().ToLowerInvariant()}, {onDevice.Steps} steps: parameters {onDevice.ParameterHash} (managed {managed.ParameterHash}) ({sw.Elapsed.TotalSeconds:F1} s)");
}

Console.WriteLine(failed == 0 ? $"all bit-identical ({total.Elapsed.TotalSeconds:F0} s)" : $"{failed} check(s) differ ({total.Elapsed.TotalSeconds:F0} s)");
return failed == 0 ? 0 : 1;
