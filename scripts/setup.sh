#!/usr/bin/env bash
# Installs the Debian packages that the build, the tests and the demo need,
# only those that are missing. Safe to run again; needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates tzdata
  libmicrohttpd-dev libcurl4-openssl-dev libjson-c-dev libsqlite3-dev
  libjwt-dev libssl-dev libcriterion-dev zlib1g-dev
  clang-format python3 sqlite3 curl libjs-chart.js
)
# Extra groups, requested by the caller: tests want clang (libFuzzer and the
# sanitizer runtime) and Node.js (the Apps Script and web tests) when the
# machine has none; benchmarks want wrk and GNU time.
for extra in "$@"; do
  case "$extra" in
    test)
      packages+=(clang libclang-rt-14-dev)
      command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
      ;;
    bench) packages+=(wrk time) ;;
    *) echo "setup.sh: unknown group '$extra' (known: test, bench)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
