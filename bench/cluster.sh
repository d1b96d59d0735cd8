#!/usr/bin/env bash
# Cluster benchmark: placement decision and GET /openvidu/api/media-nodes?sessions=true
# with 1, 10 and 100 media node processes and up to 10,000 sessions. See bench/README.md.
#
# Usage: bench/cluster.sh
# Environment (all optional):
#   NODES="1 10 100"          node counts (each measured on a fresh master)
#   SESSIONS="0 1000 3000 10000"  session counts, reached in increasing order on each master
#   DECISIONS=100000          placement decisions per timed run
#   REPEATS=11                timed runs of the decisions; the median is reported
#   REQUESTS=50               timed requests per endpoint and configuration
#   PLACEMENT_TARGET_US=50    upper bound for one decision at the largest node count
#   SKIP_BUILD=1              use the release binaries already built
# Exits non-zero when a request fails or when placement at the largest node count
# misses PLACEMENT_TARGET_US.
set -euo pipefail

NODES=${NODES:-1 10 100}
SESSIONS=${SESSIONS:-0 1000 3000 10000}
DECISIONS=${DECISIONS:-100000}
REPEATS=${REPEATS:-11}
REQUESTS=${REQUESTS:-50}
PLACEMENT_TARGET_US=${PLACEMENT_TARGET_US:-50}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
cd "$ROOT"

BENCH_NAME=cluster.sh
source "$ROOT/bench/lib/common.sh"
# The exact command, with the settings that were given in the environment.
COMMAND=$(bench_command bench/cluster.sh NODES SESSIONS DECISIONS REPEATS REQUESTS PLACEMENT_TARGET_US SKIP_BUILD)
for arg in "$@"; do COMMAND+=" $(printf '%q' "$arg")"; done

# ---------------------------------------------------------------- cleanup
# Every process this script starts is in PIDS and is stopped on exit, error or Ctrl-C.
PIDS=()
WORK=""
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ -n "$WORK" && -d "$WORK" ]]; then rm -rf "$WORK"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# ---------------------------------------------------------------- build
read -r -a NODE_COUNTS <<<"$NODES"
read -r -a SESSION_COUNTS <<<"$SESSIONS"
(( ${#NODE_COUNTS[@]} > 0 && ${#SESSION_COUNTS[@]} > 0 )) || die "NODES and SESSIONS must not be empty"
MAX_NODES=0
for n in "${NODE_COUNTS[@]}"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "NODES must be positive integers, got '$n'"
    if (( n > MAX_NODES )); then MAX_NODES=$n; fi
done
for s in "${SESSION_COUNTS[@]}"; do [[ "$s" =~ ^[0-9]+$ ]] || die "SESSIONS must be integers, got '$s'"; done

TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
if [[ -z "${SKIP_BUILD:-}" ]]; then
    log "building release binaries"
    cargo build --release --quiet --bin plenum-bench-cluster --bin plenum-media-node
fi
BENCH_BIN="$TARGET_DIR/release/plenum-bench-cluster"
MEDIA_NODE="$TARGET_DIR/release/plenum-media-node"
[[ -x "$BENCH_BIN" && -x "$MEDIA_NODE" ]] || die "missing $BENCH_BIN or $MEDIA_NODE"

# Other work on the machine skews the numbers: note the load before measuring.
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${LOAD_BEFORE%% *}" 'BEGIN {exit !(l > 0.5)}'; then
    log "warning: load average is $LOAD_BEFORE; other processes will skew the results"
fi

WORK=$(mktemp -d -t plenum-bench-cluster.XXXXXX)

# ---------------------------------------------------------------- media nodes
# One pool of MAX_NODES processes on loopback; each configuration's master
# registers the first N of them (and closes its connections when it stops).
log "starting $MAX_NODES media node processes"
for (( i = 1; i <= MAX_NODES; i++ )); do
    RUST_LOG=warn "$MEDIA_NODE" --listen 127.0.0.1:0 --workers 1 >"$WORK/node.$i.out" 2>>"$WORK/nodes.log" &
    PIDS+=("$!")
done
: >"$WORK/uris.txt"
for (( i = 1; i <= MAX_NODES; i++ )); do
    pid=${PIDS[i - 1]}
    uri=""
    for _ in $(seq 300); do
        uri=$(sed -n 's|^plenum-media-node listening on \(ws://127\.0\.0\.1:[0-9]*/kurento\)$|\1|p' "$WORK/node.$i.out")
        [[ -n "$uri" ]] && break
        kill -0 "$pid" 2>/dev/null || { tail -20 "$WORK/nodes.log" >&2; die "media node $i exited"; }
        sleep 0.05
    done
    [[ -n "$uri" ]] || die "media node $i printed no URI within 15 s"
    echo "$uri" >>"$WORK/uris.txt"
done

# ---------------------------------------------------------------- measuring
join() { local IFS=,; echo "$*"; }
log "measuring nodes: ${NODE_COUNTS[*]}; sessions: ${SESSION_COUNTS[*]}"
"$BENCH_BIN" --uris "$WORK/uris.txt" --nodes "$(join "${NODE_COUNTS[@]}")" --sessions "$(join "${SESSION_COUNTS[@]}")" \
    --decisions "$DECISIONS" --repeats "$REPEATS" --requests "$REQUESTS" \
    --placement-target-us "$PLACEMENT_TARGET_US" >"$WORK/tables.md" &
BENCH_PID=$!
PIDS+=("$BENCH_PID")
BENCH_STATUS=0
wait "$BENCH_PID" || BENCH_STATUS=$?
(( BENCH_STATUS <= 1 )) || die "plenum-bench-cluster failed (exit $BENCH_STATUS)"

# ---------------------------------------------------------------- report
COMMIT=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [[ -n "$(git status --porcelain -- crates Cargo.toml Cargo.lock 2>/dev/null)" ]]; then COMMIT+=" (with uncommitted changes)"; fi
if [[ -n "${SKIP_BUILD:-}" ]]; then COMMIT+=" (SKIP_BUILD: binaries not rebuilt by this run, may be older)"; fi
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
REPORT="$WORK/cluster.md"
{
    echo "# Cluster benchmark: placement and media-node listing"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- commit: $COMMIT"
    echo "- machine: $(nproc) cores (\`nproc\`), ${CPU_MODEL:-unknown CPU}, kernel $(uname -r)"
    echo "- command: \`$COMMAND\`"
    echo "- load average (1, 5, 15 min) before / after the runs: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- setup: $MAX_NODES \`plenum-media-node --workers 1\` processes on 127.0.0.1; for each node count a fresh"
    echo "  master in the \`plenum-bench-cluster\` process registers the first N with \`POST /openvidu/api/media-nodes\`;"
    echo "  sessions are created with \`POST /openvidu/api/sessions\` and placed with \`Registry::place_session\`"
    echo "  (load strategy \`streams\`; load monitor off, \`OPENVIDU_PRO_STATS_MONITORING_INTERVAL=3600\`)"
    echo
    cat "$WORK/tables.md"
} >"$REPORT"
mkdir -p "$BENCH/results"
cp "$REPORT" "$BENCH/results/cluster.md"
echo
cat "$REPORT"
echo
log "written to bench/results/cluster.md"

if (( BENCH_STATUS == 1 )); then
    log "FAIL: placement at the largest node count is slower than ${PLACEMENT_TARGET_US} µs"
    exit 1
fi
