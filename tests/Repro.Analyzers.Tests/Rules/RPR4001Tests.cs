using Verify = Repro.Analyzers.Tests.Infrastructure.AnalyzerVerifier<Repro.Analyzers.Time.WallClockAnalyzer>;

namespace Repro.Analyzers.Tests.Rules;

public class RPR4001Tests
{
    [Fact]
    public Task Wall_clock_deciding_or_computing_is_reported() => Verify.VerifyAsync("""
        using System;
        class Trainer
        {
            void Train(TimeSpan budget)
            {
                var deadline = {|RPR4001:DateTime.UtcNow|} + budget;
                while ({|RPR4001:DateTime.UtcNow|} < deadline) Step();
            }
            double Decay(double lr) => lr * Schedule({|RPR4001:DateTime.Now|}.Hour);
            bool Late() => {|RPR4001:TimeProvider.System|}.GetUtcNow().Hour > 17;
            void Step() { }
            static double Schedule(int hour) => 1.0 / (1 + hour);
        }
        """);

    [Fact]
    public Task Wall_clock_for_logging_and_file_names_is_not_reported() => Verify.VerifyAsync("""
        using System;
        using System.IO;
        class Trainer
        {
            public DateTime StartedAt { get; } = DateTime.UtcNow;
            void Save(byte[] weights)
            {
                var stamp = DateTime.Now.ToString("yyyyMMdd-HHmmss");
                File.WriteAllBytes(Path.Combine("runs", $"ckpt-{stamp}.bin"), weights);
                Console.WriteLine($"saved at {DateTime.Now}");
                var start = DateTime.UtcNow;
                Console.WriteLine("took " + (DateTime.UtcNow - start).TotalSeconds);
            }
        }
        """);
}
