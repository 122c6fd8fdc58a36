using System.Text.RegularExpressions;

namespace Repro.Engine.Tests.Numerics;

/// <summary>
/// Enforces the determinism contract of Repro.Engine's Numerics sources textually: no platform transcendental or
/// *Estimate call anywhere in Numerics/, and no plain product directly added or subtracted in DetMath (such a
/// product must be an explicit FusedMultiplyAdd, since GPU compilers contract a * b + c on their own).
/// </summary>
public sealed partial class SourceRulesTests
{
    private const string Operand = @"(?:\d[\d.]*(?:[eE][+-]?\d+)?[fFdDmMlLuU]?|[A-Za-z_][\w.]*(?:\s*\([^()]*\))?|\([^()]*\))";

    [GeneratedRegex(@"\b(?:Math|MathF|double|float|Half|Double|Single)\s*\.\s*(?:Exp|Exp2|Exp10|ExpM1|Exp2M1|Exp10M1|Log|Log2|Log10|LogP1|Log2P1|Log10P1|Pow|Sin|Cos|Tan|SinCos|SinPi|CosPi|TanPi|SinCosPi|Asin|Acos|Atan|Atan2|AsinPi|AcosPi|AtanPi|Atan2Pi|Sinh|Cosh|Tanh|Asinh|Acosh|Atanh|Cbrt|RootN|Hypot|IEEERemainder|ScaleB|ILogB)\b")]
    private static partial Regex TranscendentalCall();

    [GeneratedRegex(@"Estimate\b")]
    private static partial Regex EstimateCall();

    [GeneratedRegex(@"\*\s*" + Operand + @"\s+[+-]\s")]
    private static partial Regex ProductThenAddSub();

    [GeneratedRegex(@"\*\s*" + Operand + @"\s*\)\s+[+-]\s")]
    private static partial Regex ParenthesizedProductThenAddSub();

    [GeneratedRegex(@"\s[+-]\s+" + Operand + @"\s*\*(?!=)")]
    private static partial Regex AddSubThenProduct();

    [GeneratedRegex(@"[+-]=\s*" + Operand + @"\s*\*(?!=)")]
    private static partial Regex CompoundAddOfProduct();

    [GeneratedRegex(@"//[^\n]*|""(?:\\.|[^""\\])*""")]
    private static partial Regex CommentsAndStrings();

    /// <summary>Returns the violations of the contract in one source text (comments and string literals ignored).</summary>
    internal static List<string> Violations(string source, bool checkFma)
    {
        var found = new List<string>();
        string code = CommentsAndStrings().Replace(source, " ");
        foreach (string statement in code.Split(';', '{', '}'))
        {
            string s = Regex.Replace(statement, @"\s+", " ");
            if (TranscendentalCall().IsMatch(s) || EstimateCall().IsMatch(s))
            {
                found.Add("forbidden call: " + s.Trim());
            }

            if (checkFma && (ProductThenAddSub().IsMatch(s) || ParenthesizedProductThenAddSub().IsMatch(s) || AddSubThenProduct().IsMatch(s) || CompoundAddOfProduct().IsMatch(s)))
            {
                found.Add("product feeding +/- (use FusedMultiplyAdd): " + s.Trim());
            }
        }

        return found;
    }

    private static string NumericsDirectory()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Repro.sln")))
        {
            dir = dir.Parent;
        }

        Assert.NotNull(dir);
        string sep = Path.DirectorySeparatorChar.ToString();
        string detMath = Directory.EnumerateFiles(dir.FullName, "DetMath.cs", SearchOption.AllDirectories)
            .Single(p => !p.Contains(sep + "bin" + sep) && !p.Contains(sep + "obj" + sep) && !p.Contains(sep + "tests" + sep));
        return Path.GetDirectoryName(detMath)!;
    }

    [Fact]
    public void NumericsSources_FollowTheDeterminismContract()
    {
        string[] files = [.. Directory.GetFiles(NumericsDirectory(), "*.cs").Order(StringComparer.Ordinal)];
        Assert.Contains(files, f => Path.GetFileName(f) == "DetMath.cs");
        Assert.Contains(files, f => Path.GetFileName(f) == "Philox.cs");
        var all = new List<string>();
        foreach (string file in files)
        {
            bool isDetMath = Path.GetFileName(file).StartsWith("DetMath", StringComparison.Ordinal);
            all.AddRange(Violations(File.ReadAllText(file), isDetMath).Select(v => Path.GetFileName(file) + ": " + v));
        }

        Assert.True(all.Count == 0, string.Join(Environment.NewLine, all));
    }

    [Theory]
    [InlineData("return a * b + c;")]
    [InlineData("double t = c - a * b;")]
    [InlineData("double t = x * Poly(z) - 1.0;")]
    [InlineData("double t = (a * b) + c;")]
    [InlineData("y += a * b;")]
    [InlineData("return 0.5 * x * x + y;")]
    [InlineData("return Math.Exp(x);")]
    [InlineData("float v = MathF.Log(x);")]
    [InlineData("return double.Sin(x);")]
    [InlineData("return Math.ReciprocalSqrtEstimate(x);")]
    [InlineData("return MathF.Pow(x, y);")]
    public void Checker_FlagsViolations(string snippet)
    {
        Assert.NotEmpty(Violations(snippet, checkFma: true));
    }

    [Theory]
    [InlineData("return Math.FusedMultiplyAdd(a, b, c);")]
    [InlineData("return x * y;")]
    [InlineData("double t = x * 1e-5;")]
    [InlineData("double t = a * -b;")]
    [InlineData("return Math.Sqrt(-2.0 * l);")]
    [InlineData("return x / (a + b); // Math.Exp(x) * y + 1 in a comment")]
    [InlineData("int n = (int)(bits >> 52) - 1023;")]
    public void Checker_AcceptsAllowedCode(string snippet)
    {
        Assert.Empty(Violations(snippet, checkFma: true));
    }
}
