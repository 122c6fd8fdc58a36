using System.Reflection;
using Repro.Bench;

// Benchmarks are static classes marked [Bench("name")] with `public static int Run(string[] args)`.
// Usage: dotnet run -c Release --project bench/Repro.Bench -- <name> [args]   (no name: list them)
var benches = typeof(BenchAttribute).Assembly.GetTypes()
    .Select(t => (Type: t, Attr: t.GetCustomAttribute<BenchAttribute>()))
    .Where(x => x.Attr is not null)
    .OrderBy(x => x.Attr!.Name, StringComparer.Ordinal)
    .ToList();

if (args.Length == 0 || args[0] is "-h" or "--help" or "list")
{
    Console.WriteLine("usage: dotnet run -c Release --project bench/Repro.Bench -- <benchmark> [args]");
    foreach (var (type, attr) in benches)
    {
        Console.WriteLine($"  {attr!.Name,-18} {attr.Description}");
    }

    return args.Length == 0 ? 2 : 0;
}

var match = benches.FirstOrDefault(b => string.Equals(b.Attr!.Name, args[0], StringComparison.OrdinalIgnoreCase));
if (match.Type is null)
{
    Console.Error.WriteLine($"unknown benchmark '{args[0]}': expected one of {string.Join(", ", benches.Select(b => b.Attr!.Name))}");
    return 2;
}

var run = match.Type.GetMethod("Run", BindingFlags.Public | BindingFlags.Static, [typeof(string[])]);
if (run is null)
{
    Console.Error.WriteLine($"benchmark '{args[0]}' has no public static int Run(string[] args)");
    return 2;
}

return (int)run.Invoke(null, [args[1..]])!;
