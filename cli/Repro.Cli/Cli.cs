using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Repro.Engine;
using Repro.Recorder;

namespace Repro.Cli;

/// <summary>The <c>repro</c> command line: every command, its options and its exit codes.</summary>
public static class Cli
{
    internal static readonly Option<bool> JsonOption = new("--json") { Description = "Write one JSON document to standard output (for scripts)", Recursive = true };
    internal static readonly Option<bool> QuietOption = new("--quiet", "-q") { Description = "Write nothing but errors", Recursive = true };

    /// <summary>Parses and runs; returns the exit code (0 success or identical, 1 divergence, 2 bad input or usage).</summary>
    public static int Run(string[] args)
    {
        // Optional backends: registered by name, created only when a command asks for one.
        Repro.Backends.Ilgpu.IlgpuBackends.Register();
        var root = Build();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is ParseErrorAction or null)
        {
            var name = parse.CommandResult.Command == root ? "repro" : "repro " + parse.CommandResult.Command.Name;
            var messages = UsageErrors(root, parse, args);
            if (args.Contains("--json"))
            {
                // --json: always exactly one document on standard output, usage errors included.
                Console.Out.WriteLine(LogText.EscapeJson(new Newtonsoft.Json.Linq.JObject
                {
                    ["error"] = string.Join("; ", messages),
                    ["exitCode"] = ExitCodes.BadInput,
                }.ToString(Newtonsoft.Json.Formatting.Indented)));
            }

            foreach (var m in messages)
            {
                Console.Error.WriteLine("error: " + LogText.Visible(m));
            }

            if (messages.Count > 1 || !messages[0].StartsWith("unknown command", StringComparison.Ordinal))
            {
                Console.Error.WriteLine($"Run '{name} --help' for usage.");
            }

            return ExitCodes.BadInput;
        }

        return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    }

    /// <summary>
    /// The parser's complaints in our words: an unknown command is one line with the closest command ("unknown command
    /// 'verfy'; did you mean 'verify'?"), and no .NET type name appears ("--steps abc: expected an integer").
    /// </summary>
    internal static List<string> UsageErrors(RootCommand root, ParseResult parse, string[] args)
    {
        var commands = root.Subcommands.Select(c => c.Name).ToList();
        if (parse.CommandResult.Command == root && args.FirstOrDefault(a => !a.StartsWith('-')) is { } first && !commands.Contains(first))
        {
            var near = commands.Select(c => (Name: c, Distance: Distance(first, c))).Where(c => c.Distance <= Math.Max(1, first.Length / 3)).OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault();
            return [near.Name is null
                ? $"unknown command '{first}'; expected one of {string.Join(", ", commands)}"
                : $"unknown command '{first}'; did you mean '{near.Name}'?"];
        }

        return [.. parse.Errors.Select(e => Friendly(e.Message)).Distinct()];
    }

    /// <summary>A parser message without .NET type names.</summary>
    internal static string Friendly(string message)
    {
        var m = System.Text.RegularExpressions.Regex.Match(message, @"^Cannot parse argument '(?<value>.*)' for (option|command|argument) '(?<name>[^']*)' as expected type '(?<type>[^']*)'\.?$");
        if (!m.Success)
        {
            return message;
        }

        var type = m.Groups["type"].Value;
        string expected = type.Contains("Int32", StringComparison.Ordinal) || type.Contains("Int64", StringComparison.Ordinal) ? "an integer"
            : type.Contains("UInt64", StringComparison.Ordinal) ? "a non-negative integer"
            : type.Contains("Double", StringComparison.Ordinal) ? "a number"
            : type.Contains("Boolean", StringComparison.Ordinal) ? "true or false"
            : "a valid value";
        return $"{m.Groups["name"].Value} {m.Groups["value"].Value}: expected {expected}";
    }

    // Edit distance (insertions, deletions, substitutions, adjacent swaps) between two short names.
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    /// <summary>The command tree.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand("Repro: record a tensor program's every op, replay it anywhere, verify it bit for bit.");
        root.Options.Add(JsonOption);
        root.Options.Add(QuietOption);
        root.Subcommands.Add(Commands.RunCommand());
        root.Subcommands.Add(Commands.RecordCommand());
        root.Subcommands.Add(Commands.ReplayCommand());
        root.Subcommands.Add(Commands.VerifyCommand());
        root.Subcommands.Add(Commands.InspectCommand());
        root.Subcommands.Add(Commands.ExportCommand());
        root.Subcommands.Add(Commands.DoctorCommand());
        root.Subcommands.Add(PrecisionCommand.Build());
        root.Subcommands.Add(DiffCommands.DiffCommand());
        root.Subcommands.Add(DiffCommands.DemoCommand());
        root.Subcommands.Add(HuntCommand.Build());
        root.Subcommands.Add(MatrixCommand.Build());
        root.Subcommands.Add(OnnxCommands.OnnxCommand());
        return root;
    }

    /// <summary>Runs a command body with the shared error handling: bad input is one line on stderr and exit code 2, never a stack trace.</summary>
    internal static int Guard(ParseResult parse, Func<Output, int> body)
    {
        var output = new Output(parse.GetValue(JsonOption), parse.GetValue(QuietOption));
        try
        {
            return body(output);
        }
        catch (Exception ex) when (IsBadInput(ex))
        {
            var message = Message(ex);
            if (output.Json)
            {
                output.Document(new Newtonsoft.Json.Linq.JObject { ["error"] = message, ["exitCode"] = ExitCodes.BadInput });
            }

            // Messages quote the bad value, which may come from a log.
            Console.Error.WriteLine("error: " + LogText.Visible(message));
            if (Environment.GetEnvironmentVariable("REPRO_DEBUG") == "1")
            {
                Console.Error.WriteLine(ex);
            }

            return ExitCodes.BadInput;
        }
    }

    /// <summary>An exception's message for people: without the " (Parameter 'name')" that .NET appends to argument errors.</summary>
    internal static string Message(Exception ex) =>
        ex is ArgumentException { ParamName: { } p } ? ex.Message.Replace($" (Parameter '{p}')", string.Empty, StringComparison.Ordinal) : ex.Message;

    private static bool IsBadInput(Exception ex) => ex is LogFormatException or CliException or ArgumentException or IOException
        or UnauthorizedAccessException or InvalidOperationException or InvalidCastException or KeyNotFoundException
        or FormatException or OverflowException or NotSupportedException or OutOfMemoryException or IndexOutOfRangeException
        or InvalidDataException;

    internal static void Register(Command command, Func<ParseResult, Output, int> body) =>
        command.SetAction(parse => Guard(parse, o => body(parse, o)));

    internal static HelpOption? Help(Command c) => c.Options.OfType<HelpOption>().FirstOrDefault();
}
