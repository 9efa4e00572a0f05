#!/bin/sh
# The image's entry point, run under tini (PID 1). Everything goes to
# `sheetsync` (`docker run IMAGE sync --full`, `... migrate`, `... --version`)
# except a few words for the image's other tools:
#   demo                  the self-contained demo: sheets-emulator + sheetsync serve
#   sheets-emulator ...   the Google Sheets API stand-in (compose demo, tests)
#   sqlite3 ... | sh | bash
set -eu
case "${1:-}" in
demo)
    shift
    exec /usr/local/lib/sheetsync/demo.sh "$@"
    ;;
sheets-emulator | sqlite3 | sh | bash)
    exec "$@"
    ;;
esac
exec sheetsync "$@"
