namespace Repro.Engine;

/// <summary>Element types a tensor can hold.</summary>
/// <remarks>
/// Float16 and BFloat16 are storage types: every op widens them to float32, computes exactly as the
/// float32 op does, and rounds the result once to the storage type (round to nearest, ties to even).
/// </remarks>
public enum DType
{
    /// <summary>IEEE binary32, the primary compute type.</summary>
    Float32,

    /// <summary>IEEE binary64.</summary>
    Float64,

    /// <summary>Two's complement 32-bit integer (indices, labels, argmax results).</summary>
    Int32,

    /// <summary>IEEE binary16 storage (System.Half bit layout).</summary>
    Float16,

    /// <summary>bfloat16 storage: the top 16 bits of a float32.</summary>
    BFloat16,
}

/// <summary>Facts about each <see cref="DType"/>.</summary>
public static class DTypes
{
    private static readonly DType[] All = [DType.Float32, DType.Float64, DType.Int32, DType.Float16, DType.BFloat16];

    /// <summary>Every dtype, in declaration order.</summary>
    public static IReadOnlyList<DType> Values => All;

    /// <summary>Bytes per element.</summary>
    public static int SizeOf(this DType dtype) => dtype switch
    {
        DType.Float32 or DType.Int32 => 4,
        DType.Float64 => 8,
        DType.Float16 or DType.BFloat16 => 2,
        _ => throw Throw.UnknownDType(dtype),
    };

    /// <summary>The lower-case name used in logs and on the command line ("float32", "bfloat16", ...).</summary>
    public static string Name(this DType dtype) => dtype switch
    {
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        DType.Int32 => "int32",
        DType.Float16 => "float16",
        DType.BFloat16 => "bfloat16",
        _ => throw Throw.UnknownDType(dtype),
    };

    /// <summary>True for the floating-point dtypes.</summary>
    public static bool IsFloat(this DType dtype) => dtype != DType.Int32;

    /// <summary>
    /// True when every value of <paramref name="from"/> is exactly a value of <paramref name="to"/>, so converting
    /// rounds nothing: the same dtype, float16 or bfloat16 to float32 or float64, float32 or int32 to float64.
    /// (float16 and bfloat16 do not hold each other's values.)
    /// </summary>
    public static bool WidensExactly(this DType from, DType to) => from == to || (from, to) switch
    {
        (DType.Float16 or DType.BFloat16, DType.Float32 or DType.Float64) => true,
        (DType.Float32 or DType.Int32, DType.Float64) => true,
        _ => false,
    };

    /// <summary>True for the 16-bit storage types that compute in float32.</summary>
    public static bool IsLowPrecision(this DType dtype) => dtype is DType.Float16 or DType.BFloat16;

    /// <summary>The dtype a kernel computes in: float32 for the 16-bit storage types, else the dtype itself.</summary>
    public static DType ComputeType(this DType dtype) => dtype.IsLowPrecision() ? DType.Float32 : dtype;

    /// <summary>Parses a dtype name ("float32", "f32", "bf16", ...), case-insensitively.</summary>
    /// <exception cref="ArgumentException">The name is not a known dtype; the message lists the known names.</exception>
    public static DType Parse(string name)
    {
        if (TryParse(name, out var dtype))
        {
            return dtype;
        }

        throw new ArgumentException(
            $"unknown dtype '{name}': expected one of {string.Join(", ", All.Select(d => d.Name()))}", nameof(name));
    }

    /// <summary>Parses a dtype name; false when it is not known.</summary>
    public static bool TryParse(string? name, out DType dtype)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case "float32" or "f32" or "float":
                dtype = DType.Float32;
                return true;
            case "float64" or "f64" or "double":
                dtype = DType.Float64;
                return true;
            case "int32" or "i32" or "int":
                dtype = DType.Int32;
                return true;
            case "float16" or "f16" or "half":
                dtype = DType.Float16;
                return true;
            case "bfloat16" or "bf16":
                dtype = DType.BFloat16;
                return true;
            default:
                dtype = default;
                return false;
        }
    }
}
