#!/usr/bin/env bash
# Compares the recording overhead of builds of the bench, invocation by invocation, alternating between them so that
# a slow phase of the machine falls on all of them alike (on a shared 2-core VM one invocation's figure spreads by
# about +-10%, more than most changes). Each build is a folder holding Repro.Bench.dll, e.g. a copy of
# bench/Repro.Bench/bin/Release/net10.0 taken after building each variant.
#
# usage: bench/recorder-compare.sh REPS BUILD_DIR [BUILD_DIR ...]
#   env: STEPS (default 300), ROUNDS (default 11), WORKLOAD (default digits-mlp)
# prints one line per invocation (with the median ratio of its rounds in which the hypervisor took no processor time
# from either run, on Linux), then per build the median overhead, its range, and (for two builds) in how many
# rounds of invocations the second read lower than the first.
set -euo pipefail

if [[ $# -lt 2 || ! "$1" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 REPS BUILD_DIR [BUILD_DIR ...]  (env STEPS, ROUNDS, WORKLOAD)" >&2
  exit 2
fi

reps=$1
shift
for dir in "$@"; do
  if [[ ! -f "$dir/Repro.Bench.dll" ]]; then
    echo "$0: '$dir' holds no Repro.Bench.dll" >&2
    exit 2
  fi
done

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for ((r = 1; r <= reps; r++)); do
  for dir in "$@"; do
    out=$(dotnet "$dir/Repro.Bench.dll" recorder --steps "${STEPS:-300}" --rounds "${ROUNDS:-11}" --workload "${WORKLOAD:-digits-mlp}" 2>&1) || {
      echo "$0: the bench failed in '$dir':" >&2
      echo "$out" | tail -5 >&2
      exit 1
    }
    overhead=$(echo "$out" | sed -n 's/^| recording overhead (median of per-round ratios) | \([0-9.]*\)x |$/\1/p')
    plain=$(echo "$out" | sed -n 's/^| plain run (median) | \([0-9.]*\) s |$/\1/p')
    fastest=$(echo "$out" | sed -n 's/^| recording overhead (fastest recorded run \/ fastest plain run) | \([0-9.]*\)x |$/\1/p')
    waits=$(echo "$out" | sed -n 's/^| issuing thread waiting for a full queue (median per recorded run) | \(.*\) |$/\1/p')
    calm=$(echo "$out" | sed -n 's/^| recording overhead, rounds without host steal[^|]* | \(.*\) |$/\1/p')
    echo "$r $dir overhead ${overhead}x (fastest runs ${fastest}x; rounds without host steal: ${calm:-unknown}) plain ${plain} s waits ${waits}"
    echo "$r $dir $overhead" >> "$results"
  done
done

echo
awk -v first="$1" -v second="${2:-}" '
  { v[$2] = v[$2] " " $3; n[$2]++; o[$1, $2] = $3; if (!($2 in seen)) { seen[$2] = 1; order[++k] = $2 } if ($1 > reps) reps = $1 }
  END {
    for (i = 1; i <= k; i++) {
      b = order[i]; m = split(v[b], xs, " ")
      for (p = 1; p <= m; p++) for (q = p + 1; q <= m; q++) if (xs[q] < xs[p]) { t = xs[p]; xs[p] = xs[q]; xs[q] = t }
      med = (m % 2) ? xs[(m + 1) / 2] : (xs[m / 2] + xs[m / 2 + 1]) / 2
      printf "%s: median %.3fx of %d (%.3fx-%.3fx)\n", b, med, m, xs[1], xs[m]
    }
    if (second != "") {
      lower = 0; pairs = 0
      for (r = 1; r <= reps; r++) if (((r, first) in o) && ((r, second) in o)) { pairs++; if (o[r, second] < o[r, first]) lower++ }
      printf "%s lower than %s in %d of %d rounds\n", second, first, lower, pairs
    }
  }' "$results"
