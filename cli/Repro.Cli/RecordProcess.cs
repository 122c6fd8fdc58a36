using System.Diagnostics;
using Newtonsoft.Json.Linq;
using Repro.Recorder;
using Spectre.Console;

namespace Repro.Cli;

/// <summary><c>repro record -- command</c>: runs the program with the recorder's startup hook attached.</summary>
internal static class RecordProcess
{
    public static int Run(string outPath, CapturePolicy capture, string[] command, Output o)
    {
        if (command.Length == 0)
        {
            throw new CliException("missing command: give the program to record after --, e.g. repro record --out run.repro -- dotnet app.dll");
        }

        var full = Path.GetFullPath(outPath);
        var hook = typeof(Recording).Assembly.Location;
        var psi = new ProcessStartInfo(command[0]) { UseShellExecute = false };
        foreach (var a in command.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }

        var existing = Environment.GetEnvironmentVariable("DOTNET_STARTUP_HOOKS");
        psi.Environment["DOTNET_STARTUP_HOOKS"] = string.IsNullOrEmpty(existing) ? hook : existing + Path.PathSeparator + hook;
        psi.Environment["REPRO_RECORD"] = full;
        psi.Environment["REPRO_RECORD_CAPTURE"] = capture.Text;
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
            process.WaitForExit();
            int code = process.ExitCode;
            bool logged = File.Exists(Path.Combine(full, LogFormat.RecordsFile));
            long ops = 0;
            if (logged)
            {
                using var r = LogReader.Open(full);
                ops = r.Ops().LongCount();
            }

            o.Document(new JObject { ["log"] = full, ["ops"] = ops, ["programExitCode"] = code, ["recorded"] = logged });
            if (!logged)
            {
                throw new CliException($"the program ran (exit code {code}) but wrote no log to {full}: is it a .NET program that uses the Repro engine?");
            }

            o.Human(c => c.WriteLine($"recorded {ops} ops to {full} (program exit code {code})"));
            if (code != 0)
            {
                Console.Error.WriteLine($"error: the recorded program exited with code {code}");
                return ExitCodes.BadInput;
            }

            return ExitCodes.Success;
        }
    }
}
