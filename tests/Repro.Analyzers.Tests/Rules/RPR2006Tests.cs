using Verify = Repro.Analyzers.Tests.Infrastructure.AnalyzerVerifier<Repro.Analyzers.Ordering.UnorderedCollectionAnalyzer>;

namespace Repro.Analyzers.Tests.Rules;

public class RPR2006Tests
{
    [Fact]
    public Task Hash_ordered_enumeration_feeding_results_is_reported() => Verify.VerifyAsync("""
        using System.Collections;
        using System.Collections.Concurrent;
        using System.Collections.Generic;
        using System.Linq;
        class Vocabulary
        {
            readonly ConcurrentDictionary<string, int> _counts = new();
            List<string> A() => {|RPR2006:_counts|}.Keys.ToList();
            void B(Hashtable table, List<object> output)
            {
                foreach (DictionaryEntry e in {|RPR2006:table|}) output.Add(e.Key);
            }
            string[] C() => {|RPR2006:_counts|}.Select(kv => kv.Key).ToArray();
        }
        """);

    [Fact]
    public Task Lookups_counts_and_ordered_enumeration_are_not_reported() => Verify.VerifyAsync("""
        using System.Collections.Concurrent;
        using System.Linq;
        class Vocabulary
        {
            readonly ConcurrentDictionary<string, int> _counts = new();
            int A(string w) => _counts.TryGetValue(w, out var c) ? c + _counts.Count + _counts[w] : 0;
            string[] B() => _counts.Keys.Order(System.StringComparer.Ordinal).ToArray();
            int C() => _counts.Values.Max();
            void D() { foreach (var kv in _counts) _counts[kv.Key] = 0; }
        }
        """);
}
