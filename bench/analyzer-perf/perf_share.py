#!/usr/bin/env python3
"""Share of the compiler's CPU samples spent in Repro.Analyzers code, from `perf script -F comm,pid,ip,sym`.

Reads the samples of a `perf record -g -e cpu-clock` run of `dotnet build` (with DOTNET_PerfMapEnabled=1 so that
JIT-compiled frames have names), keeps those of the compiler process (the process whose main thread is named
"csc"), and prints the percentage whose call stack contains a Repro.Analyzers frame. Unlike the wall-clock times
of -p:ReportAnalyzer=true, a sample is only taken while a thread runs, so the figure hardly moves with the load
of a shared machine. It leaves out the driver's own per-analyzer work (walking the operations, timing callbacks)
and shared work an analyzer happens to trigger first, so it is a lower bound of the analyzers' cost.
With -v it also prints the samples per rule class (the outermost rule frame on the stack).
"""
import re, sys, collections

verbose = "-v" in sys.argv[1:]
samples = []  # (pid, frames) per sample
csc_pids = set()
frames = None
for line in sys.stdin:
    if not line.strip():
        frames = None
    elif line[0] in " \t" and frames is not None:
        frames.append(line.strip())
    else:
        tokens = line.split()  # the thread name (may contain spaces), then the pid
        pid, comm = tokens[-1], " ".join(tokens[:-1])
        if comm == "csc":
            csc_pids.add(pid)
        frames = []
        samples.append((pid, frames))

csc = [f for p, f in samples if p in csc_pids]
hits = [f for f in csc if any("[Repro.Analyzers]" in x for x in f)]
print(f"{100.0 * len(hits) / max(1, len(csc)):.2f}%" + (f" ({len(hits)} of {len(csc)} samples)" if verbose else ""))
if verbose:
    per = collections.Counter()
    for f in hits:
        rules = [x for x in f if "[Repro.Analyzers]" in x and not re.search(r"RuleRegistrar|Repro\.Analyzers\.ReproAnalyzer|RuleAnalyzer::", x)]
        frame = (rules or [x for x in f if "[Repro.Analyzers]" in x])[-1]
        m = re.search(r"\[Repro\.Analyzers\] ([\w.]+?)(?:\+[\w<>`]+)*::", frame)
        per[m.group(1) if m else frame[:80]] += 1
    for name, count in per.most_common():
        print(f"  {count:6d} {100.0 * count / len(csc):5.2f}%  {name}")
