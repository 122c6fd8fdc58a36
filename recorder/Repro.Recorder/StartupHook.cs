using System.Runtime.CompilerServices;
using System.Runtime.Loader;

/// <summary>
/// A .NET startup hook (DOTNET_STARTUP_HOOKS=path/to/Repro.Recorder.dll) that records a program which uses the engine
/// without changing its code: when REPRO_RECORD names a log folder, it starts a recording before Main runs and closes
/// it when the process exits. <c>repro record</c> sets both variables. The engine knows nothing of it.
/// </summary>
/// <remarks>
/// Variables: REPRO_RECORD (the log folder, required), REPRO_RECORD_CAPTURE (default, all, or N..M),
/// REPRO_RECORD_DTYPE (the run's dtype written in the header, default float32), REPRO_RECORD_FORCE (1: replace a
/// log already there).
/// </remarks>
#pragma warning disable CA1050 // The runtime looks the hook up by this exact name, outside any namespace.
internal static class StartupHook
#pragma warning restore CA1050
{
    private static IDisposable? recording;

    /// <summary>Called by the runtime before the program's Main.</summary>
    public static void Initialize()
    {
        var path = Environment.GetEnvironmentVariable("REPRO_RECORD");
        if (string.IsNullOrWhiteSpace(path))
        {
            return;
        }

        // The program may not ship the recorder's dependencies: load them from beside this assembly.
        var here = Path.GetDirectoryName(typeof(StartupHook).Assembly.Location) ?? AppContext.BaseDirectory;
        AssemblyLoadContext.Default.Resolving += (context, name) =>
        {
            var candidate = Path.Combine(here, name.Name + ".dll");
            return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
        };
        Start(path);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Start(string path)
    {
        try
        {
            var capture = Environment.GetEnvironmentVariable("REPRO_RECORD_CAPTURE");
            var dtype = Environment.GetEnvironmentVariable("REPRO_RECORD_DTYPE");
            recording = Repro.Recorder.Recorder.Start(path, new Repro.Recorder.RecorderOptions
            {
                Capture = string.IsNullOrWhiteSpace(capture) ? Repro.Recorder.CapturePolicy.Default : Repro.Recorder.CapturePolicy.Parse(capture),
                DType = string.IsNullOrWhiteSpace(dtype) ? Repro.Engine.DType.Float32 : Repro.Engine.DTypes.Parse(dtype),
                CommandLine = Environment.CommandLine,
                Force = Environment.GetEnvironmentVariable("REPRO_RECORD_FORCE") == "1",
                Stopped = (rec, error) => Console.Error.WriteLine(error.Type is "SIGINT" or "SIGTERM"
                    ? $"repro: {error.Message} by {error.Type}; the log at {rec.Path} is closed and marked interrupted"
                    : $"repro: unhandled {error.Describe()}; the log at {rec.Path} is closed and marked as failed"),
            });
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"repro: cannot record to '{path}': {ex.Message}");
            Environment.Exit(2);
        }

        // An unhandled exception, SIGINT and SIGTERM close the log by themselves (the recording watches for them);
        // a normal exit closes it here.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();
    }

    private static void Stop()
    {
        var r = Interlocked.Exchange(ref recording, null);
        try
        {
            r?.Dispose();
        }
        catch (IOException ex)
        {
            Console.Error.WriteLine("repro: " + ex.Message);
        }
    }
}
