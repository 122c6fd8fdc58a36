namespace Repro.Engine;

/// <summary>Raised when tensor shapes do not fit an op; the message names the op, what it expected and what it got.</summary>
public sealed class ShapeException(string message) : ArgumentException(message);

/// <summary>Raised when a dtype does not fit an op; the message names the op and the dtypes.</summary>
public sealed class DTypeException(string message) : ArgumentException(message);

/// <summary>The one place errors are built, so that every message names the bad value and what was expected.</summary>
internal static class Throw
{
    public static string Fmt(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    public static string Fmt(IReadOnlyList<int> shape) => "[" + string.Join(", ", shape) + "]";

    public static ShapeException Shape(string op, string expected, string got) => new($"{op}: expected {expected}, got {got}");

    public static DTypeException DType(string op, string expected, DType got) => new($"{op}: expected {expected}, got {got.Name()}");

    public static ArgumentOutOfRangeException Axis(string op, int axis, int rank) =>
        new(nameof(axis), axis, $"{op}: axis {axis} is out of range for a tensor of rank {rank} (valid: {-rank}..{rank - 1})");

    public static ArgumentException UnknownDType(DType dtype) => new($"unknown dtype value {(int)dtype}");

    public static ArgumentException Arg(string op, string message) => new($"{op}: {message}");
}
