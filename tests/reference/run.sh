#!/bin/sh
# Cross-check sheetsync against the independent reference implementation
# tests/reference/model.py (written from docs/models.md alone; compare.py
# imports a sheet, serves it and compares /issues, /quality and
# /trends/weekly with it).
#
#   tests/reference/run.sh [SEEDS]     SEEDS generated sheets per locale (10)
#
# Inputs: the demo sheet, the messy fixture, the missing-column fixture, the
# hand-picked edge sheets of edge_csv.py (en_US and de_DE), SEEDS generated
# messy sheets (fuzz_csv.py) in en_US and in de_DE, a few generated sheets
# imported with the other locale or a non-UTC time zone, and two re-imports
# (a second sheet imported over a first).  SHEETSYNC_BIN overrides the binary.
set -u
cd "$(dirname "$0")/../.."
BIN=${SHEETSYNC_BIN:-build/release/sheetsync}
SEEDS=${1:-10}
if [ ! -x "$BIN" ]; then
    cmake -S . -B build/release -DSHEETSYNC_TESTS=OFF >/dev/null &&
        cmake --build build/release -j2 >/dev/null || exit 1
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
pass=0
fail=0
check() {
    if python3 tests/reference/compare.py --bin "$BIN" "$@"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
    fi
}
fuzz() {  # fuzz SEED LOCALE -> prints the file name
    f="$TMP/fuzz-$2-$1.csv"
    python3 tests/reference/fuzz_csv.py --seed "$1" --locale "$2" \
        --rows $((40 + $1 * 37 % 300)) -o "$f"
    echo "$f"
}

check data/issues.csv
check tests/data/messy.csv
check tests/data/missing_column.csv
python3 tests/reference/fuzz_csv.py --seed 999 --missing-column \
    -o "$TMP/missing.csv"
check "$TMP/missing.csv"

python3 tests/reference/edge_csv.py "$TMP/edges"
for f in "$TMP"/edges/*.csv; do
    check "$f"
    check --locale de_DE "$f"
done

seed=1
while [ "$seed" -le "$SEEDS" ]; do
    for locale in en_US de_DE; do
        check --locale "$locale" "$(fuzz "$seed" "$locale")"
    done
    seed=$((seed + 1))
done

# the other locale's reading of a sheet, other time zones, re-imports
check --locale de_DE "$(fuzz 101 en_US)"
check --locale en_US "$(fuzz 102 de_DE)"
check --timezone America/Chicago "$(fuzz 103 en_US)"
check --timezone Asia/Kolkata --locale de_DE "$(fuzz 104 de_DE)"
check --first "$(fuzz 105 en_US)" "$(fuzz 106 en_US)"
check --first "$(fuzz 107 en_US)" "$TMP/fuzz-en_US-107.csv"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
