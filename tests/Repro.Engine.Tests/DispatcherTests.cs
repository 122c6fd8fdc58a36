using Repro.Engine;

namespace Repro.Engine.Tests;

[Collection("dispatcher")]
public class DispatcherTests
{
    // Tests in other classes run in parallel and issue ops too: keep only this thread's ops.
    private sealed class Collect : IOpObserver
    {
        private readonly int thread = Environment.CurrentManagedThreadId;

        public List<OpEvent> Events { get; } = [];

        public void OnOp(OpEvent e)
        {
            if (Environment.CurrentManagedThreadId == thread)
            {
                Events.Add(e);
            }
        }
    }

    [Fact]
    public void Observer_sees_ops_in_sequence_with_inputs_outputs_and_attributes()
    {
        var c = new Collect();
        using (Dispatcher.Observe(c))
        {
            var x = Tensor.Ones([2, 3]);
            _ = x.Sum(1, keepdim: true);
        }

        var ops = c.Events.Where(e => e.Op is "full" or "sum").ToList();
        Assert.Equal(["full", "sum"], ops.Select(e => e.Op));
        Assert.Equal(ops[0].Seq + 1, ops[1].Seq);
        Assert.Same(ops[0].Outputs[0], ops[1].Inputs[0]);
        Assert.Equal("axes=[1], keepdim=True", ops[1].Attributes.ToString());
        Assert.Equal(OpPhase.Forward, ops[1].Phase);
        Assert.Equal("managed", ops[1].Backend);
        Assert.Equal(ops[1].Seq, ops[1].Outputs[0].CreatedBy);
    }

    [Fact]
    public void A_thread_name_scope_names_its_ops_nests_and_flows_into_threads_started_inside_it()
    {
        var c = new Collect();
        string? onWorker = "unset";
        using (Dispatcher.Observe(c))
        {
            _ = Tensor.Ones([1]);
            using (Dispatcher.UseThreadName("loader"))
            {
                _ = Tensor.Ones([2]);
                using (Dispatcher.UseThreadName("inner"))
                {
                    _ = Tensor.Ones([3]);
                }

                var worker = new Thread(() => onWorker = Dispatcher.CurrentThreadName);
                worker.Start();
                worker.Join();
                _ = Tensor.Ones([4]);
            }

            _ = Tensor.Ones([5]);
        }

        var names = c.Events.Where(e => e.Op == "full").Select(e => e.ThreadName).ToList();
        Assert.Equal([null, "loader", "inner", "loader", null], names);
        Assert.Equal("loader", onWorker);
        Assert.Throws<ArgumentException>(() => Dispatcher.UseThreadName(string.Empty));
    }

    [Fact]
    public void Source_location_is_the_users_call_for_methods_composites_and_operators()
    {
        var c = new Collect();
        int softmaxLine;
        int operatorLine;
        using (Dispatcher.Observe(c))
        {
            var x = Tensor.Randn([3, 4], new Generator(1));
            softmaxLine = Line(); var s = x.Softmax(1);
            operatorLine = Line(); _ = s * s;
        }

        var composite = c.Events.Where(e => e.Source.Line == softmaxLine).Select(e => e.Op).ToList();
        Assert.Equal(["max", "sub", "exp", "sum", "div"], composite);
        Assert.All(c.Events.Where(e => e.Source.Line == softmaxLine), e => Assert.EndsWith("DispatcherTests.cs", e.Source.File, StringComparison.Ordinal));
        var mul = Assert.Single(c.Events, e => e.Op == "mul");
        Assert.Equal(operatorLine, mul.Source.Line);
        Assert.Equal(nameof(Source_location_is_the_users_call_for_methods_composites_and_operators), mul.Source.Member);
    }

    [Fact]
    public void An_operator_call_walks_the_stack_once_for_all_its_ops_and_locates_the_users_line()
    {
        var c = new Collect();
        int line;
        long walks;
        using (Dispatcher.Observe(c))
        {
            var x = Tensor.Randn([3, 4], new Generator(1));

            // Two tensor-scalar operators: four ops (full, mul, full, add), two walks.
            long before = Dispatcher.StackWalks;
            line = Line(); _ = (x * 2.0) + 1.0;
            walks = Dispatcher.StackWalks - before;
        }

        var ops = c.Events.Where(e => e.Source.Line == line).ToList();
        Assert.Equal(["full", "mul", "full", "add"], ops.Select(e => e.Op));
        Assert.All(ops, e => Assert.EndsWith("DispatcherTests.cs", e.Source.File, StringComparison.Ordinal));
        Assert.All(ops, e => Assert.Equal(nameof(An_operator_call_walks_the_stack_once_for_all_its_ops_and_locates_the_users_line), e.Source.Member));
        Assert.Equal(2, walks);
    }

    [Fact]
    public void Api_calls_from_registered_library_sources_open_no_location_scope()
    {
        // Folders no test file lives in: the registration lasts for the process.
        Dispatcher.AddLibrarySources("/nonexistent/thirdparty/src");
        Dispatcher.AddLibrarySources(@"C:\nonexistent\lib\Layers.cs", isFile: true);

        SourceLocation SiteOf(string file)
        {
            using (Dispatcher.Site(file, 7, "M"))
            {
                return Dispatcher.CurrentSite;
            }
        }

        Assert.False(SiteOf("/nonexistent/thirdparty/src/Model.cs").IsKnown);
        Assert.False(SiteOf(@"C:\nonexistent\lib\sub\Loss.cs").IsKnown);
        Assert.Equal(new SourceLocation("/nonexistent/thirdparty/srcx/Model.cs", 7, "M"), SiteOf("/nonexistent/thirdparty/srcx/Model.cs"));
        Assert.Equal(new SourceLocation(@"C:\nonexistent\libx\Loss.cs", 7, "M"), SiteOf(@"C:\nonexistent\libx\Loss.cs"));

        // The engine's own sources are registered: its internal API calls are located at the user's call.
        Assert.True(Dispatcher.IsLibrarySource(EngineSources.File));
        Assert.False(Dispatcher.IsLibrarySource(ThisFile()));
    }

    private static string ThisFile([System.Runtime.CompilerServices.CallerFilePath] string file = "") => file;

    [Fact]
    public void Every_emitted_op_can_be_re_executed_by_the_registry_with_the_same_bits()
    {
        var c = new Collect();
        using (Dispatcher.Observe(c))
        {
            foreach (var (_, run) in OpSuite.Cases().Where((_, i) => i % 5 == 0))
            {
                _ = run();
            }
        }

        var replayed = new Dictionary<long, Tensor>();
        int checkedOps = 0;
        foreach (var e in c.Events)
        {
            Tensor result;
            if (e.Op == "from_host")
            {
                result = e.Outputs[0];
            }
            else
            {
                Assert.True(OpRegistry.IsKnown(e.Op), $"op '{e.Op}' is not in the registry");
                var inputs = e.Inputs.Select(t => replayed.TryGetValue(t.Id, out var r) ? r : t).ToList();
                result = OpRegistry.Execute(e.Op, e.Attributes, inputs, e.Outputs[0].Backend);
                Assert.Equal(e.Outputs[0].ContentHash(), result.ContentHash());
                checkedOps++;
            }

            replayed[e.Outputs[0].Id] = result;
        }

        Assert.True(checkedOps > 100, $"only {checkedOps} ops checked");
    }

    private static int Line([System.Runtime.CompilerServices.CallerLineNumber] int line = 0) => line;
}
