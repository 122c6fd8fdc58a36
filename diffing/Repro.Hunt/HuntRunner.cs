using System.Collections;
using System.Diagnostics;
using System.Text;
using Repro.Recorder;

namespace Repro.Hunt;

/// <summary>How one recorded run ended.</summary>
/// <param name="Run">The planned run.</param>
/// <param name="Log">The log folder it left (its partial folder when it did not close it); null when there is none.</param>
/// <param name="ExitCode">The program's exit code (-1 when it was stopped by the hunt).</param>
/// <param name="Status">The end record's status, or null without one.</param>
/// <param name="Error">The end record's error (an unhandled exception, a signal).</param>
/// <param name="StoppedByBudget">True when the hunt's time budget ran out during the run and the program was stopped.</param>
public sealed record RunOutcome(PlannedRun Run, string? Log, int ExitCode, string? Status, RunError? Error, bool StoppedByBudget)
{
    /// <summary>The log to compare: a log that exists and was not cut by the hunt.</summary>
    public bool Comparable => Log is not null && !StoppedByBudget;
}

/// <summary>Runs the program once with the recorder's startup hook, as <c>repro record</c> does, under a planned run's conditions.</summary>
public static class HuntRunner
{
    // The variables of a recording in progress, and of the hunt itself, never reach the program from this process.
    private static readonly string[] Cleared = ["REPRO_RECORD", "REPRO_RECORD_CAPTURE", "REPRO_RECORD_FORCE", "REPRO_HUNT_PAD"];

    /// <summary>Runs <paramref name="run"/>; the program's standard output and error go to files beside its log.</summary>
    public static RunOutcome Execute(PlannedRun run, IReadOnlyList<string> command, string outDir, bool force, string workingDirectory, DateTime? deadline)
    {
        var log = Path.Combine(outDir, run.LogName);
        LogFolder.CheckTarget(log, force);
        var earlier = Identity(log);
        var psi = new ProcessStartInfo(command[0])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = workingDirectory,
        };
        foreach (var a in command.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }

        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            env[(string)e.Key] = (string?)e.Value ?? string.Empty;
        }

        foreach (var name in Cleared)
        {
            env.Remove(name);
        }

        var hook = typeof(Recording).Assembly.Location;
        env["DOTNET_STARTUP_HOOKS"] = env.TryGetValue("DOTNET_STARTUP_HOOKS", out var existing) && existing.Length > 0 ? existing + Path.PathSeparator + hook : hook;
        env["REPRO_RECORD"] = log;
        env["REPRO_RECORD_CAPTURE"] = "default";
        env["REPRO_RECORD_FORCE"] = force ? "1" : "0";
        var order = EnvOrder.Sorted;
        foreach (var change in run.Changes)
        {
            foreach (var (name, value) in change.Env)
            {
                if (value is null)
                {
                    env.Remove(name);
                }
                else
                {
                    env[name] = value;
                }
            }

            if (change.Order != EnvOrder.Sorted)
            {
                order = change.Order;
            }

            if (change.FreshWorkingDirectory)
            {
                psi.WorkingDirectory = Path.Combine(outDir, $"{run.Index:D2}-cwd");
                Directory.CreateDirectory(psi.WorkingDirectory);
            }
        }

        // The block is rebuilt in a chosen order (the process's own order is whatever its environment table held):
        // sorted for every run, reversed for the env condition's.
        var names = env.Keys.Order(StringComparer.Ordinal).ToList();
        if (order == EnvOrder.Reversed)
        {
            names.Reverse();
        }

        psi.Environment.Clear();
        foreach (var name in names)
        {
            psi.Environment[name] = env[name];
        }

        var stdout = new BoundedText();
        var stderr = new BoundedText();
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new ArgumentException($"cannot start '{command[0]}'");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new ArgumentException($"cannot start '{command[0]}': {ex.Message}");
        }

        using (process)
        {
            process.StandardInput.Close();
            process.OutputDataReceived += (_, e) => stdout.Add(e.Data);
            process.ErrorDataReceived += (_, e) => stderr.Add(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            bool stopped = false;
            if (deadline is { } d)
            {
#pragma warning disable RPR4001 // The budget is wall-clock time by definition; it decides how many runs are done, never what a run computes.
                var left = d - DateTime.UtcNow;
#pragma warning restore RPR4001
                if (!process.WaitForExit(left > TimeSpan.Zero ? left : TimeSpan.Zero))
                {
                    process.Kill(entireProcessTree: true);
                    stopped = true;
                }
            }

            process.WaitForExit();
            File.WriteAllText(Path.Combine(outDir, $"{run.Index:D2}-{run.Label}.stdout.txt"), stdout.ToString());
            File.WriteAllText(Path.Combine(outDir, $"{run.Index:D2}-{run.Label}.stderr.txt"), stderr.ToString());
            var partials = LogFolder.FindPartials(log, process.Id);
            string? found = partials.Count > 0 ? partials[^1] : Identity(log) is { } now && now != earlier ? log : null;
            EndRecord? end = null;
            if (found is not null)
            {
                using var r = LogReader.Open(found);
                foreach (var _ in r.Entries())
                {
                }

                end = r.End;
            }

            return new RunOutcome(run, found, stopped ? -1 : process.ExitCode, end?.Status, end?.Error, stopped);
        }
    }

    /// <summary>What tells one log's records file from another's at the same path (null when there is none): an earlier hunt's log replaced under --force is not this run's.</summary>
    private static (long Length, DateTime Written)? Identity(string log)
    {
        var f = new FileInfo(Path.Combine(log, LogFormat.RecordsFile));
        return f.Exists ? (f.Length, f.LastWriteTimeUtc) : null;
    }

    /// <summary>Output kept up to 4 MiB (the rest dropped, with a line saying so).</summary>
    private sealed class BoundedText
    {
        private const int Limit = 4 << 20;
        private readonly StringBuilder text = new();
        private bool cut;

        public void Add(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (text)
            {
                if (text.Length + line.Length < Limit)
                {
                    text.Append(line).Append('\n');
                }
                else
                {
                    cut = true;
                }
            }
        }

        public override string ToString()
        {
            lock (text)
            {
                return cut ? text + "[repro hunt: the rest of the output was dropped at 4 MiB]\n" : text.ToString();
            }
        }
    }
}
