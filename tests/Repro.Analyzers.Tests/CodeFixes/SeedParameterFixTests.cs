using Repro.Analyzers.Tests.Infrastructure;
using Verify = Repro.Analyzers.Tests.Infrastructure.CodeFixVerifier<
    Repro.Analyzers.Randomness.UnseededRandomAnalyzer, Repro.Analyzers.CodeFixes.SeedParameterFix>;

namespace Repro.Analyzers.Tests.CodeFixes;

public class SeedParameterFixTests
{
    private const string Xunit = """
        namespace Xunit
        {
            public sealed class FactAttribute : System.Attribute { }
        }
        """;

    [Theory]
    [MemberData(nameof(TargetFrameworkReferences.All), MemberType = typeof(TargetFrameworkReferences))]
    public Task RPR1001_uses_a_seed_in_scope_and_extends_private_methods_once(string tfm) => Verify.VerifyAsync("""
        using System;
        class Settings
        {
            static readonly int Seed = 42;
            static readonly Random Generator = {|RPR1001:new Random()|};
        }

        class Loader
        {
            public int A(int seed) => {|RPR1001:new Random()|}.Next();
            private int B(int n)
            {
                var a = {|RPR1001:new Random()|};
                var b = {|RPR1001:new Random()|};
                return a.Next(n) + b.Next(n);
            }

            public int C(int n) => B(n);
        }
        """, """
        using System;
        class Settings
        {
            static readonly int Seed = 42;
            static readonly Random Generator = new Random(Seed);
        }

        class Loader
        {
            public int A(int seed) => new Random(seed).Next();
            private int B(int n, int seed = 0)
            {
                var a = new Random(seed);
                var b = new Random(seed);
                return a.Next(n) + b.Next(n);
            }

            public int C(int n) => B(n);
        }
        """, tfm, null);

    /// <summary>
    /// No seed in reach: a public method or constructor (compiled callers would break), a test method (xUnit1001: a
    /// [Fact] may not have parameters), a method used as a delegate, a field initializer. No fix is offered.
    /// </summary>
    [Fact]
    public Task RPR1001_offers_no_fix_where_a_signature_would_change_or_no_seed_is_in_reach()
    {
        const string source = """
            using System;
            using System.Linq;
            using Xunit;
            public class Sampler
            {
                private readonly Random _rng = {|RPR1001:new Random()|};
                public Sampler() { var r = {|RPR1001:new Random()|}; _ = r.Next(); }
                public int Draw(int n) => {|RPR1001:new Random()|}.Next(n);
                protected int DrawProtected(int n) => {|RPR1001:new Random()|}.Next(n);
                internal int DrawInternal(int n) => {|RPR1001:new Random()|}.Next(n);
                [Fact]
                public void Draws_in_range() { var r = {|RPR1001:new Random()|}; _ = r.Next(3); }
                [Fact]
                private void Private_test() { var r = {|RPR1001:new Random()|}; _ = r.Next(3); }
                private int Pick(int n) => {|RPR1001:new Random()|}.Next(n);
                public int[] Picks(int[] ns) => ns.Select(Pick).ToArray();
            }
            """;
        return Verify.VerifyAsync(source, source, Xunit);
    }

    [Fact]
    public Task RPR1001_extends_a_local_function() => Verify.VerifyAsync("""
        using System;
        public class Sampler
        {
            public int Draw(int n)
            {
                return Pick();
                int Pick() => {|RPR1001:new Random()|}.Next(n);
            }
        }
        """, """
        using System;
        public class Sampler
        {
            public int Draw(int n)
            {
                return Pick();
                int Pick(int seed = 0) => new Random(seed).Next(n);
            }
        }
        """);
}
