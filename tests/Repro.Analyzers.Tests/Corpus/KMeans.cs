using System;
using System.Diagnostics;
using System.Linq;
using System.Threading.Tasks;

namespace Corpus.Clustering;

public sealed class KMeans
{
    private readonly int _k;
    private readonly int _seed;
    private readonly object _gate = new();

    public KMeans(int k, int seed)
    {
        _k = k;
        _seed = seed;
    }

    public float[][] Fit(float[][] points, int maxIterations, TimeSpan budget)
    {
        var rng = new Random(_seed);
        var centroids = Enumerable.Range(0, _k).Select(_ => (float[])points[rng.Next(points.Length)].Clone()).ToArray();
        var assignment = new int[points.Length];
        var clock = Stopwatch.StartNew();
        for (var iteration = 0; iteration < maxIterations; iteration++)
        {
            if (clock.Elapsed > budget) break; // expect: RPR4002

            Parallel.For(0, points.Length, i => assignment[i] = Nearest(points[i], centroids));

            var sums = new double[_k][];
            var counts = new int[_k];
            for (var c = 0; c < _k; c++) sums[c] = new double[points[0].Length];

            Parallel.For(0, points.Length, i =>
            {
                var c = assignment[i];
                lock (_gate)
                {
                    for (var d = 0; d < points[i].Length; d++)
                        sums[c][d] += points[i][d]; // expect: RPR2001
                    counts[c]++;
                }
            });

            for (var c = 0; c < _k; c++)
                for (var d = 0; d < centroids[c].Length; d++)
                    centroids[c][d] = counts[c] == 0 ? centroids[c][d] : (float)(sums[c][d] / counts[c]);
        }

        return centroids;
    }

    public double Inertia(float[][] points, float[][] centroids) =>
        points.AsParallel().Sum(p => Distance2(p, centroids[Nearest(p, centroids)])); // expect: RPR2003

    public double InertiaSequential(float[][] points, float[][] centroids) =>
        points.Sum(p => Distance2(p, centroids[Nearest(p, centroids)]));

    public int Empty(float[][] points, float[][] centroids) =>
        points.AsParallel().Select(p => Nearest(p, centroids)).Distinct().Sum();

    private double _inertia;

    public void AccumulateInertia(float[][] points, float[][] centroids)
    {
        Parallel.ForEach(points, p =>
        {
            var d = Distance2(p, centroids[Nearest(p, centroids)]);
            lock (_gate) _inertia += d; // expect: RPR2001
        });
    }

    private static int Nearest(float[] p, float[][] centroids)
    {
        var best = 0;
        var bestDistance = double.MaxValue;
        for (var c = 0; c < centroids.Length; c++)
        {
            var d = Distance2(p, centroids[c]);
            if (d < bestDistance)
            {
                bestDistance = d;
                best = c;
            }
        }
        return best;
    }

    private static double Distance2(float[] a, float[] b)
    {
        double s = 0;
        for (var i = 0; i < a.Length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return s;
    }
}
