#!/bin/sh
# The container demo: serves the bundled sample sheet (issues.csv) from
# sheets-emulator on the container's loopback, then runs `sheetsync serve`
# pointed at it, so the whole Google path runs (OAuth token, Sheets API, the
# start-up sync, the periodic reconcile) without Google.
#
# tini is PID 1: it forwards SIGTERM to `sheetsync serve` (exec'd below, so it
# is this script's process) and reaps the emulator when the container stops.
set -eu
csv=${SHEETSYNC_DEMO_CSV:-/usr/share/sheetsync/issues.csv}
run=$(mktemp -d /tmp/sheetsync-demo.XXXXXX)

sheets-emulator --csv "$csv" --bind 127.0.0.1 --port 0 \
    --port-file "$run/emulator.port" --key-out "$run/emulator-key.json" \
    --log-level "${SHEETSYNC_LOG_LEVEL:-warn}" &
emulator=$!

# The port file appears once the key file is in place.
i=0
while [ ! -s "$run/emulator.port" ]; do
    if ! kill -0 "$emulator" 2>/dev/null; then
        echo "demo: sheets-emulator failed to start" >&2
        exit 1
    fi
    i=$((i + 1))
    if [ "$i" -gt 100 ]; then
        echo "demo: sheets-emulator did not start within 10 s" >&2
        exit 1
    fi
    sleep 0.1
done

export GOOGLE_APPLICATION_CREDENTIALS="$run/emulator-key.json"
export SHEETSYNC_SHEETS_API_URL="http://127.0.0.1:$(cat "$run/emulator.port")"
export SHEETSYNC_SPREADSHEET_ID=demo-sheet
echo "demo: sheets-emulator serves $csv on $SHEETSYNC_SHEETS_API_URL; starting sheetsync serve" >&2
exec sheetsync serve "$@"
