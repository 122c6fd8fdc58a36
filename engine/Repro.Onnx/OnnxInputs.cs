using System.Globalization;
using Repro.Engine;
using Repro.TensorFiles;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Repro.Onnx;

/// <summary>How images become an input tensor: resized, scaled, normalized per channel and laid out.</summary>
public sealed record ImageOptions
{
    /// <summary>Target height.</summary>
    public int Height { get; init; } = 224;

    /// <summary>Target width.</summary>
    public int Width { get; init; } = 224;

    /// <summary>Multiplies the 0..255 pixel value first (default 1/255: values in 0..1).</summary>
    public float Scale { get; init; } = 1f / 255f;

    /// <summary>Subtracted per channel after scaling.</summary>
    public float[] Mean { get; init; } = [0f, 0f, 0f];

    /// <summary>Divides per channel after subtracting the mean.</summary>
    public float[] Std { get; init; } = [1f, 1f, 1f];

    /// <summary>"nchw" (channels first) or "nhwc".</summary>
    public string Layout { get; init; } = "nchw";

    /// <summary>Channels in blue, green, red order.</summary>
    public bool Bgr { get; init; }

    /// <summary>Parses "a,b,c" as three floats; the error names the option.</summary>
    public static float[] ParseTriple(string text, string option)
    {
        var parts = text.Split(',');
        if (parts.Length != 3 || parts.Any(p => !float.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
        {
            throw new OnnxException($"{option} '{text}': expected three numbers separated by commas");
        }

        return [.. parts.Select(p => float.Parse(p, CultureInfo.InvariantCulture))];
    }
}

/// <summary>Reads input tensors from .npy files and images.</summary>
public static class OnnxInputs
{
    /// <summary>The largest image side decoded.</summary>
    public const int MaxImageSide = 16384;

    /// <summary>True for the image extensions read with ImageSharp.</summary>
    public static bool IsImage(string path) => Path.GetExtension(path).ToLowerInvariant() is ".png" or ".jpg" or ".jpeg" or ".bmp" or ".gif" or ".webp" or ".tga";

    /// <summary>Reads one or more files (concatenated along axis 0: one image each is a batch) as an input value.</summary>
    public static OnnxValue Read(IReadOnlyList<string> files, ImageOptions image, DType dtype = DType.Float32)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.Count == 0)
        {
            throw new OnnxException("no input files");
        }

        if (files.All(IsImage))
        {
            return OnnxValue.Of(Tensor.FromArray(Images(files, image, out var shape), shape, dtype));
        }

        var parts = files.Select(f => IsImage(f) ? throw new OnnxException($"input '{f}': images and .npy files cannot be mixed in one input") : Npy.Load(f)).ToArray();
        var first = parts[0];
        if (parts.Any(p => p.DType != first.DType || !p.Shape.Skip(1).SequenceEqual(first.Shape.Skip(1))))
        {
            throw new OnnxException($"input files {string.Join(", ", files)}: concatenated arrays must share a dtype and every axis but the first");
        }

        var bytes = parts.SelectMany(p => p.Data).ToArray();
        int[] shapeAll = first.Shape.Length == 0 ? [] : [parts.Sum(p => p.Shape[0]), .. first.Shape[1..]];
        var raw = new RawTensor(first.DType, shapeAll, bytes);
        raw.Check(files[0]);
        if (first.DType == DType.Int32)
        {
            var ints = new int[bytes.Length / 4];
            Buffer.BlockCopy(bytes, 0, ints, 0, bytes.Length);
            return OnnxValue.OfInts([.. ints.Select(i => (long)i)], shapeAll);
        }

        var t = first.DType switch
        {
            DType.Float32 => Tensor.FromArray(Floats(bytes), shapeAll, dtype),
            DType.Float64 => Tensor.FromArray(Doubles(bytes), shapeAll).To(dtype),
            _ => Tensor.FromArray(Halfs(bytes), shapeAll, dtype),
        };
        return OnnxValue.Of(t);
    }

    private static float[] Floats(byte[] b)
    {
        var f = new float[b.Length / 4];
        Buffer.BlockCopy(b, 0, f, 0, b.Length);
        return f;
    }

    private static double[] Doubles(byte[] b)
    {
        var f = new double[b.Length / 8];
        Buffer.BlockCopy(b, 0, f, 0, b.Length);
        return f;
    }

    private static float[] Halfs(byte[] b)
    {
        var f = new float[b.Length / 2];
        for (int i = 0; i < f.Length; i++)
        {
            f[i] = (float)BitConverter.ToHalf(b, i * 2);
        }

        return f;
    }

    /// <summary>Decodes, resizes and normalizes images into one [N, 3, H, W] (or [N, H, W, 3]) buffer.</summary>
    public static float[] Images(IReadOnlyList<string> files, ImageOptions o, out int[] shape)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(o);
        if (o.Height <= 0 || o.Width <= 0 || o.Height > MaxImageSide || o.Width > MaxImageSide)
        {
            throw new OnnxException($"image size {o.Height}x{o.Width}: expected sides from 1 to {MaxImageSide}");
        }

        if (o.Layout is not ("nchw" or "nhwc"))
        {
            throw new OnnxException($"layout '{o.Layout}': expected nchw or nhwc");
        }

        int h = o.Height;
        int w = o.Width;
        int plane = h * w;
        var data = new float[files.Count * 3 * plane];
        for (int n = 0; n < files.Count; n++)
        {
            using var img = Decode(files[n]);
            img.Mutate(c => c.Resize(w, h));
            int baseIndex = n * 3 * plane;
            img.ProcessPixelRows(rows =>
            {
                for (int y = 0; y < h; y++)
                {
                    var row = rows.GetRowSpan(y);
                    for (int x = 0; x < w; x++)
                    {
                        var p = row[x];
                        Span<byte> rgb = [p.R, p.G, p.B];
                        for (int c = 0; c < 3; c++)
                        {
                            int src = o.Bgr ? 2 - c : c;
                            float v = ((rgb[src] * o.Scale) - o.Mean[c]) / o.Std[c];
                            int at = o.Layout == "nchw" ? baseIndex + (c * plane) + (y * w) + x : baseIndex + (((y * w) + x) * 3) + c;
                            data[at] = v;
                        }
                    }
                }
            });
        }

        shape = o.Layout == "nchw" ? [files.Count, 3, h, w] : [files.Count, h, w, 3];
        return data;
    }

    private static Image<Rgb24> Decode(string path)
    {
        try
        {
            var info = Image.Identify(path) ?? throw new OnnxException($"image '{path}': not an image format ImageSharp reads");
            if (info.Width > MaxImageSide || info.Height > MaxImageSide)
            {
                throw new OnnxException($"image '{path}': {info.Width}x{info.Height} is larger than {MaxImageSide} pixels on a side");
            }

            return Image.Load<Rgb24>(path);
        }
        catch (Exception ex) when (ex is UnknownImageFormatException or InvalidImageContentException or ImageFormatException)
        {
            throw new OnnxException($"image '{path}': {ex.Message}", ex);
        }
    }
}
