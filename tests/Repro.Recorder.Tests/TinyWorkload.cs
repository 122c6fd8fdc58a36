using Repro.Engine;

namespace Repro.Recorder.Tests;

/// <summary>A few steps of a two-layer network trained by hand-written gradients: matmul, add, relu, sum, assign, views.</summary>
internal static class TinyWorkload
{
    public static double Run(ulong seed = 7, int steps = 3, int batch = 8, int features = 6, int hidden = 5)
    {
        var g = new Generator(seed);
        var data = new float[batch * features];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = ((i * 37) % 11 - 5) / 4f;
        }

        var x = Tensor.FromArray(data, [batch, features]);
        var y = Tensor.FromArray([.. Enumerable.Range(0, batch).Select(i => (float)(i % 3))], [batch, 1]);
        var w1 = Tensor.Randn([features, hidden], g).Mul(0.3);
        var b1 = Tensor.Zeros([hidden]);
        var w2 = Tensor.Rand([hidden, 1], g).Sub(0.5);
        double loss = 0;
        for (int s = 0; s < steps; s++)
        {
            var h = x.MatMul(w1).Add(b1);
            var a = h.Relu();
            var pred = a.MatMul(w2);
            var err = pred.Sub(y);
            loss = err.Square().Mean().Item();

            // Gradients of mean squared error, by hand.
            var dpred = err.Mul(2.0 / batch);
            var dw2 = a.Transpose().MatMul(dpred);
            var da = dpred.MatMul(w2.Transpose());
            var dh = da.Mul(h.Gt(0.0).To(DType.Float32));
            var dw1 = x.Transpose().MatMul(dh);
            var db1 = dh.Sum(0);
            w1.Assign(w1.Sub(dw1.Mul(0.1)));
            b1.Assign(b1.Sub(db1.Mul(0.1)));
            w2.Assign(w2.Sub(dw2.Mul(0.1)));
        }

        return loss;
    }
}
