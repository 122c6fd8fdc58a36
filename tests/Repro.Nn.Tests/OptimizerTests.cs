using Repro.Engine;

namespace Repro.Nn.Tests;

public class OptimizerTests
{
    private static Parameter Param(params double[] values) => new(Tensor.FromArray(values, [values.Length]));

    private static void SetGrad(Parameter p, params double[] g) => p.Value.Grad = Tensor.FromArray(g, [g.Length]);

    [Fact]
    public void Sgd_with_momentum_and_weight_decay_follows_the_update_rule()
    {
        var p = Param(1.0, -2.0);
        var opt = new Sgd([p], learningRate: 0.1, momentum: 0.9, weightDecay: 0.01);
        double[] w = [1.0, -2.0];
        double[] buf = [0, 0];
        double[][] grads = [[0.5, 0.25], [-1.0, 2.0]];
        for (int step = 0; step < 2; step++)
        {
            SetGrad(p, grads[step]);
            opt.Step();
            for (int i = 0; i < 2; i++)
            {
                double g = grads[step][i] + (0.01 * w[i]);
                buf[i] = step == 0 ? g : (0.9 * buf[i]) + g;
                w[i] -= 0.1 * buf[i];
            }

            Assert.Equal(w, p.Value.ToDoubleArray(), new ToleranceComparer(1e-12));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Adam_and_AdamW_follow_the_update_rule(bool decoupled)
    {
        var p = Param(0.5, -1.5);
        Optimizer opt = decoupled ? new AdamW([p], 0.01, weightDecay: 0.1) : new Adam([p], 0.01, weightDecay: 0.1);
        double[] w = [0.5, -1.5];
        double[] m = [0, 0];
        double[] v = [0, 0];
        double[][] grads = [[0.3, -0.2], [0.1, 0.4], [-0.5, 0.05]];
        for (int t = 1; t <= 3; t++)
        {
            SetGrad(p, grads[t - 1]);
            opt.Step();
            for (int i = 0; i < 2; i++)
            {
                double g = grads[t - 1][i];
                if (decoupled)
                {
                    w[i] *= 1 - (0.01 * 0.1);
                }
                else
                {
                    g += 0.1 * w[i];
                }

                m[i] = (0.9 * m[i]) + (0.1 * g);
                v[i] = (0.999 * v[i]) + (0.001 * g * g);
                double mh = m[i] / (1 - Math.Pow(0.9, t));
                double vh = v[i] / (1 - Math.Pow(0.999, t));
                w[i] -= 0.01 * mh / (Math.Sqrt(vh) + 1e-8);
            }

            Assert.Equal(w, p.Value.ToDoubleArray(), new ToleranceComparer(1e-12));
        }
    }

    [Fact]
    public void Parameters_are_rebound_not_written_in_place()
    {
        var p = Param(1.0);
        var before = p.Value;
        SetGrad(p, 1.0);
        new Sgd([p], 0.5).Step();
        Assert.Equal(new[] { 1.0 }, before.ToDoubleArray());
        Assert.Equal(new[] { 0.5 }, p.Value.ToDoubleArray());
        Assert.True(p.Value.RequiresGrad && p.Value.IsLeaf);
    }

    [Fact]
    public void Schedules_give_step_and_cosine_rates()
    {
        var s = new StepLR(1.0, 10, 0.5);
        Assert.Equal(1.0, s.At(9));
        Assert.Equal(0.5, s.At(10));
        Assert.Equal(0.25, s.At(25));
        var c = new CosineLR(1.0, 110, minRate: 0.1, warmup: 10);
        Assert.Equal(0.1, c.At(0), 12);
        Assert.Equal(1.0, c.At(10), 12);
        Assert.Equal(0.55, c.At(60), 12);
        Assert.Equal(0.1, c.At(110), 12);
        Assert.Equal(0.1, c.At(500), 12);
    }

    private sealed class ToleranceComparer(double tol) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tol;

        public int GetHashCode(double obj) => 0;
    }
}
