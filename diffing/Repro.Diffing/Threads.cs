using System.Globalization;
using System.IO.Hashing;
using System.Text;
using Repro.Engine;
using Repro.Recorder;

namespace Repro.Diffing;

/// <summary>
/// One log's logical threads (docs/log-format.md, "Threads"), each with its op count and two digests of its op
/// sequence: its content (op, phase, output shape, source line, output hash) and its structure (the same without the
/// hash). Gathered in a first pass over the log (<see cref="RunCursor"/>), for pairing threads whose ids the
/// scheduler chose.
/// </summary>
internal sealed class ThreadCensus
{
    private readonly Dictionary<string, Entry> byId = new(StringComparer.Ordinal);

    /// <summary>The threads in order of their first op.</summary>
    public List<Entry> Threads { get; } = [];

    /// <summary>True when the log stops early (no end record, or an incomplete last line).</summary>
    public bool Truncated { get; private set; }

    /// <summary>Takes <paramref name="op"/> into its thread's counts and digests.</summary>
    public void Add(OpRecord op)
    {
        if (!byId.TryGetValue(op.Thread, out var entry))
        {
            entry = new Entry(op.Thread, op.Seq);
            byId[op.Thread] = entry;
            Threads.Add(entry);
        }

        entry.Add(op);
    }

    /// <summary>Records where the pass ended: at the end record, or cut short.</summary>
    public void Finish(LogTruncation? truncation)
    {
        Truncated = truncation is not null;
        foreach (var t in Threads)
        {
            t.Finish();
        }
    }

    /// <summary>One logical thread of a log.</summary>
    internal sealed class Entry(string id, long first)
    {
        private readonly XxHash64 content = new();
        private readonly XxHash64 structure = new();

        public string Id { get; } = id;

        /// <summary>Sequence number of its first op.</summary>
        public long First { get; } = first;

        public long Count { get; private set; }

        public ulong Content { get; private set; }

        public ulong Structure { get; private set; }

        public void Add(OpRecord op)
        {
            Count++;

            // What the differ's alignment compares of an op (tensor ids and sequence numbers depend on the interleaving).
            var shape = string.Create(CultureInfo.InvariantCulture, $"{op.Op}|{op.Phase}|{string.Join(',', op.Output.Shape)}|{Path.GetFileName(op.Source.File)}|{op.Source.Line}");
            Span<byte> digest = stackalloc byte[8];
            XxHash64.Hash(Encoding.UTF8.GetBytes(shape), digest);
            structure.Append(digest);
            content.Append(digest);
            content.Append(Encoding.ASCII.GetBytes(op.Output.Hash));
        }

        public void Finish()
        {
            Content = content.GetCurrentHashAsUInt64();
            Structure = structure.GetCurrentHashAsUInt64();
        }
    }
}

/// <summary>
/// Which thread of run A is compared with which thread of run B. Threads pair by id, except where several threads of
/// a log share a base id (unnamed threads started at one call site: "Worker.cs:42 (Run)", "... #2"; their numbers
/// follow the order in which the threads happened to start): among those, threads with equal content pair first,
/// then threads with equal structure, then the rest in order of their first op.
/// </summary>
internal sealed class ThreadPlan
{
    private readonly Dictionary<string, int> laneOfA = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> laneOfB = new(StringComparer.Ordinal);

    /// <summary>The pairs (either side null for a thread of one run only), in order of first op in A, then in B.</summary>
    public List<(string? A, string? B)> Lanes { get; } = [];

    /// <summary>The pair holding run A's (or B's) thread <paramref name="id"/>, or -1.</summary>
    public int LaneOf(string id, bool runA) => (runA ? laneOfA : laneOfB).GetValueOrDefault(id, -1);

    /// <summary>True for an id that a recorder numbered because an earlier thread held its base ("w#2").</summary>
    public static bool IsNumbered(string id) => BaseOf(id).Length < id.Length;

    /// <summary>The id without a recorder's "#n" suffix (n of 2 or more, plain decimal).</summary>
    public static string BaseOf(string id)
    {
        int hash = id.LastIndexOf('#');
        if (hash <= 0 || hash == id.Length - 1)
        {
            return id;
        }

        var digits = id.AsSpan(hash + 1);
        return digits[0] != '0' && digits.IndexOfAnyExceptInRange('0', '9') < 0
            && int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 2
            ? id[..hash]
            : id;
    }

    /// <summary>Pairs the threads of two logs.</summary>
    public static ThreadPlan Pair(ThreadCensus a, ThreadCensus b)
    {
        var plan = new ThreadPlan();
        var poolsB = b.Threads.GroupBy(t => BaseOf(t.Id), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var pairs = new List<(ThreadCensus.Entry? A, ThreadCensus.Entry? B)>();
        foreach (var pool in a.Threads.GroupBy(t => BaseOf(t.Id), StringComparer.Ordinal))
        {
            var xs = pool.ToList();
            var ys = poolsB.Remove(pool.Key, out var found) ? found : [];
            var partner = new ThreadCensus.Entry?[xs.Count];
            foreach (var key in new Func<ThreadCensus.Entry, ulong>[] { t => t.Content, t => t.Structure })
            {
                for (int i = 0; i < xs.Count; i++)
                {
                    int j = partner[i] is null ? ys.FindIndex(y => key(y) == key(xs[i])) : -1;
                    if (j >= 0)
                    {
                        partner[i] = ys[j];
                        ys.RemoveAt(j);
                    }
                }
            }

            for (int i = 0; i < xs.Count; i++)
            {
                if (partner[i] is null && ys.Count > 0)
                {
                    partner[i] = ys[0];
                    ys.RemoveAt(0);
                }

                pairs.Add((xs[i], partner[i]));
            }

            pairs.AddRange(ys.Select(y => ((ThreadCensus.Entry?)null, (ThreadCensus.Entry?)y)));
        }

        pairs.AddRange(poolsB.Values.SelectMany(v => v).Select(y => ((ThreadCensus.Entry?)null, (ThreadCensus.Entry?)y)));
        foreach (var (x, y) in pairs.OrderBy(p => p.A?.First ?? long.MaxValue).ThenBy(p => p.B?.First ?? long.MaxValue))
        {
            if (x is not null)
            {
                plan.laneOfA[x.Id] = plan.Lanes.Count;
            }

            if (y is not null)
            {
                plan.laneOfB[y.Id] = plan.Lanes.Count;
            }

            plan.Lanes.Add((x?.Id, y?.Id));
        }

        return plan;
    }
}
