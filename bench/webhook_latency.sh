#!/usr/bin/env bash
# webhook_latency.sh: the webhook path against sheets-emulator with a
# 10,000-row sheet (tools/gen_issues.py --messy-pct 0). See bench/README.md.
#
#  1. edit-to-visible latency (bench/webhook_bench.c latency): EDITS edits one
#     after another, each a PUT of a cell on the emulator (values.update), a
#     signed notification POSTed to /webhooks/sheets, and GET /issues/{n}
#     polled every 1 ms until the new value shows; p50 and p99 from the start
#     of the PUT. With SHEETSYNC_DEBOUNCE_MS=0 and with the default debounce
#     (the variable unset). BENCH_RUNS runs of EDITS edits each; medians.
#  2. notification throughput: `wrk -t2 -c64 -d10s` POSTing distinct
#     pre-signed tokens (bench/webhook_wrk.lua), default debounce; accepted
#     notifications per second from the server's own counter
#     (sheetsync_webhook_notifications_total{outcome="accepted"}), for edit
#     notifications (each asks for a pull of one random row) and for FORMAT
#     changes (nothing to pull: the accept path alone). After each run the
#     script waits until the worker has pulled every accepted notification
#     and reports how long that took.
#
# Env: BENCH_WEBHOOK_ROWS (10000), BENCH_WEBHOOK_EDITS (200),
# BENCH_WEBHOOK_DEBOUNCES ("0 default"), BENCH_WEBHOOK_EVENTS ("edit format"),
# BENCH_WEBHOOK_TOKENS (tokens per wrk run, 150000), BENCH_WRK_DURATION (10s),
# BENCH_WRK_THREADS (2), BENCH_WRK_CONNECTIONS (64).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_tools wrk curl python3
build

ROWS=${BENCH_WEBHOOK_ROWS:-10000}
EDITS=${BENCH_WEBHOOK_EDITS:-200}
DEBOUNCES=${BENCH_WEBHOOK_DEBOUNCES:-"0 default"}
EVENTS=${BENCH_WEBHOOK_EVENTS:-"edit format"}
TOKENS=${BENCH_WEBHOOK_TOKENS:-150000}
DURATION=${BENCH_WRK_DURATION:-10s}
THREADS=${BENCH_WRK_THREADS:-2}
CONNS=${BENCH_WRK_CONNECTIONS:-64}
HOOK=$BENCH_BUILD/webhook_bench
DB=$BENCH_DATA/webhook.db
OUT=$BENCH_RESULTS/webhook.md
# A fresh random secret per invocation; it is never printed.
SECRET=bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')

csv=$BENCH_DATA/issues-$ROWS-clean.csv
gen_csv "$ROWS" "$csv" --messy-pct 0
log "starting sheets-emulator with $ROWS rows"
start_emulator "$csv" "emu-hook"

# serve DEBOUNCE: `sheetsync serve` on a fresh database, webhooks on, no
# reconcile, SHEETSYNC_DEBOUNCE_MS=DEBOUNCE ("default": unset); returns once
# the start-up full sync is done (/readyz names a last good sync).
serve() {
    local d=()
    [[ $1 == default ]] || d=(SHEETSYNC_DEBOUNCE_MS="$1")
    fresh_db "$DB"
    start_serve "$BENCH_DATA/webhook-serve.log" SHEETSYNC_DB="$DB" \
        SHEETSYNC_SPREADSHEET_ID=demo-sheet GOOGLE_APPLICATION_CREDENTIALS="$EMU_KEY" \
        SHEETSYNC_SHEETS_API_URL="$EMU_URL" SHEETSYNC_WEBHOOK_SECRET="$SECRET" \
        SHEETSYNC_RECONCILE_SECONDS=0 "${d[@]}"
    for _ in $(seq 600); do
        curl -fsS "$SERVE_URL/readyz" 2>/dev/null | grep -q '"last_sync_ok_at":"' && return 0
        kill -0 "$SERVE_PID" 2>/dev/null || break
        sleep 0.1
    done
    die "sheetsync serve did not finish its start-up sync (see $BENCH_DATA/webhook-serve.log)"
}

# metric NAME_AND_LABELS: one value of GET /metrics (0 when absent).
metric() {
    curl -fsS "$SERVE_URL/metrics" | awk -v m="$1" '$1 == m { v = $2 } END { print v + 0 }'
}
ACCEPTED='sheetsync_webhook_notifications_total{outcome="accepted"}'

# wait_drained: until the worker has nothing queued (at most 10 minutes);
# sets DRAIN_S.
wait_drained() {
    local start
    start=$(now_s)
    for _ in $(seq 6000); do
        (($(metric sheetsync_queue_depth) == 0)) && break
        sleep 0.1
    done
    DRAIN_S=$(elapsed "$start")
}

{
    echo "| edit-to-visible latency ($BENCH_RUNS runs of $EDITS edits, $ROWS-row sheet; median) | p50 ms | p99 ms | max ms | PUT + POST p50 ms | load avg (1 min) |"
    echo "| --- | ---: | ---: | ---: | ---: | --- |"
} >"$OUT"
for d in $DEBOUNCES; do
    serve "$d"
    label="SHEETSYNC_DEBOUNCE_MS=$d"
    [[ $d != default ]] || label="default debounce (SHEETSYNC_DEBOUNCE_MS unset: 200 ms)"
    p50=() p99=() max=() send=() loads=()
    for ((i = 1; i <= BENCH_RUNS; i++)); do
        loads+=("$(load1)")
        res=$BENCH_DATA/webhook-latency-$d-$i.txt
        "$HOOK" latency --url "$SERVE_URL" --emulator "$EMU_URL" --key "$EMU_KEY" \
            --secret "$SECRET" --edits "$EDITS" >"$res" || die "webhook_bench latency failed"
        log "latency $label, run $i, load ${loads[-1]}: $(cat "$res")"
        p50+=("$(sed -E 's/.* p50_ms=([0-9.]+).*/\1/' "$res")")
        p99+=("$(sed -E 's/.* p99_ms=([0-9.]+).*/\1/' "$res")")
        max+=("$(sed -E 's/.* max_ms=([0-9.]+).*/\1/' "$res")")
        send+=("$(sed -E 's/.* put_post_p50_ms=([0-9.]+).*/\1/' "$res")")
    done
    printf '| %s | %s | %s | %s | %s | %s |\n' "$label" "$(median "${p50[@]}")" \
        "$(median "${p99[@]}")" "$(median "${max[@]}")" "$(median "${send[@]}")" \
        "$(span "${loads[@]}")" >>"$OUT"
    stop_pid "$SERVE_PID"
done

{
    echo
    echo "| notifications (\`wrk -t$THREADS -c$CONNS -d$DURATION\`, distinct tokens, default debounce; $BENCH_RUNS runs, median) | accepted 202/s | wrk requests/s | p50 ms | p99 ms | non-2xx | queue drained after s | load avg (1 min) |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
} >>"$OUT"
for ev in $EVENTS; do
    serve default
    acc=() rps=() p50=() p99=() drain=() loads=() non2xx=0
    for ((i = 1; i <= BENCH_RUNS; i++)); do
        tokens=$BENCH_DATA/webhook-tokens.txt
        "$HOOK" tokens --secret "$SECRET" --count "$TOKENS" --rows "$ROWS" --event "$ev" >"$tokens"
        res=$BENCH_DATA/webhook-wrk-$ev-$i.txt
        before=$(metric "$ACCEPTED")
        loads+=("$(load1)")
        wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout 10s --latency \
            -s "$BENCH_ROOT/bench/webhook_wrk.lua" "$SERVE_URL" -- "$tokens" "$THREADS" >"$res"
        after=$(metric "$ACCEPTED")
        secs=$(awk '/requests in/ { sub(/s,?$/, "", $4); print $4 }' "$res")
        parse_wrk "$res"
        wait_drained
        acc+=("$(div $((after - before)) "$secs")") rps+=("$W_RPS") p50+=("$W_P50")
        p99+=("$W_P99") drain+=("$DRAIN_S") non2xx=$((non2xx + W_NON2XX))
        log "wrk $ev, run $i, load ${loads[-1]}: $((after - before)) accepted in $secs s (${acc[-1]}/s), $W_RPS req/s, p50 $W_P50 ms, p99 $W_P99 ms, non-2xx $W_NON2XX${W_ERRORS:+, $W_ERRORS}; drained after $DRAIN_S s"
    done
    rm -f "$tokens"
    what="edit of one random row each"
    [[ $ev != format ]] || what="change FORMAT (nothing to pull)"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$what" "$(median "${acc[@]}")" \
        "$(median "${rps[@]}")" "$(median "${p50[@]}")" "$(median "${p99[@]}")" "$non2xx" \
        "$(median "${drain[@]}")" "$(span "${loads[@]}")" >>"$OUT"
    stop_pid "$SERVE_PID"
done

echo
echo "### webhook, $ROWS-row sheet through sheets-emulator ($(date '+%Y-%m-%d %H:%M %Z'))"
echo
cat "$OUT"
echo
echo "Commands (repository root; every SHEETSYNC_* variable unset but SHEETSYNC_LOG_LEVEL=info):"
echo
echo '```'
echo "python3 tools/gen_issues.py --rows $ROWS --messy-pct 0 --out build/bench-data/issues-$ROWS-clean.csv"
echo "build/bench/sheets-emulator --csv build/bench-data/issues-$ROWS-clean.csv --port 0 \\"
echo "    --port-file build/bench-data/emu-hook.port --key-out build/bench-data/emu-hook-key.json"
echo "SHEETSYNC_DB=build/bench-data/webhook.db SHEETSYNC_PORT=0 SHEETSYNC_SPREADSHEET_ID=demo-sheet \\"
echo "    GOOGLE_APPLICATION_CREDENTIALS=build/bench-data/emu-hook-key.json \\"
echo "    SHEETSYNC_SHEETS_API_URL=http://127.0.0.1:EMU_PORT SHEETSYNC_WEBHOOK_SECRET=\$SECRET \\"
echo "    SHEETSYNC_RECONCILE_SECONDS=0 [SHEETSYNC_DEBOUNCE_MS=0] build/bench/sheetsync serve"
echo "build/bench/webhook_bench latency --url http://127.0.0.1:PORT --emulator http://127.0.0.1:EMU_PORT \\"
echo "    --key build/bench-data/emu-hook-key.json --secret \$SECRET --edits $EDITS"
echo "build/bench/webhook_bench tokens --secret \$SECRET --count $TOKENS --rows $ROWS --event edit|format > tokens.txt"
echo "wrk -t$THREADS -c$CONNS -d$DURATION --timeout 10s --latency -s bench/webhook_wrk.lua http://127.0.0.1:PORT -- tokens.txt $THREADS"
echo '```'
