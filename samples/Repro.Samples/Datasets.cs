using System.Globalization;
using System.IO.Compression;
using Repro.Engine;

namespace Repro.Samples;

/// <summary>A table of float features with int32 class labels, row-major on the host.</summary>
public sealed record TabularData(string Name, float[] Features, int[] Labels, int Rows, int Columns, int Classes)
{
    /// <summary>Features as a [rows, columns] tensor of <paramref name="dtype"/>.</summary>
    public Tensor FeatureTensor(DType dtype = DType.Float32) => Tensor.FromArray(Features, [Rows, Columns], dtype);

    /// <summary>Labels as an int32 [rows] tensor.</summary>
    public Tensor LabelTensor() => Tensor.FromArray(Labels, [Rows]);

    /// <summary>The rows at <paramref name="indices"/>, in that order.</summary>
    public TabularData Take(IReadOnlyList<int> indices, string suffix)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var f = new float[indices.Count * Columns];
        var l = new int[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            Array.Copy(Features, indices[i] * Columns, f, i * Columns, Columns);
            l[i] = Labels[indices[i]];
        }

        return this with { Name = Name + suffix, Features = f, Labels = l, Rows = indices.Count };
    }
}

/// <summary>The embedded datasets (see samples/data/README.md for sources and attribution) and their preprocessing.</summary>
public static class SampleData
{
    /// <summary>Seed of the train/test split; fixed so that every training seed is scored on the same test rows.</summary>
    public const ulong SplitSeed = 2026;

    /// <summary>Handwritten digits: 1797 images of 8x8 pixels (0..16), 10 classes.</summary>
    public static TabularData Digits() => Parse("digits", Read("digits.csv.gz"), header: false, classes: 10);

    /// <summary>Breast cancer Wisconsin (diagnostic): 569 rows, 30 features, 2 classes.</summary>
    public static TabularData BreastCancer() => Parse("breast_cancer", Read("breast_cancer.csv"), header: true, classes: 2);

    /// <summary>Wine recognition: 178 rows, 13 features, 3 classes.</summary>
    public static TabularData Wine() => Parse("wine", Read("wine_data.csv"), header: true, classes: 3);

    /// <summary>Iris: 150 rows, 4 features, 3 classes.</summary>
    public static TabularData Iris() => Parse("iris", Read("iris.csv"), header: true, classes: 3);

    /// <summary>
    /// A deterministic split: rows are ordered by the engine's seeded permutation (<see cref="SplitSeed"/>) and the
    /// first round(rows * testFraction) become the test set.
    /// </summary>
    public static (TabularData Train, TabularData Test) Split(TabularData data, double testFraction = 0.2, ulong seed = SplitSeed)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (testFraction is <= 0.0 or >= 1.0)
        {
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, $"split: expected a test fraction in (0, 1), got {testFraction}");
        }

        var order = Tensor.Permutation(data.Rows, new Generator(seed)).ToIntArray();
        int test = (int)Math.Round(data.Rows * testFraction);
        return (data.Take(order[test..], "/train"), data.Take(order[..test], "/test"));
    }

    /// <summary>
    /// Standardizes every column with the training set's mean and standard deviation (computed in double, in row
    /// order); a constant column is only centred.
    /// </summary>
    public static (TabularData Train, TabularData Test) Standardize(TabularData train, TabularData test)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        int c = train.Columns;
        var mean = new double[c];
        var std = new double[c];
        for (int j = 0; j < c; j++)
        {
            double s = 0;
            for (int i = 0; i < train.Rows; i++)
            {
                s += train.Features[(i * c) + j];
            }

            mean[j] = s / train.Rows;
            double v = 0;
            for (int i = 0; i < train.Rows; i++)
            {
                double d = train.Features[(i * c) + j] - mean[j];
                v += d * d;
            }

            std[j] = Math.Sqrt(v / train.Rows);
            if (std[j] == 0)
            {
                std[j] = 1;
            }
        }

        return (Apply(train, mean, std), Apply(test, mean, std));
    }

    private static TabularData Apply(TabularData data, double[] mean, double[] std)
    {
        var f = new float[data.Features.Length];
        for (int i = 0; i < f.Length; i++)
        {
            int j = i % data.Columns;
            f[i] = (float)((data.Features[i] - mean[j]) / std[j]);
        }

        return data with { Features = f };
    }

    private static string Read(string resource)
    {
        var asm = typeof(SampleData).Assembly;
        using var raw = asm.GetManifestResourceStream(resource) ?? throw new FileNotFoundException($"sample data: embedded resource '{resource}' is missing");
        using Stream s = resource.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(raw, CompressionMode.Decompress) : raw;
        using var reader = new StreamReader(s);
        return reader.ReadToEnd();
    }

    private static TabularData Parse(string name, string text, bool header, int classes)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var rows = header ? lines[1..] : lines;
        int columns = rows[0].Split(',').Length - 1;
        var features = new float[rows.Length * columns];
        var labels = new int[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            var cells = rows[i].Split(',');
            if (cells.Length != columns + 1)
            {
                throw new InvalidDataException($"sample data '{name}': row {i + 1} has {cells.Length} cells, expected {columns + 1}");
            }

            for (int j = 0; j < columns; j++)
            {
                features[(i * columns) + j] = float.Parse(cells[j], NumberStyles.Float, CultureInfo.InvariantCulture);
            }

            labels[i] = int.Parse(cells[columns], NumberStyles.Integer, CultureInfo.InvariantCulture);
            if ((uint)labels[i] >= (uint)classes)
            {
                throw new InvalidDataException($"sample data '{name}': row {i + 1} has label {labels[i]}, expected 0..{classes - 1}");
            }
        }

        return new TabularData(name, features, labels, rows.Length, columns, classes);
    }
}
