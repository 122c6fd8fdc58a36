using Repro.Engine.Numerics;

namespace Repro.Nn;

/// <summary>A learning rate as a function of the optimizer step (0-based), computed in double on the host.</summary>
public interface ILearningRateSchedule
{
    /// <summary>The learning rate for step <paramref name="step"/>.</summary>
    double At(long step);
}

/// <summary>lr = base * gamma^(step / stepSize), integer division.</summary>
public sealed class StepLR(double baseRate, int stepSize, double gamma = 0.1) : ILearningRateSchedule
{
    private readonly int stepSize = stepSize > 0 ? stepSize : throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "step_lr: step size must be positive");

    /// <inheritdoc/>
    public double At(long step) => baseRate * DetMath.Pow(gamma, Math.Max(step, 0) / stepSize);
}

/// <summary>
/// Linear warm-up over <paramref name="warmup"/> steps, then cosine decay from base to <paramref name="minRate"/> at
/// <paramref name="totalSteps"/> (and flat after).
/// </summary>
public sealed class CosineLR(double baseRate, long totalSteps, double minRate = 0.0, long warmup = 0) : ILearningRateSchedule
{
    /// <inheritdoc/>
    public double At(long step)
    {
        if (step < warmup)
        {
            return baseRate * (step + 1) / warmup;
        }

        long span = Math.Max(totalSteps - warmup, 1);
        double progress = Math.Min((double)(step - warmup) / span, 1.0);
        return minRate + ((baseRate - minRate) * 0.5 * (1.0 + DetMath.Cos(Math.PI * progress)));
    }
}
