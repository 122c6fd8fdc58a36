using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Newtonsoft.Json.Linq;
using Repro.Engine;
using Repro.Onnx;
using Repro.Recorder;
using Spectre.Console;

namespace Repro.Cli;

/// <summary><c>repro onnx check|run|compare</c>: import an ONNX model, run it in the engine, compare it with ONNX Runtime.</summary>
internal static class OnnxCommands
{
    public static Command OnnxCommand()
    {
        var cmd = new Command("onnx", "Import ONNX models: check what can run, run them deterministically, compare them node by node with ONNX Runtime");
        cmd.Subcommands.Add(CheckCommand());
        cmd.Subcommands.Add(RunCommand());
        cmd.Subcommands.Add(CompareCommand());
        return cmd;
    }

    private static Argument<string> ModelArgument() => new("model") { Description = "The .onnx file" };

    private sealed class InputOptions
    {
        public Option<string[]> Input { get; } = new("--input", "-i") { Description = "An input: [name=]file[,file...]; .npy arrays or images (several files are stacked along axis 0). Repeatable; the name may be left out for a one-input model", HelpName = "spec", AllowMultipleArgumentsPerToken = false };

        public Option<string?> Size { get; } = new("--size") { Description = "Images: resize to H or H,W (default: the model input's declared size, else 224)", HelpName = "H[,W]" };

        public Option<string?> Mean { get; } = new("--mean") { Description = "Images: per-channel mean subtracted after scaling (e.g. 0.485,0.456,0.406)", HelpName = "r,g,b" };

        public Option<string?> Std { get; } = new("--std") { Description = "Images: per-channel divisor (e.g. 0.229,0.224,0.225)", HelpName = "r,g,b" };

        public Option<float> Scale { get; } = new("--scale") { Description = "Images: pixel values 0..255 are multiplied by this first", HelpName = "x", DefaultValueFactory = _ => 1f / 255f };

        public Option<string> Layout { get; } = new("--layout") { Description = "Images: nchw or nhwc", HelpName = "layout", DefaultValueFactory = _ => "nchw" };

        public Option<bool> Bgr { get; } = new("--bgr") { Description = "Images: channels in blue, green, red order" };

        public void AddTo(Command c)
        {
            c.Options.Add(Input);
            c.Options.Add(Size);
            c.Options.Add(Mean);
            c.Options.Add(Std);
            c.Options.Add(Scale);
            c.Options.Add(Layout);
            c.Options.Add(Bgr);
        }

        public Dictionary<string, OnnxValue> Read(ParseResult p, OnnxModel model)
        {
            var specs = p.GetValue(Input) ?? [];
            var result = new Dictionary<string, OnnxValue>(StringComparer.Ordinal);
            foreach (var spec in specs)
            {
                int eq = spec.IndexOf('=', StringComparison.Ordinal);
                string name;
                string files;
                if (eq > 0 && model.Inputs.Any(i => i.Name == spec[..eq]))
                {
                    name = spec[..eq];
                    files = spec[(eq + 1)..];
                }
                else if (model.Inputs.Count == 1)
                {
                    name = model.Inputs[0].Name;
                    files = spec;
                }
                else
                {
                    throw new CliException($"--input {spec}: name the input (name=file); the model's inputs are {string.Join(", ", model.Inputs.Select(i => i.Name))}");
                }

                var list = files.Split(',', StringSplitOptions.RemoveEmptyEntries);
                foreach (var f in list)
                {
                    if (!File.Exists(f))
                    {
                        throw new CliException($"--input {spec}: no such file '{f}'");
                    }
                }

                result[name] = OnnxInputs.Read(list, Image(p, model, name));
            }

            foreach (var i in model.Inputs)
            {
                if (!result.ContainsKey(i.Name))
                {
                    throw new CliException($"missing --input for the model's input '{i.Name}' ({Describe(i)})");
                }
            }

            return result;
        }

        private ImageOptions Image(ParseResult p, OnnxModel model, string input)
        {
            string layout = p.GetValue(Layout) ?? "nchw";
            var dims = model.Inputs.First(i => i.Name == input).Type?.TensorType?.Shape?.Dim.Select(d => d.DimValue).ToArray() ?? [];
            int h = 224;
            int w = 224;
            if (dims.Length == 4)
            {
                var (dh, dw) = layout == "nhwc" ? (dims[1], dims[2]) : (dims[2], dims[3]);
                h = dh > 0 ? (int)dh : h;
                w = dw > 0 ? (int)dw : w;
            }

            if (p.GetValue(Size) is { } size)
            {
                var parts = size.Split(',');
                if (parts.Length is < 1 or > 2 || parts.Any(x => !int.TryParse(x, CultureInfo.InvariantCulture, out int v) || v <= 0 || v > OnnxInputs.MaxImageSide))
                {
                    throw new CliException($"--size {size}: expected H or H,W (1 to {OnnxInputs.MaxImageSide})");
                }

                h = int.Parse(parts[0], CultureInfo.InvariantCulture);
                w = int.Parse(parts[^1], CultureInfo.InvariantCulture);
            }

            return new ImageOptions
            {
                Height = h,
                Width = w,
                Scale = p.GetValue(Scale),
                Mean = p.GetValue(Mean) is { } m ? ImageOptions.ParseTriple(m, "--mean") : [0f, 0f, 0f],
                Std = p.GetValue(Std) is { } s ? ImageOptions.ParseTriple(s, "--std") : [1f, 1f, 1f],
                Layout = layout is "nchw" or "nhwc" ? layout : throw new CliException($"--layout {layout}: expected nchw or nhwc"),
                Bgr = p.GetValue(Bgr),
            };
        }
    }

    private static string Describe(global::Onnx.ValueInfoProto v)
    {
        var t = v.Type?.TensorType;
        if (t is null)
        {
            return "not a tensor";
        }

        var dims = t.Shape?.Dim.Select(d => d.DimValue > 0 ? d.DimValue.ToString(CultureInfo.InvariantCulture) : d.DimParam.Length > 0 ? d.DimParam : "?") ?? [];
        return $"{(OnnxTensors.ElementType)t.ElemType} [{string.Join(", ", dims)}]";
    }

    private static Command CheckCommand()
    {
        var model = ModelArgument();
        var cmd = new Command("check", "List a model's inputs, outputs and operators, and every operator or attribute Repro cannot run. Exit code 0 runnable, 2 unsupported or unreadable") { model };
        Cli.Register(cmd, (p, o) =>
        {
            var m = OnnxModel.Load(p.GetValue(model)!);
            var problems = OnnxChecker.Check(m);
            var ops = m.Graph.Node.GroupBy(n => n.OpType).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.Count())).ToList();
            int code = problems.Count == 0 ? ExitCodes.Success : ExitCodes.BadInput;
            o.Document(new JObject
            {
                ["model"] = m.Name,
                ["opset"] = m.OpsetVersion,
                ["nodes"] = m.Graph.Node.Count,
                ["initializers"] = m.Initializers.Count,
                ["inputs"] = new JArray(m.Inputs.Select(i => new JObject { ["name"] = i.Name, ["type"] = Describe(i) })),
                ["outputs"] = new JArray(m.Graph.Output.Select(i => new JObject { ["name"] = i.Name, ["type"] = Describe(i) })),
                ["operators"] = new JObject(ops.Select(x => new JProperty(x.Key, x.Item2))),
                ["runnable"] = problems.Count == 0,
                ["problems"] = new JArray(problems.Select(x => new JObject { ["node"] = x.Node, ["opType"] = x.OpType, ["attribute"] = x.Attribute, ["message"] = x.ToString() })),
                ["exitCode"] = code,
            });
            o.Human(c =>
            {
                c.WriteLine($"{m.Name}: opset {m.OpsetVersion}, {m.Graph.Node.Count} nodes, {m.Initializers.Count} initializers");
                foreach (var i in m.Inputs)
                {
                    c.WriteLine($"  input  {LogText.Visible(i.Name)}: {Describe(i)}");
                }

                foreach (var i in m.Graph.Output)
                {
                    c.WriteLine($"  output {LogText.Visible(i.Name)}: {Describe(i)}");
                }

                c.WriteLine("  operators: " + string.Join(", ", ops.Select(x => $"{x.Key} x{x.Item2}")));
                c.WriteLine(problems.Count == 0 ? "runnable: every operator and attribute is supported" : $"not runnable: {problems.Count} problem{(problems.Count == 1 ? "" : "s")}");
            });
            foreach (var x in problems)
            {
                if (!o.Json)
                {
                    Console.Error.WriteLine("error: " + LogText.Visible(x.ToString()));
                }
            }

            return code;
        });
        return cmd;
    }

    private static Command RunCommand()
    {
        var model = ModelArgument();
        var inputs = new InputOptions();
        var outOpt = new Option<string?>("--out", "-o") { Description = "Record the run to this log folder (for repro inspect, diff, replay, verify)", HelpName = "log" };
        var backend = new Option<string?>("--backend") { Description = "Backend to run on (" + string.Join(", ", Settings.BackendNames) + ")", HelpName = "name" };
        var threads = new Option<int?>("--threads") { Description = "Worker threads (results never depend on it)", HelpName = "N" };
        var dtype = new Option<string>("--dtype") { Description = "Dtype Repro computes in (float32, float16, bfloat16)", HelpName = "name", DefaultValueFactory = _ => "float32" };
        var save = new Option<string?>("--save") { Description = "Write each graph output as <folder>/<name>.npy (float32)", HelpName = "folder" };
        var force = new Option<bool>("--force") { Description = "Replace a log already at --out" };
        var cmd = new Command("run", "Run a model in Repro's engine on any backend, thread count and dtype; print each output's shape and content hash") { model, outOpt, backend, threads, dtype, save, force };
        inputs.AddTo(cmd);
        Cli.Register(cmd, (p, o) =>
        {
            var m = OnnxModel.Load(p.GetValue(model)!);
            OnnxChecker.ThrowIfUnsupported(m);
            var dt = OnnxDType(p.GetValue(dtype) ?? "float32");
            var be = Settings.GetBackend(p.GetValue(backend) ?? Settings.DefaultBackend.Name);
            int? n = Commands.CheckThreads(p.GetValue(threads));
            using var th = n is { } chosen ? Settings.UseThreads(chosen) : null;
            using var bs = Settings.UseBackend(be);
            var values = inputs.Read(p, m);
            var sw = Stopwatch.StartNew();
            IReadOnlyDictionary<string, OnnxValue> outputs;
            string? log = p.GetValue(outOpt);
            if (log is not null)
            {
                var rec = Recorder.Recorder.Start(log, new RecorderOptions { DType = dt, Backend = be, Force = p.GetValue(force), Stopped = Commands.ReportStop });
                try
                {
                    outputs = OnnxRunner.Run(m, values, dt);
                }
                catch (Exception ex)
                {
                    rec.Fail(ex);
                    throw;
                }

                rec.Dispose();
                log = Path.GetFullPath(log);
                Commands.RequireComplete(log);
            }
            else
            {
                outputs = OnnxRunner.Run(m, values, dt);
            }

            double seconds = sw.Elapsed.TotalSeconds;
            var rows = outputs.Select(kv => (kv.Key, kv.Value, Hash: kv.Value.IsFloat ? kv.Value.Tensor!.ContentHash() : string.Join(",", kv.Value.Ints!.Take(8)))).ToList();
            if (p.GetValue(save) is { } folder)
            {
                Directory.CreateDirectory(folder);
                foreach (var (name, v, _) in rows.Where(r => r.Value.IsFloat))
                {
                    var t = v.Tensor!.To(DType.Float32);
                    Repro.TensorFiles.Npy.Save(Path.Combine(folder, SafeName(name) + ".npy"), new Repro.TensorFiles.RawTensor(DType.Float32, [.. t.Shape], t.ToBytes()));
                }
            }

            o.Document(new JObject
            {
                ["model"] = m.Name,
                ["backend"] = be.Name,
                ["threads"] = Settings.Threads,
                ["dtype"] = dt.Name(),
                ["log"] = log,
                ["seconds"] = seconds,
                ["outputs"] = new JArray(rows.Select(r => new JObject
                {
                    ["name"] = r.Key,
                    ["shape"] = new JArray(r.Value.Shape),
                    ["hash"] = r.Hash,
                    ["first"] = r.Value.IsFloat ? new JArray(r.Value.Tensor!.ToDoubleArray().Take(8)) : new JArray(r.Value.Ints!.Take(8)),
                })),
            });
            o.Human(c =>
            {
                c.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{m.Name}: {m.Graph.Node.Count} nodes on {be.Name}, {Settings.Threads} threads, {dt.Name()}, {seconds:F2} s{(log is null ? "" : $", recorded to {log}")}"));
                foreach (var (name, v, hash) in rows)
                {
                    var first = v.IsFloat ? v.Tensor!.ToDoubleArray().Take(4).Select(x => x.ToString("G6", CultureInfo.InvariantCulture)) : v.Ints!.Take(4).Select(x => x.ToString(CultureInfo.InvariantCulture));
                    c.WriteLine($"  {LogText.Visible(name)} {ShapeText(v.Shape)} hash {hash}  [{string.Join(", ", first)}, ...]");
                }
            });
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static Command CompareCommand()
    {
        var model = ModelArgument();
        var inputs = new InputOptions();
        var dtype = new Option<string>("--dtype") { Description = "Dtype Repro computes in (float32, float16, bfloat16); ONNX Runtime runs the model as it is", HelpName = "name", DefaultValueFactory = _ => "float32" };
        var ortThreads = new Option<string>("--ort-threads") { Description = "ONNX Runtime intra-op thread counts, e.g. 1,2,4: the first is compared with Repro, the others are checked bit for bit against it", HelpName = "N[,N...]", DefaultValueFactory = _ => "1" };
        var report = new Option<string[]>("--report", "-r") { Description = "Write a report; the extension picks the format: .txt, .md, .html, .xml (JUnit), .json. Repeatable", HelpName = "file", AllowMultipleArgumentsPerToken = false };
        var tolDType = new Option<string?>("--tolerance-dtype") { Description = "The dtype whose unit roundoff sets the tolerances (default: --dtype); float32 judges a bfloat16 run by float32's budget", HelpName = "name" };
        var all = new Option<bool>("--all") { Description = "Print every node, not only the first over tolerance and the table's summary" };
        var cmd = new Command("compare", "Run a model in ONNX Runtime (every intermediate value marked as an output) and in Repro, and compare node by node: the first node over tolerance, origin or propagated. Exit code 0 within tolerance, 1 over tolerance (or ORT differs across --ort-threads), 2 bad input") { model, dtype, tolDType, ortThreads, report, all };
        inputs.AddTo(cmd);
        Cli.Register(cmd, (p, o) =>
        {
            var reports = p.GetValue(report) ?? [];
            foreach (var r in reports)
            {
                if (!OnnxReports.Formats.ContainsKey(Path.GetExtension(r)))
                {
                    throw new CliException($"--report {r}: unknown format '{Path.GetExtension(r)}'; expected one of {string.Join(", ", OnnxReports.Formats.Keys)}");
                }
            }

            var threadsText = p.GetValue(ortThreads) ?? "1";
            var counts = threadsText.Split(',').Select(s => int.TryParse(s, CultureInfo.InvariantCulture, out int v) && v is >= 1 and <= 1024 ? v : throw new CliException($"--ort-threads {threadsText}: expected thread counts from 1 to 1024 separated by commas")).ToArray();
            var m = OnnxModel.Load(p.GetValue(model)!);
            OnnxChecker.ThrowIfUnsupported(m);
            var dt = OnnxDType(p.GetValue(dtype) ?? "float32");
            var values = inputs.Read(p, m);
            var sw = Stopwatch.StartNew();
            var result = OnnxComparer.Compare(m, values, new OnnxCompareOptions { DType = dt, OrtThreads = counts, ToleranceDType = p.GetValue(tolDType) is { } td ? OnnxDType(td) : null });
            foreach (var r in reports)
            {
                OnnxReports.Write(result, r);
            }

            int code = result.WithinTolerance && result.OrtThreadDifferences.Count == 0 ? ExitCodes.Success : ExitCodes.Divergence;
            if (o.Json)
            {
                var doc = OnnxReports.Json(result);
                doc["reports"] = new JArray(reports.Select(Path.GetFullPath));
                doc["seconds"] = sw.Elapsed.TotalSeconds;
                doc["exitCode"] = code;
                o.Document(doc);
            }

            o.Human(_ =>
            {
                if (p.GetValue(all))
                {
                    Console.Out.Write(OnnxReports.Terminal(result));
                    return;
                }

                Console.Out.WriteLine(OnnxReports.Headline(result));
                if (OnnxReports.ThreadLine(result) is { } t)
                {
                    Console.Out.WriteLine(t);
                }

                var worst = result.Nodes.Where(n => n.Metrics is not null).OrderByDescending(n => n.Metrics!.MaxScore).Take(5).ToList();
                Console.Out.WriteLine($"{result.Nodes.Count} node outputs compared; largest errors relative to tolerance (score > 1 is over):");
                foreach (var n in worst)
                {
                    Console.Out.WriteLine("  " + string.Join("  ", OnnxReports.Row(n)));
                }

                foreach (var (name, ort) in result.OrtOutputs)
                {
                    if (result.ReproOutputs.TryGetValue(name, out var mine))
                    {
                        Console.Out.WriteLine($"output {name}: ORT [{string.Join(", ", ort.Take(4).Select(OnnxReports.Num))}, ...] Repro [{string.Join(", ", mine.Take(4).Select(OnnxReports.Num))}, ...]");
                    }
                }

                foreach (var r in reports)
                {
                    Console.Out.WriteLine($"report: {Path.GetFullPath(r)}");
                }
            });
            return code;
        });
        return cmd;
    }

    private static DType OnnxDType(string name)
    {
        var d = DTypes.Parse(name);
        return d is DType.Float32 or DType.Float16 or DType.BFloat16 ? d : throw new CliException($"--dtype {name}: ONNX runs compute in float32, float16 or bfloat16");
    }

    private static string ShapeText(int[] shape) => "[" + string.Join(", ", shape) + "]";

    private static string SafeName(string name) => string.Concat(name.Select(ch => char.IsLetterOrDigit(ch) || ch is '-' or '_' or '.' ? ch : '_'));
}
