using Verify = Repro.Analyzers.Tests.Infrastructure.AnalyzerVerifier<Repro.Analyzers.Ordering.ConcurrentCollectionOrderAnalyzer>;

namespace Repro.Analyzers.Tests.Rules;

public class RPR2005Tests
{
    [Fact]
    public Task Parallel_filled_bag_enumerated_into_results_is_reported() => Verify.VerifyAsync("""
        using System.Collections.Concurrent;
        using System.Collections.Generic;
        using System.Linq;
        using System.Threading.Tasks;
        class Embedder
        {
            float[] A(float[] x)
            {
                var bag = new ConcurrentBag<float>();
                Parallel.For(0, x.Length, i => bag.Add(x[i] * 2));
                return {|RPR2005:bag|}.ToArray();
            }
            double B(double[] x)
            {
                var queue = new ConcurrentQueue<double>();
                Parallel.ForEach(x, v => queue.Enqueue(v * v));
                var list = new List<double>();
                foreach (var v in {|RPR2005:queue|}) list.Add(v);
                return {|RPR2005:queue|}.Sum();
            }
        }
        """);

    [Fact]
    public Task Sorted_or_counted_or_sequential_bags_are_not_reported() => Verify.VerifyAsync("""
        using System;
        using System.Collections.Concurrent;
        using System.Linq;
        using System.Threading.Tasks;
        class Embedder
        {
            float[] A(float[] x)
            {
                var bag = new ConcurrentBag<float>();
                Parallel.For(0, x.Length, i => bag.Add(x[i]));
                var sorted = bag.ToArray();
                Array.Sort(sorted);
                Console.WriteLine(bag.Count);
                return bag.Order().ToArray();
            }
            int[] B(int[] x)
            {
                var bag = new ConcurrentBag<int>();
                foreach (var v in x) bag.Add(v);
                return bag.ToArray();
            }
        }
        """);
}
