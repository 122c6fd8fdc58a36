using System.Diagnostics;
using System.Reflection;

namespace Repro.Engine;

/// <summary>
/// The one place every op passes through, forward and backward. It numbers ops, attaches the caller's source
/// location, marks backward ops with the forward op they belong to, and tells the observers. The engine knows no
/// recorder: a recorder is just an <see cref="IOpObserver"/>.
/// </summary>
public static class Dispatcher
{
    private static readonly Assembly EngineAssembly = typeof(Dispatcher).Assembly;
    private static readonly object Gate = new();

    [ThreadStatic]
    private static SiteFrame? site;

    [ThreadStatic]
    private static StackSite? library;

    [ThreadStatic]
    private static StackSite? spareLibrary;

    [ThreadStatic]
    private static bool libraryCallsIgnored;

    [ThreadStatic]
    private static long stackWalks;

    [ThreadStatic]
    private static long backwardOf;

    [ThreadStatic]
    private static bool inBackward;

    [ThreadStatic]
    private static OpModule? module;

    // The logical thread name given with UseThreadName: an AsyncLocal, so tasks and threads started inside a scope
    // carry it. Read only once some scope was opened, so programs that name nothing pay nothing per op.
    private static readonly AsyncLocal<string?> ThreadName = new();
    private static volatile bool threadNamesUsed;

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(nint Method, int IlOffset), SourceLocation> SiteCache = new();
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Assembly, bool> RuntimeAssemblies = new();
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Assembly, bool> OptimizedAssemblies = new();

    private static IOpObserver[] observers = [];
    private static long nextSeq;

    // Source folders of library code, each ending with a separator; replaced as a whole under Gate.
    private static string[] librarySources = [SourceFolderOf(EngineSources.File)];

    /// <summary>The sequence number the next op will get.</summary>
    public static long NextSeq => Interlocked.Read(ref nextSeq);

    /// <summary>True when at least one observer is attached.</summary>
    public static bool IsObserved => Volatile.Read(ref observers).Length > 0;

    /// <summary>Additional assemblies whose frames are skipped when a source location is found from the stack (e.g. nn layers).</summary>
    public static ICollection<Assembly> LibraryAssemblies { get; } = new HashSet<Assembly>();

    /// <summary>
    /// Registers a library's source folder (the folder its compiler saw, as in <c>[CallerFilePath]</c>): a public API
    /// call made from a file under it opens no source-location scope, so the op is located like an operator call (the
    /// enclosing library scope, or the first frame on the stack outside the engine and <see cref="LibraryAssemblies"/>),
    /// that is, at the user's call into the library, not at a line inside it. The engine's own folder is registered.
    /// </summary>
    /// <param name="folder">An absolute folder, or a file in it whose folder is meant when <paramref name="isFile"/> is true.</param>
    /// <param name="isFile">True when <paramref name="folder"/> names a file (e.g. the caller's own <c>[CallerFilePath]</c>).</param>
    public static void AddLibrarySources(string folder, bool isFile = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var root = isFile ? SourceFolderOf(folder) : EndWithSeparator(folder);
        lock (Gate)
        {
            if (Array.IndexOf(librarySources, root) < 0)
            {
                librarySources = [.. librarySources, root];
            }
        }
    }

    /// <summary>Attaches an observer until the returned handle is disposed.</summary>
    public static IDisposable Observe(IOpObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        lock (Gate)
        {
            observers = [.. observers, observer];
        }

        return new Detach(observer);
    }

    /// <summary>
    /// Names the logical thread of the ops issued inside the scope, on this async flow (and in the tasks and threads
    /// started inside it, which inherit the name). A recorder writes the name with each op, so that a differ can
    /// compare the runs thread by thread whatever order the scheduler interleaved them in. Ops under one name form one
    /// logical thread: give code that runs at the same time distinct names. The name "main" is the thread that
    /// started the recording.
    /// </summary>
    /// <exception cref="ArgumentException">The name is null or empty.</exception>
    public static ThreadNameScope UseThreadName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        threadNamesUsed = true;
        var saved = ThreadName.Value;
        ThreadName.Value = name;
        return new ThreadNameScope(saved, true);
    }

    /// <summary>The name given with <see cref="UseThreadName"/> on this async flow, or null.</summary>
    public static string? CurrentThreadName => threadNamesUsed ? ThreadName.Value : null;

    /// <summary>Restarts sequence numbering at 0 (for a new recording in the same process).</summary>
    public static void ResetSequence() => Interlocked.Exchange(ref nextSeq, 0);

    /// <summary>
    /// Opens a source-location scope for a public API call (a call from a library's own sources, see
    /// <see cref="AddLibrarySources"/>, opens none). The outermost scope wins, so the ops inside a composite
    /// (softmax = max, sub, exp, sum, div) all carry the location of the user's call to softmax. A call without
    /// caller information (an empty file) opens none either, so its ops are located as an operator's are.
    /// </summary>
    public static SiteScope Site(string file, int line, string member)
    {
        if (site is not null || string.IsNullOrEmpty(file) || IsLibrarySource(file))
        {
            return default;
        }

        site = new SiteFrame(new SourceLocation(file, line, member));
        return new SiteScope(true);
    }

    /// <summary>
    /// Opens a scope for a call into code that only issues ops and runs no user code (no callbacks, no virtual calls
    /// that user types can override): an operator, a built-in layer, loss or optimizer. An op inside it that has no
    /// source location from an API call gets the location found from the stack, which is the same for every op in the
    /// scope (the first frame outside the engine and the library assemblies is the scope's caller, at the same call),
    /// so the stack is walked once for the whole scope, on its first such op, and only while an observer wants
    /// source locations. The outermost scope wins. Costs nothing measurable when nothing observes.
    /// </summary>
    public static LibraryCallScope LibraryCall()
    {
        if (library is not null || libraryCallsIgnored || Volatile.Read(ref observers).Length == 0)
        {
            return default;
        }

        var frame = spareLibrary ?? new StackSite();
        spareLibrary = null;
        frame.Resolved = false;
        library = frame;
        return new LibraryCallScope(frame);
    }

    /// <summary>Tests: on this thread, <see cref="LibraryCall"/> opens nothing, so every op without an API location walks the stack.</summary>
    internal static bool LibraryCallsIgnored
    {
        get => libraryCallsIgnored;
        set => libraryCallsIgnored = value;
    }

    /// <summary>Tests: stack walks for source locations on this thread so far.</summary>
    internal static long StackWalks => stackWalks;

    /// <summary>
    /// Opens a module scope: the ops issued inside it, on this thread, ran in module <paramref name="name"/> of type
    /// <paramref name="type"/> (a layer, a block, a graph node). Scopes nest and their names join with '.', so a
    /// scope "attn" inside "block1" inside "encoder" gives the path "encoder.block1.attn"; an empty name (the
    /// outermost module, which its parent did not name) adds nothing to the path but sets the type. Recorders write
    /// the path and type with each op, beside its source line. Costs nothing while nothing observes and no autocast
    /// policy is active.
    /// </summary>
    /// <param name="name">The module's name in its parent ("fc1", "0"), or empty.</param>
    /// <param name="type">The module's type ("Linear").</param>
    /// <exception cref="ArgumentNullException">A null name or type.</exception>
    /// <exception cref="ArgumentException">An empty type.</exception>
    public static ModuleScope Module(string name, string type)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentException.ThrowIfNullOrEmpty(type);

        // Module paths are kept while something reads them: an observer (a recorder) or an autocast policy, whose
        // rules may name modules.
        if (Volatile.Read(ref observers).Length == 0 && !Autocast.IsActive)
        {
            return default;
        }

        var saved = module;
        module = new OpModule(saved is null ? name : saved.Child(name), type);
        return new ModuleScope(saved, true);
    }

    /// <summary>
    /// Opens a scope in which ops run in exactly <paramref name="exactly"/> (null: in no module), whatever encloses it:
    /// for code that re-issues recorded ops (replay) and must give them the module they were recorded in.
    /// </summary>
    public static ModuleScope AtModule(OpModule? exactly)
    {
        var saved = module;
        module = exactly;
        return new ModuleScope(saved, true);
    }

    /// <summary>The module the next op on this thread runs in (see <see cref="Module"/>); null when none.</summary>
    public static OpModule? CurrentModule => module;

    /// <summary>Opens a scope in which every op is a backward op of forward op <paramref name="forwardSeq"/>, located at <paramref name="source"/>.</summary>
    public static BackwardScope Backward(long forwardSeq, SourceLocation source) => Backward(forwardSeq, source, module);

    /// <summary>
    /// Opens a scope in which every op is a backward op of forward op <paramref name="forwardSeq"/>, located at
    /// <paramref name="source"/> and run in the forward op's module <paramref name="forwardModule"/>.
    /// </summary>
    public static BackwardScope Backward(long forwardSeq, SourceLocation source, OpModule? forwardModule)
    {
        var saved = new BackwardScope(site, backwardOf, inBackward, module);
        site = new SiteFrame(source);
        module = forwardModule;
        backwardOf = forwardSeq;
        inBackward = true;
        return saved;
    }

    /// <summary>Reports one op (its row in the op table) to the observers and returns its sequence number.</summary>
    internal static long Emit(OpInfo op, OpAttributes attributes, Tensor[] inputs, Tensor[] outputs)
    {
        var current = Volatile.Read(ref observers);
        if (current.Length == 0)
        {
            return Number(op, attributes, inputs, outputs, site?.Location ?? SourceLocation.Unknown, module);
        }

        var source = site?.Location ?? (WantSources(current) ? (library is { } scope ? scope.Resolve() : FromStack()) : SourceLocation.Unknown);
        var phase = inBackward ? OpPhase.Backward : OpPhase.Forward;
        lock (Gate)
        {
            // Read again under the lock: once an observer's handle is disposed (under this lock), no op reaches it,
            // even one that was issued on another thread while it detached (a recording closed by a signal).
            current = observers;
            var currentModule = module;
            long seq = Number(op, attributes, inputs, outputs, source, currentModule);
            var e = new OpEvent(seq, op, attributes, inputs, outputs, source, phase, inBackward ? backwardOf : -1, currentModule)
            {
                ThreadName = CurrentThreadName,
            };
            foreach (var o in current)
            {
                o.OnOp(e);
            }

            return seq;
        }
    }

    /// <summary>
    /// Accounts for <paramref name="ops"/> ops that a fused kernel ran as one while nothing observed them (see
    /// RowFastPath): the sequence advances as if they had been emitted and the output is marked as made by the last.
    /// </summary>
    internal static void SkipUnobserved(int ops, Tensor output)
    {
        output.CreatedBy = Interlocked.Add(ref nextSeq, ops) - 1;
    }

    /// <summary>Tells the observers that an op is about to write into <paramref name="target"/>'s existing storage (see <see cref="IOpObserver.BeforeWrite"/>).</summary>
    internal static void BeforeWrite(Tensor target)
    {
        var current = Volatile.Read(ref observers);
        if (current.Length == 0)
        {
            return;
        }

        lock (Gate)
        {
            foreach (var o in observers)
            {
                o.BeforeWrite(target);
            }
        }
    }

    /// <summary>Takes the next sequence number, marks the outputs with it, and links them into autograd's graph.</summary>
    private static long Number(OpInfo op, OpAttributes attributes, Tensor[] inputs, Tensor[] outputs, SourceLocation source, OpModule? inModule)
    {
        long seq = Interlocked.Increment(ref nextSeq) - 1;
        foreach (var t in outputs)
        {
            t.CreatedBy = seq;
        }

        Autograd.OnEmit(seq, op, attributes, inputs, outputs, source, inModule);
        return seq;
    }

    private static bool WantSources(IOpObserver[] current)
    {
        foreach (var o in current)
        {
            if (o.WantsSourceLocations)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when <paramref name="file"/> lies under a registered library source folder.</summary>
    internal static bool IsLibrarySource(string file)
    {
        foreach (var root in Volatile.Read(ref librarySources))
        {
            if (file.StartsWith(root, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    // By hand rather than with Path: the compiler wrote the path of the machine that built the library, whose
    // separator may not be this machine's. The folder keeps its trailing separator.
    private static string SourceFolderOf(string file)
    {
        int cut = file.AsSpan().LastIndexOfAny('/', '\\');
        return cut < 0 ? file : file[..(cut + 1)];
    }

    private static string EndWithSeparator(string folder) =>
        folder.EndsWith('/') || folder.EndsWith('\\') ? folder : folder + (folder.Contains('/', StringComparison.Ordinal) || !folder.Contains('\\', StringComparison.Ordinal) ? "/" : "\\");

    /// <summary>The current source location (the open site scope), or unknown.</summary>
    internal static SourceLocation CurrentSite => site?.Location ?? SourceLocation.Unknown;

    /// <summary>The phase of the op issued next on this thread (backward inside autograd's scopes).</summary>
    internal static OpPhase CurrentPhase => inBackward ? OpPhase.Backward : OpPhase.Forward;

    private static SourceLocation FromStack()
    {
        stackWalks++;
        // Walk the stack without file information (cheap), and resolve file and line once per call site
        // (method and IL offset): reading line numbers from the PDB is the expensive part.
        var trace = new StackTrace(2, false);
        var frames = trace.GetFrames();
        for (int i = 0; i < frames.Length; i++)
        {
            var frame = frames[i];
            var method = frame.GetMethod();
            var asm = method?.DeclaringType?.Assembly;
            if (asm is null || asm == EngineAssembly || LibraryAssemblies.Contains(asm) || IsRuntimeAssembly(asm))
            {
                continue;
            }

            var key = (method!.MethodHandle.Value, frame.GetILOffset());
            if (SiteCache.TryGetValue(key, out var known))
            {
                return known;
            }

            var full = new StackTrace(2, true).GetFrames();
            var resolved = full.FirstOrDefault(f => f.GetMethod() == method && f.GetILOffset() == key.Item2) ?? full[Math.Min(i, full.Length - 1)];
            var location = new SourceLocation(resolved.GetFileName() ?? string.Empty, resolved.GetFileLineNumber(), method.Name) { Approximate = IsOptimized(asm) };
            SiteCache.TryAdd(key, location);
            return location;
        }

        return SourceLocation.Unknown;
    }

    /// <summary>
    /// Where an exception left the user's code: the engine API it was thrown in (the outermost engine method between
    /// the throw and the user's frame, e.g. <c>Tensor.MatMul</c>; null when it was thrown outside the engine) and the
    /// first frame outside the engine, the library assemblies and the runtime (file and line need debug symbols).
    /// </summary>
    public static (string? Api, SourceLocation Source) LocateException(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        string? api = null;
        foreach (var frame in new StackTrace(exception, true).GetFrames())
        {
            var method = frame.GetMethod();
            var asm = method?.DeclaringType?.Assembly;
            if (asm is null)
            {
                continue;
            }

            if (asm == EngineAssembly)
            {
                api = $"{method!.DeclaringType!.Name}.{method.Name}";
                continue;
            }

            if (LibraryAssemblies.Contains(asm) || IsRuntimeAssembly(asm))
            {
                continue;
            }

            return (api, new SourceLocation(frame.GetFileName() ?? string.Empty, frame.GetFileLineNumber(), method!.Name) { Approximate = IsOptimized(asm) });
        }

        return (api, SourceLocation.Unknown);
    }

    /// <summary>
    /// True when the JIT optimizes <paramref name="asm"/>'s code (it was built without <c>DebuggableAttribute</c>'s
    /// DisableOptimizations, as Release builds are): lines found from its frames are then approximate.
    /// </summary>
    private static bool IsOptimized(Assembly asm) => OptimizedAssemblies.GetOrAdd(asm, static a =>
        a.GetCustomAttribute<DebuggableAttribute>() is not { IsJITOptimizerDisabled: true });

    /// <summary>
    /// True for the .NET runtime's own assemblies (LINQ, collections, ...): library code may call back through them,
    /// and their frames are never where a user called the engine.
    /// </summary>
    private static bool IsRuntimeAssembly(Assembly asm) => RuntimeAssemblies.GetOrAdd(asm, static a =>
    {
        if (a == typeof(object).Assembly)
        {
            return true;
        }

        // Single-file applications have no assembly paths; there the runtime's assemblies are known by name.
        return a.Location.Length > 0
            ? a.Location.StartsWith(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), StringComparison.Ordinal)
            : a.GetName().Name is { } name && (name.StartsWith("System.", StringComparison.Ordinal) || name == "netstandard");
    });

    /// <summary>Ends a site scope opened by <see cref="Site"/>.</summary>
    public readonly struct SiteScope(bool owner) : IDisposable
    {
        /// <inheritdoc/>
        public void Dispose()
        {
            if (owner)
            {
                site = null;
            }
        }
    }

    /// <summary>Ends a scope opened by <see cref="UseThreadName"/>, restoring the enclosing name.</summary>
    public readonly struct ThreadNameScope : IDisposable
    {
        private readonly string? saved;
        private readonly bool owner;

        internal ThreadNameScope(string? saved, bool owner)
        {
            this.saved = saved;
            this.owner = owner;
        }

        /// <inheritdoc/>
        public void Dispose()
        {
            if (owner)
            {
                ThreadName.Value = saved;
            }
        }
    }

    /// <summary>Ends a scope opened by <see cref="LibraryCall"/>.</summary>
    public readonly struct LibraryCallScope : IDisposable
    {
        private readonly StackSite? frame;

        internal LibraryCallScope(StackSite frame)
        {
            this.frame = frame;
        }

        /// <inheritdoc/>
        public void Dispose()
        {
            if (frame is not null && ReferenceEquals(library, frame))
            {
                library = null;
                spareLibrary = frame;
            }
        }
    }

    /// <summary>Ends a backward scope, restoring the enclosing state.</summary>
    public readonly struct BackwardScope : IDisposable
    {
        private readonly SiteFrame? savedSite;
        private readonly long savedOf;
        private readonly bool savedIn;
        private readonly OpModule? savedModule;

        internal BackwardScope(SiteFrame? savedSite, long savedOf, bool savedIn, OpModule? savedModule)
        {
            this.savedSite = savedSite;
            this.savedOf = savedOf;
            this.savedIn = savedIn;
            this.savedModule = savedModule;
        }

        /// <inheritdoc/>
        public void Dispose()
        {
            site = savedSite;
            backwardOf = savedOf;
            inBackward = savedIn;
            module = savedModule;
        }
    }

    /// <summary>Ends a scope opened by <see cref="Module"/> or <see cref="AtModule"/>, restoring the enclosing module.</summary>
    public readonly struct ModuleScope : IDisposable
    {
        private readonly OpModule? saved;
        private readonly bool owner;

        internal ModuleScope(OpModule? saved, bool owner)
        {
            this.saved = saved;
            this.owner = owner;
        }

        /// <inheritdoc/>
        public void Dispose()
        {
            if (owner)
            {
                module = saved;
            }
        }
    }

    /// <summary>The location of a library call's caller, found from the stack on first use.</summary>
    internal sealed class StackSite
    {
        private SourceLocation location;

        public bool Resolved { get; set; }

        public SourceLocation Resolve()
        {
            if (!Resolved)
            {
                location = FromStack();
                Resolved = true;
            }

            return location;
        }
    }

    internal sealed class SiteFrame(SourceLocation location)
    {
        public SourceLocation Location { get; } = location;
    }

    private sealed class Detach(IOpObserver observer) : IDisposable
    {
        private IOpObserver? observer = observer;

        public void Dispose()
        {
            if (observer is null)
            {
                return;
            }

            lock (Gate)
            {
                observers = [.. observers.Where(o => !ReferenceEquals(o, observer))];
            }

            observer = null;
        }
    }
}
