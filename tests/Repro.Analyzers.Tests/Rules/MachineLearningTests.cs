using Repro.Analyzers.Tests.Infrastructure;
using Verify = Repro.Analyzers.Tests.Infrastructure.AnalyzerVerifier<Repro.Analyzers.MachineLearning.MachineLearningAnalyzer>;

namespace Repro.Analyzers.Tests.Rules;

/// <summary>RPR1007, RPR1008, RPR4005 against stubs with the libraries' names and signatures (Stubs.MachineLearning).</summary>
public class MachineLearningTests
{
    [Fact]
    public Task RPR1007_an_MLContext_without_a_seed_is_reported_a_seeded_one_is_not() => Verify.VerifyAsync("""
        using Microsoft.ML;
        class Training
        {
            MLContext A() => {|RPR1007:new MLContext()|};
            MLContext B() => {|RPR1007:new MLContext(seed: null)|};
            MLContext C(int seed) => new MLContext(seed);
            MLContext D() => new MLContext(seed: 0);
        }
        """, Stubs.MachineLearning);

    [Fact]
    public Task RPR1008_a_shuffling_DataLoader_without_a_seed_is_reported_a_seeded_or_ordered_one_is_not() => Verify.VerifyAsync("""
        using static TorchSharp.torch.utils.data;
        class Training
        {
            DataLoader A(Dataset d) => {|RPR1008:new DataLoader(d, 32, shuffle: true)|};
            DataLoader B(Dataset d, bool shuffle) => {|RPR1008:new DataLoader(d, 32, shuffle)|};
            DataLoader C(Dataset d) => new DataLoader(d, 32, shuffle: true, seed: 42);
            DataLoader D(Dataset d) => new DataLoader(d, 32);
            DataLoader E(Dataset d) => new DataLoader(d, 32, shuffle: false);
            DataLoader F(Dataset d, long[] order) => new DataLoader(d, 32, order);
        }
        """, Stubs.MachineLearning);

    [Fact]
    public Task RPR4005_a_session_with_the_default_thread_count_is_reported_a_fixed_one_is_not() => Verify.VerifyAsync("""
        using Microsoft.ML.OnnxRuntime;
        class Inference
        {
            InferenceSession A(string path) => {|RPR4005:new InferenceSession(path)|};
            InferenceSession B(string path)
            {
                var options = new SessionOptions { InterOpNumThreads = 1 };
                return {|RPR4005:new InferenceSession(path, options)|};
            }
            InferenceSession C(string path) => new InferenceSession(path, new SessionOptions { IntraOpNumThreads = 1 });
            InferenceSession D(string path)
            {
                var options = new SessionOptions();
                options.IntraOpNumThreads = 4;
                return new InferenceSession(path, options);
            }
            InferenceSession E(string path, SessionOptions configured) => new InferenceSession(path, configured);
        }
        """, Stubs.MachineLearning);
}
