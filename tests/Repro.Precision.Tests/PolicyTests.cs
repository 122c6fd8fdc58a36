using Repro.Engine;
using Repro.Recorder;

namespace Repro.Precision.Tests;

public sealed class PolicyTests
{
    private static PrecisionOp Op(string name = "sum", long seq = 10, string file = "/src/nn/Layers.cs", int line = 213, string member = "Forward", string? scope = null, OpPhase phase = OpPhase.Forward) =>
        new(name, seq, phase, new SourceLocation(file, line, member), scope);

    [Fact]
    public void Rules_match_by_every_field_given_and_the_first_match_wins()
    {
        var policy = new PrecisionPolicy(DType.BFloat16, [
            new PrecisionRule { Op = "sum", SeqFrom = 5, SeqTo = 20 },
            new PrecisionRule { File = "nn/Layers.cs", Line = 213, DType = DType.Float64 },
            new PrecisionRule { Scope = "encoder.*.ln1" },
            new PrecisionRule { Scope = "decoder" },
            new PrecisionRule { Member = "Step", Phase = OpPhase.Backward },
        ]);
        Assert.Equal(DType.Float32, policy.ComputeDType(Op()));
        Assert.Equal(DType.Float64, policy.ComputeDType(Op(seq: 21)));
        Assert.Equal(DType.BFloat16, policy.ComputeDType(Op(seq: 21, file: "/src/xnn/Layers.cs")));
        Assert.Equal(DType.Float32, policy.ComputeDType(Op("exp", 99, "a.cs", 1, "M", "encoder.layers.0.ln1")));
        Assert.Equal(DType.BFloat16, policy.ComputeDType(Op("exp", 99, "a.cs", 1, "M", "encoder.layers.0.ln2")));
        Assert.Equal(DType.Float32, policy.ComputeDType(Op("exp", 99, "a.cs", 1, "M", "decoder.ln")));
        Assert.Equal(DType.BFloat16, policy.ComputeDType(Op("exp", 99, "a.cs", 1, "M", "decoderx")));
        Assert.Equal(DType.Float32, policy.ComputeDType(Op("mul", 99, "a.cs", 1, "Step", phase: OpPhase.Backward)));
        Assert.Equal(DType.BFloat16, policy.ComputeDType(Op("mul", 99, "a.cs", 1, "Step")));
    }

    [Fact]
    public void Many_seq_rules_are_found_by_index_with_the_same_answers_as_a_scan()
    {
        var rules = Enumerable.Range(0, 50).Select(i => new PrecisionRule { Op = i % 2 == 0 ? "sum" : "exp", SeqFrom = i * 3, SeqTo = i * 3 }).ToList();
        var indexed = new PrecisionPolicy(DType.Float16, rules);
        for (long seq = 0; seq < 160; seq++)
        {
            foreach (var name in new[] { "sum", "exp" })
            {
                var op = Op(name, seq);
                var scan = rules.FirstOrDefault(r => r.Matches(op))?.DType ?? DType.Float16;
                Assert.Equal(scan, indexed.ComputeDType(op));
            }
        }
    }

    [Theory]
    [InlineData("{\"dtype\": \"bfloat16\", \"rules\": [{\"opp\": \"sum\"}]}", "unknown key 'rules[0].opp'")]
    [InlineData("{\"dtype\": \"bfloat17\"}", "unknown dtype 'bfloat17'")]
    [InlineData("{\"dtype\": \"int32\"}", "int32 is not a floating-point dtype")]
    [InlineData("{\"rules\": []}", "no dtype")]
    [InlineData("{\"dtype\": \"float16\", \"rules\": [{\"seq\": -1}]}", "rules[0].seq: expected a non-negative integer, got -1")]
    [InlineData("{\"dtype\": \"float16\", \"rules\": [{\"seqFrom\": 9, \"seqTo\": 3}]}", "seqFrom 9 is after seqTo 3")]
    [InlineData("{\"dtype\": \"float16\", \"rules\": [{\"phase\": \"sideways\"}]}", "expected forward or backward")]
    [InlineData("{\"dtype\": \"float16\", \"version\": 2}", "version 2 is not supported")]
    [InlineData("[1, 2]", "expected a JSON object")]
    [InlineData("{\"dtype\": ", "not valid JSON")]
    public void Bad_policy_files_are_refused_naming_the_bad_value(string json, string message)
    {
        var ex = Assert.Throws<FormatException>(() => PolicyFile.Parse(json, "p.json"));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("p.json: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_under_a_policy_keeps_one_record_per_op_with_kept_ops_in_float32()
    {
        using var dir = new TempDir();
        var log = dir.Sub("sos.repro");
        long sum = Planted.SumOfSquares(log);
        var outLog = dir.Sub("mixed.repro");
        var policy = new PrecisionPolicy(DType.Float16, [new PrecisionRule { Op = "sum" }]);
        var result = Replayer.Replay(log, new ReplayOptions { Policy = policy, OutPath = outLog });
        Assert.False(result.HashesChecked);

        using var original = LogReader.Open(log);
        using var mixed = LogReader.Open(outLog);
        var a = original.Ops().ToList();
        var entries = mixed.Entries().ToList();
        var b = entries.OfType<OpRecord>().ToList();
        Assert.Equal(a.Select(o => (o.Seq, o.Op)), b.Select(o => (o.Seq, o.Op)));
        Assert.Equal(a.Select(o => o.Inputs.Length), b.Select(o => o.Inputs.Length));
        foreach (var op in b)
        {
            var want = op.Seq == sum || op.Op == "from_host" ? DType.Float32 : DType.Float16;
            Assert.Equal(want, op.Output.DType);
        }

        Assert.Empty(entries.OfType<LeafRecord>());
    }

    [Fact]
    public void A_live_scope_runs_kept_ops_in_float32_with_explicit_casts_and_gradients_flow()
    {
        var policy = new PrecisionPolicy(DType.BFloat16, [new PrecisionRule { Op = "sum" }]);
        var x = Tensor.FromArray([1.5f, 2.25f, 3f, 4f], [4], DType.BFloat16);
        x.RequiresGrad = true;
        Tensor y;
        Tensor s;
        long casts;
        using (Autocast.Use(policy))
        {
            y = x * x;
            s = y.Sum();
            casts = Autocast.CastsAdded;
            s.Backward();
        }

        Assert.Equal(DType.BFloat16, y.DType);
        Assert.Equal(DType.Float32, s.DType);
        Assert.Equal(1, casts);
        Assert.Equal(DType.BFloat16, x.Grad!.DType);
        Assert.Equal([3f, 4.5f, 6f, 8f], x.Grad.ToFloatArray());
        Assert.Null(Autocast.Current);

        // Outside the scope nothing converts: mixed dtypes are an error again.
        Assert.ThrowsAny<Exception>(() => s + y.Sum());
    }

    [Fact]
    public void A_live_scope_matches_rules_by_module_path_without_a_recorder()
    {
        // Module paths are kept while a policy is active, so a rule naming a layer applies in a plain training loop.
        var policy = new PrecisionPolicy(DType.BFloat16, [new PrecisionRule { Scope = "encoder.ln" }]);
        var x = Tensor.FromArray([1.5f, 2.25f, 3f, 4f], [4], DType.BFloat16);
        Tensor inside;
        Tensor outside;
        using (Autocast.Use(policy))
        {
            using (Dispatcher.Module("encoder", "Encoder"))
            {
                using (Dispatcher.Module("ln", "LayerNorm"))
                {
                    inside = x * x;
                }

                outside = x * x;
            }
        }

        Assert.Equal(DType.Float32, inside.DType);
        Assert.Equal(DType.BFloat16, outside.DType);
    }
}
