#!/usr/bin/env bash
# sync.sh: `sheetsync sync` against sheets-emulator loaded with 10,000 rows
# and with 769,230 rows x 13 columns (10 million cells, Google's limit):
# BENCH_RUNS full syncs into a fresh database and BENCH_RUNS syncs with
# nothing changed; median wall time, rows/s, cells/s, peak RSS of sheetsync,
# peak RSS and CPU time of the emulator (to show it is not the bottleneck).
# On both sheets, range syncs of 5 rows (bench/range_sync.c, the
# pull a webhook triggers; BENCH_RUNS times, each the median of 20 pulls).
# See bench/README.md.
#
# Env: BENCH_SYNC_SIZES ("10000 769230"), BENCH_RANGE_SIZES (sizes that get
# the range syncs, "10000 769230"), BENCH_RANGE_ROWS (5), BENCH_RANGE_PULLS (20).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

need_tools time python3
build

SIZES=${BENCH_SYNC_SIZES:-"10000 769230"}
RANGE_SIZES=${BENCH_RANGE_SIZES:-"10000 769230"}
RANGE_ROWS=${BENCH_RANGE_ROWS:-5}
RANGE_PULLS=${BENCH_RANGE_PULLS:-20}
COLUMNS=13 # tools/gen_issues.py writes 13 columns
OUT=$BENCH_RESULTS/sync.md
RANGE_OUT=$BENCH_RESULTS/sync-range.md
DB=$BENCH_DATA/sync.db

{
    echo "| sync ($BENCH_RUNS runs, median) | sheet rows × 13 = cells | wall s | rows/s | cells/s | sheetsync peak RSS MiB | sheetsync CPU s | emulator CPU s | emulator peak RSS MiB | DB MB | rows read / changed / issue versions | load avg (1 min) |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"
} >"$OUT"
{
    echo "| range sync of $RANGE_ROWS rows ($BENCH_RUNS runs of $RANGE_PULLS pulls; median of the per-run medians) | sheet rows | median ms | min ms | max ms | load avg (1 min) |"
    echo "| --- | ---: | ---: | ---: | ---: | --- |"
} >"$RANGE_OUT"

SYNC_ENV=()
# series NAME LABEL ROWS PREPARE: BENCH_RUNS timed `sheetsync sync` runs
# against the running emulator, each after PREPARE (untimed).
series() {
    local name=$1 label=$2 rows=$3 prepare=$4 cells walls=() rsss=() cpus=() ecpus=() loads=()
    local i c0 wall
    cells=$((rows * COLUMNS))
    for ((i = 1; i <= BENCH_RUNS; i++)); do
        "$prepare"
        c0=$(cpu_s "$EMU_PID")
        timed "$BENCH_DATA/sync-$name-$i" "${SYNC_ENV[@]}" "$SHEETSYNC" sync
        ecpus+=("$(awk -v a="$c0" -v b="$(cpu_s "$EMU_PID")" 'BEGIN { printf "%.2f", b - a }')")
        log "  $label, run $i: $T_WALL s, peak RSS $(mib "$T_RSS") MiB, emulator CPU ${ecpus[-1]} s, load $T_LOAD"
        walls+=("$T_WALL") rsss+=("$T_RSS") cpus+=("$T_CPU") loads+=("$T_LOAD")
    done
    parse_counts "$BENCH_DATA/sync-$name-$BENCH_RUNS.log"
    wall=$(median "${walls[@]}")
    printf '| %s | %s × 13 = %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %s |\n' \
        "$label" "$rows" "$cells" "$wall" "$(div "$rows" "$wall")" "$(div "$cells" "$wall")" \
        "$(mib "$(median "${rsss[@]}")")" "$(median "${cpus[@]}")" "$(median "${ecpus[@]}")" \
        "$(mib "$(peak_rss "$EMU_PID")")" "$(mb_file "$DB")" "$L_READ" "$L_CHANGED" \
        "$L_VERSIONS" "$(span "${loads[@]}")" >>"$OUT"
}
prep_fresh() { fresh_db "$DB"; }
prep_none() { :; }

for n in $SIZES; do
    csv=$BENCH_DATA/issues-$n.csv
    gen_csv "$n" "$csv"
    log "starting sheets-emulator with $n rows"
    start=$(now_s)
    start_emulator "$csv" "emu-$n"
    log "  loaded in $(elapsed "$start") s, $EMU_URL, RSS $(mib "$(peak_rss "$EMU_PID")") MiB"
    SYNC_ENV=("${CLEAN_ENV[@]}" SHEETSYNC_DB="$DB" SHEETSYNC_SPREADSHEET_ID=demo-sheet
        GOOGLE_APPLICATION_CREDENTIALS="$EMU_KEY" SHEETSYNC_SHEETS_API_URL="$EMU_URL")
    series "$n-full" "$n rows, full sync, fresh database" "$n" prep_fresh
    series "$n-same" "$n rows, again, nothing changed" "$n" prep_none

    if [[ " $RANGE_SIZES " == *" $n "* ]]; then
        first=$((n / 2))
        meds=() mins=() maxs=() loads=()
        for ((i = 1; i <= BENCH_RUNS; i++)); do
            loads+=("$(load1)")
            "$BENCH_BUILD/range_sync" "$DB" "$EMU_URL" "$EMU_KEY" demo-sheet "$first" \
                "$RANGE_ROWS" "$RANGE_PULLS" >"$BENCH_DATA/range_sync-$n-$i.out" \
                2>"$BENCH_DATA/range_sync-$n-$i.log" ||
                { cat "$BENCH_DATA/range_sync-$n-$i.log" >&2; die "range_sync failed"; }
            log "  range sync, run $i, load ${loads[-1]}: $(tr '\n' ';' <"$BENCH_DATA/range_sync-$n-$i.out")"
        done
        for s in summary priority unchanged; do
            meds=() mins=() maxs=()
            for ((i = 1; i <= BENCH_RUNS; i++)); do
                line=$(grep "^range_sync $s " "$BENCH_DATA/range_sync-$n-$i.out")
                meds+=("$(sed -E 's/.* median_ms=([0-9.]+).*/\1/' <<<"$line")")
                mins+=("$(sed -E 's/.* min_ms=([0-9.]+).*/\1/' <<<"$line")")
                maxs+=("$(sed -E 's/.* max_ms=([0-9.]+).*/\1/' <<<"$line")")
            done
            case $s in
            summary) what="Summary (column C) edited: weekly model untouched" ;;
            priority) what="Priority (column E) edited: weekly model refreshed" ;;
            unchanged) what="nothing changed (content-hash path)" ;;
            esac
            printf '| %s, rows %s–%s | %s | %s | %s | %s | %s |\n' "$what" "$first" \
                "$((first + RANGE_ROWS - 1))" "$n" "$(median "${meds[@]}")" \
                "$(printf '%s\n' "${mins[@]}" | sort -g | head -1)" \
                "$(printf '%s\n' "${maxs[@]}" | sort -g | tail -1)" \
                "$(span "${loads[@]}")" >>"$RANGE_OUT"
        done
    fi
    stop_pid "$EMU_PID"
done

echo
echo "### sync through sheets-emulator ($(date '+%Y-%m-%d %H:%M %Z'))"
echo
cat "$OUT"
echo
cat "$RANGE_OUT"
echo
echo "Commands (repository root; every SHEETSYNC_* variable unset but SHEETSYNC_LOG_LEVEL=info):"
echo
echo '```'
echo "python3 tools/gen_issues.py --rows N --out build/bench-data/issues-N.csv"
echo "build/bench/sheets-emulator --csv build/bench-data/issues-N.csv --bind 127.0.0.1 --port 0 \\"
echo "    --port-file build/bench-data/emu-N.port --key-out build/bench-data/emu-N-key.json --log-level warn"
echo "/usr/bin/time -v env SHEETSYNC_DB=build/bench-data/sync.db SHEETSYNC_SPREADSHEET_ID=demo-sheet \\"
echo "    GOOGLE_APPLICATION_CREDENTIALS=build/bench-data/emu-N-key.json \\"
echo "    SHEETSYNC_SHEETS_API_URL=http://127.0.0.1:PORT build/bench/sheetsync sync"
echo "build/bench/range_sync build/bench-data/sync.db http://127.0.0.1:PORT \\"
echo "    build/bench-data/emu-N-key.json demo-sheet N/2 $RANGE_ROWS $RANGE_PULLS"
echo '```'
