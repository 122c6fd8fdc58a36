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
            foreach (var e in parse.Errors)
            {
                Console.Error.WriteLine("error: " + e.Message);
            }

            var name = parse.CommandResult.Command == root ? "repro" : "repro " + parse.CommandResult.Command.Name;
            Console.Error.WriteLine($"Run '{name} --help' for usage.");
            return ExitCodes.BadInput;
        }

        return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
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
        root.Subcommands.Add(DiffCommands.DiffCommand());
        root.Subcommands.Add(DiffCommands.DemoCommand());
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
            if (output.Json)
            {
                output.Document(new Newtonsoft.Json.Linq.JObject { ["error"] = ex.Message, ["exitCode"] = ExitCodes.BadInput });
            }

            // Messages quote the bad value, which may come from a log.
            Console.Error.WriteLine("error: " + LogText.Visible(ex.Message));
            if (Environment.GetEnvironmentVariable("REPRO_DEBUG") == "1")
            {
                Console.Error.WriteLine(ex);
            }

            return ExitCodes.BadInput;
        }
    }

    private static bool IsBadInput(Exception ex) => ex is LogFormatException or CliException or ArgumentException or IOException
        or UnauthorizedAccessException or InvalidOperationException or InvalidCastException or KeyNotFoundException
        or FormatException or OverflowException or NotSupportedException or OutOfMemoryException or IndexOutOfRangeException
        or InvalidDataException;

    internal static void Register(Command command, Func<ParseResult, Output, int> body) =>
        command.SetAction(parse => Guard(parse, o => body(parse, o)));

    internal static HelpOption? Help(Command c) => c.Options.OfType<HelpOption>().FirstOrDefault();
}
