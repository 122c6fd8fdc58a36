using System.Runtime.CompilerServices;
using Repro.Engine;

namespace Repro.Nn;

/// <summary>Examples as two tensors whose first axis indexes the example: features [N, ...] and labels [N, ...].</summary>
public sealed class Dataset
{
    /// <summary>Creates the dataset; the first extents must agree.</summary>
    public Dataset(Tensor features, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (features.Rank == 0 || labels.Rank == 0 || features.Shape[0] != labels.Shape[0])
        {
            throw new ShapeException($"dataset: expected features and labels with one first extent, got {features.ShapeString} and {labels.ShapeString}");
        }

        Features = features;
        Labels = labels;
    }

    /// <summary>[N, ...].</summary>
    public Tensor Features { get; }

    /// <summary>[N, ...].</summary>
    public Tensor Labels { get; }

    /// <summary>Number of examples.</summary>
    public int Count => Features.Shape[0];
}

/// <summary>One batch: the examples' features and labels, and the batch's index within its epoch.</summary>
public readonly record struct Batch(Tensor Features, Tensor Labels, int Index);

/// <summary>
/// Cuts a dataset into batches. With shuffling, epoch e visits the examples in the order of a permutation drawn
/// from a generator seeded with mix(seed, e), so epoch e's order depends only on (seed, e), not on how many epochs
/// ran before; batch b holds positions [b * size, (b + 1) * size) of that order, gathered with index_select.
/// </summary>
public sealed class DataLoader
{
    private readonly Dataset dataset;

    /// <summary>Creates the loader.</summary>
    public DataLoader(Dataset dataset, int batchSize, bool shuffle = true, bool dropLast = false, ulong seed = 0)
    {
        this.dataset = dataset ?? throw new ArgumentNullException(nameof(dataset));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        Seed = seed;
    }

    /// <summary>Examples per batch (the last batch may be smaller unless <see cref="DropLast"/>).</summary>
    public int BatchSize { get; }

    /// <summary>True when each epoch visits the examples in a seeded random order.</summary>
    public bool Shuffle { get; }

    /// <summary>True when a final partial batch is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>Seed of the shuffles.</summary>
    public ulong Seed { get; }

    /// <summary>Batches per epoch.</summary>
    public int BatchesPerEpoch => DropLast ? dataset.Count / BatchSize : (dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>The example order of epoch <paramref name="epoch"/> as an int32 tensor (a recorded op).</summary>
    public Tensor Order(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        using var caller = Dispatcher.LibraryCall();
        return Shuffle
            ? Tensor.Permutation(dataset.Count, new Generator(EpochSeed(Seed, epoch)), dataset.Features.Backend)
            : Tensor.Arange(dataset.Count, DType.Int32, dataset.Features.Backend);
    }

    /// <summary>The batches of epoch <paramref name="epoch"/>, in order.</summary>
    /// <remarks>
    /// The ops that make each batch are located at this call (the caller-information parameters; leave them out),
    /// which costs nothing, where a stack walk per batch would.
    /// </remarks>
    public IEnumerable<Batch> Epoch(int epoch, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        Tensor order;
        using (Dispatcher.Site(file, line, member))
        {
            order = Order(epoch);
        }

        int batches = BatchesPerEpoch;
        for (int b = 0; b < batches; b++)
        {
            int start = b * BatchSize;
            int end = Math.Min(start + BatchSize, dataset.Count);
            // The scope closes before the yield: the caller's code runs between batches.
            Batch batch;
            using (Dispatcher.Site(file, line, member))
            using (Dispatcher.LibraryCall())
            {
                var index = order.Slice(0, start, end);
                batch = new Batch(dataset.Features.IndexSelect(0, index), dataset.Labels.IndexSelect(0, index), b);
            }

            yield return batch;
        }
    }

    /// <summary>SplitMix64 of (seed, epoch): well-mixed distinct seeds for consecutive epochs.</summary>
    public static ulong EpochSeed(ulong seed, int epoch)
    {
        ulong z = seed + (0x9E3779B97F4A7C15ul * (ulong)(epoch + 1));
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ul;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBul;
        return z ^ (z >> 31);
    }
}
