# shellcheck shell=bash disable=SC2034 # sourced: the variables it sets are the callers'
# Shared by the bench/*.sh scripts (sourced, not run). Bash, set -euo pipefail
# in the caller. Everything stays on 127.0.0.1; every process a script starts
# is recorded in BENCH_PIDS and stopped, by pid, by the EXIT trap.
#
# Environment: BENCH_BUILD (default build/bench), BENCH_DATA (default
# build/bench-data), BENCH_RUNS (repetitions of each measurement, default 3;
# tables show the median).

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_BUILD=${BENCH_BUILD:-$BENCH_ROOT/build/bench}
BENCH_DATA=${BENCH_DATA:-$BENCH_ROOT/build/bench-data}
BENCH_RESULTS=$BENCH_DATA/results
BENCH_RUNS=${BENCH_RUNS:-3}
SHEETSYNC=$BENCH_BUILD/sheetsync
EMULATOR=$BENCH_BUILD/sheets-emulator
BENCH_PIDS=()

mkdir -p "$BENCH_DATA" "$BENCH_RESULTS"

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

# Stops every process this script started, newest first, by pid.
bench_cleanup() {
    local i
    for ((i = ${#BENCH_PIDS[@]} - 1; i >= 0; i--)); do
        stop_pid "${BENCH_PIDS[i]}"
    done
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# Stops one process started by this script (TERM, then KILL after 10 s) and
# forgets it.
stop_pid() {
    local pid=$1 keep=() p
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    for p in "${BENCH_PIDS[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
    BENCH_PIDS=("${keep[@]}")
}

# need_tools TOOL...: stops with the apt-get line when one is missing.
need_tools() {
    local missing=() t
    for t in "$@"; do
        case $t in
        time) [[ -x /usr/bin/time ]] || missing+=(time) ;;
        *) command -v "$t" >/dev/null || missing+=("$t") ;;
        esac
    done
    ((${#missing[@]} == 0)) || die "missing tools: apt-get install -y ${missing[*]}"
}

# Configures (once) and builds sheetsync, sheets-emulator and the bench/*.c
# programs (RelWithDebInfo, tests off); incremental, so quick when nothing
# changed. BENCH_NO_BUILD=1 skips it (binaries built elsewhere).
build() {
    if [[ ${BENCH_NO_BUILD:-0} != 1 ]]; then
        if [[ ! -f $BENCH_BUILD/CMakeCache.txt ]]; then
            log "configuring $BENCH_BUILD"
            cmake -S "$BENCH_ROOT" -B "$BENCH_BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
                -DSHEETSYNC_TESTS=OFF >"$BENCH_DATA/build.log" 2>&1 ||
                die "configure failed (see $BENCH_DATA/build.log)"
        fi
        log "building in $BENCH_BUILD"
        cmake --build "$BENCH_BUILD" -j"$(nproc)" >"$BENCH_DATA/build.log" 2>&1 || {
            tail -20 "$BENCH_DATA/build.log" >&2
            die "build failed (see $BENCH_DATA/build.log)"
        }
    fi
    local b
    for b in sheetsync sheets-emulator range_sync webhook_bench; do
        [[ -x $BENCH_BUILD/$b ]] || die "$BENCH_BUILD/$b missing"
    done
}

# gen_csv ROWS FILE [gen_issues.py options]: the deterministic generator, run
# once per file name.
gen_csv() {
    local rows=$1 out=$2
    shift 2
    if [[ ! -s $out ]]; then
        log "generating $rows rows into $out"
        python3 "$BENCH_ROOT/tools/gen_issues.py" --rows "$rows" "$@" --out "$out.tmp"
        mv "$out.tmp" "$out"
    fi
}

now_s() { printf '%s' "$EPOCHREALTIME"; }
# elapsed START: seconds since START (from now_s), 3 decimals.
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }
# div A B [DECIMALS]
div() { awk -v a="$1" -v b="$2" -v d="${3:-0}" 'BEGIN { printf "%.*f", d, (b > 0 ? a / b : 0) }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }                   # KiB -> MiB
mb_file() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f", b / 1e6 }'; } # bytes -> MB

# median X...: the median of numbers (the middle one, or the mean of the two
# middle ones).
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
        END { if (NR == 0) print "?"; else if (NR % 2) print v[(NR + 1) / 2];
              else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# span X...: "min–max" of numbers (the load averages of a series of runs).
span() {
    printf '%s\n' "$@" | sort -g | awk 'NR == 1 { a = $1 } { b = $1 }
        END { if (a == b) print a; else print a "–" b }'
}

# The 1-minute load average (uptime's first figure).
load1() { cut -d' ' -f1 /proc/loadavg; }

# timed OUTPREFIX CMD...: runs CMD under /usr/bin/time -v; stdout goes to
# OUTPREFIX.out, stderr to OUTPREFIX.log, the rusage report to
# OUTPREFIX.time. Sets T_WALL (s, from /usr/bin/time), T_RSS (peak RSS, KiB),
# T_CPU (user + sys s) and T_LOAD (1-min load average just before). Fails when
# CMD fails.
timed() {
    local pre=$1 rc=0
    shift
    T_LOAD=$(load1)
    /usr/bin/time -v -o "$pre.time" "$@" >"$pre.out" 2>"$pre.log" || rc=$?
    if ((rc != 0)); then
        tail -5 "$pre.log" >&2
        die "'$*' failed with exit code $rc (see $pre.log)"
    fi
    T_WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0
        for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.3f", s }' "$pre.time")
    T_RSS=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$pre.time")
    T_CPU=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 }
        END { printf "%.2f", u + s }' "$pre.time")
}

# Peak RSS (VmHWM, KiB) and CPU seconds (user + sys) of a running process.
peak_rss() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }

# wait_for_file FILE SECONDS
wait_for_file() {
    local f=$1 n=$(($2 * 10))
    for _ in $(seq "$n"); do
        [[ -s $f ]] && return 0
        sleep 0.1
    done
    return 1
}

# start_emulator CSV NAME: sheets-emulator on a free loopback port with CSV
# as its first tab (Issues), spreadsheet id demo-sheet. Sets EMU_PID,
# EMU_URL, EMU_KEY.
start_emulator() {
    local csv=$1 name=$2
    local port_file=$BENCH_DATA/$name.port
    EMU_KEY=$BENCH_DATA/$name-key.json
    rm -f "$port_file"
    "$EMULATOR" --csv "$csv" --bind 127.0.0.1 --port 0 --port-file "$port_file" \
        --key-out "$EMU_KEY" --log-level warn >"$BENCH_DATA/$name.log" 2>&1 &
    EMU_PID=$!
    BENCH_PIDS+=("$EMU_PID")
    wait_for_file "$port_file" 300 || die "sheets-emulator did not start (see $BENCH_DATA/$name.log)"
    EMU_URL=http://127.0.0.1:$(cat "$port_file")
}

# Prefix for sheetsync commands: an environment without the settings the
# caller's shell may hold (a command, so /usr/bin/time can run it).
CLEAN_ENV=(env -u SHEETSYNC_CONFIG -u SHEETSYNC_SPREADSHEET_ID -u SHEETSYNC_SHEET
    -u SHEETSYNC_HEADER_ROW -u GOOGLE_APPLICATION_CREDENTIALS -u SHEETSYNC_SHEETS_API_URL
    -u SHEETSYNC_API_TOKEN -u SHEETSYNC_API_TOKEN_FILE -u SHEETSYNC_ADMIN_TOKEN
    -u SHEETSYNC_ADMIN_TOKEN_FILE -u SHEETSYNC_WEBHOOK_SECRET -u SHEETSYNC_WEBHOOK_SECRET_FILE
    -u SHEETSYNC_DB -u SHEETSYNC_LOG_FORMAT -u SHEETSYNC_DEBOUNCE_MS
    -u SHEETSYNC_RECONCILE_SECONDS -u SHEETSYNC_BIND -u SHEETSYNC_PORT SHEETSYNC_LOG_LEVEL=info)

# fresh_db PATH: removes the database and its WAL files.
fresh_db() { rm -f "$1" "$1-wal" "$1-shm" "$1-journal"; }

# start_serve LOG VAR=VALUE...: `sheetsync serve` on a free loopback port
# with the given settings (on top of CLEAN_ENV); waits for its "listening on"
# line. Sets SERVE_PID and SERVE_URL.
start_serve() {
    local serve_log=$1 port=
    shift
    : >"$serve_log"
    "${CLEAN_ENV[@]}" SHEETSYNC_BIND=127.0.0.1 SHEETSYNC_PORT=0 "$@" "$SHEETSYNC" serve \
        >"$serve_log" 2>&1 &
    SERVE_PID=$!
    BENCH_PIDS+=("$SERVE_PID")
    for _ in $(seq 300); do
        port=$(sed -nE 's|.*listening on http://127\.0\.0\.1:([0-9]+)/.*|\1|p' "$serve_log" |
            head -1)
        [[ -n $port ]] && break
        kill -0 "$SERVE_PID" 2>/dev/null || break
        sleep 0.1
    done
    [[ -n $port ]] || die "sheetsync serve did not start (see $serve_log)"
    SERVE_URL=http://127.0.0.1:$port
}

# The "N rows read, M changed, K issue versions" of a log: sets L_READ,
# L_CHANGED, L_VERSIONS.
parse_counts() {
    local line
    line=$(grep -E 'rows read, [0-9]+ changed, [0-9]+ issue versions' "$1" | tail -1)
    L_READ=$(sed -E 's/.* ([0-9]+) rows read.*/\1/' <<<"$line")
    L_CHANGED=$(sed -E 's/.* ([0-9]+) changed.*/\1/' <<<"$line")
    L_VERSIONS=$(sed -E 's/.* ([0-9]+) issue versions.*/\1/' <<<"$line")
}

# wrk prints latencies as 1.23ms / 456.00us / 1.20s: in ms.
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
        else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.0f", v * 60000 }
        else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.0f", v * 1000 }
        else print v }'
}

# parse_wrk FILE: sets W_RPS, W_P50, W_P99 (ms), W_NON2XX, W_ERRORS
# (wrk's "Socket errors" line, or empty) and W_REQS (requests completed).
parse_wrk() {
    W_RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$1")
    W_P50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$1")")
    W_P99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$1")")
    W_NON2XX=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$1")
    W_NON2XX=${W_NON2XX:-0}
    W_ERRORS=$(awk '/Socket errors:/ { sub(/^ +/, ""); print }' "$1")
    W_REQS=$(awk '/requests in/ { print $1 }' "$1")
}

# The machine, one markdown line.
machine() {
    local cpu mem
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
    printf '%s CPUs (nproc), %s, %s RAM, %s, kernel %s' "$(nproc)" "${cpu:-unknown CPU}" \
        "$mem" "$(. /etc/os-release && echo "$PRETTY_NAME")" "$(uname -r)"
}
