using System.Collections.Concurrent;

namespace Repro.Engine.Backends;

/// <summary>
/// Arrays of collected outputs, kept for the next output of the same type and length: the managed backend's answer
/// to what a fresh large array costs. The runtime gets a large array's memory from the OS, and on a virtual machine
/// each first touch of a 4 KB page costs about 15 us (measured on the dev VM: 15 us against 0.03 us for a page already
/// in use), so a 256 KB matmul output cost 0.75 ms to fault in against 0.2 ms to compute.
/// </summary>
/// <remarks>
/// <para>An array returns here only through its <see cref="BufferLease"/>'s finalizer, that is once the storage that
/// held it is unreachable, and never when anyone was given the array itself (<see cref="HostStorage.Data"/>). Engine
/// kernels read arrays through <see cref="HostStorage.Raw"/> while the backend method that runs them keeps the storage
/// reachable. Outputs from here are uninitialized (their old contents stay), which the kernels that receive them
/// overwrite whole (<see cref="Backend.AllocateOutput"/>); results never depend on the cache.</para>
/// <para>Only arrays of at least <see cref="MinElements"/> elements are cached (smaller ones are cheap for the GC), and
/// at most <c>REPRO_BUFFER_CACHE_MB</c> (default 1024; 0 turns the cache off) are held at once. Arrays come back only
/// after a collection finds their storages dead, and large arrays alone rarely trigger one, so the cache asks for
/// blocking collections of the young generations and waits for the finalizers they start: in a loop, at a miss once
/// every <see cref="MinLeases"/> outputs; otherwise after some megabytes of new arrays (see <see cref="Rent"/>).</para>
/// </remarks>
internal static class BufferCache
{
    /// <summary>Arrays shorter than this come from the GC as usual (64 KB of float32).</summary>
    public const int MinElements = 16 * 1024;

    // Outputs after which a miss asks for a collection while collections pay off: enough that a loop's collections
    // are few (one per this many large outputs), few enough that the arrays in circulation stay few.
    private const int MinLeases = 8;

    private const long MinCollectAfter = 1L << 20;
    private const long MaxCollectAfter = 256L << 20;

    private static readonly ConcurrentDictionary<(Type Element, int Length), ConcurrentStack<Array>> Free = new();
    private static long capacityBytes = CapacityFromEnvironment();
    private static long heldBytes;
    private static long hits;
    private static long returned;

    // Since the last collection the cache asked for: outputs handed out (count and bytes), new memory taken, and what
    // finalizers gave back; whether that collection gave back at least half of what had been handed out before it;
    // the new memory after which the next one is asked for when it did not.
    private static long leasesSinceCollect;
    private static long leasedBytes;
    private static long freshBytes;
    private static long returnedBytes;
    private static volatile bool paidOff;
    private static long collectAfter = 2L << 20;

    /// <summary>Bytes the cache may hold (0: off).</summary>
    public static long CapacityBytes
    {
        get => Interlocked.Read(ref capacityBytes);
        set
        {
            Interlocked.Exchange(ref capacityBytes, Math.Max(0, value));
            if (value <= 0)
            {
                Clear();
            }
        }
    }

    /// <summary>Outputs served from the cache since the process started (for tests).</summary>
    public static long Hits => Interlocked.Read(ref hits);

    /// <summary>Arrays given back by finalizers since the process started (for tests).</summary>
    public static long Returned => Interlocked.Read(ref returned);

    /// <summary>A storage for an output of <paramref name="length"/> elements: a cached array when one fits, else a new uninitialized one.</summary>
    public static HostStorage Rent(Backend backend, DType dtype, int length)
    {
        var key = (ElementType(dtype), length);
        long bytes = (long)length * dtype.SizeOf();
        if (CapacityBytes > 0)
        {
            long leases = Interlocked.Increment(ref leasesSinceCollect);
            Interlocked.Add(ref leasedBytes, bytes);
            if (TryPop(key, dtype) is { } hit)
            {
                return new HostStorage(backend, dtype, new BufferLease(hit));
            }

            // Arrays come back only when a collection finds their storages dead, and large arrays alone rarely start
            // one, so the cache asks for collections of the young generations (where the leases of outputs that died
            // since the last one are) and waits for the finalizers that give the arrays back. While collections pay
            // off (a loop: most of what was handed out came back), it asks at the first miss after a few outputs
            // (MinLeases), so that a loop settles on a fixed set of arrays it has already touched; otherwise (results
            // being kept) once enough new memory was taken, a distance doubled after each collection that gave little
            // back and halved after one that gave much, between 1 MB and 256 MB.
            if ((paidOff && leases >= MinLeases) || Interlocked.Add(ref freshBytes, bytes) > Interlocked.Read(ref collectAfter))
            {
                Collect();
                if (TryPop(key, dtype) is { } reclaimed)
                {
                    return new HostStorage(backend, dtype, new BufferLease(reclaimed));
                }
            }
        }

        return new HostStorage(backend, dtype, new BufferLease(HostStorage.NewUninitializedArray(dtype, length)));
    }

    private static void Collect()
    {
        long leased = Interlocked.Exchange(ref leasedBytes, 0);
        Interlocked.Exchange(ref leasesSinceCollect, 0);
        Interlocked.Exchange(ref freshBytes, 0);
        Interlocked.Exchange(ref returnedBytes, 0);
        GC.Collect(1, GCCollectionMode.Forced, blocking: true);

        // The leases' finalizers give the arrays back on the finalizer thread; wait for them, so the output that asked
        // gets one (a no-op when called from a finalizer).
        GC.WaitForPendingFinalizers();
        paidOff = Interlocked.Read(ref returnedBytes) >= leased / 2;
        long now = Interlocked.Read(ref collectAfter);
        Interlocked.Exchange(ref collectAfter, Math.Clamp(paidOff ? now / 2 : now * 2, MinCollectAfter, MaxCollectAfter));
    }

    private static Array? TryPop((Type, int) key, DType dtype)
    {
        if (Free.TryGetValue(key, out var stack) && stack.TryPop(out var array))
        {
            Interlocked.Add(ref heldBytes, -Bytes(array));
            Interlocked.Increment(ref hits);
            HostStorage.PoisonIfAsked(array, dtype);
            return array;
        }

        return null;
    }

    private static Type ElementType(DType dtype) => dtype switch
    {
        DType.Float32 => typeof(float),
        DType.Float64 => typeof(double),
        DType.Int32 => typeof(int),
        _ => typeof(ushort),
    };

    /// <summary>Takes back an array whose storage was collected, unless the cache is full or off.</summary>
    public static void Return(Array array)
    {
        Interlocked.Increment(ref returned);
        long size = Bytes(array);
        Interlocked.Add(ref returnedBytes, size);
        if (Interlocked.Add(ref heldBytes, size) > CapacityBytes)
        {
            Interlocked.Add(ref heldBytes, -size);
            return;
        }

        Free.GetOrAdd((array.GetType().GetElementType()!, array.Length), _ => new ConcurrentStack<Array>()).Push(array);
    }

    /// <summary>Drops every cached array (they go back to the GC).</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reproducibility", "RPR2006", Justification = "Every stack is emptied; the order of emptying cannot reach a result.")]
    public static void Clear()
    {
        foreach (var stack in Free.Values)
        {
            while (stack.TryPop(out var array))
            {
                Interlocked.Add(ref heldBytes, -Bytes(array));
            }
        }
    }

    private static long Bytes(Array array) => (long)array.Length * System.Runtime.InteropServices.Marshal.SizeOf(array.GetType().GetElementType()!);

    private static long CapacityFromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable("REPRO_BUFFER_CACHE_MB");
        return long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long mb) && mb >= 0 && mb <= 1L << 30
            ? mb << 20
            : 1024L << 20;
    }
}

/// <summary>
/// The claim of one <see cref="HostStorage"/> on a cacheable array: when the storage (its only holder) is collected,
/// the finalizer gives the array back to <see cref="BufferCache"/>, unless the array was handed out.
/// </summary>
internal sealed class BufferLease(Array array)
{
    private volatile bool exposed;

    /// <summary>The array.</summary>
    public Array Array { get; } = array;

    /// <summary>Marks the array as given away: it never returns to the cache.</summary>
    public void Expose() => exposed = true;

    /// <summary>Gives the array back once nothing can reach the storage that held it.</summary>
    ~BufferLease()
    {
        if (!exposed)
        {
            BufferCache.Return(Array);
        }
    }
}
