#!/usr/bin/env bash
# The demo: builds sheetsync, loads the bundled sample sheet (data/issues.csv)
# into a fresh SQLite file and serves the trends API and the dashboard.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHEETSYNC_TESTS=OFF >/dev/null
cmake --build build/release -j"$(nproc)" >/dev/null

export SHEETSYNC_DB=${SHEETSYNC_DB:-$PWD/build/demo.db}
export SHEETSYNC_PORT=${SHEETSYNC_PORT:-8080}
rm -f "$SHEETSYNC_DB" "$SHEETSYNC_DB-wal" "$SHEETSYNC_DB-shm"
bin=build/release/sheetsync
$bin import-csv data/issues.csv --source default --timezone America/Chicago

base="http://127.0.0.1:$SHEETSYNC_PORT"
cat <<MSG

sheetsync demo is starting on $base (Ctrl-C stops it). Try:
  curl '$base/trends/weekly?group_by=priority'
  curl '$base/trends/weekly?format=csv'
  curl '$base/issues?status=open&limit=5'
  curl '$base/quality'
  curl '$base/vehicles'
  open $base/ in a browser for the dashboard

MSG
exec $bin serve
