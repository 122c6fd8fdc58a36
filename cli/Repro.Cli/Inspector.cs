using System.Globalization;
using Newtonsoft.Json.Linq;
using Repro.Engine;
using Repro.Recorder;
using Spectre.Console;

namespace Repro.Cli;

/// <summary><c>repro inspect</c>: reads a log once, streaming, and summarizes it.</summary>
internal static class Inspector
{
    public static int Run(string path, bool listOps, long? opSeq, Output o)
    {
        using var reader = LogReader.Open(path);
        var h = reader.Header;
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        var nonFinite = new HashSet<long>();
        var blobs = new HashSet<string>(StringComparer.Ordinal);
        long forward = 0, backward = 0, leaves = 0, ops = 0;
        OpRecord? firstBad = null;
        bool firstBadInputsFinite = false;
        OpRecord? detail = null;
        var rows = new List<OpRecord>();
        LogFormatException? error = null;
        try
        {
            foreach (var e in reader.Entries())
            {
                switch (e)
                {
                    case LeafRecord leaf:
                        leaves++;
                        Note(leaf.Tensor);
                        break;
                    case OpRecord op:
                        ops++;
                        counts[op.Op] = counts.GetValueOrDefault(op.Op) + 1;
                        if (op.Phase == OpPhase.Backward)
                        {
                            backward++;
                        }
                        else
                        {
                            forward++;
                        }

                        if (firstBad is null && op.Output.Stats is { HasNonFinite: true })
                        {
                            firstBad = op;
                            firstBadInputsFinite = op.Inputs.All(id => !nonFinite.Contains(id));
                        }

                        foreach (var output in op.Outputs)
                        {
                            Note(output);
                        }

                        if (op.Seq == opSeq)
                        {
                            detail = op;
                        }

                        if (listOps)
                        {
                            rows.Add(op);
                        }

                        break;
                    default:
                        break;
                }
            }
        }
        catch (LogFormatException ex)
        {
            error = ex;
        }

        // The op shown in full: a stored output is shown only if its blob holds it.
        if (detail?.Output.Blob is not null && error is null)
        {
            try
            {
                reader.ReadStored(detail.Output, detail.Position);
            }
            catch (LogFormatException ex)
            {
                error = ex;
            }
        }

        void Note(TensorRecord t)
        {
            if (t.Stats is { HasNonFinite: true })
            {
                nonFinite.Add(t.Id);
            }
            else
            {
                nonFinite.Remove(t.Id);
            }

            if (t.Blob is not null)
            {
                blobs.Add(t.Blob);
            }
        }

        long recordBytes = new FileInfo(Path.Combine(reader.Folder, LogFormat.RecordsFile)).Length;
        long blobBytes = blobs.Sum(b =>
        {
            // A link is no blob of this log (reading one refuses it).
            var f = new FileInfo(Path.Combine(reader.Folder, LogFormat.BlobsFolder, b + ".bin"));
            return f.Exists && f.LinkTarget is null ? f.Length : 0;
        });

        if (opSeq is { } want && detail is null && error is null)
        {
            throw new CliException($"--op {want}: the log has no op {want} (ops 0..{reader.LastSeq})");
        }

        var env = h.Environment;
        var doc = new JObject
        {
            ["log"] = reader.Folder,
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
            ["ops"] = ops,
            ["forward"] = forward,
            ["backward"] = backward,
            ["leaves"] = leaves,
            ["lastSeq"] = reader.LastSeq,
            ["complete"] = reader.End?.IsComplete == true,
            ["status"] = reader.End?.Status ?? "incomplete",
            ["opCounts"] = new JObject(counts.Select(kv => new JProperty(kv.Key, kv.Value))),
            ["sizes"] = new JObject
            {
                ["recordBytes"] = recordBytes,
                ["blobs"] = blobs.Count,
                ["blobBytes"] = blobBytes,
                ["bytesPerOp"] = ops == 0 ? 0 : Math.Round((double)(recordBytes + blobBytes) / ops, 1),
            },
            ["firstNonFinite"] = firstBad is null ? null : new JObject
            {
                ["seq"] = firstBad.Seq,
                ["op"] = firstBad.Op,
                ["source"] = Where(firstBad.Source),
                ["origin"] = firstBadInputsFinite,
                ["nan"] = firstBad.Output.Stats!.NaN,
                ["posInf"] = firstBad.Output.Stats.PosInf,
                ["negInf"] = firstBad.Output.Stats.NegInf,
            },
        };
        if (reader.Truncation is { } t)
        {
            doc["truncated"] = new JObject { ["message"] = t.Message, ["lastSeq"] = t.LastSeq, ["at"] = t.Position.ToString() };
        }

        if (error is not null)
        {
            doc["error"] = error.Message;
        }

        if (reader.End?.Error is { } runError)
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

        if (detail is not null)
        {
            doc["op"] = OpJson(detail);
        }

        if (listOps)
        {
            doc["opList"] = new JArray(rows.Select(OpJson));
        }

        o.Document(doc);
        o.Human(c => Render(c, reader, doc, counts, firstBad, firstBadInputsFinite, detail, rows, listOps));
        if (reader.Truncation is { } tr && error is null)
        {
            o.Warn($"{tr.Message} (at {tr.Position})");
        }

        if (error is not null)
        {
            throw error;
        }

        return ExitCodes.Success;
    }

    private static string Where(SourceLocation s) => s.IsKnown ? $"{s.File}:{s.Line} ({s.Member})" : "unknown";

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
        ["record"] = op.Position.ToString(),
    };

    private static void Render(IAnsiConsole c, LogReader reader, JObject doc, SortedDictionary<string, long> counts, OpRecord? firstBad, bool origin, OpRecord? detail, List<OpRecord> rows, bool listOps)
    {
        var h = reader.Header;
        var env = h.Environment;
        c.WriteLine(LogText.Visible($"log {reader.Folder}"));
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

        var sizes = (JObject)doc["sizes"]!;
        var status = reader.End is null ? "INCOMPLETE (no end record)" : reader.End.IsComplete ? "complete" : "ended by " + LogText.Visible(reader.End.Status.ToUpperInvariant());
        c.WriteLine($"ops: {doc["ops"]} ({doc["forward"]} forward, {doc["backward"]} backward), leaves: {doc["leaves"]}, {status}");
        if (reader.End?.Error is { } runError)
        {
            c.WriteLine($"run ended by: {LogText.Visible(runError.Describe())}");
        }

        c.WriteLine($"size: records {sizes["recordBytes"]} bytes, {sizes["blobs"]} blobs {sizes["blobBytes"]} bytes, {((double)sizes["bytesPerOp"]!).ToString("F1", CultureInfo.InvariantCulture)} bytes per op");
        var countTable = new Table().AddColumns("op", "count");
        countTable.Columns[1].RightAligned();
        foreach (var kv in counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal))
        {
            countTable.AddRow(Output.Esc(kv.Key), kv.Value.ToString(CultureInfo.InvariantCulture));
        }

        c.Write(countTable);
        if (firstBad is null)
        {
            c.WriteLine("first NaN/Inf: none");
        }
        else
        {
            var s = firstBad.Output.Stats!;
            c.WriteLine(LogText.Visible($"first NaN/Inf: op {firstBad.Seq} ({firstBad.Op}) at {Where(firstBad.Source)}: {s.NaN} NaN, {s.PosInf} +Inf, {s.NegInf} -Inf; {(origin ? "its inputs were finite, so this op made it" : "an input already held NaN/Inf")}"));
        }

        if (detail is not null)
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
            c.WriteLine("record: " + LogText.Visible(detail.Position.ToString()));
        }

        if (listOps)
        {
            var t = new Table().AddColumns("seq", "op", "phase", "shape", "dtype", "hash", "source");
            foreach (var op in rows)
            {
                t.AddRow(
                    op.Seq.ToString(CultureInfo.InvariantCulture),
                    Output.Esc(op.Op),
                    op.Phase == OpPhase.Backward ? "bwd " + op.BackwardOf.ToString(CultureInfo.InvariantCulture) : "fwd",
                    Output.Esc("[" + string.Join(", ", op.Output.Shape) + "]"),
                    op.Output.DType.Name(),
                    op.Output.Hash[..12],
                    Output.Esc(op.Source.IsKnown ? $"{Path.GetFileName(op.Source.File)}:{op.Source.Line}" : string.Empty));
            }

            c.Write(t);
        }
    }

    private static string Num(double? v) => v is { } d ? d.ToString("G9", CultureInfo.InvariantCulture) : "-";
}
