#!/usr/bin/env bash
# Join benchmark of the Plenum master (release build, embedded media node), on
# loopback:
#   1. first frame: time from joinRoom to the first decoded remote video frame
#      in headless Chromium (openvidu-browser 2.32.2), RUNS fresh subscribers of
#      one publisher (bench/join/first-frame.mjs);
#   2. idle participants: the master's RSS per idle connected participant, with
#      PARTICIPANTS signaling websockets that joined and only ping
#      (bench/join/idle.mjs), once per entry of IDLE_SESSIONS (participants spread
#      over that many sessions; the first entry is compared with the target).
# Every measurement gets a fresh master. Writes bench/results/join.md.
#
# Usage: bench/join.sh
# Environment (all optional):
#   RUNS=20                     timed subscribers (the median is the result)
#   WARMUP=1                    untimed subscribers before them
#   PARTICIPANTS=1000           idle websocket participants
#   IDLE_SESSIONS="1 100"       sessions they are spread over, one measurement each
#   CONCURRENCY=50              websockets joining at the same time
#   SETTLE=5                    seconds to wait before reading the RSS
#   FIRST_FRAME_TARGET_MS=500   target for the median joinRoom -> first decoded frame
#   IDLE_TARGET_KIB=50          target for KiB per idle participant
#   SKIP_BUILD=1                use the release binaries already built
#   CHROMIUM_BIN=path           the browser (default: Debian's /usr/bin/chromium)
#   WEBHOOKS=1                  also measure the first frame with webhooks on (a fast receiver on loopback,
#                               plenum-bench-webhook-sink), in the same run, and report the ratio on/off
# Exits non-zero when a step fails, or (after writing the results) when a target
# is missed. Stops everything it started on exit, error or Ctrl-C.
set -euo pipefail

RUNS=${RUNS:-20}
WARMUP=${WARMUP:-1}
PARTICIPANTS=${PARTICIPANTS:-1000}
IDLE_SESSIONS=${IDLE_SESSIONS:-"1 100"}
CONCURRENCY=${CONCURRENCY:-50}
SETTLE=${SETTLE:-5}
FIRST_FRAME_TARGET_MS=${FIRST_FRAME_TARGET_MS:-500}
IDLE_TARGET_KIB=${IDLE_TARGET_KIB:-50}
SECRET=plenum-bench-join

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RESULTS="$ROOT/bench/results/join.md"
cd "$ROOT"

BENCH_NAME=join.sh
source "$ROOT/bench/lib/common.sh"
COMMAND=$(bench_command bench/join.sh RUNS WARMUP PARTICIPANTS IDLE_SESSIONS CONCURRENCY SETTLE \
    FIRST_FRAME_TARGET_MS IDLE_TARGET_KIB SKIP_BUILD CHROMIUM_BIN WEBHOOKS)

# ---------------------------------------------------------------- cleanup
MASTER_PID=""
CHILD_PID=""
SINK_PID=""
WORK=""
cleanup() {
    local status=$?
    # A second Ctrl-C (or a signal sent to the whole process group as well) must not cut the cleanup short.
    trap - EXIT
    trap '' INT TERM
    stop_pid "$CHILD_PID" 10
    stop_pid "$MASTER_PID" 10
    stop_pid "$SINK_PID"
    if [[ -n "$WORK" && -d "$WORK" ]]; then rm -rf "$WORK"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# ---------------------------------------------------------------- tools
command -v curl >/dev/null || apt_install curl
command -v node >/dev/null || die "Node.js 20 or newer is needed (the e2e tooling runs on it)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
(( node_major >= 20 )) || die "Node.js 20 or newer is needed (found $(node --version))"
# The e2e packages: openvidu-browser, playwright-core, ws (same rule as e2e/run.sh).
if [[ ! -f e2e/node_modules/.package-lock.json || e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]]; then
    log "npm ci in e2e/"
    (cd e2e && npm ci --no-audit --no-fund)
fi
if [[ -z "${CHROMIUM_BIN:-}" ]] && ! command -v chromium >/dev/null && [[ ! -x /usr/lib/chromium/chromium ]]; then
    apt_install chromium
fi
# One socket per idle participant, in the master and in the client script.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(( $(ulimit -n) > PARTICIPANTS + 256 )) || die "the open-file limit ($(ulimit -n)) is too low for $PARTICIPANTS participants"

# ---------------------------------------------------------------- build
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
if [[ -z "${SKIP_BUILD:-}" ]]; then
    log "building release binaries"
    cargo build --release --quiet --bin plenum --bin plenum-media-node ${WEBHOOKS:+--bin plenum-bench-webhook-sink}
fi
MASTER_BIN="$TARGET_DIR/release/plenum"
[[ -x "$MASTER_BIN" ]] || die "missing $MASTER_BIN"
SINK_BIN="$TARGET_DIR/release/plenum-bench-webhook-sink"
[[ -z "${WEBHOOKS:-}" || -x "$SINK_BIN" ]] || die "missing $SINK_BIN"

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${LOAD_BEFORE%% *}" 'BEGIN {exit !(l > 0.5)}'; then
    log "warning: load average is $LOAD_BEFORE; other processes will skew the results"
fi
WORK=$(mktemp -d -t plenum-join-bench.XXXXXX)

# ---------------------------------------------------------------- master
free_port() {
    node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}
start_master() { # NAME [VAR=VALUE...]: sets MASTER_PID and MASTER_URL
    local name=$1 port
    shift
    port=$(free_port)
    # A clean environment, and an empty working directory so that no ./plenum.env is read.
    (cd "$WORK" && exec env -i PATH="$PATH" SERVER_ADDRESS=127.0.0.1 SERVER_PORT="$port" \
        OPENVIDU_SECRET="$SECRET" PLENUM_LOG=info "$@" "$MASTER_BIN" >"$WORK/master-$name.log" 2>&1) &
    MASTER_PID=$!
    MASTER_URL="http://127.0.0.1:$port"
    for _ in $(seq 300); do
        if [[ $(curl -s -o /dev/null -w '%{http_code}' "$MASTER_URL/openvidu/api/config/openvidu-publicurl") == 200 ]]; then
            log "master ($name) pid $MASTER_PID at $MASTER_URL"
            return 0
        fi
        kill -0 "$MASTER_PID" 2>/dev/null || { tail -20 "$WORK/master-$name.log" >&2; die "the master exited"; }
        sleep 0.1
    done
    tail -20 "$WORK/master-$name.log" >&2
    die "the master did not answer within 30 s"
}
stop_master() { stop_pid "$MASTER_PID" 10; MASTER_PID=""; }

run_child() { # COMMAND...: in the background, so that Ctrl-C reaches the trap at once
    "$@" &
    CHILD_PID=$!
    local status=0
    wait "$CHILD_PID" || status=$?
    CHILD_PID=""
    return "$status"
}

# ---------------------------------------------------------------- 1. first frame
start_master first-frame
log "first frame: $WARMUP warm-up + $RUNS timed subscribers"
if ! run_child node "$ROOT/bench/join/first-frame.mjs" --url "$MASTER_URL" --secret "$SECRET" \
    --runs "$RUNS" --warmup "$WARMUP" --out "$WORK/first-frame.json"; then
    tail -30 "$WORK/master-first-frame.log" >&2
    die "the first-frame measurement failed"
fi
stop_master

# ---------------------------------------------------------------- 1b. first frame with webhooks on
if [[ -n "${WEBHOOKS:-}" ]]; then
    sink_port=$(free_port)
    "$SINK_BIN" --listen "127.0.0.1:$sink_port" --mode ok >"$WORK/sink.out" 2>&1 &
    SINK_PID=$!
    start_master first-frame-webhooks OPENVIDU_WEBHOOK=true "OPENVIDU_WEBHOOK_ENDPOINT=http://127.0.0.1:$sink_port/webhook"
    log "first frame with webhooks on: $WARMUP warm-up + $RUNS timed subscribers"
    if ! run_child node "$ROOT/bench/join/first-frame.mjs" --url "$MASTER_URL" --secret "$SECRET" \
        --runs "$RUNS" --warmup "$WARMUP" --out "$WORK/first-frame-webhooks.json"; then
        tail -30 "$WORK/master-first-frame-webhooks.log" >&2
        die "the first-frame measurement with webhooks on failed"
    fi
    stop_master
    stop_pid "$SINK_PID"
    SINK_PID=""
    WEBHOOK_REQUESTS=$(sed -n 's/^SINK_RESULT requests=\([0-9]*\).*/\1/p' "$WORK/sink.out")
    (( ${WEBHOOK_REQUESTS:-0} > 0 )) || die "the webhook receiver got no event"
fi

# ---------------------------------------------------------------- 2. idle participants
IDLE_FILES=()
for sessions in $IDLE_SESSIONS; do
    start_master "idle-$sessions"
    log "idle: $PARTICIPANTS participants in $sessions session(s)"
    if ! run_child node "$ROOT/bench/join/idle.mjs" --url "$MASTER_URL" --secret "$SECRET" --pid "$MASTER_PID" \
        --participants "$PARTICIPANTS" --sessions "$sessions" --concurrency "$CONCURRENCY" --settle "$SETTLE" \
        --out "$WORK/idle-$sessions.json"; then
        grep -v ' INFO ' "$WORK/master-idle-$sessions.log" | tail -30 >&2 || true
        die "the idle-participant measurement ($sessions session(s)) failed"
    fi
    IDLE_FILES+=("$WORK/idle-$sessions.json")
    stop_master
done

# ---------------------------------------------------------------- report
CPU_MODEL=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
MEMORY=$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -q . && echo " (with uncommitted changes)" || true)
mkdir -p "$(dirname "$RESULTS")"
set +e
JOIN_DATE="$(date -u '+%Y-%m-%d %H:%M UTC')" \
JOIN_HARDWARE="$CPU_MODEL, $(nproc) cores, $MEMORY ($(uname -r))" \
JOIN_COMMIT="$COMMIT$DIRTY" \
JOIN_COMMAND="$COMMAND" \
JOIN_LOAD="before $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg)" \
JOIN_NODE="$(node --version)" \
    node "$ROOT/bench/join/report.mjs" --first-frame "$WORK/first-frame.json" \
    --first-frame-target "$FIRST_FRAME_TARGET_MS" --idle-target "$IDLE_TARGET_KIB" \
    --out "$RESULTS" "${IDLE_FILES[@]}"
status=$?
set -e
if [[ -n "${WEBHOOKS:-}" ]]; then
    node -e '
        const [offFile, onFile, requests] = process.argv.slice(1);
        const read = (f) => JSON.parse(require("fs").readFileSync(f)).joinToDecoded;
        const [off, on] = [read(offFile), read(onFile)];
        const ms = (v) => v.toFixed(1);
        console.log(["", "## Webhooks on (same run)", "",
            "| joinRoom → first decoded frame | webhooks off | webhooks on (fast receiver) | ratio on/off |",
            "| --- | ---: | ---: | ---: |",
            `| median ms | ${ms(off.median)} | ${ms(on.median)} | ${(on.median / off.median).toFixed(2)} |`,
            `| p90 ms | ${ms(off.p90)} | ${ms(on.p90)} | ${(on.p90 / off.p90).toFixed(2)} |`,
            "", `The receiver got ${requests} webhook requests.`].join("\n"));
    ' "$WORK/first-frame.json" "$WORK/first-frame-webhooks.json" "$WEBHOOK_REQUESTS" >>"$RESULTS"
    tail -8 "$RESULTS" >&2
fi
case $status in
    0) log "wrote $RESULTS; both targets met" ;;
    3) log "wrote $RESULTS"; die "a target was missed (see $RESULTS)" ;;
    *) die "writing the report failed" ;;
esac
