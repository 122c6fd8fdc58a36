using Repro.Engine;
using Repro.Engine.Backends;
using Xunit.Sdk;

namespace Repro.Backends.Conformance.Tests;

/// <summary>
/// The suite must be able to fail: a backend with one kernel changed on purpose (an order or a rounding that is
/// close but not canonical) fails the test that covers that kernel, and only with a bit difference.
/// </summary>
public sealed class PlantedFaultTests
{
    /// <summary>A near miss planted in one managed kernel.</summary>
    public enum Fault
    {
        /// <summary>A float32 sum added left to right instead of in chunks, lanes and trees.</summary>
        SequentialSum,

        /// <summary>A float32 matmul that rounds each product before adding it.</summary>
        UnfusedMatMul,

        /// <summary>A float32 max that returns -0 where the row's max is +0.</summary>
        MaxIgnoresSignedZero,
    }

    [Theory]
    [InlineData(Fault.SequentialSum)]
    [InlineData(Fault.UnfusedMatMul)]
    [InlineData(Fault.MaxIgnoresSignedZero)]
    public void A_planted_fault_fails_the_test_that_covers_its_kernel(Fault fault)
    {
        var suite = new BackendConformance();
        string backend = Planted.Open(fault);
        Action covering = fault == Fault.UnfusedMatMul
            ? () => suite.MatMulMatchesReferenceForEveryDtypeAndShape(backend)
            : () => suite.ReductionsMatchReferenceForEveryOpDtypeAndLength(backend);
        var e = Assert.ThrowsAny<XunitException>(covering);
        Assert.Contains("differs", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_managed_backend_itself_passes_the_same_tests()
    {
        var suite = new BackendConformance();
        suite.ReductionsMatchReferenceForEveryOpDtypeAndLength("managed");
        suite.MatMulMatchesReferenceForEveryDtypeAndShape("managed");
    }

    /// <summary>Managed, with one kernel replaced by a near miss.</summary>
    private sealed class Planted : ManagedBackend
    {
        private readonly Fault fault;

        private Planted(Fault fault) => this.fault = fault;

        public override string Name => "planted-" + fault;

        public static string Open(Fault fault)
        {
            var backend = new Planted(fault);
            ConformanceBackends.Unlisted[backend.Name] = backend;
            return backend.Name;
        }

        protected override void ReduceCore(ReduceOp op, Storage x, int rows, int n, Storage y)
        {
            base.ReduceCore(op, x, rows, n, y);
            if (x.DType != DType.Float32)
            {
                return;
            }

            var xs = (float[])((HostStorage)x).Data;
            var ys = (float[])((HostStorage)y).Data;
            for (int r = 0; r < rows; r++)
            {
                if (fault == Fault.SequentialSum && op == ReduceOp.Sum)
                {
                    float acc = 0f;
                    for (int i = 0; i < n; i++)
                    {
                        acc += xs[(r * n) + i];
                    }

                    ys[r] = acc;
                }
                else if (fault == Fault.MaxIgnoresSignedZero && op == ReduceOp.Max && ys[r] == 0f)
                {
                    ys[r] = -0f;
                }
            }
        }

        protected override void MatMulCore(Storage a, Storage b, Storage y, int batch, int m, int k, int n)
        {
            base.MatMulCore(a, b, y, batch, m, k, n);
            if (fault != Fault.UnfusedMatMul || y.DType != DType.Float32)
            {
                return;
            }

            var af = (float[])((HostStorage)a).Data;
            var bf = (float[])((HostStorage)b).Data;
            var yf = (float[])((HostStorage)y).Data;
            for (int p = 0; p < batch; p++)
            {
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < n; j++)
                    {
                        float acc = 0f;
                        for (int q = 0; q < k; q++)
                        {
                            float product = af[(p * m * k) + (i * k) + q] * bf[(p * k * n) + (q * n) + j];
                            acc += product;
                        }

                        yf[(p * m * n) + (i * n) + j] = acc;
                    }
                }
            }
        }
    }
}
