using System.Diagnostics;
using System.Runtime.InteropServices;
using Newtonsoft.Json.Linq;
using Repro.Recorder;
using Spectre.Console;

namespace Repro.Cli;

/// <summary><c>repro record -- command</c>: runs the program with the recorder's startup hook attached.</summary>
internal static class RecordProcess
{
    public static int Run(string outPath, CapturePolicy capture, bool force, string[] command, Output o)
    {
        if (command.Length == 0)
        {
            throw new CliException("missing command: give the program to record after --, e.g. repro record --out run.repro -- dotnet app.dll");
        }

        var full = Path.GetFullPath(outPath);

        // Refused here, before the program runs, not after it ran for an hour.
        LogFolder.CheckTarget(full, force);
        var earlier = Identity(full);
        var hook = typeof(Recording).Assembly.Location;
        // With --json, standard output carries exactly one document: the program's own output goes to standard error.
        var psi = new ProcessStartInfo(command[0]) { UseShellExecute = false, RedirectStandardOutput = o.Json };
        foreach (var a in command.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }

        var existing = Environment.GetEnvironmentVariable("DOTNET_STARTUP_HOOKS");
        psi.Environment["DOTNET_STARTUP_HOOKS"] = string.IsNullOrEmpty(existing) ? hook : existing + Path.PathSeparator + hook;
        psi.Environment["REPRO_RECORD"] = full;
        psi.Environment["REPRO_RECORD_CAPTURE"] = capture.Text;
        psi.Environment["REPRO_RECORD_FORCE"] = force ? "1" : "0";

        // Ctrl-C reaches the program too (one process group): this process waits for it to close its log and
        // reports what it left, instead of dying first.
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => c.Cancel = true);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => c.Cancel = true);
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new CliException($"cannot start '{command[0]}'");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new CliException($"cannot start '{command[0]}': {ex.Message}");
        }

        using (process)
        {
            if (o.Json)
            {
                process.OutputDataReceived += (_, e) =>
                {
                    if (e.Data is not null)
                    {
                        Console.Error.WriteLine(e.Data);
                    }
                };
                process.BeginOutputReadLine();
            }

            process.WaitForExit();
            int code = process.ExitCode;
            // The program's own log: still in its partial folder when it did not close it, else the one now at the
            // path (not an earlier log that --force would have replaced).
            var partials = LogFolder.FindPartials(full, process.Id);
            var now = Identity(full);
            var log = partials.Count > 0 ? partials[^1] : now is not null && now != earlier ? full : null;
            long ops = 0;
            EndRecord? end = null;
            LogTruncation? truncation = null;
            if (log is not null && File.Exists(Path.Combine(log, LogFormat.RecordsFile)))
            {
                using var r = LogReader.Open(log);
                ops = r.Ops().LongCount();
                end = r.End;
                truncation = r.Truncation;
            }

            var doc = new JObject { ["log"] = log ?? full, ["ops"] = ops, ["programExitCode"] = code, ["recorded"] = log is not null, ["status"] = end?.Status };
            if (end?.Error is { } err)
            {
                doc["error"] = err.Describe();
            }

            if (log is null)
            {
                // One document, with the error in it (not a second one from the error handler).
                var message = $"the program ran (exit code {code}) but wrote no log to {full}: is it a .NET program that uses the Repro engine?";
                doc["error"] = message;
                doc["exitCode"] = ExitCodes.BadInput;
                o.Document(doc);
                Console.Error.WriteLine("error: " + LogText.Visible(message));
                return ExitCodes.BadInput;
            }

            string? problem = end is null
                ? $"the recording did not complete: the log at {log} holds {ops} ops and no end record ({truncation?.Message ?? "the program or the log writer stopped before closing it"})"
                : !end.IsComplete
                    ? $"the recorded program did not complete: {end.Error?.Describe() ?? end.Status}; the log at {log} holds {ops} ops and is marked '{end.Status}'"
                    : code != 0 ? $"the recorded program exited with code {code}" : null;
            doc["exitCode"] = problem is null ? ExitCodes.Success : ExitCodes.BadInput;
            if (problem is not null && doc["error"] is null)
            {
                doc["error"] = problem;
            }

            o.Document(doc);
            o.Human(c => c.WriteLine(LogText.Visible($"recorded {Output.Plural(ops, "op")} to {log} (program exit code {code}{(end is null ? ", no end record" : end.IsComplete ? string.Empty : ", status " + end.Status)})")));
            if (problem is not null)
            {
                Console.Error.WriteLine("error: " + LogText.Visible(problem));
                return ExitCodes.BadInput;
            }

            return ExitCodes.Success;
        }
    }

    /// <summary>What tells one log's records file from another's at the same path (null when there is none).</summary>
    private static (long Length, DateTime Written)? Identity(string log)
    {
        var f = new FileInfo(Path.Combine(log, LogFormat.RecordsFile));
        return f.Exists ? (f.Length, f.LastWriteTimeUtc) : null;
    }
}
