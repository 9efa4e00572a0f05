#!/usr/bin/env bash
# Runs every test: formatting, the warning-free build, the Criterion suite
# (unit and API tests under ctest), the same suite under AddressSanitizer and
# UndefinedBehaviorSanitizer, the libFuzzer drivers, the Apps Script tests,
# the web tests (openapi.yaml, live responses, the dashboard in Chromium),
# the independent reference model, and the container image under podman.
# Installs what it needs first. Each part can be run alone; see README.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh test

echo "== format (clang-format, .clang-format)"
mapfile -t sources < <(git ls-files -co --exclude-standard -- '*.c' '*.h')
clang-format --dry-run --Werror "${sources[@]}"

jobs=$(nproc)
run_suite() { # name, cmake options...
    local dir="build/$1"; shift
    echo "== build $dir"
    # Tests on explicitly: a tree configured without them (tests/web/run.sh
    # does, for the binaries alone) keeps the option in its cache.
    cmake -S . -B "$dir" -DSHEETSYNC_WERROR=ON -DSHEETSYNC_TESTS=ON "$@" >/dev/null
    cmake --build "$dir" -j"$jobs" >/dev/null
    echo "== test $dir"
    ctest --test-dir "$dir" --output-on-failure --no-tests=error -j"$jobs"
}

run_suite release -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    run_suite sanitize -DCMAKE_BUILD_TYPE=Debug -DSHEETSYNC_SANITIZE=ON
echo "== fuzz (libFuzzer, ${FUZZ_SECONDS:-10} s per parser)"
CC=clang cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=Debug -DSHEETSYNC_FUZZ=ON \
    -DSHEETSYNC_TESTS=OFF -DSHEETSYNC_WERROR=ON >/dev/null
cmake --build build/fuzz -j"$jobs" >/dev/null
for fuzzer in build/fuzz/fuzz_*; do
    [ -x "$fuzzer" ] || continue
    corpus="build/fuzz/corpus_$(basename "$fuzzer")"
    mkdir -p "$corpus"
    log="build/fuzz/$(basename "$fuzzer").log"
    if ! "$fuzzer" -max_total_time="${FUZZ_SECONDS:-10}" -rss_limit_mb=2048 \
        -artifact_prefix=build/fuzz/ "$corpus" >"$log" 2>&1; then
        tail -n 40 "$log"
        echo "fuzz: $fuzzer found a crash (input saved as build/fuzz/crash-*)"
        exit 1
    fi
    echo "$(basename "$fuzzer"): $(grep -E '^Done' "$log")"
done

# The node, reference and container tests use the release binaries built above.
export SHEETSYNC_BIN="$PWD/build/release/sheetsync"
export SHEETS_EMULATOR_BIN="$PWD/build/release/sheets-emulator"
echo "== apps-script (node --test, end to end against sheetsync serve)"
apps-script/test/run.sh
echo "== web (openapi.yaml lint, live responses against it, dashboard in Chromium)"
tests/web/run.sh
echo "== reference model (independent implementation of docs/models.md)"
tests/reference/run.sh
echo "== container (podman build and run of the Dockerfile)"
tests/container/run.sh
echo "== all tests passed"
