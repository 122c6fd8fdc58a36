using Verify = Repro.Analyzers.Tests.Infrastructure.CodeFixVerifier<
    Repro.Analyzers.Randomness.PerProcessHashAnalyzer, Repro.Analyzers.CodeFixes.StableHashFix>;

namespace Repro.Analyzers.Tests.CodeFixes;

public class StableHashFixTests
{
    [Fact]
    public Task RPR1005_replaces_string_hashes_with_one_stable_hash_helper() => Verify.VerifyAsync("""
        using System;
        class Splitter
        {
            bool IsTrain(string id) => Math.Abs({|RPR1005:id.GetHashCode()|}) % 10 < 8;
            int Shard(string key, int n) => ({|RPR1005:key.GetHashCode()|} & 0x7fffffff) % n;
        }
        """, """
        using System;
        class Splitter
        {
            bool IsTrain(string id) => Math.Abs(StableHash(id)) % 10 < 8;
            int Shard(string key, int n) => (StableHash(key) & 0x7fffffff) % n;

            private static int StableHash(string text)
            {
                unchecked
                {
                    var hash = (int)2166136261;
                    foreach (var c in text)
                    {
                        hash = (hash ^ c) * 16777619;
                    }

                    return hash;
                }
            }
        }
        """);
}
