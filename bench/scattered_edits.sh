#!/usr/bin/env bash
# scattered_edits.sh: on a 10,000-row sheet, 10 Priority edits on rows 1000,
# 2000, ..., 10000 sent back to back (bench/scattered_edits.py), with the
# default debounce: the time until all ten show, and how many values reads
# the worker made for them. See bench/README.md.
#
# Env: BENCH_SCATTER_ROWS (rows of the sheet, 10000), BENCH_RUNS (trials, 3).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROWS=${BENCH_SCATTER_ROWS:-10000}
DB=$BENCH_DATA/scatter.db
SECRET_FILE=$BENCH_DATA/scatter.secret
need_tools python3 openssl curl
build

head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$SECRET_FILE"
csv=$BENCH_DATA/issues-$ROWS-clean.csv
gen_csv "$ROWS" "$csv" --messy-pct 0
start_emulator "$csv" "emu-scatter"
fresh_db "$DB"
start_serve "$BENCH_DATA/scatter-serve.log" SHEETSYNC_DB="$DB" \
    SHEETSYNC_SPREADSHEET_ID=demo-sheet GOOGLE_APPLICATION_CREDENTIALS="$EMU_KEY" \
    SHEETSYNC_SHEETS_API_URL="$EMU_URL" SHEETSYNC_WEBHOOK_SECRET_FILE="$SECRET_FILE" \
    SHEETSYNC_RECONCILE_SECONDS=0
for _ in $(seq 600); do
    curl -fsS "$SERVE_URL/readyz" 2>/dev/null | grep -q '"last_sync_ok_at":"' && break
    sleep 0.1
done
curl -fsS -X POST "$EMU_URL/_emulator/reset" >/dev/null
rows=$(seq -s, 1000 1000 "$ROWS")
mapfile -t ms < <(python3 "$BENCH_ROOT/bench/scattered_edits.py" --url "$SERVE_URL" \
    --emulator "$EMU_URL" --key "$EMU_KEY" --secret-file "$SECRET_FILE" --rows "$rows" \
    --trials "$BENCH_RUNS")
reads=$(curl -fsS "$EMU_URL/_emulator/requests" | python3 -c 'import json, sys
import re  # the worker reads whole rows (Issues!1000:10000), the script single cells
print(sum(r["method"] == "GET" and bool(re.search(r"/values/Issues!\d+:\d+", r["path"]))
          for r in json.load(sys.stdin)))')
echo "### Scattered edits ($(date -u +%H:%M) UTC, load $(cut -d' ' -f1 /proc/loadavg))"
echo
echo "| sheet rows | edits (rows) | all visible after, ms (median of $BENCH_RUNS) | values reads per trial |"
echo "| ---: | --- | ---: | ---: |"
echo "| $ROWS | $(tr ',' ' ' <<<"$rows" | wc -w) ($rows) | $(median "${ms[@]}") | $((reads / BENCH_RUNS)) |"
