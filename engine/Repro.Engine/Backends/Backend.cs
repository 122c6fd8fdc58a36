namespace Repro.Engine.Backends;

/// <summary>A strided window onto a storage: element (i0, ..., in) lives at Offset + sum(ik * Strides[k]).</summary>
/// <param name="Storage">The buffer.</param>
/// <param name="Shape">Extent per axis.</param>
/// <param name="Strides">Elements to step per axis (0 for broadcast axes).</param>
/// <param name="Offset">Index of element (0, ..., 0).</param>
public readonly record struct View(Storage Storage, int[] Shape, int[] Strides, int Offset)
{
    /// <summary>A contiguous view of a whole buffer with the given shape.</summary>
    public static View Contiguous(Storage storage, int[] shape) => new(storage, shape, ShapeUtil.ContiguousStrides(shape), 0);
}

/// <summary>
/// The small contract every backend implements: memory, data movement, and the primitive kernels. Public
/// methods validate their arguments; the protected <c>...Core</c> methods do the work. Elementwise, reduction
/// and matmul kernels receive only compute dtypes (float32, float64, int32): the front end widens float16 and
/// bfloat16 to float32 before them and rounds the result once afterwards.
/// </summary>
public abstract class Backend
{
    /// <summary>Short name used on the command line and in logs ("managed", "reference", "ilgpu-cpu").</summary>
    public abstract string Name { get; }

    /// <summary>The device the kernels run on, for the environment fingerprint.</summary>
    public virtual string DeviceName => Name;

    /// <summary>Allocates a zero-filled buffer.</summary>
    public Storage Allocate(DType dtype, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return AllocateCore(dtype, length);
    }

    /// <summary>
    /// Allocates a buffer that the caller's next kernel writes whole (every element), so its first contents do not
    /// matter: a backend may skip zero-filling it. Never hand one to a kernel that accumulates into its output or
    /// writes only part of it. Under <c>REPRO_POISON_UNINITIALIZED=1</c> the managed backend fills these buffers with
    /// NaN bits instead, which is how the tests show that no result depends on what was there.
    /// </summary>
    internal Storage AllocateOutput(DType dtype, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        return AllocateOutputCore(dtype, length);
    }

    /// <summary>Copies host data (float[], double[], int[], or ushort[] for 16-bit types) into a new buffer.</summary>
    public Storage FromHost(Array data, DType dtype)
    {
        var expected = HostStorage.NewArray(dtype, 0).GetType();
        if (data.GetType() != expected)
        {
            throw new DTypeException($"FromHost: expected {expected.Name} for {dtype.Name()}, got {data.GetType().Name}");
        }

        return FromHostCore(data, dtype);
    }

    /// <summary>Copies a buffer to a new host array of its storage element type.</summary>
    public Array ToHost(Storage storage)
    {
        CheckOwned(storage, nameof(ToHost));
        var host = ToHostCore(storage);
        GC.KeepAlive(storage);
        return host;
    }

    /// <summary>Copies a strided (possibly broadcast) view into a strided destination view of the same shape. Same dtype.</summary>
    public void Copy(in View src, in View dst)
    {
        CheckOwned(src.Storage, nameof(Copy));
        CheckOwned(dst.Storage, nameof(Copy));
        if (src.Storage.DType != dst.Storage.DType)
        {
            throw Throw.DType("copy", dst.Storage.DType.Name(), src.Storage.DType);
        }

        if (!src.Shape.AsSpan().SequenceEqual(dst.Shape))
        {
            throw Throw.Shape("copy", Throw.Fmt(dst.Shape), Throw.Fmt(src.Shape));
        }

        CopyCore(src, dst);
        KeepAlive(src.Storage, dst.Storage);
    }

    /// <summary>Converts every element of a contiguous buffer to the destination's dtype (equal lengths).</summary>
    public void Cast(Storage src, Storage dst)
    {
        CheckOwned(src, nameof(Cast));
        CheckOwned(dst, nameof(Cast));
        CheckLength("cast", src, dst.Length);
        CastCore(src, dst);
        KeepAlive(src, dst);
    }

    /// <summary>Sets every element to <paramref name="value"/> converted to the buffer's dtype.</summary>
    public void Fill(Storage dst, double value)
    {
        CheckOwned(dst, nameof(Fill));
        FillCore(dst, value);
        GC.KeepAlive(dst);
    }

    /// <summary>y[i] = op(x[i]) over contiguous buffers of one compute dtype.</summary>
    public void Unary(UnaryOp op, Storage x, Storage y)
    {
        CheckCompute("unary " + op, x, y);
        CheckLength("unary " + op, x, y.Length);
        if (x.DType == DType.Int32 && !ScalarOps.IsDefinedForInt(op))
        {
            throw Throw.DType(op.ToString().ToLowerInvariant(), "a float dtype (cast int32 to float32 first)", DType.Int32);
        }

        UnaryCore(op, x, y);
        KeepAlive(x, y);
    }

    /// <summary>
    /// y = op(a, b) with broadcasting: a and b are views already expanded to <paramref name="shape"/>, y is contiguous.
    /// Integer division by zero throws <see cref="DivideByZeroException"/> here, before any kernel runs.
    /// </summary>
    public void Binary(BinaryOp op, in View a, in View b, Storage y, int[] shape)
    {
        CheckCompute("binary " + op, a.Storage, y);
        CheckCompute("binary " + op, b.Storage, y);
        CheckLength("binary " + op, y, ShapeUtil.Numel(shape));
        if (op == BinaryOp.Div && b.Storage.DType == DType.Int32)
        {
            CheckNoZeroDivisor(b, shape);
        }

        BinaryCore(op, a, b, y, shape);
        KeepAlive(a.Storage, b.Storage, y);
    }

    /// <summary>y = cond != 0 ? a : b, all views expanded to <paramref name="shape"/>; y contiguous.</summary>
    public void Where(in View cond, in View a, in View b, Storage y, int[] shape)
    {
        CheckOwned(cond.Storage, nameof(Where));
        CheckCompute("where", a.Storage, y);
        CheckCompute("where", b.Storage, y);
        CheckLength("where", y, ShapeUtil.Numel(shape));
        WhereCore(cond, a, b, y, shape);
        KeepAlive(cond.Storage, a.Storage, b.Storage, y);
    }

    /// <summary>Reduces each row of a contiguous [rows, n] buffer into y[rows] (int32 for arg-reductions).</summary>
    public void Reduce(ReduceOp op, Storage x, int rows, int n, Storage y)
    {
        CheckOwned(x, nameof(Reduce));
        CheckOwned(y, nameof(Reduce));
        CheckLength("reduce", x, checked(rows * n));
        CheckLength("reduce", y, rows);
        if (n == 0 && op != ReduceOp.Sum && rows > 0)
        {
            throw Throw.Arg(op.ToString().ToLowerInvariant(), "cannot reduce an empty axis (no identity element)");
        }

        ReduceCore(op, x, rows, n, y);
        KeepAlive(x, y);
    }

    /// <summary>y[b] = a[b] @ b[b] for contiguous [batch, m, k] and [batch, k, n], in the canonical sequential-k FMA order.</summary>
    public void MatMul(Storage a, Storage b, Storage y, int batch, int m, int k, int n)
    {
        CheckCompute("matmul", a, y);
        CheckCompute("matmul", b, y);
        CheckLength("matmul", a, checked(batch * m * k));
        CheckLength("matmul", b, checked(batch * k * n));
        CheckLength("matmul", y, checked(batch * m * n));
        MatMulCore(a, b, y, batch, m, k, n);
        KeepAlive(a, b, y);
    }

    /// <summary>
    /// 2-D convolution (pass <see cref="ConvPass.Forward"/>: y = conv(x, w)) or one of its gradients
    /// (<see cref="ConvPass.InputGrad"/>: dx from dy and w; <see cref="ConvPass.WeightGrad"/>: dw from dy and x), on
    /// contiguous float32 or float64 storages, each element in the canonical order of its op (see OpTable.Conv2d).
    /// </summary>
    public void Conv2d(ConvPass pass, Storage a, Storage b, Storage y, ConvGeometry g)
    {
        string op = pass switch { ConvPass.Forward => "conv2d", ConvPass.InputGrad => "conv2d_input_grad", _ => "conv2d_weight_grad" };
        CheckCompute(op, a, y);
        CheckCompute(op, b, y);
        if (y.DType == DType.Int32)
        {
            throw Throw.Arg(op, "float32 or float64 storages, got int32");
        }

        var (la, lb, ly) = pass switch
        {
            ConvPass.Forward => (g.XLength, g.WLength, g.YLength),
            ConvPass.InputGrad => (g.YLength, g.WLength, g.XLength),
            _ => (g.YLength, g.XLength, g.WLength),
        };
        CheckLength(op, a, la);
        CheckLength(op, b, lb);
        CheckLength(op, y, ly);
        if (ly > 0)
        {
            Conv2dCore(pass, a, b, y, g);
            KeepAlive(a, b, y);
        }
    }

    /// <summary>
    /// 2-D pooling (<see cref="PoolPass.Max"/>, <see cref="PoolPass.Avg"/>: y from x = a) or its gradient
    /// (<see cref="PoolPass.MaxGrad"/>: dx from dy = a and x = b; <see cref="PoolPass.AvgGrad"/>: dx from dy = a), on
    /// contiguous float32 or float64 storages, each element in the canonical order of its op (see OpTable.MaxPool2d).
    /// </summary>
    public void Pool2d(PoolPass pass, Storage a, Storage? b, Storage y, PoolGeometry g)
    {
        string op = pass switch { PoolPass.Max => "max_pool2d", PoolPass.Avg => "avg_pool2d", PoolPass.MaxGrad => "max_pool2d_grad", _ => "avg_pool2d_grad" };
        CheckCompute(op, a, y);
        if (y.DType == DType.Int32)
        {
            throw Throw.Arg(op, "float32 or float64 storages, got int32");
        }

        bool forward = pass is PoolPass.Max or PoolPass.Avg;
        CheckLength(op, a, forward ? g.XLength : g.YLength);
        CheckLength(op, y, forward ? g.YLength : g.XLength);
        if (pass == PoolPass.MaxGrad)
        {
            if (b is null)
            {
                throw Throw.Arg(op, "the forward input x as the second storage");
            }

            CheckCompute(op, b, y);
            CheckLength(op, b, g.XLength);
        }

        if (y.Length > 0)
        {
            Pool2dCore(pass, a, pass == PoolPass.MaxGrad ? b : null, y, g);
            KeepAlive(a, y, b);
        }
    }

    /// <summary>index_select: y[o, i, j] = x[o, index[i], j] for x [outer, axisLen, inner] and int32 index [count].</summary>
    public void Gather(Storage x, int outer, int axisLen, int inner, Storage index, Storage y)
    {
        CheckOwned(x, nameof(Gather));
        CheckIndex("index_select", index, axisLen);
        CheckLength("index_select", y, checked(outer * index.Length * inner));
        GatherCore(x, outer, axisLen, inner, index, y);
        KeepAlive(x, index, y);
    }

    /// <summary>
    /// index_add, in place on y [outer, axisLen, inner]: for i = 0..count-1 in order, y[o, index[i], j] += src[o, i, j].
    /// Each element of y receives its contributions in increasing i, whatever the thread count.
    /// </summary>
    public void IndexAdd(Storage y, int outer, int axisLen, int inner, Storage index, Storage src)
    {
        CheckCompute("index_add", src, y);
        CheckIndex("index_add", index, axisLen);
        CheckLength("index_add", src, checked(outer * index.Length * inner));
        IndexAddCore(y, outer, axisLen, inner, index, src);
        KeepAlive(y, index, src);
    }

    /// <summary>
    /// scatter_add, in place on y [outer, axisLen, inner]: for l = 0..len-1 in order, y[o, index[o, l, j], j] += src[o, l, j],
    /// with index and src both [outer, len, inner].
    /// </summary>
    public void ScatterAdd(Storage y, int outer, int axisLen, int inner, Storage index, Storage src, int len)
    {
        CheckCompute("scatter_add", src, y);
        CheckIndex("scatter_add", index, axisLen);
        CheckLength("scatter_add", src, checked(outer * len * inner));
        CheckLength("scatter_add", index, checked(outer * len * inner));
        ScatterAddCore(y, outer, axisLen, inner, index, src, len);
        KeepAlive(y, index, src);
    }

    /// <summary>Fills y with draws for elements 0..Length-1 of the Philox stream (seed, stream).</summary>
    public void Random(RandomKind kind, Storage y, ulong seed, ulong stream)
    {
        CheckOwned(y, nameof(Random));
        var want = kind == RandomKind.Bits ? "int32" : "float32 or float64";
        bool ok = kind == RandomKind.Bits ? y.DType == DType.Int32 : y.DType is DType.Float32 or DType.Float64;
        if (!ok)
        {
            throw Throw.DType("random", want, y.DType);
        }

        RandomCore(kind, y, seed, stream);
        GC.KeepAlive(y);
    }

    /// <summary>Allocates a zero-filled buffer.</summary>
    protected abstract Storage AllocateCore(DType dtype, int length);

    /// <summary>
    /// Keeps the storages of a finished kernel reachable until here: a kernel reads their arrays, and the array of an
    /// unreachable storage may be handed to another output (BufferCache), even while the kernel still runs.
    /// </summary>
    private protected static void KeepAlive(Storage a, Storage b, Storage? c = null, Storage? d = null)
    {
        GC.KeepAlive(a);
        GC.KeepAlive(b);
        GC.KeepAlive(c);
        GC.KeepAlive(d);
    }

    /// <summary>Allocates a buffer whose every element the next kernel writes (see <see cref="AllocateOutput"/>); zero-filled unless a backend knows better.</summary>
    private protected virtual Storage AllocateOutputCore(DType dtype, int length) => AllocateCore(dtype, length);

    /// <summary>Copies host data into a new buffer.</summary>
    protected abstract Storage FromHostCore(Array data, DType dtype);

    /// <summary>Copies a buffer out to the host.</summary>
    protected abstract Array ToHostCore(Storage storage);

    /// <summary>Strided copy.</summary>
    protected abstract void CopyCore(in View src, in View dst);

    /// <summary>Elementwise dtype conversion.</summary>
    protected abstract void CastCore(Storage src, Storage dst);

    /// <summary>Constant fill.</summary>
    protected abstract void FillCore(Storage dst, double value);

    /// <summary>Unary kernel.</summary>
    protected abstract void UnaryCore(UnaryOp op, Storage x, Storage y);

    /// <summary>Binary kernel.</summary>
    protected abstract void BinaryCore(BinaryOp op, in View a, in View b, Storage y, int[] shape);

    /// <summary>Select kernel.</summary>
    protected abstract void WhereCore(in View cond, in View a, in View b, Storage y, int[] shape);

    /// <summary>Row reduction kernel.</summary>
    protected abstract void ReduceCore(ReduceOp op, Storage x, int rows, int n, Storage y);

    /// <summary>
    /// Convolution kernel. The default is the explicit fallback for backends without one of their own: the reference
    /// definition run on the host (the storages are copied out and the result copied back), so results are the same.
    /// </summary>
    protected virtual void Conv2dCore(ConvPass pass, Storage a, Storage b, Storage y, ConvGeometry g)
    {
        var result = ReferenceBackend.Conv2dHost(pass, ToHostCore(a), ToHostCore(b), g);
        var staged = FromHostCore(result, y.DType);
        CopyCore(View.Contiguous(staged, [result.Length]), View.Contiguous(y, [result.Length]));
    }

    /// <summary>
    /// Pooling kernel. The default is the explicit fallback for backends without one of their own: the reference
    /// definition run on the host (the storages are copied out and the result copied back), so results are the same.
    /// </summary>
    protected virtual void Pool2dCore(PoolPass pass, Storage a, Storage? b, Storage y, PoolGeometry g)
    {
        var result = ReferenceBackend.Pool2dHost(pass, ToHostCore(a), b is null ? null : ToHostCore(b), g);
        var staged = FromHostCore(result, y.DType);
        CopyCore(View.Contiguous(staged, [result.Length]), View.Contiguous(y, [result.Length]));
    }

    /// <summary>Batched matmul kernel.</summary>
    protected abstract void MatMulCore(Storage a, Storage b, Storage y, int batch, int m, int k, int n);

    /// <summary>index_select kernel.</summary>
    protected abstract void GatherCore(Storage x, int outer, int axisLen, int inner, Storage index, Storage y);

    /// <summary>index_add kernel.</summary>
    protected abstract void IndexAddCore(Storage y, int outer, int axisLen, int inner, Storage index, Storage src);

    /// <summary>scatter_add kernel.</summary>
    protected abstract void ScatterAddCore(Storage y, int outer, int axisLen, int inner, Storage index, Storage src, int len);

    /// <summary>Random kernel.</summary>
    protected abstract void RandomCore(RandomKind kind, Storage y, ulong seed, ulong stream);

    /// <summary>Reads an int32 buffer back for validation (index bounds, zero divisors); backends with device memory override it.</summary>
    protected virtual int[] ReadIndices(Storage index) => (int[])ToHostCore(index);

    private void CheckOwned(Storage s, string op)
    {
        if (!ReferenceEquals(s.Backend, this))
        {
            throw new InvalidOperationException($"{op}: the buffer belongs to backend '{s.Backend.Name}', not '{Name}'; move the tensor with .To(backend) first");
        }
    }

    private void CheckCompute(string op, Storage x, Storage y)
    {
        CheckOwned(x, op);
        CheckOwned(y, op);
        if (x.DType.IsLowPrecision())
        {
            throw Throw.DType(op, "a compute dtype (float32, float64 or int32)", x.DType);
        }
    }

    private static void CheckLength(string op, Storage s, int expected)
    {
        if (s.Length != expected)
        {
            throw Throw.Shape(op, $"a buffer of {expected} elements", $"{s.Length}");
        }
    }

    // Integer division by zero has no result to define, so no kernel sees it: every backend reports the same error.
    private void CheckNoZeroDivisor(in View b, int[] shape)
    {
        var values = ReadIndices(b.Storage);
        int n = ShapeUtil.Numel(shape);
        for (int i = 0; i < n; i++)
        {
            if (values[ShapeUtil.OffsetOf(i, shape, b.Strides, b.Offset)] == 0)
            {
                throw new DivideByZeroException($"div: integer division by zero at output element {i}");
            }
        }
    }

    private void CheckIndex(string op, Storage index, int axisLen)
    {
        CheckOwned(index, op);
        if (index.DType != DType.Int32)
        {
            throw Throw.DType(op, "int32 indices", index.DType);
        }

        var values = ReadIndices(index);
        for (int i = 0; i < values.Length; i++)
        {
            if ((uint)values[i] >= (uint)axisLen)
            {
                throw new IndexOutOfRangeException($"{op}: index {values[i]} at position {i} is out of range for an axis of length {axisLen}");
            }
        }
    }
}

/// <summary>Which convolution a <see cref="Backend.Conv2d"/> call computes.</summary>
public enum ConvPass
{
    /// <summary>y = conv(x, w).</summary>
    Forward,

    /// <summary>dx from dy and w.</summary>
    InputGrad,

    /// <summary>dw from dy and x.</summary>
    WeightGrad,
}
