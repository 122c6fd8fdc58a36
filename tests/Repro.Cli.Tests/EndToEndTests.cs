using System.Text;
using Newtonsoft.Json.Linq;
using Repro.Recorder;

namespace Repro.Cli.Tests;

public sealed class EndToEndTests
{
    [Fact]
    public void Run_list_names_the_workloads()
    {
        var r = CliRunner.Run("run", "--list");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("smoke", r.Stdout);
        var json = JObject.Parse(CliRunner.Run("run", "--list", "--json").Stdout);
        Assert.Contains(json["workloads"]!, w => (string)w["name"]! == "smoke");
    }

    [Fact]
    public void Run_then_verify_then_replay_at_another_thread_count_are_identical()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        var run = CliRunner.Run("run", "smoke", "--out", log, "--steps", "4", "--seed", "5", "--threads", "2", "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        var doc = JObject.Parse(run.Stdout);
        Assert.True((long)doc["ops"]! > 20);

        var verify = CliRunner.Run("verify", log);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("identical", verify.Stdout);

        var replay = CliRunner.Run("replay", log, "--threads", "1", "--out", dir.Sub("again.repro"), "--json");
        Assert.True(replay.ExitCode == 0, replay.ToString());
        var rj = JObject.Parse(replay.Stdout);
        Assert.True((bool)rj["identical"]!);
        Assert.Equal((long)doc["ops"]!, (long)rj["ops"]!);
        Assert.True(Directory.Exists(dir.Sub("again.repro")));

        // The same seed gives the same parameters; another seed does not.
        var again = JObject.Parse(CliRunner.Run("run", "smoke", "--out", dir.Sub("b.repro"), "--steps", "4", "--seed", "5", "--json").Stdout);
        var other = JObject.Parse(CliRunner.Run("run", "smoke", "--out", dir.Sub("c.repro"), "--steps", "4", "--seed", "6", "--json").Stdout);
        Assert.Equal((string)doc["parameterHash"]!, (string)again["parameterHash"]!);
        Assert.NotEqual((string)doc["parameterHash"]!, (string)other["parameterHash"]!);
    }

    [Fact]
    public void Verify_exits_1_and_names_the_first_differing_op_with_its_source()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        Assert.Equal(0, CliRunner.Run("run", "smoke", "--out", log, "--steps", "2").ExitCode);
        var target = ForgeHash(log, "relu");
        var r = CliRunner.Run("verify", log);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains($"op {target.Seq} (relu)", r.Stdout);
        Assert.Contains("WorkloadCatalog.cs:", r.Stdout);
        var j = JObject.Parse(CliRunner.Run("verify", log, "--json").Stdout);
        Assert.Equal(target.Seq, (long)j["firstDivergence"]!["seq"]!);
        Assert.Equal(1, (int)j["exitCode"]!);
    }

    [Fact]
    public void Damaged_and_missing_logs_exit_2_with_the_record_and_offset()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        Assert.Equal(0, CliRunner.Run("run", "smoke", "--out", log, "--steps", "1").ExitCode);
        var path = Path.Combine(log, LogFormat.RecordsFile);
        var bytes = File.ReadAllBytes(path);
        int line3 = Nth(bytes, 2) + 1;
        bytes[line3 + 20] ^= 0x04;
        File.WriteAllBytes(path, bytes);
        foreach (var cmd in new[] { "verify", "inspect", "replay" })
        {
            var r = CliRunner.Run(cmd, log);
            Assert.True(r.ExitCode == 2, cmd + ": " + r);
            Assert.Contains($"records.jsonl:3 (byte {line3})", r.Stderr);
            Assert.Contains("checksum mismatch", r.Stderr);
            Assert.DoesNotContain("   at ", r.Stderr);
        }

        var missing = CliRunner.Run("inspect", dir.Sub("nope"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("no such log", missing.Stderr);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("run", "no-such-workload", "--out", "x")]
    [InlineData("run", "smoke", "--out", "x", "--dtype", "int32")]
    [InlineData("run", "smoke", "--out", "x", "--threads", "0")]
    [InlineData("run", "smoke", "--out", "x", "--backend", "abacus")]
    [InlineData("verify")]
    [InlineData("export", "x", "--format", "csv", "--out", "y", "--leaves")]
    [InlineData("replay", "x", "--threads", "many")]
    public void Usage_errors_exit_2_without_a_stack_trace(params string[] args)
    {
        var r = CliRunner.Run(args);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("error", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void Every_command_has_help()
    {
        foreach (var cmd in new[] { "run", "record", "replay", "verify", "inspect", "export", "doctor" })
        {
            var r = CliRunner.Run(cmd, "--help");
            Assert.True(r.ExitCode == 0, cmd + ": " + r);
            Assert.Contains("Usage:", r.Stdout);
        }
    }

    [Fact]
    public void Inspect_reports_counts_sizes_and_the_first_nan()
    {
        using var dir = new TempDir();
        var log = dir.Sub("nan.repro");
        using (Recorder.Recorder.Start(log))
        {
            var x = Engine.Tensor.FromArray([1f, 0f, 4f], [3]);
            var y = x.Log();
            y.Mul(2.0).Sum();
        }

        var r = CliRunner.Run("inspect", log, "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        var j = JObject.Parse(r.Stdout);
        Assert.Equal("log", (string)j["firstNonFinite"]!["op"]!);
        Assert.True((bool)j["firstNonFinite"]!["origin"]!);
        Assert.Equal(1, (long)j["opCounts"]!["log"]!);
        Assert.True((bool)j["complete"]!);
        Assert.True((double)j["sizes"]!["bytesPerOp"]! > 100);
        var text = CliRunner.Run("inspect", log, "--op", "1", "--summary");
        Assert.Contains("first NaN/Inf: op 1 (log)", text.Stdout);
        Assert.Contains("-Inf 1", text.Stdout);
    }

    [Fact]
    public void Export_writes_npy_and_safetensors_regenerating_uncaptured_ops()
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        Assert.Equal(0, CliRunner.Run("run", "smoke", "--out", log, "--steps", "2").ExitCode);
        List<OpRecord> ops;
        using (var reader = LogReader.Open(log))
        {
            ops = [.. reader.Ops()];
        }

        var mm = ops.First(o => o.Op == "matmul");
        var r = CliRunner.Run("export", log, "--op", mm.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture), "--format", "npy", "--out", dir.Sub("npy"));
        Assert.True(r.ExitCode == 0, r.ToString());
        var npy = File.ReadAllBytes(Path.Combine(dir.Sub("npy"), $"op{mm.Seq}.npy"));
        Assert.Equal(0x93, npy[0]);
        int headerLen = BitConverter.ToUInt16(npy, 8);
        var header = Encoding.ASCII.GetString(npy, 10, headerLen);
        Assert.Contains("'descr': '<f4'", header);
        Assert.Contains($"'shape': ({string.Join(", ", mm.Output.Shape)})", header);
        Assert.Equal(0, (10 + headerLen) % 64);
        var data = npy.AsSpan(10 + headerLen).ToArray();
        Assert.Equal(mm.Output.Hash, TensorBytes.CanonicalHash(data, Engine.DType.Float32, 0));

        var s = CliRunner.Run("export", log, "--leaves", "--format", "safetensors", "--out", dir.Sub("st"));
        Assert.True(s.ExitCode == 0, s.ToString());
        var st = File.ReadAllBytes(Path.Combine(dir.Sub("st"), "tensors.safetensors"));
        long n = BitConverter.ToInt64(st, 0);
        var meta = JObject.Parse(Encoding.UTF8.GetString(st, 8, (int)n));
        Assert.NotNull(meta["__metadata__"]);
        var names = meta.Properties().Select(p => p.Name).Where(p => p != "__metadata__").ToList();
        Assert.Equal(ops.Count(o => o.Op == "from_host"), names.Count);
        Assert.Equal(8 + n + names.Sum(x => (long)meta[x]!["data_offsets"]![1]! - (long)meta[x]!["data_offsets"]![0]!), st.Length);
    }

    [Fact]
    public void Doctor_prints_the_fingerprint_and_passes_its_self_check()
    {
        var r = CliRunner.Run("doctor", "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        var j = JObject.Parse(r.Stdout);
        Assert.False(string.IsNullOrEmpty((string?)j["env"]!["runtime"]));
        Assert.True((bool)j["selfCheck"]!["threadInvariant"]!);
        Assert.Contains(j["settings"]!, s => (string)s["name"]! == "DOTNET_EnableAVX2");
        Assert.Contains("self-check", CliRunner.Run("doctor").Stdout);
    }

    [Fact]
    public void Doctor_shows_the_width_each_avx512_setting_gives_and_flags_the_one_net10_ignores()
    {
        // DOTNET_EnableAVX512=0 reaches the child's JIT: its fingerprint has no AVX-512, whatever this CPU has.
        var off = JObject.Parse(Doctor("DOTNET_EnableAVX512").Stdout);
        Assert.DoesNotContain("avx512f", Isa(off));
        Assert.DoesNotContain("vector512", Isa(off));
        Assert.Equal("0", (string?)Setting(off, "DOTNET_EnableAVX512")["value"]);

        // The pre-.NET 10 spelling changes nothing: the child keeps this process's widths, and doctor says so.
        var old = JObject.Parse(Doctor("DOTNET_EnableAVX512F").Stdout);
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx512F.IsSupported, Isa(old).Contains("avx512f"));
        Assert.Equal(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated, Isa(old).Contains("vector512"));
        Assert.True((bool)Setting(old, "DOTNET_EnableAVX512F")["ignored"]!);
        Assert.False((bool)Setting(old, "DOTNET_EnableAVX512")["ignored"]!);
        var text = Doctor("DOTNET_EnableAVX512F", json: false);
        Assert.Contains("IGNORED on .NET 10", text.Stdout);
        Assert.Contains("warning: DOTNET_EnableAVX512F is set but ignored on .NET 10; use DOTNET_EnableAVX512=0", text.Stderr);

        static CliResult Doctor(string variable, bool json = true)
        {
            var r = json ? CliRunner.Run(new Dictionary<string, string> { [variable] = "0" }, "doctor", "--json") : CliRunner.Run(new Dictionary<string, string> { [variable] = "0" }, "doctor");
            Assert.True(r.ExitCode == 0, r.ToString());
            return r;
        }

        static List<string> Isa(JObject doctor) => [.. doctor["env"]!["isa"]!.Values<string>().Select(s => s!)];

        static JToken Setting(JObject doctor, string name) => doctor["settings"]!.Single(s => (string?)s["name"] == name);
    }

    [Fact]
    public void Record_attaches_to_an_unmodified_program_through_the_startup_hook()
    {
        using var dir = new TempDir();
        var log = dir.Sub("doctor.repro");

        // The recorded program is repro doctor itself: it uses the engine and knows nothing of this recording.
        var r = CliRunner.Run("record", "--out", log, "--", "dotnet", CliRunner.ReproDll, "doctor", "--quiet");
        Assert.True(r.ExitCode == 0, r.ToString());
        using (var reader = LogReader.Open(log))
        {
            var ops = reader.Ops().ToList();
            Assert.Contains(ops, o => o.Op == "matmul");
            Assert.NotNull(reader.End);
            Assert.Contains("doctor", reader.Header.Environment.CommandLine);
        }

        var v = CliRunner.Run("verify", log);
        Assert.True(v.ExitCode == 0, v.ToString());
    }

    [Fact]
    public void Quiet_prints_nothing_on_success()
    {
        using var dir = new TempDir();
        var r = CliRunner.Run("run", "smoke", "--out", dir.Sub("q.repro"), "--steps", "1", "--quiet");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(string.Empty, r.Stdout);
    }

    [Theory]
    [InlineData("{\"type\":\"op\",\"seq\":0,\"op\":\"from_host\",\"in\":[],\"out\":[{\"id\":1,\"shape\":[2],\"dtype\":\"float32\",\"hash\":\"00000000000000000000000000000000\",\"blob\":\"../../../etc/passwd\"}],\"backend\":\"managed\"", "not a content address")]
    [InlineData("{\"type\":\"op\",\"seq\":0,\"op\":\"full\",\"in\":[],\"out\":[{\"id\":1,\"shape\":[2147483647,2147483647],\"dtype\":\"float32\",\"hash\":\"00000000000000000000000000000000\"}],\"backend\":\"managed\"", "elements")]
    [InlineData("{\"type\":\"op\",\"seq\":0,\"op\":\"launch_missiles\",\"in\":[],\"out\":[],\"backend\":\"managed\"", "unknown op 'launch_missiles'")]
    [InlineData("{\"type\":\"op\",\"seq\":0,\"op\":\"full\",\"attrs\":{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]},\"in\":[],\"out\":[],\"backend\":\"managed\"", "MaxDepth")]
    public void Hostile_logs_exit_2_with_a_clear_error(string record, string expected)
    {
        using var dir = new TempDir();
        var log = dir.Sub("run.repro");
        Assert.Equal(0, CliRunner.Run("run", "smoke", "--out", log, "--steps", "1").ExitCode);
        var path = Path.Combine(log, LogFormat.RecordsFile);
        var header = File.ReadLines(path).First();
        var crc = System.IO.Hashing.Crc32.HashToUInt32(Encoding.UTF8.GetBytes(record));
        File.WriteAllText(path, header + "\n" + record + ",\"crc\":\"" + crc.ToString("x8", System.Globalization.CultureInfo.InvariantCulture) + "\"}\n");
        foreach (var cmd in new[] { "inspect", "verify", "replay" })
        {
            var r = CliRunner.Run(cmd, log);
            Assert.True(r.ExitCode == 2, cmd + ": " + r);
            Assert.Contains(expected, r.Stderr);
            Assert.Contains("records.jsonl:2", r.Stderr);
            Assert.DoesNotContain("   at ", r.Stderr);
        }

        var v = File.ReadAllLines(path);
        v[0] = v[0].Replace("\"version\":1", "\"version\":7", StringComparison.Ordinal);
        File.WriteAllText(path, string.Join('\n', v) + "\n");
        var bad = CliRunner.Run("inspect", log);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("checksum mismatch", bad.Stderr);
    }

    internal static OpRecord ForgeHash(string log, string op)
    {
        OpRecord target;
        using (var reader = LogReader.Open(log))
        {
            target = reader.Ops().First(o => o.Op == op);
        }

        LogEdits.Reseal(log, target.Position.Line, body => body.Replace(target.Output.Hash, new string('0', 32), StringComparison.Ordinal));
        return target;
    }

    private static int Nth(byte[] bytes, int n)
    {
        int seen = 0;
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == '\n' && ++seen == n)
            {
                return i;
            }
        }

        return -1;
    }
}
