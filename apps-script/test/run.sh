#!/usr/bin/env bash
# The Apps Script tests: installs the locked dev dependencies (jose, acorn)
# and runs Node's built-in test runner. The end-to-end test needs
# ../build/release/sheetsync and ../build/release/sheets-emulator (or
# SHEETSYNC_BIN / SHEETS_EMULATOR_BIN); it is skipped, saying so, when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund --loglevel=error
npm test
