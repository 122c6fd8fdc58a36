using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using Repro.Recorder;
using Spectre.Console;

namespace Repro.Cli;

/// <summary>Where a command writes: human output through Spectre.Console, or one JSON document for scripts.</summary>
public sealed class Output
{
    public Output(bool json, bool quiet)
    {
        Json = json;
        Quiet = quiet;
        var settings = new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(System.Console.Out),
            Ansi = System.Console.IsOutputRedirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = System.Console.IsOutputRedirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = System.Console.IsOutputRedirected ? InteractionSupport.No : InteractionSupport.Detect,
        };
        Terminal = AnsiConsole.Create(settings);
        if (System.Console.IsOutputRedirected)
        {
            // Off a terminal nothing wraps: each line is as long as its content. A fixed width still wrapped long
            // paths, so files and snapshots depended on where a log lived; the window, COLUMNS or a terminal on
            // stdin play no part either.
            Terminal.Profile.Width = UnwrappedWidth;
        }
    }

    /// <summary>The width human output is laid out for when standard output is not a terminal: wider than any line.</summary>
    public const int UnwrappedWidth = 1 << 20;

    /// <summary>Write JSON instead of text.</summary>
    public bool Json { get; }

    /// <summary>Write nothing but errors (and the JSON document with --json).</summary>
    public bool Quiet { get; }

    /// <summary>The terminal.</summary>
    public IAnsiConsole Terminal { get; }

    /// <summary>True when progress bars may be drawn.</summary>
    public bool ShowProgress => !Json && !Quiet && !System.Console.IsOutputRedirected && !System.Console.IsErrorRedirected;

    /// <summary>Human output (skipped with --json or --quiet).</summary>
    public void Human(Action<IAnsiConsole> write)
    {
        if (!Json && !Quiet)
        {
            write(Terminal);
        }
    }

    /// <summary>A plain line of human output.</summary>
    public void Line(string text) => Human(c => c.WriteLine(text));

    /// <summary>The JSON document (only with --json); control and bidirectional characters in its strings are written as JSON escapes.</summary>
    public void Document(JObject doc)
    {
        if (Json)
        {
            System.Console.Out.WriteLine(LogText.EscapeJson(doc.ToString(Formatting.Indented)));
        }
    }

    /// <summary>A warning on standard error (kept with --quiet, skipped with --json where it goes in the document).</summary>
    public void Warn(string text)
    {
        if (!Json)
        {
            System.Console.Error.WriteLine("warning: " + LogText.Visible(text));
        }
    }

    /// <summary>Runs <paramref name="work"/> with a progress bar on terminals; <paramref name="work"/> gets a report callback (done, total).</summary>
    public T WithProgress<T>(string label, Func<Action<double, double>, T> work)
    {
        if (!ShowProgress)
        {
            return work((_, _) => { });
        }

        T result = default!;
        Terminal.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(label, maxValue: 1);
                result = work((done, total) =>
                {
                    // Without a known total the bar is indeterminate rather than full.
                    task.IsIndeterminate = total <= 0;
                    task.MaxValue = Math.Max(total, 1);
                    task.Value = Math.Min(done, task.MaxValue);
                });
                task.Value = task.MaxValue;
            });
        return result;
    }

    /// <summary>
    /// How the user runs repro, for commands the output suggests: "repro" when a repro command is on the PATH,
    /// else "dotnet run --project cli/Repro.Cli --" (the README's way, from the repository root).
    /// </summary>
    public static string Invocation { get; } = OnPath("repro") ? "repro" : "dotnet run --project cli/Repro.Cli --";

    /// <summary>A path quoted for a POSIX shell where it needs quoting.</summary>
    public static string Quote(string s) =>
        s.Length > 0 && s.All(ch => char.IsAsciiLetterOrDigit(ch) || "/._-+:=@%,".Contains(ch, StringComparison.Ordinal)) ? s : "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static bool OnPath(string program)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(dir, program)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>"1 op", "2 ops": a count with its noun in the right number (nouns with a plain plural in -s).</summary>
    public static string Plural(long count, string noun) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{count} {noun}{(count == 1 ? string.Empty : "s")}");

    /// <summary>Text escaped for Spectre markup, its control and bidirectional characters made visible (<see cref="LogText.Visible"/>).</summary>
    public static string Esc(string? text) => Markup.Escape(LogText.Visible(text));
}
