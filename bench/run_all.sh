#!/usr/bin/env bash
# run_all.sh: every benchmark in turn (import, trends, sync, webhook), then
# one markdown summary: the date, the machine, the source state, the tables,
# the commands. Written to build/bench-data/results/summary.md and printed.
# Takes about 15 minutes on 2 cores. See bench/README.md.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HERE=$BENCH_ROOT/bench
build
export BENCH_NO_BUILD=1 # one build for every benchmark

started=$(now_s)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for b in import trends sync webhook_latency scattered_edits; do
    log "=== $b.sh"
    "$HERE/$b.sh" >"$BENCH_RESULTS/$b.out"
done

SUMMARY=$BENCH_RESULTS/summary.md
{
    echo "## sheetsync benchmarks, $(date '+%Y-%m-%d %H:%M %Z')"
    echo
    echo "Machine: $(machine)."
    echo "Source: $(git -C "$BENCH_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$BENCH_ROOT" diff --quiet HEAD -- . ':!bench' 2>/dev/null || echo ' with local changes'); build: RelWithDebInfo ($BENCH_BUILD)."
    echo "Load average (1, 5, 15 min) before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg). All of it took $(elapsed "$started") s."
    for b in import trends sync webhook_latency scattered_edits; do
        sed -n '/^### /,$p' "$BENCH_RESULTS/$b.out"
        echo
    done
} >"$SUMMARY"
cat "$SUMMARY"
