namespace Repro.Analyzers.Tests.Infrastructure;

/// <summary>Minimal stand-ins for library types the rules recognize by metadata name (ILGPU, TensorPrimitives).</summary>
public static class Stubs
{
    public const string Ilgpu = """
        namespace ILGPU
        {
            public struct Index1D { public int X => 0; public static implicit operator int(Index1D i) => i.X; }
            public static class Atomic
            {
                public static float Add(ref float target, float value) => target;
                public static double Add(ref double target, double value) => target;
                public static int Add(ref int target, int value) => target;
            }
            public static class Grid { public static int GlobalLinearIndex => 0; }
        }
        namespace ILGPU.Runtime
        {
            public struct ArrayView<T> where T : unmanaged
            {
                public ref T this[int index] => throw null!;
                public int Length => 0;
            }
        }
        namespace ILGPU.Algorithms
        {
            public static class XMath
            {
                public static float Sin(float x) => x;
                public static float Exp(float x) => x;
                public static float Sqrt(float x) => x;
                public static float Abs(float x) => x;
                public static float Rcp(float x) => x;
                public static double Rcp(double x) => x;
                public static float Rsqrt(float x) => x;
                public static double Rsqrt(double x) => x;
            }
        }
        namespace ILGPU.Runtime.Cuda
        {
            public static class LibDevice
            {
                public static float Exp(float x) => x;
                public static double Erf(double x) => x;
                public static float Sqrt(float x) => x;
                public static float Fma(float a, float b, float c) => a;
            }
        }
        """;

    /// <summary>The shapes of ML.NET, TorchSharp and ONNX Runtime types that the machine-learning rules recognize.</summary>
    public const string MachineLearning = """
        namespace Microsoft.ML
        {
            public sealed class MLContext { public MLContext(int? seed = null) { } }
        }
        namespace TorchSharp
        {
            public static partial class torch
            {
                public sealed class Device { }
                public static partial class utils
                {
                    public static partial class data
                    {
                        public abstract class Dataset { }
                        public sealed class DataLoader
                        {
                            public DataLoader(Dataset dataset, int batchSize, System.Collections.Generic.IEnumerable<long> shuffler, Device device = null, int num_worker = 1) { }
                            public DataLoader(Dataset dataset, int batchSize, bool shuffle = false, Device device = null, int? seed = null, int num_worker = 1) { }
                        }
                    }
                }
            }
        }
        namespace Microsoft.ML.OnnxRuntime
        {
            public sealed class SessionOptions
            {
                public int IntraOpNumThreads { get; set; }
                public int InterOpNumThreads { get; set; }
            }
            public sealed class InferenceSession
            {
                public InferenceSession(string modelPath) { }
                public InferenceSession(string modelPath, SessionOptions options) { }
            }
        }
        """;

    public const string Tensors = """
        namespace System.Numerics.Tensors
        {
            public static class TensorPrimitives
            {
                public static float Sum(System.ReadOnlySpan<float> x) => 0;
                public static float Dot(System.ReadOnlySpan<float> x, System.ReadOnlySpan<float> y) => 0;
                public static float Norm(System.ReadOnlySpan<float> x) => 0;
                public static void Add(System.ReadOnlySpan<float> x, System.ReadOnlySpan<float> y, System.Span<float> d) { }
            }
        }
        """;
}
