#!/usr/bin/env bash
# SFU benchmark: one plenum-media-node (--workers 1) pinned to one core, one
# publisher and N subscribers from plenum-loadtest pinned to the other core, for
# N in a sweep, until more than LOSS_LIMIT % of the media is lost (or a
# subscriber gets none). Writes bench/results/sfu-node.md.
#
# Usage: bench/sfu-node.sh
# Environment (all optional):
#   STEPS="50 100 200 400 600 800 1000 1200 1400 1600 2000"   subscriber counts to try, in order
#   DURATION=10       seconds of each measured window
#   WARMUP=3          seconds between the last subscriber connecting and the window
#   REPEATS=1         runs per step (a fresh node each); the table gives the medians
#   LOSS_LIMIT=1      percent; the sweep stops after the first step above it
#   NODE_CPU=1        core the media node is pinned to
#   LOAD_CPU=0        core the load generator is pinned to
#   CONCURRENCY=16    subscribers negotiating at the same time
#   SKIP_BUILD=1      use the release binaries already built
# Loss is the larger of the RTP loss (sequence gaps seen by subscribers) and the
# frame loss (frames the publisher sent that a subscriber never received whole,
# which also counts frames the node dropped before packetizing). All traffic stays
# on 127.0.0.1. Exits non-zero if the first step already fails or a run errors.
set -euo pipefail

STEPS=${STEPS:-"50 100 200 400 600 800 1000 1200 1400 1600 2000"}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
REPEATS=${REPEATS:-1}
LOSS_LIMIT=${LOSS_LIMIT:-1}
NODE_CPU=${NODE_CPU:-1}
LOAD_CPU=${LOAD_CPU:-0}
CONCURRENCY=${CONCURRENCY:-16}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RESULTS="$ROOT/bench/results/sfu-node.md"
cd "$ROOT"

BENCH_NAME=sfu-node.sh
source "$ROOT/bench/lib/common.sh"
COMMAND=$(bench_command bench/sfu-node.sh STEPS DURATION WARMUP REPEATS LOSS_LIMIT NODE_CPU LOAD_CPU CONCURRENCY SKIP_BUILD)

# ---------------------------------------------------------------- cleanup
NODE_PID=""
LOAD_PID=""
WORK=""
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    stop_pid "$LOAD_PID"
    stop_pid "$NODE_PID"
    if [[ -n "$WORK" && -d "$WORK" ]]; then rm -rf "$WORK"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# ---------------------------------------------------------------- tools
command -v jq >/dev/null || apt_install jq
command -v taskset >/dev/null || apt_install util-linux
CORES=$(nproc)
(( CORES > NODE_CPU && CORES > LOAD_CPU )) || die "need cores $NODE_CPU and $LOAD_CPU, this machine has $CORES"
[[ "$NODE_CPU" != "$LOAD_CPU" ]] || die "NODE_CPU and LOAD_CPU must differ"
# One UDP socket per client: allow plenty of descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# ---------------------------------------------------------------- build
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
if [[ -z "${SKIP_BUILD:-}" ]]; then
    log "building release binaries"
    cargo build --release --quiet -p plenum-media-node -p plenum-loadtest
fi
NODE_BIN="$TARGET_DIR/release/plenum-media-node"
LOAD_BIN="$TARGET_DIR/release/plenum-loadtest"
[[ -x "$NODE_BIN" && -x "$LOAD_BIN" ]] || die "missing $NODE_BIN or $LOAD_BIN"

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${LOAD_BEFORE%% *}" 'BEGIN {exit !(l > 0.5)}'; then
    log "warning: load average is $LOAD_BEFORE; other processes will skew the results"
fi
WORK=$(mktemp -d -t plenum-sfu-bench.XXXXXX)

# ---------------------------------------------------------------- one run
start_node() { # sets NODE_PID and NODE_URL
    local out="$WORK/node.out"
    : >"$out"
    taskset -c "$NODE_CPU" "$NODE_BIN" --listen 127.0.0.1:0 --workers 1 --rtc-address 127.0.0.1 \
        >"$out" 2>>"$WORK/node.err" &
    NODE_PID=$!
    NODE_URL=""
    for _ in $(seq 100); do
        NODE_URL=$(awk '/listening on/ {print $NF; exit}' "$out")
        [[ -n "$NODE_URL" ]] && return 0
        kill -0 "$NODE_PID" 2>/dev/null || die "the media node exited; see its log: $(tail -5 "$WORK/node.err")"
        sleep 0.1
    done
    die "the media node did not start listening"
}

# UDP datagrams the kernel dropped because a socket's receive buffer was full (all sockets).
udp_rcvbuf_errors() { awk '/^Udp:/ { if (seen) { print $6; exit } seen = 1 }' /proc/net/snmp; }

run_once() { # N REPEAT -> writes $WORK/run-N-REPEAT.json
    local n=$1 repeat=$2 json="$WORK/run-$1-$2.json"
    local drops_before
    drops_before=$(udp_rcvbuf_errors)
    start_node
    log "N=$n run $repeat: node pid $NODE_PID at $NODE_URL"
    set +e
    taskset -c "$LOAD_CPU" "$LOAD_BIN" --kurento "$NODE_URL" --publishers 1 --subscribers "$n" \
        --duration "$DURATION" --warmup "$WARMUP" --concurrency "$CONCURRENCY" \
        --node-pid "$NODE_PID" --bind 127.0.0.1 --json >"$json" 2>"$WORK/load.err" &
    LOAD_PID=$!
    wait "$LOAD_PID"
    local status=$?
    set -e
    LOAD_PID=""
    stop_pid "$NODE_PID"
    NODE_PID=""
    if [[ ! -s "$json" ]]; then
        log "the load generator failed (exit $status):"
        tail -5 "$WORK/load.err" >&2
        echo '{}' >"$json"
    fi
    local drops=$(( $(udp_rcvbuf_errors) - drops_before ))
    jq -c --argjson drops "$drops" '. + {kernel_udp_rcvbuf_drops: $drops}' "$json" >"$json.tmp" && mv "$json.tmp" "$json"
    grep -h 'dropped datagrams or frames' "$WORK/node.err" | tail -1 | sed 's/\x1b\[[0-9;]*m//g' >&2 || true
    : >"$WORK/node.err"
    grep -v ' INFO ' "$WORK/load.err" | tail -3 >&2 || true
}

# median of numbers on stdin ("n/a" when there are none)
median() { sort -g | awk '{v[NR]=$1} END {if (NR == 0) print "n/a"; else print v[int((NR + 1) / 2)]}'; }

field() { # STEP FIELD -> median over the repeats of that step
    local n=$1 name=$2
    for file in "$WORK"/run-"$n"-*.json; do jq -r ".$name // empty" "$file"; done | median
}

fmt() { # NUMBER DECIMALS
    if [[ "$1" == "n/a" || -z "$1" ]]; then echo "n/a"; else printf "%.${2}f" "$1"; fi
}

# ---------------------------------------------------------------- sweep
DONE_STEPS=()
BEST=""
STOP_REASON="the sweep ended (all steps under ${LOSS_LIMIT} % loss)"
for n in $STEPS; do
    for repeat in $(seq "$REPEATS"); do run_once "$n" "$repeat"; done
    DONE_STEPS+=("$n")
    rtp_loss=$(field "$n" loss_percent)
    frame_loss=$(field "$n" frame_loss_percent)
    with_media=$(field "$n" subscribers_with_media)
    loss=$(awk -v a="$rtp_loss" -v b="$frame_loss" 'BEGIN {if (a == "n/a" || b == "n/a") print "n/a"; else print (a > b ? a : b)}')
    log "N=$n: loss $loss % (RTP $rtp_loss %, frames $frame_loss %), $with_media subscribers with media"
    if [[ "$loss" == "n/a" ]] || awk -v l="$loss" -v m="$LOSS_LIMIT" 'BEGIN {exit !(l > m)}' \
        || [[ "$with_media" == "n/a" ]] || (( ${with_media%.*} < n )); then
        STOP_REASON="stopped at N=$n: loss $(fmt "$loss" 2) % (limit $LOSS_LIMIT %), $with_media of $n subscribers received media"
        break
    fi
    BEST=$n
done
log "$STOP_REASON"

# ---------------------------------------------------------------- report
CPU_MODEL=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
MEMORY=$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -q . && echo " (with uncommitted changes)" || true)
mkdir -p "$(dirname "$RESULTS")"
{
    echo "# SFU media node benchmark"
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- Hardware: $CPU_MODEL, $CORES cores, $MEMORY ($(uname -r))"
    echo "- Commit: $COMMIT$DIRTY"
    echo "- Command: \`$COMMAND\`"
    echo "- Load average before: $LOAD_BEFORE"
    echo "- Setup: one \`plenum-media-node --workers 1\` on core $NODE_CPU, \`plenum-loadtest\` (1 publisher, N subscribers, one media thread) on core $LOAD_CPU;"
    echo "  built-in clip: VP8 320x240 30 fps ~500 kbit/s + Opus 20 ms; ${DURATION} s measured after ${WARMUP} s of warm-up; median of $REPEATS run(s) per step."
    echo "- Result: $STOP_REASON. **Highest N under ${LOSS_LIMIT} % loss: ${BEST:-none}.**"
    echo
    echo "| N | connected | with media | received pps | kbit/s | RTP loss % | frame loss % | jitter audio ms | jitter video ms | first keyframe median ms | node CPU % | node CPU µs / forwarded packet | load generator CPU % | kernel UDP rcvbuf drops |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    for n in "${DONE_STEPS[@]}"; do
        echo "| $n | $(fmt "$(field "$n" subscribers_connected)" 0) | $(fmt "$(field "$n" subscribers_with_media)" 0)" \
            "| $(fmt "$(field "$n" received_pps)" 0) | $(fmt "$(field "$n" received_kbps)" 0)" \
            "| $(fmt "$(field "$n" loss_percent)" 3) | $(fmt "$(field "$n" frame_loss_percent)" 3)" \
            "| $(fmt "$(field "$n" audio_jitter_ms)" 2) | $(fmt "$(field "$n" video_jitter_ms)" 2)" \
            "| $(fmt "$(field "$n" keyframe_median_ms)" 0) | $(fmt "$(field "$n" node_cpu_percent)" 1)" \
            "| $(fmt "$(field "$n" node_cpu_us_per_packet)" 2) | $(fmt "$(field "$n" loadtest_cpu_percent)" 1)" \
            "| $(fmt "$(field "$n" kernel_udp_rcvbuf_drops)" 0) |"
    done
    echo
    echo "Received pps counts every RTP packet that reached a subscriber (audio + video, all subscribers);"
    echo "node CPU per forwarded packet is the node's user + system time in the window (from /proc/PID/stat)"
    echo "divided by the packets it sent to subscribers (received + lost). A load generator near 100 % CPU"
    echo "means the generator, not the node, may be the limit at that step. Kernel UDP rcvbuf drops"
    echo "(RcvbufErrors in /proc/net/snmp, all sockets, during the run) count datagrams lost because a"
    echo "socket's receive buffer was full: with one UDP socket per worker, the node's socket overflows"
    echo "first, and its lost audio cannot be repaired (frame loss without RTP loss downstream)."
    echo
    echo "## Every run"
    echo
    echo '```'
    for file in "$WORK"/run-*.json; do echo "$(basename "$file" .json): $(jq -c . "$file")"; done
    echo '```'
} >"$RESULTS"
log "wrote $RESULTS"
[[ -n "$BEST" ]] || die "even the first step lost more than $LOSS_LIMIT %"
