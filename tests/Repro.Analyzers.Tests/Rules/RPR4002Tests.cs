using Verify = Repro.Analyzers.Tests.Infrastructure.AnalyzerVerifier<Repro.Analyzers.Time.StopwatchControlFlowAnalyzer>;

namespace Repro.Analyzers.Tests.Rules;

public class RPR4002Tests
{
    [Fact]
    public Task Stopwatch_deciding_loops_and_branches_is_reported() => Verify.VerifyAsync("""
        using System;
        using System.Diagnostics;
        class Trainer
        {
            int Train(TimeSpan budget)
            {
                var sw = Stopwatch.StartNew();
                var steps = 0;
                while ({|RPR4002:sw.Elapsed|} < budget) steps++;
                var t0 = Stopwatch.GetTimestamp();
                for (var i = 0; i < 100; i++)
                {
                    if ({|RPR4002:Stopwatch.GetElapsedTime(t0)|}.TotalSeconds > 5) break;
                    steps++;
                }
                return steps;
            }
        }
        """);

    [Fact]
    public Task Stopwatch_for_progress_output_is_not_reported() => Verify.VerifyAsync("""
        using System;
        using System.Diagnostics;
        class Trainer
        {
            void Train(int epochs)
            {
                var sw = Stopwatch.StartNew();
                var report = Stopwatch.StartNew();
                for (var e = 0; e < epochs; e++)
                {
                    if (report.ElapsedMilliseconds > 1000)
                    {
                        Console.WriteLine($"epoch {e}, {sw.Elapsed.TotalSeconds:F1}s");
                        report.Restart();
                    }
                }
                Console.WriteLine("throughput " + epochs / sw.Elapsed.TotalSeconds);
            }
        }
        """);
}
