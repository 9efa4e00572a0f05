#!/usr/bin/env bash
# The web tests: `redocly lint` of openapi.yaml, then node's test runner on
# tests/web/test/ (every endpoint of contract §5 validated against
# openapi.yaml with ajv, /metrics parsed strictly and by promtool, the
# dashboard in headless Chromium through playwright-core). Installs what it
# needs first: Chromium, Chart.js and promtool from Debian, the node modules
# with `npm ci`, and the two binaries when SHEETSYNC_BIN is not given.
#
# Artifacts: build/artifacts/dashboard.png, dashboard-phone.png and
# dashboard-metrics.json (transfer size, time to first render).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
need=()
command -v chromium >/dev/null || need+=(chromium)
[ -f /usr/share/javascript/chart.js/chart.min.js ] || need+=(libjs-chart.js)
command -v promtool >/dev/null || need+=(prometheus) # promtool check metrics
if [ ${#need[@]} -gt 0 ]; then
    echo "== web: installing ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    if ! $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; then
        # promtool is a bonus (the tests parse /metrics strictly themselves);
        # Chromium and Chart.js are not.
        $sudo apt-get install -y -qq --no-install-recommends \
            $(printf '%s\n' "${need[@]}" | grep -vx prometheus) >/dev/null
    fi
fi
command -v node >/dev/null && command -v npm >/dev/null ||
    { echo "web: node and npm are needed (Node.js 20.19 or later)" >&2; exit 2; }

if [ -z "${SHEETSYNC_BIN:-}" ]; then
    # Configured once (a tree configured by scripts/test.sh keeps its options);
    # the build is incremental, so the binaries are never stale.
    if [ ! -f build/release/CMakeCache.txt ]; then
        cmake -S . -B build/release -DSHEETSYNC_TESTS=OFF >/dev/null
    fi
    echo "== web: build build/release (sheetsync, sheets-emulator)"
    cmake --build build/release -j2 --target sheetsync sheets-emulator >/dev/null
    export SHEETSYNC_BIN="$root/build/release/sheetsync"
    export SHEETS_EMULATOR_BIN="$root/build/release/sheets-emulator"
fi

cd "$here"
echo "== web: npm ci"
npm ci --no-audit --no-fund --loglevel=error >/dev/null
mkdir -p "$root/build/artifacts"
echo "== web: redocly lint openapi.yaml"
npm run --silent lint
echo "== web: node --test"
npm test --silent
