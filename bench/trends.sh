#!/usr/bin/env bash
# trends.sh: `sheetsync serve` over the 1,500-row demo data (data/issues.csv
# imported) under `wrk -t2 -c64 -d10s --latency`, BENCH_RUNS times per
# endpoint: median requests/s, latency p50 and p99, non-2xx answers, the load
# average, and the server's peak RSS. wrk runs on the same machine, so it
# takes CPU from the server. See bench/README.md.
#
# Env: BENCH_WRK_DURATION (10s), BENCH_WRK_THREADS (2), BENCH_WRK_CONNECTIONS (64),
# BENCH_TRENDS_ENDPOINTS (space-separated paths; default: the six below).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_tools wrk curl
build

DURATION=${BENCH_WRK_DURATION:-10s}
THREADS=${BENCH_WRK_THREADS:-2}
CONNS=${BENCH_WRK_CONNECTIONS:-64}
OUT=$BENCH_RESULTS/trends.md
DB=$BENCH_DATA/trends.db
ENDPOINTS=(
    "/trends/weekly"
    "/trends/weekly?group_by=priority"
    "/healthz"
    "/issues?limit=100"
    "/trends/weekly?group_by=vehicle"
    "/trends/weekly?format=csv"
)
[[ -z ${BENCH_TRENDS_ENDPOINTS:-} ]] || read -ra ENDPOINTS <<<"$BENCH_TRENDS_ENDPOINTS"

fresh_db "$DB"
log "importing data/issues.csv"
"${CLEAN_ENV[@]}" "$SHEETSYNC" --db "$DB" import-csv "$BENCH_ROOT/data/issues.csv" \
    2>"$BENCH_DATA/trends-import.log" || die "import failed (see $BENCH_DATA/trends-import.log)"

start_serve "$BENCH_DATA/trends-serve.log" SHEETSYNC_DB="$DB"
log "serving on $SERVE_URL"

{
    echo "| endpoint (\`wrk -t$THREADS -c$CONNS -d$DURATION\`, $BENCH_RUNS runs, median) | body bytes | requests/s | p50 ms | p99 ms | non-2xx | load avg (1 min) |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
} >"$OUT"

for ep in "${ENDPOINTS[@]}"; do
    code=$(curl -s -o "$BENCH_DATA/trends-body" -w '%{http_code}' "$SERVE_URL$ep")
    [[ $code == 200 ]] || die "GET $ep answered $code"
    bytes=$(stat -c %s "$BENCH_DATA/trends-body")
    rps=() p50=() p99=() loads=() non2xx=0
    for ((i = 1; i <= BENCH_RUNS; i++)); do
        res=$BENCH_DATA/trends-wrk-$i.txt
        loads+=("$(load1)")
        wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout 5s --latency "$SERVE_URL$ep" >"$res"
        parse_wrk "$res"
        log "wrk $ep, run $i: $W_RPS req/s, p50 $W_P50 ms, p99 $W_P99 ms, load ${loads[-1]}${W_ERRORS:+, $W_ERRORS}"
        rps+=("$W_RPS") p50+=("$W_P50") p99+=("$W_P99") non2xx=$((non2xx + W_NON2XX))
    done
    # shellcheck disable=SC2016 # markdown backquotes
    printf '| `%s` | %s | %s | %s | %s | %s | %s |\n' "$ep" "$bytes" "$(median "${rps[@]}")" \
        "$(median "${p50[@]}")" "$(median "${p99[@]}")" "$non2xx" "$(span "${loads[@]}")" >>"$OUT"
done

rss=$(peak_rss "$SERVE_PID")
stop_pid "$SERVE_PID"

echo
echo "### serve, 1,500-row demo data ($(date '+%Y-%m-%d %H:%M %Z'))"
echo
cat "$OUT"
echo
echo "sheetsync serve peak RSS over all runs: $(mib "$rss") MiB."
echo
echo "Commands (repository root; each wrk run $BENCH_RUNS times):"
echo
echo '```'
echo "build/bench/sheetsync --db build/bench-data/trends.db import-csv data/issues.csv"
echo "SHEETSYNC_DB=build/bench-data/trends.db SHEETSYNC_PORT=0 build/bench/sheetsync serve"
for ep in "${ENDPOINTS[@]}"; do
    echo "wrk -t$THREADS -c$CONNS -d$DURATION --timeout 5s --latency '$SERVE_URL$ep'"
done
echo '```'
