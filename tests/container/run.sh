#!/usr/bin/env bash
# Container tests: builds the image from the project's Dockerfile with podman
# (there is no Docker engine on these machines) and checks what `docker run`
# users rely on:
#
#   demo        the image's self-contained demo (`IMAGE demo`): /healthz,
#               a start-up sync, /trends/weekly, a non-root user, the
#               HEALTHCHECK, an online backup, data kept across a restart and
#               across a new container on the same volume, `stop -t 10` ending
#               with exit code 0 well within 10 s and leaving no WAL behind
#   production  the README's production example: sheets-emulator in a second
#               container standing in for Google, sheetsync with a mounted
#               service-account key and _FILE secrets, read-only root file
#               system, no capabilities; a signed webhook, an admin sync, no
#               secret in the logs, and a stop during a slow sync
#
# Prints the image size, the build time and the cold-start time (container
# start to /readyz 200 after the first sync), then "N passed, N failed".
#
# Root only (CI runs as root). Installs podman, runc and debootstrap when
# missing, builds a local debian:bookworm-slim from the machine's own Debian
# mirror once (tests/container/base-image.sh), and removes every container,
# volume and network it made on exit. The images stay as build cache;
# --clean-images removes them too.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

if [ "$(id -u)" -ne 0 ]; then
    echo "tests/container/run.sh: needs root (podman builds and runs as root here)" >&2
    exit 2
fi
CLEAN_IMAGES=0
for a in "$@"; do
    case "$a" in
    --clean-images) CLEAN_IMAGES=1 ;;
    *) echo "usage: tests/container/run.sh [--clean-images]" >&2; exit 2 ;;
    esac
done

IMAGE=${SHEETSYNC_IMAGE:-localhost/sheetsync:test}
# runc and the ulimits these machines need, for build and run alike.
export CONTAINERS_CONF=${CONTAINERS_CONF:-$ROOT/tests/container/containers.conf}
# Podman runs HEALTHCHECKs from systemd timers, and these machines have no
# systemd: the test runs the image's health command itself (podman exec).
RUN=(podman run --pull=never --no-healthcheck)
P=sheetsync-ct-$$ # prefix of every container, volume and network made here

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
not() { ! "$@"; }
check() { # check DESCRIPTION COMMAND...: passes when the command succeeds
    local what=$1
    shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
secs() { awk -v ms="$1" 'BEGIN { printf "%.2f", ms / 1000 }'; }

TMP=$(mktemp -d /tmp/sheetsync-ct.XXXXXX)
DONE=0
cleanup() {
    local rc=$? c v
    if [ "$DONE" = 0 ]; then
        echo "container: stopped early (exit code $rc); the last container logs:"
        for c in $(podman ps -a --filter "name=^$P-" --format '{{.Names}}' 2>/dev/null); do
            podman logs "$c" 2>&1 | tail -n 10 | sed "s/^/    $c: /"
        done
        echo "container: $passed passed, $((failed + 1)) failed"
    fi
    for c in $(podman ps -a --filter "name=^$P-" --format '{{.Names}}' 2>/dev/null); do
        podman rm -f -v -t 0 "$c" >/dev/null 2>&1 || true
    done
    for v in $(podman volume ls --filter "name=^$P-" --format '{{.Name}}' 2>/dev/null); do
        podman volume rm -f "$v" >/dev/null 2>&1 || true
    done
    podman network rm -f "$P-net" >/dev/null 2>&1 || true
    if [ "$CLEAN_IMAGES" = 1 ]; then
        podman rmi -f "$IMAGE" >/dev/null 2>&1 || true
        podman image prune -f >/dev/null 2>&1 || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

# ---- tools --------------------------------------------------------------------
need=()
for p in podman runc debootstrap netavark aardvark-dns iptables curl python3; do
    command -v "$p" >/dev/null 2>&1 || [ -x "/usr/lib/podman/$p" ] || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    pkgs=()
    for p in "${need[@]}"; do
        [ "$p" = python3 ] && p=python3-minimal
        pkgs+=("$p")
    done
    echo "container: installing ${pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi

# ---- base image and build -----------------------------------------------------
tests/container/base-image.sh

echo "container: building $IMAGE"
t0=$(now_ms)
if ! podman build --format docker --pull=never -t "$IMAGE" . >"$TMP/build.log" 2>&1; then
    tail -n 40 "$TMP/build.log"
    bad "podman build"
    DONE=1
    echo "container: $passed passed, $failed failed"
    exit 1
fi
BUILD_MS=$(($(now_ms) - t0))
ok "podman build --format docker --pull=never ($(secs "$BUILD_MS") s)"
SIZE=$(podman image inspect --format '{{.Size}}' "$IMAGE")
SIZE_MB=$(awk -v b="$SIZE" 'BEGIN { printf "%.1f", b / 1e6 }')
check "image size $SIZE_MB MB is under 150 MB" test "$SIZE" -lt 150000000

# ---- helpers ------------------------------------------------------------------
# get URL [curl args...]: the status in $code, the body in $TMP/body.
get() {
    local url=$1
    shift
    code=$(curl -s -m 10 -o "$TMP/body" -w '%{http_code}' "$@" "$url" || true)
}
# json EXPR: evaluates a Python expression over the last body (`j`).
json() {
    python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
        "$TMP/body" "$1" 2>/dev/null
}
# start ARGS...: podman run -d, quiet unless it fails.
start() {
    "${RUN[@]}" -d "$@" >/dev/null 2>"$TMP/run.err" || {
        cat "$TMP/run.err" >&2
        return 1
    }
}
host_port() { podman port "$1" 8080/tcp | head -n 1 | sed 's/.*://'; }
# wait_ready BASE: polls /readyz until 200 with every source synced once.
wait_ready() {
    local base=$1 i
    for i in $(seq 1 300); do
        get "$base/readyz"
        if [ "$code" = 200 ] && [ "$(json 'all(s.get("last_sync_ok_at") for s in j["sources"]) and len(j["sources"]) > 0')" = True ]; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}
# stop_check NAME LABEL: podman stop -t 10 must end it with exit code 0 in < 10 s.
stop_check() {
    local name=$1 label=$2 t ms rc
    t=$(now_ms)
    podman stop -t 10 "$name" >/dev/null
    ms=$(($(now_ms) - t))
    rc=$(podman inspect --format '{{.State.ExitCode}}' "$name")
    check "$label: stop -t 10 took $(secs "$ms") s (< 10 s)" test "$ms" -lt 10000
    check "$label: exit code after SIGTERM is $rc (want 0)" test "$rc" = 0
    STOP_MS=$ms
}
db_count() { # db_count CONTAINER SQL
    podman exec "$1" sqlite3 -readonly /data/sheetsync.db "$2"
}

# ---- demo ---------------------------------------------------------------------
echo "container: demo"
podman volume create "$P-demo" >/dev/null
t0=$(now_ms)
start --name "$P-demo" -p 127.0.0.1::8080 -v "$P-demo:/data" "$IMAGE" demo
BASE=http://127.0.0.1:$(host_port "$P-demo")
for _ in $(seq 1 100); do
    get "$BASE/healthz"
    [ "$code" = 200 ] && break
    sleep 0.05
done
HEALTHZ_MS=$(($(now_ms) - t0))
check "demo: GET /healthz answers 200 {\"status\":\"ok\"}" test "$code:$(json 'j["status"]')" = "200:ok"
if wait_ready "$BASE"; then
    COLD_MS=$(($(now_ms) - t0))
    ok "demo: /readyz 200 with last_sync_ok_at ($(secs "$COLD_MS") s after podman run)"
else
    COLD_MS=-1
    bad "demo: /readyz did not report a sync within 30 s"
    podman logs "$P-demo" 2>&1 | tail -n 20
fi
get "$BASE/syncs"
if [ "$code" = 200 ]; then
    check "demo: GET /syncs lists an ok startup sync" \
        test "$(json 'any(s["status"] == "ok" and s["trigger"] == "startup" for s in j.get("items", j if isinstance(j, list) else []))')" = True
fi
get "$BASE/trends/weekly?group_by=priority"
check "demo: GET /trends/weekly?group_by=priority answers weeks" \
    test "$code:$(json 'len(j["weeks"]) > 0')" = "200:True"
get "$BASE/"
check "demo: GET / serves the dashboard" test "$code" = 200
check "demo: the service runs as uid 10001, not root" \
    test "$(podman exec "$P-demo" id -u):$(podman exec "$P-demo" awk '/^Uid:/ { print $2 }' /proc/1/status)" = "10001:10001"
check "demo: tini is PID 1" test "$(podman exec "$P-demo" cat /proc/1/comm)" = tini
check "demo: the image declares a HEALTHCHECK" \
    test "$(podman image inspect --format '{{json .Config.Healthcheck.Test}}' "$IMAGE")" = \
    '["CMD","/usr/local/bin/sheetsync-healthcheck"]'
check "demo: the HEALTHCHECK command passes while serving" \
    podman exec "$P-demo" /usr/local/bin/sheetsync-healthcheck
check "demo: the HEALTHCHECK command fails when nothing answers" \
    not podman exec -e SHEETSYNC_PORT=1 "$P-demo" /usr/local/bin/sheetsync-healthcheck 2>/dev/null

issues=$(db_count "$P-demo" 'SELECT count(*) FROM issues')
get "$BASE/trends/weekly"
version=$(json 'j["data_version"]')
check "demo: $issues issues stored, data_version $version" test "${issues:-0}" -gt 1000
check "demo: online backup with sqlite3 .backup" \
    podman exec "$P-demo" sqlite3 /data/sheetsync.db ".backup /data/backup.db"
check "demo: the backup holds the same issues" \
    test "$(podman exec "$P-demo" sqlite3 -readonly /data/backup.db 'SELECT count(*) FROM issues')" = "$issues"

t=$(now_ms)
podman restart -t 10 "$P-demo" >/dev/null
wait_ready "$BASE" || true
RESTART_MS=$(($(now_ms) - t))
get "$BASE/trends/weekly"
check "demo: after podman restart ($(secs "$RESTART_MS") s): same issues and data_version" \
    test "$(db_count "$P-demo" 'SELECT count(*) FROM issues'):$(json 'j["data_version"]')" = "$issues:$version"

stop_check "$P-demo" "demo"
check "demo: the log says the server stopped" grep -q 'serve: stopped' <(podman logs "$P-demo" 2>&1)
mnt=$(podman volume inspect --format '{{.Mountpoint}}' "$P-demo")
check "demo: the WAL was checkpointed and truncated at shutdown" \
    test ! -s "$mnt/sheetsync.db-wal"
podman rm -v "$P-demo" >/dev/null

# A new container on the same volume: what an upgrade does.
start --name "$P-demo2" -p 127.0.0.1::8080 -v "$P-demo:/data" "$IMAGE" demo
BASE=http://127.0.0.1:$(host_port "$P-demo2")
wait_ready "$BASE" || true
get "$BASE/trends/weekly"
check "demo: a new container on the same volume reads the same data" \
    test "$(db_count "$P-demo2" 'SELECT count(*) FROM issues'):$(json 'j["data_version"]')" = "$issues:$version"
stop_check "$P-demo2" "demo (second container)"

# ---- production ---------------------------------------------------------------
# The README's production example, with sheets-emulator in its own container
# standing in for Google (its key's token_uri points at it by name).
echo "container: production"
podman network create "$P-net" >/dev/null 2>&1
mkdir -p "$TMP/secrets"
chown 10001:10001 "$TMP/secrets"
start --name "$P-google" --network "$P-net" --network-alias google \
    -p 127.0.0.1::9090 -v "$TMP/secrets:/out" "$IMAGE" sheets-emulator --csv /usr/share/sheetsync/issues.csv \
    --bind 0.0.0.0 --port 9090 --public-url http://google:9090 \
    --key-out /out/google-key.json --port-file /out/emulator.port
for _ in $(seq 1 100); do
    [ -s "$TMP/secrets/emulator.port" ] && break
    sleep 0.1
done
check "production: the emulator container wrote its service-account key" \
    test -s "$TMP/secrets/google-key.json"
GOOGLE=http://127.0.0.1:$(podman port "$P-google" 9090/tcp | head -n 1 | sed 's/.*://')
WEBHOOK_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
ADMIN_TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$WEBHOOK_SECRET" >"$TMP/secrets/webhook-secret"
printf '%s\n' "$ADMIN_TOKEN" >"$TMP/secrets/admin-token"
chown 10001:10001 "$TMP/secrets/webhook-secret" "$TMP/secrets/admin-token"
chmod 0400 "$TMP/secrets/webhook-secret" "$TMP/secrets/admin-token"

podman volume create "$P-prod" >/dev/null
start --name "$P-prod" --network "$P-net" -p 127.0.0.1::8080 \
    --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \
    -v "$P-prod:/data" \
    -v "$TMP/secrets/google-key.json:/run/secrets/google-key.json:ro" \
    -v "$TMP/secrets/webhook-secret:/run/secrets/webhook-secret:ro" \
    -v "$TMP/secrets/admin-token:/run/secrets/admin-token:ro" \
    -e GOOGLE_APPLICATION_CREDENTIALS=/run/secrets/google-key.json \
    -e SHEETSYNC_SPREADSHEET_ID=demo-sheet \
    -e SHEETSYNC_SHEET=Issues \
    -e SHEETSYNC_SHEETS_API_URL=http://google:9090 \
    -e SHEETSYNC_WEBHOOK_SECRET_FILE=/run/secrets/webhook-secret \
    -e SHEETSYNC_ADMIN_TOKEN_FILE=/run/secrets/admin-token \
    -e SHEETSYNC_LOG_FORMAT=json \
    "$IMAGE"
BASE=http://127.0.0.1:$(host_port "$P-prod")
if wait_ready "$BASE"; then
    ok "production: /readyz 200 after the start-up sync from the Google stand-in"
else
    bad "production: /readyz did not report a sync within 30 s"
    podman logs "$P-prod" 2>&1 | tail -n 20
fi
check "production: runs as uid 10001 on a read-only root file system" \
    test "$(podman exec "$P-prod" id -u):$(podman inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$P-prod")" = 10001:true

# A notification signed like the Apps Script does (contract §6).
python3 - "$WEBHOOK_SECRET" >"$TMP/jwt" <<'PY'
import base64, hashlib, hmac, json, sys, time, uuid
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
now = int(time.time())
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
body = b64(json.dumps({"aud": "sheetsync", "iat": now, "exp": now + 300, "jti": str(uuid.uuid4()),
                       "spreadsheet_id": "demo-sheet", "sheet": "Issues", "event": "edit",
                       "range": "B7:D9"}).encode())
sig = b64(hmac.new(sys.argv[1].encode(), f"{head}.{body}".encode(), hashlib.sha256).digest())
print(f"{head}.{body}.{sig}")
PY
get "$BASE/webhooks/sheets" -X POST -H 'Content-Type: application/jwt' --data-binary "@$TMP/jwt"
check "production: a signed webhook (secret from SHEETSYNC_WEBHOOK_SECRET_FILE) answers 202" \
    test "$code" = 202
get "$BASE/syncs" -X POST -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
    --data '{"source":"default"}'
check "production: POST /syncs with the admin token from _FILE answers 202" test "$code" = 202
get "$BASE/syncs" -X POST -H 'Authorization: Bearer wrong' -H 'Content-Type: application/json' \
    --data '{"source":"default"}'
check "production: POST /syncs with a wrong token is refused ($code)" test "$code" = 401 -o "$code" = 403

# A stop while a sync waits on a slow Google: every API call of the stand-in
# now takes 1.5 s. The sync in flight finishes or rolls back; the process
# still ends within the runtime's 10 s.
curl -s -o /dev/null -m 5 -X POST -H 'Content-Type: application/json' --data '{"ms":1500}' \
    "$GOOGLE/_emulator/latency" || echo "note: could not set the emulator's latency"
get "$BASE/syncs" -X POST -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
    --data '{"source":"default"}'
running=False
for _ in $(seq 1 50); do
    get "$BASE/syncs"
    running=$(json 'any(s["status"] == "running" for s in j.get("items", []))')
    [ "$running" = True ] && break
    sleep 0.1
done
check "production: a sync is running when SIGTERM comes" test "$running" = True
stop_check "$P-prod" "production, a sync in flight"
logs=$(podman logs "$P-prod" 2>&1)
check "production: neither secret appears in the logs" \
    test -z "$(grep -F -e "$WEBHOOK_SECRET" -e "$ADMIN_TOKEN" <<<"$logs")"
check "production: the logs are JSON lines" \
    python3 -c 'import json, sys; [json.loads(l) for l in sys.stdin if l.strip()]' <<<"$logs"
echo "     what the service logged after SIGTERM:"
sed -n '/SIGTERM received/,$p' <<<"$logs" | python3 -c '
import json, sys
for l in sys.stdin:
    try:
        o = json.loads(l)
        print("       ", o.get("msg") or o.get("message") or l.strip())
    except ValueError:
        print("       ", l.strip())'
podman rm -f -v -t 0 "$P-google" >/dev/null

# ---- a stop while Google does not answer ---------------------------------------
# The emulator holds every API call for 30 s without an answer. The worker
# cancels its in-flight call on SIGTERM, so `stop -t 10` must end with exit
# code 0 within 10 s, and nothing may be half-written: the next container on
# the volume serves the same data. SHEETSYNC_CT_HUNG_STOP=0 only reports the
# stop's time and exit code instead of requiring them.
echo "container: a stop while Google hangs"
podman volume create "$P-hang" >/dev/null
start --name "$P-hang" -p 127.0.0.1::8080 -v "$P-hang:/data" -e SHEETSYNC_ADMIN_TOKEN=admin-token-for-tests \
    "$IMAGE" demo
BASE=http://127.0.0.1:$(host_port "$P-hang")
wait_ready "$BASE" || true
issues=$(db_count "$P-hang" 'SELECT count(*) FROM issues')
podman exec "$P-hang" bash -c 'b="{\"count\":100,\"mode\":\"hang\"}"
    exec 3<>"/dev/tcp/127.0.0.1/$(cat /tmp/sheetsync-demo.*/emulator.port)"
    printf "POST /_emulator/fail HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: ${#b}\r\n\r\n%s" "$b" >&3
    read -r _ s _ <&3 && [ "$s" = 200 ]' || echo "note: could not make the emulator hang"
get "$BASE/syncs" -X POST -H 'Authorization: Bearer admin-token-for-tests' \
    -H 'Content-Type: application/json' --data '{"source":"default"}'
sleep 1
t=$(now_ms)
podman stop -t 10 "$P-hang" >/dev/null 2>&1
HUNG_MS=$(($(now_ms) - t))
HUNG_RC=$(podman inspect --format '{{.State.ExitCode}}' "$P-hang")
if [ "${SHEETSYNC_CT_HUNG_STOP:-1}" = 1 ]; then
    check "hung Google: stop -t 10 took $(secs "$HUNG_MS") s (< 10 s)" test "$HUNG_MS" -lt 10000
    check "hung Google: exit code after SIGTERM is $HUNG_RC (want 0)" test "$HUNG_RC" = 0
else
    echo "note hung Google: stop -t 10 took $(secs "$HUNG_MS") s, exit code $HUNG_RC" \
        "(not checked: SHEETSYNC_CT_HUNG_STOP=0)"
fi
podman rm -f -v -t 0 "$P-hang" >/dev/null
start --name "$P-hang2" -p 127.0.0.1::8080 -v "$P-hang:/data" "$IMAGE" demo
BASE=http://127.0.0.1:$(host_port "$P-hang2")
wait_ready "$BASE" || true
check "hung Google: the next container finds the database intact with the same issues" \
    test "$(db_count "$P-hang2" 'PRAGMA integrity_check'):$(db_count "$P-hang2" 'SELECT count(*) FROM issues')" = "ok:$issues"
podman rm -f -v -t 0 "$P-hang2" >/dev/null

# ---- summary ------------------------------------------------------------------
echo
echo "image $IMAGE: $SIZE_MB MB ($SIZE bytes)"
echo "build: $(secs "$BUILD_MS") s"
echo "cold start: /healthz after $(secs "$HEALTHZ_MS") s, /readyz 200 after the first sync $(secs "$COLD_MS") s"
echo "restart: $(secs "$RESTART_MS") s; stop during a slow sync: $(secs "$STOP_MS") s;" \
    "stop during a hung Google call: $(secs "$HUNG_MS") s, exit code $HUNG_RC"
DONE=1
echo "container: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
