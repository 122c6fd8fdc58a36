using Repro.Engine;
using Repro.Samples;

namespace Repro.Nn.Tests;

public class DataAndStateTests
{
    private static Dataset Numbers(int n) => new(Tensor.Arange(n, DType.Float32).Reshape([n, 1]), Tensor.Arange(n));

    [Fact]
    public void Shuffles_repeat_per_seed_and_epoch_and_cover_every_example_once()
    {
        var data = Numbers(103);
        var a = new DataLoader(data, 10, seed: 7);
        var b = new DataLoader(data, 10, seed: 7);
        Assert.Equal(a.Order(3).ToIntArray(), b.Order(3).ToIntArray());
        Assert.NotEqual(a.Order(3).ToIntArray(), a.Order(4).ToIntArray());
        Assert.NotEqual(a.Order(3).ToIntArray(), new DataLoader(data, 10, seed: 8).Order(3).ToIntArray());

        var batches = a.Epoch(3).ToList();
        Assert.Equal(11, batches.Count);
        Assert.Equal(3, batches[^1].Labels.Numel);
        var seen = batches.SelectMany(x => x.Labels.ToIntArray()).ToArray();
        Assert.Equal(a.Order(3).ToIntArray(), seen);
        Assert.Equal(Enumerable.Range(0, 103), seen.Order());
        Assert.Equal(seen.Select(v => (float)v), batches.SelectMany(x => x.Features.ToFloatArray()));

        var dropped = new DataLoader(data, 10, dropLast: true, seed: 7).Epoch(3).ToList();
        Assert.Equal(10, dropped.Count);
        Assert.All(dropped, x => Assert.Equal(10, x.Labels.Numel));
        Assert.Equal(Enumerable.Range(0, 103), new DataLoader(data, 10, shuffle: false).Order(0).ToIntArray());
    }

    [Fact]
    public void Model_and_optimizer_state_round_trip_bit_exactly()
    {
        var g = new Generator(3);
        var model = new Sequential(new Linear(4, 3, g), new ReLU(), new Linear(3, 2, g));
        var opt = new Adam(model.Parameters(), 0.01);
        var x = Tensor.Randn([5, 4], g);
        var y = Tensor.FromArray(new[] { 0, 1, 1, 0, 1 }, [5]);
        for (int i = 0; i < 3; i++)
        {
            opt.ZeroGrad();
            Losses.CrossEntropy(model.Forward(x), y).Backward();
            opt.Step();
        }

        string dir = Directory.CreateTempSubdirectory("repro-nn-").FullName;
        try
        {
            StateFile.Save(Path.Combine(dir, "model.safetensors"), model.StateDict(), [new("format", "pt")]);
            StateFile.Save(Path.Combine(dir, "optim.safetensors"), opt.StateDict());

            var g2 = new Generator(99);
            var model2 = new Sequential(new Linear(4, 3, g2), new ReLU(), new Linear(3, 2, g2));
            Assert.NotEqual(model.ParameterHash(), model2.ParameterHash());
            var opt2 = new Adam(model2.Parameters(), 0.01);
            model2.LoadStateDict(StateFile.Load(Path.Combine(dir, "model.safetensors"), out var meta));
            opt2.LoadStateDict(StateFile.Load(Path.Combine(dir, "optim.safetensors")));
            Assert.Equal(model.ParameterHash(), model2.ParameterHash());
            Assert.Equal("pt", meta.Single(m => m.Key == "format").Value);
            Assert.Equal(3, opt2.StepCount);

            // Training on from the loaded state gives the same bits as training on from the original.
            foreach (var (m, o) in new[] { (model, opt), (model2, opt2) })
            {
                o.ZeroGrad();
                Losses.CrossEntropy(m.Forward(x), y).Backward();
                o.Step();
            }

            Assert.Equal(model.ParameterHash(), model2.ParameterHash());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void State_files_keep_every_dtype_and_nan_payload_bit_for_bit()
    {
        var nan = BitConverter.Int32BitsToSingle(0x7FC12345);
        var tensors = new List<KeyValuePair<string, Tensor>>
        {
            new("f32", Tensor.FromArray(new[] { 1.5f, -0f, nan, float.NegativeInfinity }, [2, 2])),
            new("f64", Tensor.FromArray(new[] { Math.PI, -1e-310 }, [2])),
            new("i32", Tensor.FromArray(new[] { int.MinValue, 7, -1 }, [3])),
            new("bf16", Tensor.FromArray(new[] { 0.1f, 3f }, [2], DType.BFloat16)),
            new("f16", Tensor.FromArray(new[] { 0.1f }, [1, 1], DType.Float16)),
            new("scalar", Tensor.Scalar(2.5)),
        };
        using var stream = new MemoryStream();
        StateFile.Write(stream, tensors);
        var back = StateFile.Read(stream.ToArray(), "memory", out _);
        Assert.Equal(tensors.Select(t => t.Key), back.Select(t => t.Key));
        for (int i = 0; i < tensors.Count; i++)
        {
            Assert.Equal(tensors[i].Value.DType, back[i].Value.DType);
            Assert.Equal(tensors[i].Value.Shape, back[i].Value.Shape);
            Assert.Equal(tensors[i].Value.ToBytes(), back[i].Value.ToBytes());
        }

        long headerLength = BitConverter.ToInt64(stream.ToArray(), 0);
        Assert.Equal(0, headerLength % 8);
    }

    [Fact]
    public void Sample_datasets_load_with_their_shapes_and_split_deterministically()
    {
        var digits = SampleData.Digits();
        Assert.Equal((1797, 64, 10), (digits.Rows, digits.Columns, digits.Classes));
        Assert.Equal((569, 30), (SampleData.BreastCancer().Rows, SampleData.BreastCancer().Columns));
        Assert.Equal((178, 13), (SampleData.Wine().Rows, SampleData.Wine().Columns));
        Assert.Equal((150, 4), (SampleData.Iris().Rows, SampleData.Iris().Columns));

        var (train, test) = SampleData.Split(digits);
        Assert.Equal((1438, 359), (train.Rows, test.Rows));
        Assert.Equal(test.Labels, SampleData.Split(digits).Test.Labels);
        var (strain, _) = SampleData.Standardize(train, test);
        for (int j = 0; j < 64; j += 9)
        {
            double mean = Enumerable.Range(0, strain.Rows).Average(i => strain.Features[(i * 64) + j]);
            Assert.InRange(mean, -1e-5, 1e-5);
        }
    }
}
