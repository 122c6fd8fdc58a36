using Repro.Engine.Backends;
using Repro.Samples;

namespace Repro.Backends.Ilgpu.Tests;

/// <summary>Whole training steps (forward, backward, optimizer) of a real sample give the same parameters on both backends.</summary>
public sealed class TrainingHashTests
{
    [Fact]
    public void DigitsMlpStepsGiveTheSameParameterHashOnTheCpuAccelerator()
    {
        var workload = Workloads.Get("digits-mlp");
        var managed = workload.Run(new WorkloadOptions(Seed: 0, Steps: 5, Backend: ManagedBackend.Instance));
        var ilgpu = workload.Run(new WorkloadOptions(Seed: 0, Steps: 5, Backend: IlgpuBackends.Cpu));
        Assert.Equal(managed.Steps, ilgpu.Steps);
        Assert.Equal(managed.ParameterHash, ilgpu.ParameterHash);
    }
}
