#!/usr/bin/env bash
# The demo: the real Google path without Google. Builds sheetsync and
# sheets-emulator (a local stand-in for the Sheets API and OAuth), loads the
# bundled sample sheet (data/issues.csv) into the emulator, and runs
# `sheetsync serve` against it: service-account token, spreadsheets.get,
# values.get in chunks, cleaning, SQLite, weekly models, the API.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHEETSYNC_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)" >/dev/null

demo=build/demo
mkdir -p "$demo"
rm -f "$demo"/emulator.port "$demo"/sheetsync.db*
build/release/sheets-emulator --csv data/issues.csv --typed --sheet Issues \
    --timezone America/Chicago --port 0 --port-file "$demo/emulator.port" \
    --key-out "$demo/service-account.json" --log-level warn &
emulator=$!
trap 'kill $emulator 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$demo/emulator.port" ] && break; sleep 0.1; done
[ -s "$demo/emulator.port" ] || { echo "demo: sheets-emulator did not start" >&2; exit 1; }

export SHEETSYNC_DB=$PWD/$demo/sheetsync.db
export SHEETSYNC_PORT=${SHEETSYNC_PORT:-8080}
export SHEETSYNC_SPREADSHEET_ID=demo-sheet
export SHEETSYNC_SHEETS_API_URL=http://127.0.0.1:$(cat "$demo/emulator.port")
export GOOGLE_APPLICATION_CREDENTIALS=$PWD/$demo/service-account.json

base="http://127.0.0.1:$SHEETSYNC_PORT"
cat <<MSG

sheetsync demo on $base, syncing from the emulated Google Sheet at $SHEETSYNC_SHEETS_API_URL
(Ctrl-C stops both). Open the dashboard at $base/ or try:
  curl '$base/trends/weekly?group_by=priority'
  curl '$base/trends/weekly?format=csv'
  curl '$base/issues?status=open&limit=5'
  curl '$base/quality'
  curl '$base/syncs'

MSG
# In the background, so a SIGTERM to this script (not only Ctrl-C to the
# terminal's process group) stops both processes.
build/release/sheetsync serve &
server=$!
trap 'kill $server $emulator 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
wait $server
