namespace Repro.Cli;

/// <summary>The exit codes of every command.</summary>
public static class ExitCodes
{
    /// <summary>Success, or the runs are identical.</summary>
    public const int Success = 0;

    /// <summary>A divergence was found.</summary>
    public const int Divergence = 1;

    /// <summary>Bad input or usage: a damaged or hostile log, an unknown name, a missing argument.</summary>
    public const int BadInput = 2;
}

/// <summary>A user-facing error: printed as one line, exit code 2.</summary>
public sealed class CliException(string message) : Exception(message);
