using System.Runtime.CompilerServices;
using Repro.Engine;
using Repro.Engine.Numerics;

namespace Repro.Nn;

/// <summary>
/// Base of the optimizers. <see cref="Step"/> computes each parameter's new value (and new state) with recorded
/// ops outside grad mode, then rebinds the parameter to it: no buffer is ever written in place, so every update is
/// visible in a recording and a replay needs no in-place semantics. Parameters without a gradient are skipped.
/// </summary>
public abstract class Optimizer
{
    private readonly Parameter[] parameters;

    /// <summary>Takes the parameters in a fixed order (usually <see cref="Module.Parameters"/>).</summary>
    protected Optimizer(IEnumerable<Parameter> parameters, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        this.parameters = [.. parameters];
        LearningRate = learningRate;
    }

    /// <summary>The current learning rate (a schedule sets it before each step).</summary>
    public double LearningRate { get; set; }

    /// <summary>Steps taken.</summary>
    public long StepCount { get; private set; }

    /// <summary>The parameters, in order.</summary>
    public IReadOnlyList<Parameter> Parameters => parameters;

    /// <summary>Updates every parameter that has a gradient.</summary>
    /// <remarks>The caller-information parameters locate the built-in optimizers' ops at this call; leave them out.</remarks>
    public void Step([CallerFilePath] string file = "", [CallerLineNumber] int line = 0, [CallerMemberName] string member = "")
    {
        StepCount++;
        using var noGrad = Autograd.NoGrad();

        // The built-in optimizers run no user code in Update, so all their ops are located at the call to Step (from
        // the caller information, or failing that by one stack walk); a user's subclass may, so its ops are located
        // one by one.
        bool builtIn = GetType().Assembly == typeof(Optimizer).Assembly;
        using var site = builtIn ? Dispatcher.Site(file, line, member) : default;
        using var caller = builtIn ? Dispatcher.LibraryCall() : default;
        bool observed = Dispatcher.IsObserved;
        string type = GetType().Name;
        for (int i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            if (p.Grad is { } g)
            {
                // Each parameter's update runs in a module scope named after the parameter ("0.weight (Adam)"), so a
                // report can tell which layer's update an op belongs to.
                using var scope = observed ? Dispatcher.AtModule(new OpModule(p.Name ?? i.ToString(System.Globalization.CultureInfo.InvariantCulture), type)) : default;
                p.Value = Update(i, p.Value, g);
            }
        }
    }

    /// <summary>Clears every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var p in parameters)
        {
            p.Value.Grad = null;
        }
    }

    /// <summary>The optimizer state as ordered (name, tensor) pairs: "step", then per-parameter buffers "{index}.{buffer}".</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> StateDict()
    {
        var list = new List<KeyValuePair<string, Tensor>>
        {
            new("step", Tensor.FromArray(new[] { (double)StepCount }, [1])),
        };
        for (int i = 0; i < parameters.Length; i++)
        {
            foreach (var (name, t) in Buffers(i))
            {
                list.Add(new($"{i}.{name}", t));
            }
        }

        return list;
    }

    /// <summary>Restores state written by <see cref="StateDict"/>.</summary>
    public void LoadStateDict(IReadOnlyList<KeyValuePair<string, Tensor>> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var step = state.FirstOrDefault(s => s.Key == "step").Value ?? throw new KeyNotFoundException("optimizer state: 'step' is missing");
        StepCount = (long)step.Item();
        for (int i = 0; i < parameters.Length; i++)
        {
            string prefix = $"{i}.";
            SetBuffers(i, [.. state.Where(s => s.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(s => new KeyValuePair<string, Tensor>(s.Key[prefix.Length..], s.Value))]);
        }
    }

    /// <summary>The new value of parameter <paramref name="index"/> from its value and gradient (runs outside grad mode).</summary>
    protected abstract Tensor Update(int index, Tensor value, Tensor grad);

    /// <summary>The named state buffers of parameter <paramref name="index"/> (none when it has not been updated yet).</summary>
    protected abstract IEnumerable<KeyValuePair<string, Tensor>> Buffers(int index);

    /// <summary>Restores the buffers of parameter <paramref name="index"/>.</summary>
    protected abstract void SetBuffers(int index, IReadOnlyList<KeyValuePair<string, Tensor>> buffers);

    /// <summary>The buffer named <paramref name="name"/>, or null.</summary>
    protected static Tensor? Find(IReadOnlyList<KeyValuePair<string, Tensor>> buffers, string name) =>
        buffers?.FirstOrDefault(b => b.Key == name).Value;
}

/// <summary>
/// SGD with optional momentum and L2 weight decay, as in PyTorch: g = grad + wd * p; buf = momentum * buf + g
/// (buf = g on the first step); p = p - lr * buf.
/// </summary>
public sealed class Sgd(IEnumerable<Parameter> parameters, double learningRate, double momentum = 0.0, double weightDecay = 0.0)
    : Optimizer(parameters, learningRate)
{
    private readonly Dictionary<int, Tensor> velocity = [];

    /// <summary>Momentum factor.</summary>
    public double Momentum { get; } = momentum;

    /// <summary>L2 penalty factor.</summary>
    public double WeightDecay { get; } = weightDecay;

    /// <inheritdoc/>
    protected override Tensor Update(int index, Tensor value, Tensor grad)
    {
        var g = WeightDecay != 0.0 ? grad + (value * WeightDecay) : grad;
        if (Momentum != 0.0)
        {
            g = velocity.TryGetValue(index, out var buf) ? (buf * Momentum) + g : g;
            velocity[index] = g;
        }

        return value - (g * LearningRate);
    }

    /// <inheritdoc/>
    protected override IEnumerable<KeyValuePair<string, Tensor>> Buffers(int index) =>
        velocity.TryGetValue(index, out var v) ? [new("momentum", v)] : [];

    /// <inheritdoc/>
    protected override void SetBuffers(int index, IReadOnlyList<KeyValuePair<string, Tensor>> buffers)
    {
        velocity.Remove(index);
        if (Find(buffers, "momentum") is { } v)
        {
            velocity[index] = v;
        }
    }
}

/// <summary>
/// Adam (Kingma and Ba) with bias correction: m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
/// p = p - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps). Weight decay is L2 (added to g) unless decoupled (AdamW).
/// </summary>
public class Adam : Optimizer
{
    private readonly Dictionary<int, (Tensor M, Tensor V)> moments = [];

    /// <summary>Creates the optimizer.</summary>
    public Adam(IEnumerable<Parameter> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.0)
        : this(parameters, learningRate, beta1, beta2, eps, weightDecay, decoupled: false)
    {
    }

    /// <summary>Creates the optimizer with L2 or decoupled weight decay.</summary>
    protected Adam(IEnumerable<Parameter> parameters, double learningRate, double beta1, double beta2, double eps, double weightDecay, bool decoupled)
        : base(parameters, learningRate)
    {
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
        Decoupled = decoupled;
    }

    /// <summary>First-moment decay.</summary>
    public double Beta1 { get; }

    /// <summary>Second-moment decay.</summary>
    public double Beta2 { get; }

    /// <summary>Added to the denominator.</summary>
    public double Eps { get; }

    /// <summary>Weight-decay factor.</summary>
    public double WeightDecay { get; }

    /// <summary>True for AdamW's decoupled decay: p = p - lr wd p before the Adam step.</summary>
    public bool Decoupled { get; }

    /// <inheritdoc/>
    protected override Tensor Update(int index, Tensor value, Tensor grad)
    {
        var g = grad;
        var p = value;
        if (WeightDecay != 0.0)
        {
            if (Decoupled)
            {
                p *= 1.0 - (LearningRate * WeightDecay);
            }
            else
            {
                g += p * WeightDecay;
            }
        }

        Tensor m;
        Tensor v;
        if (moments.TryGetValue(index, out var prev))
        {
            m = (prev.M * Beta1) + (g * (1.0 - Beta1));
            v = (prev.V * Beta2) + (g.Square() * (1.0 - Beta2));
        }
        else
        {
            m = g * (1.0 - Beta1);
            v = g.Square() * (1.0 - Beta2);
        }

        moments[index] = (m, v);
        double t = StepCount;
        double c1 = 1.0 - DetMath.Pow(Beta1, t);
        double c2 = 1.0 - DetMath.Pow(Beta2, t);
        var denom = (v * (1.0 / c2)).Sqrt() + Eps;
        return p - (m * (LearningRate / c1) / denom);
    }

    /// <inheritdoc/>
    protected override IEnumerable<KeyValuePair<string, Tensor>> Buffers(int index) =>
        moments.TryGetValue(index, out var mv) ? [new("exp_avg", mv.M), new("exp_avg_sq", mv.V)] : [];

    /// <inheritdoc/>
    protected override void SetBuffers(int index, IReadOnlyList<KeyValuePair<string, Tensor>> buffers)
    {
        moments.Remove(index);
        if (Find(buffers, "exp_avg") is { } m && Find(buffers, "exp_avg_sq") is { } v)
        {
            moments[index] = (m, v);
        }
    }
}

/// <summary>AdamW (Loshchilov and Hutter): Adam with weight decay decoupled from the gradient.</summary>
public sealed class AdamW(IEnumerable<Parameter> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01)
    : Adam(parameters, learningRate, beta1, beta2, eps, weightDecay, decoupled: true);
