#!/usr/bin/env bash
# Runs every test: formatting, the warning-free build, the Criterion suite
# (unit and API tests under ctest), then the same suite under AddressSanitizer
# and UndefinedBehaviorSanitizer. Installs what it needs first.
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
    cmake -S . -B "$dir" -DSHEETSYNC_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j"$jobs" >/dev/null
    echo "== test $dir"
    ctest --test-dir "$dir" --output-on-failure -j"$jobs"
}

run_suite release -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    run_suite sanitize -DCMAKE_BUILD_TYPE=Debug -DSHEETSYNC_SANITIZE=ON
echo "== all tests passed"
