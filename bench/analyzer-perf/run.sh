#!/usr/bin/env bash
# Analyzer cost as a share of compile time, with -p:ReportAnalyzer=true.
#   bench/analyzer-perf/run.sh [LINES] [RUNS]
# Environment:
#   VARIANTS="none empty repro engine"  which builds, in this order within each run (default: all four, plus
#                                        "baseline" and "engine-baseline" when BASELINE is set)
#   BASELINE=path/to/Repro.Analyzers.dll another build of the analyzers to compare against, in the same runs
#   MIX=realistic|model                  the generated project's mix (generate.py --mix; default realistic)
#   PERF=1                               also sample each compiler process with perf (cpu-clock) and print the
#                                        share of its CPU samples spent in Repro.Analyzers code
# Variants: none = the generated project (about LINES lines, default 100000) without extra analyzers; empty = with
# bench/analyzer-perf/EmptyAnalyzer, which registers the same callbacks as Repro.Analyzers and returns at once;
# repro = with Repro.Analyzers (Release, built here); baseline = with $BASELINE; engine = Repro.Engine rebuilt with
# its usual analyzers (Roslynator and Repro.Analyzers); engine-baseline = the same with $BASELINE instead; ilgpu and
# ilgpu-baseline = the same for engine/Repro.Backends.Ilgpu, which references ILGPU, so the GPU kernel rules run there.
# The variants are interleaved (run 1 of each, then run 2 of each, ...) so that load changes hit them alike; the
# load average is printed with every build, and medians over the runs at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
LINES="${1:-100000}"
RUNS="${2:-3}"
BASELINE="${BASELINE:-}"
DEFAULT_VARIANTS="none empty repro engine"
[ -n "$BASELINE" ] && DEFAULT_VARIANTS="none empty repro baseline engine engine-baseline"
VARIANTS="${VARIANTS:-$DEFAULT_VARIANTS}"
MIX="${MIX:-realistic}"
OUT="${TMPDIR:-/tmp}/repro-analyzer-perf"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build analyzers/Repro.Analyzers -c Release -v:q -nologo >/dev/null
dotnet build bench/analyzer-perf/EmptyAnalyzer -c Release -v:q -nologo >/dev/null
REPRO="$PWD/analyzers/Repro.Analyzers/bin/Release/netstandard2.0/Repro.Analyzers.dll"
EMPTY="$PWD/bench/analyzer-perf/EmptyAnalyzer/bin/Release/netstandard2.0/EmptyAnalyzer.dll"
[ -n "$BASELINE" ] && BASELINE="$(cd "$(dirname "$BASELINE")" && pwd)/$(basename "$BASELINE")"

rm -rf "$OUT" && mkdir -p "$OUT" && python3 bench/analyzer-perf/generate.py "$OUT/Generated" "$LINES" "--mix=$MIX"
dotnet restore "$OUT/Generated" -v:q >/dev/null
dotnet restore engine/Repro.Engine -v:q >/dev/null
dotnet restore engine/Repro.Backends.Ilgpu -v:q >/dev/null

# Prints "csc_s=.. repro_s=.. share=.. empty_s=.. roslynator_s=.. analyzers_s=.." for one build log.
summarize() {
  awk '
    /Total analyzer execution time:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+$/) total = $i }
    /^ +[0-9.]+ +[0-9<]+ +Repro\.Analyzers, Version/ { repro = $1 }
    /^ +[0-9.]+ +[0-9<]+ +EmptyAnalyzer, Version/ { empty = $1 }
    /^ +[0-9.]+ +[0-9<]+ +Roslynator[^ ]*, Version/ { roslynator += $1 }
    / ms +Csc +[0-9]+ calls/ { csc = $1 / 1000 }
    END {
      under = repro + empty
      share = 0
      if (csc > 0) share = 100 * under / csc
      printf "csc_s=%.1f under_test_s=%.3f share=%.2f%% analyzers_s=%.2f roslynator_s=%.2f\n", csc, under, share, total, roslynator
    }'
}

build() { # $1 = label, $2 = run, $3 = project, rest = extra properties
  local label="$1" run="$2" project="$3"; shift 3
  local log="$OUT/$label-$run.log" prefix=()
  if [ "${PERF:-0}" = 1 ]; then
    prefix=(env DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 perf record -q -e cpu-clock -F 499 -g -o "$OUT/$label-$run.perf" --)
  fi
  local load; load="$(cut -d' ' -f1 /proc/loadavg)"
  "${prefix[@]}" dotnet build "$project" -c Release --no-restore --no-incremental -nologo -v:d -clp:PerformanceSummary \
    -p:ReportAnalyzer=true -p:UseSharedCompilation=false "$@" > "$log" 2>&1
  local line; line="$(summarize < "$log") load=$load"
  if [ "${PERF:-0}" = 1 ]; then
    # Per-rule CPU samples go to $label-$run.cpu.txt; the first line is the share.
    perf script -i "$OUT/$label-$run.perf" -F comm,pid,ip,sym 2>/dev/null | python3 bench/analyzer-perf/perf_share.py -v > "$OUT/$label-$run.cpu.txt"
    line="$line cpu_share=$(head -1 "$OUT/$label-$run.cpu.txt" | cut -d' ' -f1)"
    # The runtime's perf maps of the processes recorded here (only those).
    for pid in $(perf script -i "$OUT/$label-$run.perf" -F pid 2>/dev/null | sort -u); do rm -f "/tmp/perf-$pid.map" "/tmp/perfinfo-$pid.map"; done
    rm -f "$OUT/$label-$run.perf"
  fi
  echo "$label run $run: $line" | tee -a "$OUT/results.txt"
}

echo "== generated project ($MIX): $(cat "$OUT"/Generated/*.cs | wc -l) lines; Repro.Engine: $(find engine/Repro.Engine -name '*.cs' -not -path '*/obj/*' -not -path '*/bin/*' | xargs cat | wc -l) lines"
for run in $(seq 1 "$RUNS"); do
  for v in $VARIANTS; do
    case "$v" in
      none) build none "$run" "$OUT/Generated" ;;
      empty) build empty "$run" "$OUT/Generated" "-p:BenchAnalyzers=$EMPTY" ;;
      repro) build repro "$run" "$OUT/Generated" "-p:BenchAnalyzers=$REPRO" ;;
      baseline) build baseline "$run" "$OUT/Generated" "-p:BenchAnalyzers=$BASELINE" ;;
      # BuildProjectReferences=false times only the Csc call of Repro.Engine; the analyzer DLL is built above.
      engine) build engine "$run" engine/Repro.Engine/Repro.Engine.csproj -p:BuildProjectReferences=false ;;
      engine-baseline) build engine-baseline "$run" engine/Repro.Engine/Repro.Engine.csproj -p:BuildProjectReferences=false \
        -p:ReproNoDogfoodAnalyzers=true "-p:BenchAnalyzers=$BASELINE" ;;
      ilgpu) build ilgpu "$run" engine/Repro.Backends.Ilgpu/Repro.Backends.Ilgpu.csproj -p:BuildProjectReferences=false ;;
      ilgpu-baseline) build ilgpu-baseline "$run" engine/Repro.Backends.Ilgpu/Repro.Backends.Ilgpu.csproj -p:BuildProjectReferences=false \
        -p:ReproNoDogfoodAnalyzers=true "-p:BenchAnalyzers=$BASELINE" ;;
      *) echo "unknown variant $v" >&2; exit 2 ;;
    esac
  done
done

echo "== medians over $RUNS runs"
for v in $VARIANTS; do
  grep "^$v run " "$OUT/results.txt" | python3 -c '
import re, statistics, sys
rows = [dict(re.findall(r"(\w+)=([0-9.]+)", line)) for line in sys.stdin]
keys = [k for k in ("csc_s", "under_test_s", "share", "cpu_share", "load") if all(k in r for r in rows)]
print(sys.argv[1] + ": " + " ".join(f"{k}={statistics.median(float(r[k]) for r in rows):g}" for k in keys))' "$v"
done
