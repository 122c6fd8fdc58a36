using System.Globalization;
using System.IO.Hashing;
using System.Text;
using Repro.Engine;
using Repro.Recorder;
using Repro.Tests.Shared;

// Recordings and replays observe the one dispatcher of the process: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Repro.Golden.Tests;

/// <summary>
/// The committed golden log (tests/golden/conformance.repro): it must replay to its own hashes here and at every other
/// vector width, the golden program must still record it op for op, and it must cover every op and dtype.
/// </summary>
public sealed class GoldenLogTests
{
    private static readonly string Golden = Path.Combine(ChildProcess.RepoRoot, GoldenLog.RelativePath);

    private static readonly string Program = Path.Combine(AppContext.BaseDirectory, "Repro.Golden.dll");

    [Fact]
    public void Committed_log_replays_to_its_hashes_in_this_process_on_its_thread_count_and_on_one_thread()
    {
        long ops = OpCount(Golden);
        foreach (int? threads in new int?[] { null, 1 })
        {
            var r = Replayer.Verify(Golden, threads);
            Assert.True(r.Identical && r.Truncation is null, $"{r.Mismatches} of {r.Ops} ops differ; first: {r.FirstDivergence}");
            Assert.Equal(ops, r.Ops);
        }
    }

    /// <summary>
    /// Each child runs at another vector width, says which, and must find every hash of the log; one more child fills
    /// every output buffer it allocates with NaN bits first, so an op that leaves an element unwritten fails.
    /// </summary>
    [Theory]
    [InlineData("DOTNET_EnableAVX512", "0")]
    [InlineData("DOTNET_EnableAVX2", "0")]
    [InlineData("DOTNET_EnableHWIntrinsic", "0")]
    [InlineData("REPRO_POISON_UNINITIALIZED", "1")]
    public void Committed_log_replays_to_its_hashes_in_a_child_at_another_vector_width(string variable, string value)
    {
        var r = ChildProcess.Run(Program, ["--verify", Golden], new Dictionary<string, string> { [variable] = value });
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal([VectorWidths.ExpectedInChild(variable, value), $"identical: {OpCount(Golden)} ops"], r.Lines);
    }

    /// <summary>The scalar reference backend and ILGPU's CPU accelerator (the GPU kernels, run on the CPU) give the log's bits too.</summary>
    [Theory]
    [InlineData("reference")]
    [InlineData("ilgpu-cpu")]
    public void Committed_log_replays_to_its_hashes_on_another_backend(string backend)
    {
        Repro.Backends.Ilgpu.IlgpuBackends.Register();
        var (ops, difference) = GoldenLog.VerifyOn(Golden, backend);
        Assert.Null(difference);
        Assert.Equal(OpCount(Golden), ops);
    }

    /// <summary>
    /// The golden program, run now, records the committed log op for op: a kernel that changed its bits, or a program
    /// that changed, fails here with the first record that differs. Regenerate only on purpose (README, "The golden log").
    /// </summary>
    [Fact]
    public void Golden_program_still_records_the_committed_log()
    {
        using var dir = new TempDir();
        var fresh = Path.Combine(dir.Path, "now.repro");
        GoldenLog.Record(fresh);
        var difference = GoldenLog.FirstDifference(Golden, fresh);
        Assert.True(difference is null, $"the golden program no longer records {GoldenLog.RelativePath}: {difference}\n" +
            "If the change is intended, regenerate it: dotnet run --project tests/Repro.Golden -c Release -- --write tests/golden/conformance.repro --force");
    }

    /// <summary>A new op, or a new dtype, needs golden coverage before it can ship.</summary>
    [Fact]
    public void Committed_log_covers_every_op_and_every_dtype()
    {
        using var reader = LogReader.Open(Golden);
        var ops = reader.Ops().ToList();
        var missingOps = OpRegistry.Names.Except(ops.Select(o => o.Op)).ToList();
        var missingDTypes = DTypes.Values.Except(ops.SelectMany(o => o.Outputs).Select(t => t.DType)).Select(d => d.Name()).ToList();
        Assert.True(
            missingOps.Count == 0 && missingDTypes.Count == 0,
            $"no golden coverage for op(s) [{string.Join(", ", missingOps)}], dtype(s) [{string.Join(", ", missingDTypes)}]: add them to tests/Repro.Golden/Conformance.cs and regenerate the log (README, \"The golden log\")");
        Assert.Contains(ops, o => o.Phase == OpPhase.Backward);
    }

    /// <summary>
    /// Every op record of the committed log shows its row's facts (arity, input and output dtypes, view flag), and the
    /// golden program takes each computing op's first input (or output, for ops without inputs) in every dtype its row
    /// declares. Views, copies and indexing move bits whatever their dtype; their other dtypes are not all in the log.
    /// </summary>
    [Fact]
    public void Every_op_of_the_committed_log_shows_the_facts_of_its_row_in_every_dtype_it_declares()
    {
        using var reader = LogReader.Open(Golden);
        var dtypes = new Dictionary<long, DType>();
        var covered = new Dictionary<OpInfo, DTypeSet>();
        var problems = new List<string>();
        foreach (var entry in reader.Entries())
        {
            if (entry is LeafRecord leaf)
            {
                dtypes[leaf.Tensor.Id] = leaf.Tensor.DType;
            }
            else if (entry is OpRecord op)
            {
                var row = OpTable.Get(op.Op);
                var inputs = op.Inputs.Select(id => dtypes[id]).ToList();
                problems.AddRange(OpFacts.Check(row, inputs, op.Output.DType, op.Attributes).Select(p => $"op {op.Seq}: {p}"));
                if (op.IsView != row.IsView)
                {
                    problems.Add($"op {op.Seq}: '{op.Op}' is recorded with view = {op.IsView}, its row says {row.IsView}");
                }

                covered[row] = covered.GetValueOrDefault(row) | DTypeSets.Of(inputs.Count > 0 ? inputs[0] : op.Output.DType);
                foreach (var t in op.Outputs)
                {
                    dtypes[t.Id] = t.DType;
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems.Take(20)));
        var uncovered = OpTable.All
            .Where(r => r.Kind is not (OpKind.View or OpKind.Copy or OpKind.Index) || r == OpTable.Cast)
            .Select(r => (Row: r, Missing: (r.Arity == 0 ? r.Produces : r.Inputs[0]) & ~covered.GetValueOrDefault(r)))
            .Where(p => p.Missing != DTypeSet.None)
            .Select(p => $"{p.Row.Name}: {p.Missing}")
            .ToList();
        Assert.True(uncovered.Count == 0, "the golden program does not take: " + string.Join("; ", uncovered));
    }

    /// <summary>The checks above can fail: one output hash changed in a copy of the log fails both, naming that op.</summary>
    [Fact]
    public void A_changed_output_hash_fails_verify_and_the_comparison_at_that_op()
    {
        using var dir = new TempDir();
        var copy = Path.Combine(dir.Path, "tampered.repro");
        Copy(Golden, copy);
        long seq = ChangeFirstHash(copy, "\"op\":\"matmul\"");

        var r = Replayer.Verify(copy);
        Assert.False(r.Identical);
        Assert.Equal(seq, r.FirstDivergence?.Seq);
        Assert.StartsWith($"op {seq} (matmul at ", GoldenLog.FirstDifference(Golden, copy), StringComparison.Ordinal);
    }

    [Fact]
    public void Writing_replaces_a_log_only_with_force()
    {
        using var dir = new TempDir();
        var log = Path.Combine(dir.Path, "g.repro");
        Copy(Golden, log);
        var before = File.ReadAllBytes(Path.Combine(log, LogFormat.RecordsFile));
        var refused = ChildProcess.Run(Program, ["--write", log]);
        Assert.True(refused.ExitCode == 2, refused.ToString());
        Assert.Contains("--force", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(log, LogFormat.RecordsFile)));

        var forced = ChildProcess.Run(Program, ["--write", log, "--force"]);
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.Null(GoldenLog.FirstDifference(Golden, log));
    }

    /// <summary>Small enough to live in the repository; and not ignored by git (logs elsewhere are: *.repro/).</summary>
    [Fact]
    public void Committed_log_is_small_and_not_ignored_by_git()
    {
        long bytes = Directory.EnumerateFiles(Golden, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Assert.InRange(bytes, 1, 700_000);
        var records = Path.Combine(GoldenLog.RelativePath, LogFormat.RecordsFile);
        if (Git("-C", ChildProcess.RepoRoot, "rev-parse", "--git-dir") == 0)
        {
            Assert.True(Git("-C", ChildProcess.RepoRoot, "check-ignore", "-q", records) == 1, $"git ignores {records}; see .gitignore");
        }
    }

    /// <summary>git's exit code, or -1 where there is no git (a source archive, a machine without it).</summary>
    private static int Git(params string[] args)
    {
        try
        {
            using var git = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("git", args) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true })!;
            git.StandardOutput.ReadToEnd();
            git.StandardError.ReadToEnd();
            git.WaitForExit();
            return git.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }

    private static long OpCount(string log)
    {
        using var reader = LogReader.Open(log);
        return reader.Ops().LongCount();
    }

    private static void Copy(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    /// <summary>Changes the first output hash of the first op record containing <paramref name="marker"/> and reseals the line; returns the op's sequence number.</summary>
    private static long ChangeFirstHash(string log, string marker)
    {
        var path = Path.Combine(log, LogFormat.RecordsFile);
        var lines = File.ReadAllLines(path);
        int i = Array.FindIndex(lines, l => l.Contains(marker, StringComparison.Ordinal));
        var line = lines[i];
        int hash = line.IndexOf("\"hash\":\"", line.IndexOf("\"out\":", StringComparison.Ordinal), StringComparison.Ordinal) + "\"hash\":\"".Length;
        var body = line[..line.LastIndexOf(",\"crc\":\"", StringComparison.Ordinal)];
        body = body[..hash] + (body[hash] == '0' ? '1' : '0') + body[(hash + 1)..];
        lines[i] = body + ",\"crc\":\"" + Crc32.HashToUInt32(Encoding.UTF8.GetBytes(body)).ToString("x8", CultureInfo.InvariantCulture) + "\"}";
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
        int seq = line.IndexOf("\"seq\":", StringComparison.Ordinal) + "\"seq\":".Length;
        return long.Parse(line[seq..line.IndexOf(',', seq)], CultureInfo.InvariantCulture);
    }

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("repro-golden-tests-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
