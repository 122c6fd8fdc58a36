using Repro.Engine;
using Repro.Engine.Backends;
using Repro.Recorder;

namespace Repro.Backends.Ilgpu.Tests;

/// <summary>The dispatcher is process-wide: a recording must not take in the ops of tests running beside it.</summary>
[CollectionDefinition("recording", DisableParallelization = true)]
public sealed class RecordingCollection;

/// <summary>
/// Recording ops whose tensors live on a device: the recorder copies device outputs, and device inputs it has not
/// queued before (leaves), to the host on the issuing thread when it queues the op, so its writer never touches the
/// device and an in-place write after that cannot change what the log says.
/// </summary>
[Collection("recording")]
public sealed class DeviceRecordingTests
{
    [Fact]
    public void A_recording_on_the_ilgpu_cpu_backend_logs_the_hashes_the_managed_backend_logs()
    {
        var root = Path.Combine(Path.GetTempPath(), "repro-device-rec-" + Guid.NewGuid().ToString("N"));
        try
        {
            var managed = Record(ManagedBackend.Instance, Path.Combine(root, "managed.repro"));
            var device = Record(IlgpuBackends.Cpu, Path.Combine(root, "ilgpu.repro"));
            Assert.Equal(managed.Leaves, device.Leaves);
            Assert.Equal(managed.Ops.Count, device.Ops.Count);
            Assert.True(device.Ops.Count >= 8, $"{device.Ops.Count} ops");
            for (int i = 0; i < managed.Ops.Count; i++)
            {
                Assert.Equal(managed.Ops[i], device.Ops[i]);
            }
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    private static (List<string> Leaves, List<string> Ops) Record(Backend backend, string log)
    {
        // Made before the recording, so leaves: the writer stores them by value.
        var w = Tensor.FromArray([0.5f, -1f, 2f, 0.25f, 1.5f, -0.75f, 3f, 1f, -2f, 0.125f, 4f, -0.5f], [3, 4]).To(backend);
        var x = Tensor.FromArray([1f, 2f, -3f, 0.5f, 0f, 1f], [2, 3]).To(backend);
        using (Recorder.Recorder.Start(log, new RecorderOptions { Backend = backend }))
        {
            for (int step = 0; step < 4; step++)
            {
                var y = x.MatMul(w).Add(0.5).Mul(x.Sum(1, keepdim: true));

                // In place, while the ops that read w may still be queued: the log must keep w's value before.
                w.Assign(w.Sub(y.Sum(0).Mul(0.01)));
            }
        }

        using var reader = LogReader.Open(log);
        var entries = reader.Entries().ToList();
        return (
            [.. entries.OfType<LeafRecord>().Select(l => l.Tensor.Hash)],
            [.. entries.OfType<OpRecord>().Select(o => $"{o.Op} {o.Output.Hash}")]);
    }
}
