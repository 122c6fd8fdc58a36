using System.Globalization;
using Newtonsoft.Json.Linq;
using Repro.Engine;
using Repro.Recorder;
using Spectre.Console;

namespace Repro.Cli;

/// <summary><c>repro inspect</c>: prints <see cref="LogInspection.Analyze"/>'s summary of a log.</summary>
internal static class Inspector
{
    public static int Run(string path, bool listOps, long? opSeq, Output o, bool summary = false)
    {
        var s = Commands.ForOp(() => LogInspection.Analyze(path, new InspectOptions { ListOps = listOps, Op = opSeq }));
        o.Document(Json(s, listOps));
        if (s.Op is { } asked)
        {
            // The op asked for comes first; the log's summary only on request (--summary), after it.
            o.Human(c =>
            {
                RenderOp(c, asked);
                if (summary || listOps)
                {
                    c.WriteLine();
                    Render(c, s, listOps, withOp: false);
                }
                else
                {
                    c.WriteLine(LogText.Visible(string.Create(CultureInfo.InvariantCulture, $"log: {s.Folder}, {Output.Plural(s.Ops, "op")}; --summary shows its environment, op counts and first NaN/Inf")));
                }
            });
        }
        else
        {
            o.Human(c => Render(c, s, listOps));
        }
        if (s.Truncation is { } tr && s.Error is null)
        {
            o.Warn($"{tr.Message} (at {tr.Position})");
        }

        // What was read before the damage is printed first, then the damage is the command's error.
        if (s.Error is not null)
        {
            throw s.Error;
        }

        return ExitCodes.Success;
    }

    private static string Where(SourceLocation s) => s.IsKnown ? $"{s.File}:{s.Line} ({s.Member})" : "unknown";

    /// <summary>Bytes per op as printed: to one decimal.</summary>
    private static double BytesPerOp(LogSummary s) => Math.Round(s.BytesPerOp, 1);

    private static JObject Json(LogSummary s, bool listOps)
    {
        var h = s.Header;
        var env = h.Environment;
        var doc = new JObject
        {
            ["log"] = s.Folder,
            ["format"] = new JObject { ["version"] = h.Version, ["repro"] = h.ReproVersion, ["capture"] = h.Capture },
            ["env"] = new JObject
            {
                ["os"] = env.Os,
                ["runtime"] = env.Runtime,
                ["cpu"] = env.Cpu,
                ["isa"] = new JArray(env.Isa),
                ["processors"] = env.Processors,
                ["threads"] = env.Threads,
                ["backend"] = env.Backend,
                ["device"] = env.Device,
                ["dtype"] = env.DType,
                ["seed"] = env.Seed.ToString(CultureInfo.InvariantCulture),
                ["vars"] = new JObject(env.Variables.Select(kv => new JProperty(kv.Key, kv.Value))),
                ["command"] = env.CommandLine,
            },
            ["ops"] = s.Ops,
            ["forward"] = s.Forward,
            ["backward"] = s.Backward,
            ["leaves"] = s.Leaves,
            ["lastSeq"] = s.LastSeq,
            ["complete"] = s.End?.IsComplete == true,
            ["status"] = s.End?.Status ?? "incomplete",
            ["opCounts"] = new JObject(s.OpCounts.Select(kv => new JProperty(kv.Key, kv.Value))),
            ["sizes"] = new JObject
            {
                ["recordBytes"] = s.RecordBytes,
                ["blobs"] = s.Blobs,
                ["blobBytes"] = s.BlobBytes,
                ["bytesPerOp"] = BytesPerOp(s),
            },
            ["firstNonFinite"] = s.FirstNonFinite is not { Op: var bad } ? null : new JObject
            {
                ["seq"] = bad.Seq,
                ["op"] = bad.Op,
                ["source"] = Where(bad.Source),
                ["module"] = ModuleJson(bad.Module),
                ["origin"] = s.FirstNonFinite.InputsFinite,
                ["nan"] = bad.Output.Stats!.NaN,
                ["posInf"] = bad.Output.Stats.PosInf,
                ["negInf"] = bad.Output.Stats.NegInf,
            },
        };
        if (s.Truncation is { } t)
        {
            doc["truncated"] = new JObject { ["message"] = t.Message, ["lastSeq"] = t.LastSeq, ["at"] = t.Position.ToString() };
        }

        if (s.Error is not null)
        {
            doc["error"] = s.Error.Message;
        }

        if (s.End?.Error is { } runError)
        {
            doc["runError"] = new JObject
            {
                ["type"] = runError.Type,
                ["message"] = runError.Message,
                ["op"] = runError.Op,
                ["source"] = runError.Source.IsKnown ? Where(runError.Source) : null,
                ["lastSeq"] = runError.LastSeq,
            };
        }

        if (s.Op is not null)
        {
            doc["op"] = OpJson(s.Op);
        }

        if (listOps)
        {
            doc["opList"] = new JArray(s.OpList.Select(OpJson));
        }

        return doc;
    }

    private static JObject OpJson(OpRecord op) => new()
    {
        ["seq"] = op.Seq,
        ["op"] = op.Op,
        ["phase"] = op.Phase == OpPhase.Backward ? "backward" : "forward",
        ["backwardOf"] = op.Phase == OpPhase.Backward ? op.BackwardOf : null,
        ["attrs"] = op.Attributes.ToString(),
        ["inputs"] = new JArray(op.Inputs),
        ["output"] = new JObject
        {
            ["id"] = op.Output.Id,
            ["shape"] = new JArray(op.Output.Shape),
            ["dtype"] = op.Output.DType.Name(),
            ["hash"] = op.Output.Hash,
            ["blob"] = op.Output.Blob,
            ["stats"] = op.Output.Stats is { } s ? new JObject
            {
                ["min"] = s.Min,
                ["max"] = s.Max,
                ["mean"] = s.Mean,
                ["nan"] = s.NaN,
                ["posInf"] = s.PosInf,
                ["negInf"] = s.NegInf,
                ["subnormal"] = s.Subnormal,
                ["zero"] = s.Zero,
            } : null,
        },
        ["backend"] = op.Backend,
        ["source"] = Where(op.Source),
        ["module"] = ModuleJson(op.Module),
        ["record"] = op.Position.ToString(),
    };

    private static JToken ModuleJson(OpModule? m) => m is null ? JValue.CreateNull() : new JObject { ["path"] = m.Path, ["type"] = m.Type };

    private static string InModule(OpModule? m) => m is null ? string.Empty : $" in module {m}";

    private static void Render(IAnsiConsole c, LogSummary s, bool listOps, bool withOp = true)
    {
        var h = s.Header;
        var env = h.Environment;
        c.WriteLine(LogText.Visible($"log {s.Folder}"));
        var envTable = new Table().AddColumns("environment", "value").HideHeaders();
        envTable.AddRow("format", $"{LogFormat.Name} v{h.Version}, Repro {Output.Esc(h.ReproVersion)}, capture {Output.Esc(h.Capture)}");
        envTable.AddRow("os", Output.Esc(env.Os));
        envTable.AddRow("runtime", Output.Esc(env.Runtime));
        envTable.AddRow("cpu", Output.Esc(env.Cpu));
        envTable.AddRow("isa", Output.Esc(string.Join(' ', env.Isa)));
        envTable.AddRow("threads", $"{env.Threads} of {env.Processors} processors");
        envTable.AddRow("backend", Output.Esc($"{env.Backend} ({env.Device})"));
        envTable.AddRow("dtype", Output.Esc(env.DType));
        envTable.AddRow("seed", env.Seed.ToString(CultureInfo.InvariantCulture));
        envTable.AddRow("variables", env.Variables.Count == 0 ? "(none)" : Output.Esc(string.Join(' ', env.Variables.Select(kv => $"{kv.Key}={kv.Value}"))));
        envTable.AddRow("command", Output.Esc(env.CommandLine));
        c.Write(envTable);

        var status = s.End is null ? "INCOMPLETE (no end record)" : s.End.IsComplete ? "complete" : "ended by " + LogText.Visible(s.End.Status.ToUpperInvariant());
        c.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ops: {s.Ops} ({s.Forward} forward, {s.Backward} backward), leaves: {s.Leaves}, {status}"));
        if (s.End?.Error is { } runError)
        {
            c.WriteLine($"run ended by: {LogText.Visible(runError.Describe())}");
        }

        c.WriteLine(string.Create(CultureInfo.InvariantCulture, $"size: records {s.RecordBytes} bytes, {s.Blobs} blobs {s.BlobBytes} bytes, {BytesPerOp(s):F1} bytes per op"));
        var countTable = new Table().AddColumns("op", "count");
        countTable.Columns[1].RightAligned();
        foreach (var kv in s.OpCounts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal))
        {
            countTable.AddRow(Output.Esc(kv.Key), kv.Value.ToString(CultureInfo.InvariantCulture));
        }

        c.Write(countTable);
        if (s.FirstNonFinite is not { Op: var bad, InputsFinite: var origin })
        {
            c.WriteLine("first NaN/Inf: none");
        }
        else
        {
            var st = bad.Output.Stats!;
            c.WriteLine(LogText.Visible($"first NaN/Inf: op {bad.Seq} ({bad.Op}) at {Where(bad.Source)}{InModule(bad.Module)}: {st.NaN} NaN, {st.PosInf} +Inf, {st.NegInf} -Inf; {(origin ? "its inputs were finite, so this op made it" : "an input already held NaN/Inf")}"));
        }

        if (withOp && s.Op is { } detail)
        {
            RenderOp(c, detail);
        }

        if (listOps)
        {
            var t = new Table().AddColumns("seq", "op", "phase", "shape", "dtype", "hash", "source", "module");
            foreach (var op in s.OpList)
            {
                t.AddRow(
                    op.Seq.ToString(CultureInfo.InvariantCulture),
                    Output.Esc(op.Op),
                    op.Phase == OpPhase.Backward ? "bwd " + op.BackwardOf.ToString(CultureInfo.InvariantCulture) : "fwd",
                    Output.Esc("[" + string.Join(", ", op.Output.Shape) + "]"),
                    op.Output.DType.Name(),
                    op.Output.Hash[..12],
                    Output.Esc(op.Source.IsKnown ? $"{Path.GetFileName(op.Source.File)}:{op.Source.Line}" : string.Empty),
                    Output.Esc(op.Module?.ToString() ?? string.Empty));
            }

            c.Write(t);
        }
    }

    private static void RenderOp(IAnsiConsole c, OpRecord detail)
    {
        var d = new Table().AddColumns("field", "value").HideHeaders();
        d.AddRow("op", Output.Esc($"{detail.Seq} {detail.Op} ({(detail.Phase == OpPhase.Backward ? $"backward of op {detail.BackwardOf}" : "forward")}{(detail.IsView ? ", view" : string.Empty)})"));
        d.AddRow("attributes", Output.Esc(detail.Attributes.ToString()));
        d.AddRow("inputs", Output.Esc(string.Join(", ", detail.Inputs.Select(i => "tensor " + i.ToString(CultureInfo.InvariantCulture)))));
        d.AddRow("output", Output.Esc($"tensor {detail.Output.Id} [{string.Join(", ", detail.Output.Shape)}] {detail.Output.DType.Name()}"));
        d.AddRow("hash", detail.Output.Hash);
        d.AddRow("stored", detail.Output.Blob is null ? "no (replay regenerates it)" : "blob " + detail.Output.Blob);
        if (detail.Output.Stats is { } st)
        {
            d.AddRow("stats", Output.Esc($"min {Num(st.Min)} max {Num(st.Max)} mean {Num(st.Mean)}; NaN {st.NaN} +Inf {st.PosInf} -Inf {st.NegInf} subnormal {st.Subnormal} zero {st.Zero}"));
        }

        d.AddRow("backend", Output.Esc(detail.Backend));
        c.Write(d);

        // Paths stay outside the table, so its layout does not depend on where files live.
        c.WriteLine("source: " + LogText.Visible(Where(detail.Source)));
        c.WriteLine("module: " + (detail.Module is null ? "none recorded" : LogText.Visible(detail.Module.ToString())));
        c.WriteLine("record: " + LogText.Visible(detail.Position.ToString()));
    }

    private static string Num(double? v) => v is { } d ? d.ToString("G9", CultureInfo.InvariantCulture) : "-";
}
