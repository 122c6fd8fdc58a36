using Verify = Repro.Analyzers.Tests.Infrastructure.AnalyzerVerifier<Repro.Analyzers.Time.EnvironmentAnalyzer>;

namespace Repro.Analyzers.Tests.Rules;

public class EnvironmentTests
{
    [Fact]
    public Task RPR4003_a_processor_count_that_cuts_the_work_is_reported_one_that_sets_parallelism_is_not() => Verify.VerifyAsync("""
        using System;
        using System.Collections.Concurrent;
        using System.Threading.Tasks;
        static class Work
        {
            public static double Sum(double[] x)
            {
                var chunk = x.Length / {|RPR4003:Environment.ProcessorCount|};
                var partials = new double[{|RPR4003:Environment.ProcessorCount|}];
                var parts = {|RPR4003:Environment.ProcessorCount|};
                for (var p = 0; p < parts; p++) partials[p] = p * chunk;
                var ranges = Partitioner.Create(0, x.Length, Math.Max(1, x.Length / 8));
                return partials[0];
            }
            public static void Run(Action<int> body, int n)
            {
                var options = new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount };
                Parallel.For(0, n, options, body);
                var threads = Math.Max(1, Environment.ProcessorCount - 1);
                var workers = new System.Collections.Generic.List<Action>();
                for (var w = 0; w < Environment.ProcessorCount; w++) workers.Add(() => body(0));
                Console.WriteLine($"{Environment.ProcessorCount} cores, {threads} threads");
            }
        }
        """);

    [Fact]
    public Task RPR4004_conversions_through_the_local_zone_are_reported_UTC_and_printing_are_not() => Verify.VerifyAsync("""
        using System;
        static class Times
        {
            public static DateTime Local(DateTime utc) => {|RPR4004:utc.ToLocalTime()|};
            public static DateTime Parsed(string s) => {|RPR4004:DateTime.Parse(s).ToUniversalTime()|};
            public static TimeSpan Offset(DateTime t) => {|RPR4004:TimeZoneInfo.Local|}.GetUtcOffset(t);
            public static DateTime Utc(DateTime t) => {|RPR4004:TimeZoneInfo.ConvertTimeToUtc(t)|};
            public static DateTime Now() => DateTime.Now.ToUniversalTime();
            public static DateTime Named(DateTime t, TimeZoneInfo zone) => TimeZoneInfo.ConvertTimeFromUtc(t, zone);
            public static void Print(DateTime utc) => Console.WriteLine($"at {utc.ToLocalTime()} ({TimeZoneInfo.Local.Id})");
            public static DateTimeOffset Universal(DateTimeOffset t) => t.ToUniversalTime();
        }
        """);
}
