#!/usr/bin/env bash
# Analyzer cost as a share of compile time, with -p:ReportAnalyzer=true.
#   bench/analyzer-perf/run.sh [LINES] [RUNS]      (VARIANTS="none empty repro engine" selects the builds)
# 1. a generated project of about LINES lines (default 100000), compiled with no analyzer, with an empty analyzer
#    that subscribes to the same operations, and with Repro.Analyzers (RUNS full rebuilds each, default 2);
# 2. Repro.Engine, rebuilt with its usual analyzers (Roslynator and Repro.Analyzers).
# Prints the Csc task time, the total analyzer time and each analyzer assembly's time.
set -euo pipefail
cd "$(dirname "$0")/../.."
LINES="${1:-100000}"
RUNS="${2:-2}"
VARIANTS="${VARIANTS:-none empty repro engine}"
OUT="${TMPDIR:-/tmp}/repro-analyzer-perf"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build analyzers/Repro.Analyzers -c Release -v:q -nologo >/dev/null
dotnet build bench/analyzer-perf/EmptyAnalyzer -c Release -v:q -nologo >/dev/null
REPRO="$PWD/analyzers/Repro.Analyzers/bin/Release/netstandard2.0/Repro.Analyzers.dll"
EMPTY="$PWD/bench/analyzer-perf/EmptyAnalyzer/bin/Release/netstandard2.0/EmptyAnalyzer.dll"

rm -rf "$OUT" && python3 bench/analyzer-perf/generate.py "$OUT/Generated" "$LINES"
dotnet restore "$OUT/Generated" -v:q >/dev/null

# Prints "csc_ms analyzers_s repro_s empty_s" for one build log.
summarize() {
  awk '
    /Total analyzer execution time:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+$/) total = $i }
    /[0-9.]+ +[0-9<]+ +Repro\.Analyzers, Version/ { repro = $1 }
    /[0-9.]+ +[0-9<]+ +EmptyAnalyzer, Version/ { empty = $1 }
    /[0-9.]+ +[0-9<]+ +Roslynator/ { roslynator += $1 }
    / ms +Csc +[0-9]+ calls/ { csc = $1 }
    END { printf "csc_ms=%s analyzers_s=%s repro_s=%s empty_s=%s roslynator_s=%s\n", csc, total + 0, repro + 0, empty + 0, roslynator + 0 }'
}

build() { # $1 = label, $2 = project, rest = extra properties
  local label="$1" project="$2"; shift 2
  for run in $(seq 1 "$RUNS"); do
    dotnet build "$project" -c Release --no-restore --no-incremental -nologo -v:d -clp:PerformanceSummary \
      -p:ReportAnalyzer=true -p:UseSharedCompilation=false "$@" > "$OUT/$label-$run.log" 2>&1
    echo "$label run $run: $(summarize < "$OUT/$label-$run.log")"
  done
}

echo "== generated project: $(cat "$OUT"/Generated/*.cs | wc -l) lines"
for v in $VARIANTS; do
  case "$v" in
    none) build none "$OUT/Generated" ;;
    empty) build empty "$OUT/Generated" "-p:BenchAnalyzers=$EMPTY" ;;
    repro) build repro "$OUT/Generated" "-p:BenchAnalyzers=$REPRO" ;;
    engine)
      echo "== Repro.Engine ($(find engine/Repro.Engine -name '*.cs' -not -path '*/obj/*' | xargs cat | wc -l) lines)"
      # BuildProjectReferences=false times only the Csc call of Repro.Engine, the analyzer DLL is built above.
      build engine engine/Repro.Engine/Repro.Engine.csproj -p:BuildProjectReferences=false ;;
  esac
done
