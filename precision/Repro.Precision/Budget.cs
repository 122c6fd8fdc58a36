using System.Globalization;
using Repro.Engine;

namespace Repro.Precision;

/// <summary>How an output's error is measured.</summary>
public enum ErrorMeasure
{
    /// <summary>Largest absolute difference divided by the reference's largest magnitude (normwise relative error).</summary>
    Relative,

    /// <summary>Largest difference in units in the last place of the low dtype, at each reference value.</summary>
    Ulps,
}

/// <summary>Which outputs a budget is on.</summary>
public enum TargetKind
{
    /// <summary>The last forward op with one element (a training run's final loss, or an evaluation's).</summary>
    Loss,

    /// <summary>The last op's output.</summary>
    Output,

    /// <summary>Every tensor written by assign, at its last write (a training run's parameters and optimizer state).</summary>
    Params,

    /// <summary>The op with a given sequence number.</summary>
    Seq,

    /// <summary>The last op with a given name.</summary>
    Last,
}

/// <summary>
/// An error budget on chosen outputs: <c>loss:rel=1e-2</c>, <c>output:rel=0.05</c>, <c>params:rel=1e-2</c>,
/// <c>op:1234:ulp=64</c>, <c>last:sum:rel=1e-3</c>.
/// </summary>
public sealed record Budget(TargetKind Kind, long Seq, string? OpName, ErrorMeasure Measure, double Limit)
{
    /// <summary>The budget as written.</summary>
    public override string ToString()
    {
        var target = Kind switch
        {
            TargetKind.Loss => "loss",
            TargetKind.Output => "output",
            TargetKind.Params => "params",
            TargetKind.Seq => $"op:{Seq}",
            _ => $"last:{OpName}",
        };
        return string.Create(CultureInfo.InvariantCulture, $"{target}:{(Measure == ErrorMeasure.Relative ? "rel" : "ulp")}={Limit:G6}");
    }

    /// <summary>Parses a budget spec.</summary>
    /// <exception cref="FormatException">The spec is malformed; the message quotes it and says what was expected.</exception>
    public static Budget Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        const string Expected = "expected <target>:<rel|ulp>=<limit>, target loss, output, params, op:<seq> or last:<op name>, e.g. loss:rel=1e-2";
        var parts = spec.Split(':');
        if (parts.Length < 2)
        {
            throw new FormatException($"--budget '{spec}': {Expected}");
        }

        var m = parts[^1].Split('=');
        if (m.Length != 2)
        {
            throw new FormatException($"--budget '{spec}': {Expected}");
        }

        var measure = m[0] switch
        {
            "rel" => ErrorMeasure.Relative,
            "ulp" or "ulps" => ErrorMeasure.Ulps,
            _ => throw new FormatException($"--budget '{spec}': unknown measure '{m[0]}' (rel or ulp)"),
        };
        if (!double.TryParse(m[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double limit) || !double.IsFinite(limit) || limit < 0)
        {
            throw new FormatException($"--budget '{spec}': the limit '{m[1]}' is not a non-negative number");
        }

        var target = parts[..^1];
        return target switch
        {
            ["loss"] => new Budget(TargetKind.Loss, -1, null, measure, limit),
            ["output"] => new Budget(TargetKind.Output, -1, null, measure, limit),
            ["params"] => new Budget(TargetKind.Params, -1, null, measure, limit),
            ["op", var n] when long.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out long seq) => new Budget(TargetKind.Seq, seq, null, measure, limit),
            ["last", var name] when name.Length > 0 => new Budget(TargetKind.Last, -1, name, measure, limit),
            _ => throw new FormatException($"--budget '{spec}': {Expected}"),
        };
    }

    /// <summary>The error of <paramref name="actual"/> against <paramref name="reference"/> in this budget's measure.</summary>
    public double Error(double[] reference, double[] actual, DType low) => Measure == ErrorMeasure.Relative
        ? ErrorOf.Relative(reference, actual)
        : ErrorOf.Ulps(reference, actual, low);
}

/// <summary>The error measures.</summary>
public static class ErrorOf
{
    /// <summary>max |a - r| / max |r| (0 when equal; +inf when a value is not finite where the reference is).</summary>
    public static double Relative(ReadOnlySpan<double> reference, ReadOnlySpan<double> actual)
    {
        double scale = 0;
        double worst = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            double r = reference[i];
            double a = actual[i];
            if (double.IsFinite(r))
            {
                scale = Math.Max(scale, Math.Abs(r));
            }

            double d = Diff(r, a);
            worst = Math.Max(worst, d);
        }

        if (worst == 0)
        {
            return 0;
        }

        return double.IsPositiveInfinity(worst) ? double.PositiveInfinity : worst / Math.Max(scale, double.Epsilon);
    }

    /// <summary>max |a - r| / ulp_low(r), the ulp of the low dtype at each reference value.</summary>
    public static double Ulps(ReadOnlySpan<double> reference, ReadOnlySpan<double> actual, DType low)
    {
        var (bits, minExp) = low switch
        {
            DType.Float16 => (11, -14),
            DType.BFloat16 => (8, -126),
            DType.Float64 => (53, -1022),
            _ => (24, -126),
        };
        double worst = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            double d = Diff(reference[i], actual[i]);
            if (d == 0)
            {
                continue;
            }

            if (double.IsPositiveInfinity(d))
            {
                return d;
            }

            double r = Math.Abs(reference[i]);
            int e = r == 0 ? minExp : Math.Max(minExp, Math.ILogB(r));
            worst = Math.Max(worst, d / Math.ScaleB(1.0, e - (bits - 1)));
        }

        return worst;
    }

    private static double Diff(double r, double a)
    {
        if (double.IsNaN(r) && double.IsNaN(a))
        {
            return 0;
        }

        if (!double.IsFinite(r) || !double.IsFinite(a))
        {
            return r.Equals(a) ? 0 : double.PositiveInfinity;
        }

        return Math.Abs(a - r);
    }
}
