namespace Repro.Engine;

/// <summary>
/// Runs code live under a <see cref="PrecisionPolicy"/>, like an autocast scope:
/// <c>using (Autocast.Use(policy)) { ... }</c>. Inside it, on this thread, every op that computes (elementwise,
/// reductions, matmul, index ops, copies that make a new tensor, and creations at the policy's low dtype) runs in the
/// dtype the policy gives it: its float32 or low-dtype inputs are first converted by an explicit <c>cast</c> op,
/// which autograd differentiates like any other, and its output has that dtype. Views keep their input's dtype;
/// <c>assign</c> converts the source to the target's dtype. Ops the user's program makes at another dtype (int32
/// indices, an explicit float64) are left alone.
/// </summary>
/// <remarks>
/// The policy sees each op's name, phase, the source location of the public API call that issued it (operators, whose
/// location a recorder resolves from the stack, are seen with none), and a sequence number: the dispatcher's next one
/// minus the casts the scope added, that is the number the op had in the same program run without the scope. Rules
/// by sequence number therefore match a recording of that program that started with the process (as
/// <c>repro run</c> records), and only while the program issues the same ops.
/// </remarks>
public static class Autocast
{
    [ThreadStatic]
    private static Frame? active;

    /// <summary>The policy in force on this thread, or null.</summary>
    public static PrecisionPolicy? Current => active?.Policy;

    /// <summary>Cast ops the innermost scope on this thread has added so far.</summary>
    public static long CastsAdded => active?.Casts ?? 0;

    /// <summary>Runs the ops issued on this thread under <paramref name="policy"/> until the scope is disposed (scopes nest; the innermost wins).</summary>
    public static PrecisionScope Use(PrecisionPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var frame = new Frame(policy, active, active?.Casts ?? 0);
        active = frame;
        return new PrecisionScope(frame);
    }

    internal static bool IsActive => active is not null;

    /// <summary>The dtype the policy gives the op about to be issued (row <paramref name="row"/>).</summary>
    internal static DType Decide(OpInfo row)
    {
        var f = active!;
        long seq = Dispatcher.NextSeq - f.Casts;
        return f.Policy.ComputeDType(new PrecisionOp(row.Name, seq, Dispatcher.CurrentPhase, Dispatcher.CurrentSite, Dispatcher.CurrentModule?.Path));
    }

    /// <summary>True when <paramref name="dtype"/> is one the policy converts (float32 or its low dtype).</summary>
    internal static bool Converts(DType dtype) =>
        active is { } f && (dtype == DType.Float32 || dtype == f.Policy.LowDType);

    /// <summary>The dtype a creation op asked for <paramref name="dtype"/> makes under the policy.</summary>
    internal static DType Creation(OpInfo row, DType dtype) =>
        active is { } f && dtype == f.Policy.LowDType ? Decide(row) : dtype;

    /// <summary><paramref name="x"/> converted to <paramref name="dtype"/> by a cast op, when the policy converts its dtype.</summary>
    internal static Tensor Convert(Tensor x, DType dtype)
    {
        if (x.DType == dtype || !Converts(x.DType))
        {
            return x;
        }

        var f = active!;
        f.Casts++;

        // The cast itself is not subject to the policy (it is not one of the funnels).
        return OpCore.Cast(x, dtype);
    }

    /// <summary>The one input of a computing op, converted to the dtype the policy gives the op.</summary>
    internal static Tensor Input(OpInfo row, Tensor x) => IsActive ? Convert(x, Decide(row)) : x;

    /// <summary>Both inputs of a computing op, converted to the dtype the policy gives the op.</summary>
    internal static (Tensor A, Tensor B) Inputs(OpInfo row, Tensor a, Tensor b)
    {
        if (!IsActive)
        {
            return (a, b);
        }

        var dt = Decide(row);
        return (Convert(a, dt), Convert(b, dt));
    }

    /// <summary>Ends a scope opened by <see cref="Use"/>.</summary>
    public sealed class PrecisionScope : IDisposable
    {
        private readonly Frame frame;
        private bool disposed;

        internal PrecisionScope(Frame frame) => this.frame = frame;

        /// <inheritdoc/>
        public void Dispose()
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            if (ReferenceEquals(active, frame))
            {
                active = frame.Outer;
                if (frame.Outer is { } outer)
                {
                    outer.Casts = frame.Casts;
                }
            }
        }
    }

    internal sealed class Frame(PrecisionPolicy policy, Frame? outer, long casts)
    {
        public PrecisionPolicy Policy { get; } = policy;

        public Frame? Outer { get; } = outer;

        public long Casts { get; set; } = casts;
    }
}
