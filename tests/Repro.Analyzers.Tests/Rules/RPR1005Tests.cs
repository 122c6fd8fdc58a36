using Verify = Repro.Analyzers.Tests.Infrastructure.AnalyzerVerifier<Repro.Analyzers.Randomness.PerProcessHashAnalyzer>;

namespace Repro.Analyzers.Tests.Rules;

public class RPR1005Tests
{
    [Fact]
    public Task Per_process_hash_in_splits_seeds_and_files_is_reported() => Verify.VerifyAsync("""
        using System;
        using System.IO;
        class Splitter
        {
            bool IsTrain(string id) => Math.Abs({|RPR1005:id.GetHashCode()|}) % 10 < 8;
            int Shard(string key, int shards) => ({|RPR1005:key.GetHashCode()|} & 0x7fffffff) % shards;
            Random ForName(string name) => new Random({|RPR1005:name.GetHashCode()|});
            void Save(BinaryWriter w, string name)
            {
                var h = {|RPR1005:HashCode.Combine(name, 3)|};
                w.Write(h);
            }
        }
        """);

    [Fact]
    public Task Hash_used_in_memory_is_not_reported() => Verify.VerifyAsync("""
        using System;
        using System.Collections.Generic;
        class Key
        {
            public string Name = "";
            public override int GetHashCode() => Name.GetHashCode();
            public override bool Equals(object? o) => o is Key k && k.Name == Name;
            void Cache(Dictionary<int, string> d, string s) => d[s.GetHashCode()] = s;
            bool Same(string a, string b) => a.GetHashCode() == b.GetHashCode();
        }
        """);
}
