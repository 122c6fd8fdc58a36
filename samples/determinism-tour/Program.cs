using System.Globalization;
using Repro.Engine;
using Repro.Engine.Backends;

// A tour of Repro's determinism contract: the same ops on different thread counts, batch sizes and backends,
// printing the result bits so that anyone can compare them by eye. Exit code 0 when every row agrees.
// Usage: dotnet run --project samples/determinism-tour [-- --seed N]
ulong seed = 0;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] is "-h" or "--help")
    {
        Console.WriteLine("usage: determinism-tour [--seed N]\n  Runs the same reductions, matmuls and softmaxes on 1, 2 and 16 threads, at batch 1 and 64,\n  and on the reference and managed backends, and prints the result bits. Exit 0 when all agree.");
        return 0;
    }

    if (args[i] == "--seed" && i + 1 < args.Length && ulong.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out seed))
    {
        i++;
        continue;
    }

    Console.Error.WriteLine($"determinism-tour: unknown or malformed argument '{args[i]}' (try --help)");
    return 2;
}

var x = Tensor.Randn([1 << 20], new Generator(seed));
var a = Tensor.Randn([256, 384], new Generator(seed + 1));
var b = Tensor.Randn([384, 128], new Generator(seed + 2));
var logits = Tensor.Randn([64, 1000], new Generator(seed + 3)) * 4.0;
bool allSame = true;

Console.WriteLine($"Repro determinism tour (seed {seed}; this machine: {Environment.ProcessorCount} cores)");
Console.WriteLine();
Check("sum of 1,048,576 float32", threads => Run(threads, () => x.Sum()));
Check("matmul [256,384] x [384,128]", threads => Run(threads, () => Tensor.MatMul(a, b)));
Check("softmax over [64, 1000]", threads => Run(threads, () => logits.Softmax(1)));

Console.WriteLine("batch invariance: row 5 of a batch of 64 vs the same row alone");
var row = logits.Slice(0, 5, 6).Contiguous();
var inBatch = logits.Softmax(1).Slice(0, 5, 6).ContentHash();
var alone = row.Softmax(1).ContentHash();
Report("softmax row 5, batch of 64", inBatch);
Report("softmax row 5, batch of 1", alone);
allSame &= inBatch == alone;
Console.WriteLine();

Console.WriteLine("backend invariance: the scalar reference backend vs the SIMD, multi-threaded managed backend");
string Sum(Backend be) => x.To(be).Sum().ContentHash();
var reference = Sum(ReferenceBackend.Instance);
var managed = Sum(ManagedBackend.Instance);
Report("sum on 'reference'", reference);
Report("sum on 'managed'", managed);
allSame &= reference == managed;
Console.WriteLine();

Console.WriteLine("what does change the bits: the dtype (bfloat16 rounds every op's result to 8 significant bits)");
var f32 = (float)x.Sum().Item();
var bf16 = (float)x.To(DType.BFloat16).Sum().Item();
Console.WriteLine($"  float32 sum  = {f32.ToString("R", CultureInfo.InvariantCulture),-14} bits 0x{BitConverter.SingleToUInt32Bits(f32):X8}");
Console.WriteLine($"  bfloat16 sum = {bf16.ToString("R", CultureInfo.InvariantCulture),-14} bits 0x{BitConverter.SingleToUInt32Bits(bf16):X8}");
Console.WriteLine();
Console.WriteLine(allSame ? "All rows agree bit for bit." : "MISMATCH: some rows differ (this is a bug in Repro; please report it).");
return allSame ? 0 : 1;

void Check(string what, Func<int, string> hashAt)
{
    Console.WriteLine($"{what}:");
    var hashes = new[] { 1, 2, 16 }.Select(t => (Threads: t, Hash: hashAt(t))).ToList();
    foreach (var (t, h) in hashes)
    {
        Report($"{t,2} thread(s)", h);
    }

    allSame &= hashes.Select(h => h.Hash).Distinct().Count() == 1;
    Console.WriteLine();
}

static string Run(int threads, Func<Tensor> op)
{
    using var scope = Settings.UseThreads(threads);
    return op().ContentHash();
}

static void Report(string label, string hash) => Console.WriteLine($"  {label,-28} xxh128 {hash}");
