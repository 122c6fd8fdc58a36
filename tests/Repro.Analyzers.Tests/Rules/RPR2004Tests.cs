using Verify = Repro.Analyzers.Tests.Infrastructure.AnalyzerVerifier<Repro.Analyzers.Ordering.CompletionOrderAnalyzer>;

namespace Repro.Analyzers.Tests.Rules;

public class RPR2004Tests
{
    [Fact]
    public Task Completion_order_loops_are_reported() => Verify.VerifyAsync("""
        using System.Collections.Generic;
        using System.Threading.Tasks;
        class Evaluator
        {
            async Task<List<double>> A(List<Task<double>> pending)
            {
                var results = new List<double>();
                while (pending.Count > 0)
                {
                    var done = await {|RPR2004:Task.WhenAny(pending)|};
                    pending.Remove(done);
                    results.Add(await done);
                }
                return results;
            }
            async Task B(Task<int>[] tasks, List<int> sink)
            {
                await foreach (var t in {|RPR2004:Task.WhenEach(tasks)|}) sink.Add(await t);
            }
        }
        """);

    [Fact]
    public Task Timeouts_and_ordered_awaits_are_not_reported() => Verify.VerifyAsync("""
        using System;
        using System.Threading.Tasks;
        class Evaluator
        {
            async Task<double[]> A(Task<double>[] tasks)
            {
                for (var i = 0; i < 3; i++)
                {
                    if (await Task.WhenAny(tasks[i], Task.Delay(1000)) != tasks[i]) throw new TimeoutException();
                }
                return await Task.WhenAll(tasks);
            }
            Task<Task<double>> B(Task<double>[] tasks) => Task.WhenAny(tasks);
        }
        """);
}
