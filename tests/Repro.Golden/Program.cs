using System.Globalization;
using Repro.Golden;
using Repro.Recorder;
using Repro.Tests.Shared;

// The golden program's command line (README, "The golden log"). Exit codes: 0 success, 1 a difference, 2 usage.
const string Usage = """
    usage: Repro.Golden --write <log> [--force]            record the golden program to <log> (an existing log only with --force)
           Repro.Golden --check <log>                      record it again and name the first record that differs from <log>
           Repro.Golden --verify <log> [--backend <name>]  replay <log> and check every output hash (first line: this process's vector widths)
    """;

if (args.Length < 2)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

var log = args[1];
var rest = args.Skip(2).ToList();
Repro.Backends.Ilgpu.IlgpuBackends.Register();
switch (args[0])
{
    case "--write" when rest.Count == 0 || rest is ["--force"]:
        return Write(log, force: rest.Count == 1);
    case "--check" when rest.Count == 0:
        return Check(log);
    case "--verify" when rest.Count == 0:
        return Verify(log);
    case "--verify" when rest is ["--backend", var backend]:
        return VerifyOn(log, backend);
    default:
        Console.Error.WriteLine(Usage);
        return 2;
}

// Regenerating the golden log is a deliberate act: an existing log is replaced only when asked to.
static int Write(string log, bool force)
{
    if (File.Exists(log) || (Directory.Exists(log) && Directory.EnumerateFileSystemEntries(log).Any()))
    {
        if (!force)
        {
            Console.Error.WriteLine($"{log} exists; the golden log is replaced only on purpose: add --force, and say why in the commit");
            return 2;
        }

        if (!File.Exists(Path.Combine(log, LogFormat.RecordsFile)))
        {
            Console.Error.WriteLine($"{log} is not a Repro log; not replacing it");
            return 2;
        }

        // Old blobs would stay behind otherwise: the recorder adds to the blobs folder, it does not empty it.
        Directory.Delete(log, recursive: true);
    }

    GoldenLog.Record(log);
    long bytes = Directory.EnumerateFiles(log, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
    using var reader = LogReader.Open(log);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {log}: {reader.Ops().Count()} ops, {bytes} bytes"));
    return 0;
}

static int Check(string log)
{
    var fresh = Path.Combine(Path.GetTempPath(), "repro-golden-" + Guid.NewGuid().ToString("N"));
    try
    {
        GoldenLog.Record(fresh);
        var difference = GoldenLog.FirstDifference(log, fresh);
        Console.WriteLine(difference is null ? $"the program's log equals {log}" : "first difference: " + difference);
        return difference is null ? 0 : 1;
    }
    finally
    {
        Directory.Delete(fresh, recursive: true);
    }
}

static int Verify(string log)
{
    Console.WriteLine(VectorWidths.Line());
    var r = Replayer.Verify(log);
    if (r.Identical && r.Truncation is null)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"identical: {r.Ops} ops"));
        return 0;
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"DIVERGED: {r.Mismatches} of {r.Ops} ops; first: {r.FirstDivergence}{(r.Truncation is { } t ? "; truncated: " + t.Message : string.Empty)}"));
    return 1;
}

static int VerifyOn(string log, string backend)
{
    Console.WriteLine(VectorWidths.Line());
    var (ops, difference) = GoldenLog.VerifyOn(log, backend);
    Console.WriteLine(difference is null ? string.Create(CultureInfo.InvariantCulture, $"identical on {backend}: {ops} ops") : "DIVERGED: " + difference);
    return difference is null ? 0 : 1;
}
