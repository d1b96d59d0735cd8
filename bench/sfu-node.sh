#!/usr/bin/env bash
# SFU benchmark: one plenum-media-node (--workers 1) pinned to one core, one
# publisher and N subscribers from plenum-loadtest pinned to the other core, for
# N in a sweep, until more than LOSS_LIMIT % of the media is lost (or a
# subscriber gets none). Writes bench/results/sfu-node.md.
#
# Usage: bench/sfu-node.sh             the sweep
#        METRICS=1 bench/sfu-node.sh   the cost of /metrics instead (below)
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
#   METRICS=1         instead of the sweep, measure the node's CPU per forwarded packet at METRICS_N
#                     subscribers in three arms, interleaved within one run (the order rotates each
#                     repeat), a fresh node each: metrics off (--metrics false), on but never scraped,
#                     and on with GET /metrics scraped every second for the whole run; reports the
#                     ratios to off in a section of bench/results/sfu-node.md (the sweep's part is kept)
#   METRICS_N=400  METRICS_REPEATS=3  METRICS_TARGET=1.03 (highest ratio scraped/off that passes)
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
METRICS=${METRICS:-}
METRICS_N=${METRICS_N:-400}
METRICS_REPEATS=${METRICS_REPEATS:-3}
METRICS_TARGET=${METRICS_TARGET:-1.03}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RESULTS="$ROOT/bench/results/sfu-node.md"
cd "$ROOT"

BENCH_NAME=sfu-node.sh
source "$ROOT/bench/lib/common.sh"
COMMAND=$(bench_command bench/sfu-node.sh STEPS DURATION WARMUP REPEATS LOSS_LIMIT NODE_CPU LOAD_CPU CONCURRENCY SKIP_BUILD \
    METRICS METRICS_N METRICS_REPEATS METRICS_TARGET)

# ---------------------------------------------------------------- cleanup
NODE_PID=""
LOAD_PID=""
SCRAPER_PID=""
WORK=""
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    stop_pid "$SCRAPER_PID"
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
if [[ -n "$METRICS" ]]; then command -v curl >/dev/null || apt_install curl; fi
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
start_node() { # [NODE ARGS...] -> sets NODE_PID and NODE_URL
    local out="$WORK/node.out"
    : >"$out"
    taskset -c "$NODE_CPU" "$NODE_BIN" --listen 127.0.0.1:0 --workers 1 --rtc-address 127.0.0.1 "$@" \
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

# The scraper: GET /metrics once a second (as Prometheus does) for as long as the node runs,
# from the load generator's core. Each answer's status goes to $WORK/scrapes, the last body to $WORK/scrape.txt.
start_scraper() {
    local address=${NODE_URL#ws://}
    address=${address%/kurento}
    : >"$WORK/scrapes"
    (
        while kill -0 "$NODE_PID" 2>/dev/null; do
            taskset -c "$LOAD_CPU" curl -s -o "$WORK/scrape.txt" -w '%{http_code}\n' "http://$address/metrics" \
                >>"$WORK/scrapes" || true
            sleep 1 # the scrape interval
        done
    ) &
    SCRAPER_PID=$!
}
# stop_scraper: fails unless every scrape answered 200 and the last one counted forwarded packets.
stop_scraper() {
    stop_pid "$SCRAPER_PID"
    SCRAPER_PID=""
    local ok bad forwarded
    ok=$(grep -c '^200$' "$WORK/scrapes" || true)
    bad=$(grep -vc '^200$' "$WORK/scrapes" || true)
    (( ok > 0 && bad == 0 )) || die "scraping /metrics: $ok answers 200, $bad others"
    forwarded=$(awk '/^plenum_node_forwarded_packets_total/ {n += $NF} END {print n + 0}' "$WORK/scrape.txt")
    (( forwarded > 0 )) || die "the last scrape counted no forwarded packets"
    SCRAPES=$ok
}

run_once() { # N REPEAT [ARM] -> writes $WORK/run-N-REPEAT.json (ARM: off, on or scraped, for METRICS=1)
    local n=$1 repeat=$2 arm=${3:-} json="$WORK/run-$1-$2.json"
    local drops_before
    local node_args=()
    [[ -n "$arm" ]] && json="$WORK/metrics-$arm-$repeat.json"
    [[ "$arm" == off ]] && node_args=(--metrics false)
    drops_before=$(udp_rcvbuf_errors)
    start_node "${node_args[@]}"
    log "N=$n run $repeat${arm:+ (metrics $arm)}: node pid $NODE_PID at $NODE_URL"
    SCRAPES=0
    [[ "$arm" == scraped ]] && start_scraper
    set +e
    taskset -c "$LOAD_CPU" "$LOAD_BIN" --kurento "$NODE_URL" --publishers 1 --subscribers "$n" \
        --duration "$DURATION" --warmup "$WARMUP" --concurrency "$CONCURRENCY" \
        --node-pid "$NODE_PID" --bind 127.0.0.1 --json >"$json" 2>"$WORK/load.err" &
    LOAD_PID=$!
    wait "$LOAD_PID"
    local status=$?
    set -e
    LOAD_PID=""
    [[ "$arm" == scraped ]] && stop_scraper
    stop_pid "$NODE_PID"
    NODE_PID=""
    if [[ ! -s "$json" ]]; then
        log "the load generator failed (exit $status):"
        tail -5 "$WORK/load.err" >&2
        echo '{}' >"$json"
    fi
    local drops=$(( $(udp_rcvbuf_errors) - drops_before ))
    jq -c --argjson drops "$drops" --argjson scrapes "$SCRAPES" '. + {kernel_udp_rcvbuf_drops: $drops, scrapes: $scrapes}' \
        "$json" >"$json.tmp" && mv "$json.tmp" "$json"
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

# The metrics section of the results file (from its heading to the end), kept when the sweep rewrites the file.
METRICS_HEADING="## Metrics: on and scraped every second, against off"
metrics_section() { [[ -f "$RESULTS" ]] && awk -v h="$METRICS_HEADING" '$0 == h {p = 1} p' "$RESULTS" || true; }

arm_field() { # ARM FIELD -> median over the repeats of that arm
    local arm=$1 name=$2
    for file in "$WORK"/metrics-"$arm"-*.json; do jq -r ".$name // empty" "$file"; done | median
}

# ---------------------------------------------------------------- metrics on/off
if [[ -n "$METRICS" ]]; then
    ARMS=(off on scraped)
    for repeat in $(seq "$METRICS_REPEATS"); do
        for i in 0 1 2; do run_once "$METRICS_N" "$repeat" "${ARMS[$(( (i + repeat - 1) % 3 ))]}"; done
    done
    off=$(arm_field off node_cpu_us_per_packet)
    ratio() { awk -v a="$1" -v b="$off" 'BEGIN {if (a == "n/a" || b == "n/a" || b == 0) print "n/a"; else printf "%.3f", a / b}'; }
    RATIO_SCRAPED=$(ratio "$(arm_field scraped node_cpu_us_per_packet)")
    RATIO_ON=$(ratio "$(arm_field on node_cpu_us_per_packet)")
    # Paired: each repeat's scraped (or on) run over the off run of the same repeat, minutes apart at most,
    # then the median: less sensitive to the machine's drift over the whole run than a ratio of medians.
    paired() { # ARM -> median over the repeats of ARM/off
        for repeat in $(seq "$METRICS_REPEATS"); do
            jq -n -r --slurpfile a "$WORK/metrics-$1-$repeat.json" --slurpfile o "$WORK/metrics-off-$repeat.json" \
                'if ($a[0].node_cpu_us_per_packet // 0) > 0 and ($o[0].node_cpu_us_per_packet // 0) > 0
                 then $a[0].node_cpu_us_per_packet / $o[0].node_cpu_us_per_packet else empty end'
        done | median
    }
    PAIRED_SCRAPED=$(fmt "$(paired scraped)" 3)
    PAIRED_ON=$(fmt "$(paired on)" 3)
    VERDICT="meets the target (≤ $METRICS_TARGET)"
    if [[ "$PAIRED_SCRAPED" == "n/a" ]] || awk -v r="$PAIRED_SCRAPED" -v t="$METRICS_TARGET" 'BEGIN {exit !(r > t)}'; then
        VERDICT="is ABOVE the target (≤ $METRICS_TARGET)"
    fi
    # A run that lost frames was starved of CPU (node or load generator): its CPU per packet says nothing about metrics.
    WORST_LOSS=$(for arm in off on scraped; do arm_field "$arm" frame_loss_percent; done | sort -g | tail -1)
    if [[ "$WORST_LOSS" == "n/a" ]] || awk -v l="$WORST_LOSS" -v m="$LOSS_LIMIT" 'BEGIN {exit !(l > m)}'; then
        VERDICT="CANNOT BE JUDGED: an arm's median frame loss is $(fmt "$WORST_LOSS" 1) % (over $LOSS_LIMIT %), so the node or the load generator was starved of CPU (a busy machine)"
    fi
    log "node CPU per forwarded packet, scraped/off: paired $PAIRED_SCRAPED ($VERDICT), of medians $RATIO_SCRAPED; on, not scraped/off: paired $PAIRED_ON, of medians $RATIO_ON"
    SWEEP_PART=""
    [[ -f "$RESULTS" ]] && SWEEP_PART=$(awk -v h="$METRICS_HEADING" '$0 == h {exit} {print}' "$RESULTS")
    mkdir -p "$(dirname "$RESULTS")"
    {
        if [[ -n "$SWEEP_PART" ]]; then printf '%s\n' "$SWEEP_PART"; else echo "# SFU media node benchmark"; echo; fi
        echo "$METRICS_HEADING"
        echo
        echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); hardware: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $CORES cores"
        echo "- Commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -q . && echo " (with uncommitted changes)" || true)"
        echo "- Command: \`$COMMAND\`"
        echo "- Load average before: $LOAD_BEFORE"
        echo "- Setup: as the sweep, at N = $METRICS_N subscribers, ${DURATION} s measured after ${WARMUP} s of warm-up;"
        echo "  $METRICS_REPEATS repeats of three arms, interleaved (the order rotates each repeat), a fresh node each:"
        echo "  **off** (\`--metrics false\`: no route, no per-stream statistics), **on** (the default, never scraped) and"
        echo "  **scraped** (on, \`GET /metrics\` every second from core $LOAD_CPU for the whole run; every scrape answered 200)."
        echo "- Result: node CPU per forwarded packet, scraped / off = **$PAIRED_SCRAPED** (median of the repeats' paired ratios), which $VERDICT;"
        echo "  ratio of the arms' medians $RATIO_SCRAPED. On (not scraped) / off: paired $PAIRED_ON, of medians $RATIO_ON."
        echo
        echo "| arm | node CPU µs / forwarded packet (median) | node CPU % | received pps | RTP loss % | frame loss % | scrapes per run |"
        echo "|---|---|---|---|---|---|---|"
        for arm in off on scraped; do
            echo "| $arm | $(fmt "$(arm_field "$arm" node_cpu_us_per_packet)" 2) | $(fmt "$(arm_field "$arm" node_cpu_percent)" 1)" \
                "| $(fmt "$(arm_field "$arm" received_pps)" 0) | $(fmt "$(arm_field "$arm" loss_percent)" 3)" \
                "| $(fmt "$(arm_field "$arm" frame_loss_percent)" 3) | $(fmt "$(arm_field "$arm" scrapes)" 0) |"
        done
        echo
        echo '```'
        for file in "$WORK"/metrics-*.json; do
            echo "$(basename "$file" .json): $(jq -c '{node_cpu_us_per_packet, node_cpu_percent, received_pps, loss_percent, frame_loss_percent, scrapes}' "$file")"
        done
        echo '```'
    } >"$WORK/results.md" # not beside the results: an untracked file there would read as uncommitted changes
    cp "$WORK/results.md" "$RESULTS"
    log "wrote $RESULTS"
    [[ "$VERDICT" != CANNOT* ]] || die "the measurement is void: frames were lost; rerun on an idle machine"
    [[ "$VERDICT" == meets* ]] || die "metrics cost more than the target"
    exit 0
fi

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
KEPT_METRICS=$(metrics_section)
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
    if [[ -n "$KEPT_METRICS" ]]; then echo; printf '%s\n' "$KEPT_METRICS"; fi
} >"$RESULTS"
log "wrote $RESULTS"
[[ -n "$BEST" ]] || die "even the first step lost more than $LOSS_LIMIT %"
