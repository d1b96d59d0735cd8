#!/usr/bin/env bash
# SFU benchmark, side by side: Plenum's media node, Janus 1.1.2 (VideoRoom) and
# a raw UDP relay (recvmmsg/sendmmsg, no SRTP, no RTCP: the kernel's limit on
# this machine), each pinned to one core and each inside its own private network
# namespace reached over a veth pair (Janus skips loopback when it gathers ICE
# candidates, so all three get the same path). The same load generator, pinned
# to the other core, sends the same VP8 + Opus clip:
#   1. 1 publisher -> N subscribers, for N in STEPS, until a server loses more
#      than LOSS_LIMIT % (each server sweeps on its own);
#   2. MESH (default 10 rooms of 6 participants who all publish and all
#      subscribe to each other; Plenum and Janus only).
# Every run gets a fresh server. Records for each server and step: the server's
# CPU seconds per forwarded packet (/proc/PID/stat over the measured window),
# forwarded packets per second, loss, jitter and the server's peak RSS (VmHWM).
# Writes bench/results/sfu-vs-janus.md and bench/results/sfu-vs-janus.png.
#
# Usage: bench/sfu-vs-janus.sh            (as root: network namespaces)
# Environment (all optional):
#   STEPS="50 100 200 400 800 1600 3200 6400"  subscriber counts, in order
#   SERVERS="plenum janus raw"   which servers to measure
#   MESH=10x6                    rooms x participants for the mesh run ("" to skip)
#   DURATION=10  WARMUP=3        seconds of each measured window, and before it
#   LOSS_LIMIT=1                 percent; a server's sweep stops after its first step above it
#   SERVER_CPU=1  LOAD_CPU=0     the cores for the server and for the load generator
#   CONCURRENCY=16               subscribers negotiating at the same time
#   JANUS_EVENT_LOOPS=1          Janus's static event loops (one core: one loop; "" = a thread per handle)
#   SKIP_BUILD=1                 use the release binaries already built
# Installs janus, iproute2, jq, gnuplot and util-linux (taskset) with apt-get
# when missing. Cleans up every process and namespace it made, also on Ctrl-C.
set -euo pipefail

STEPS=${STEPS:-"50 100 200 400 800 1600 3200 6400"}
SERVERS=${SERVERS:-"plenum janus raw"}
MESH=${MESH-10x6}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
LOSS_LIMIT=${LOSS_LIMIT:-1}
SERVER_CPU=${SERVER_CPU:-1}
LOAD_CPU=${LOAD_CPU:-0}
CONCURRENCY=${CONCURRENCY:-16}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RESULTS="$ROOT/bench/results/sfu-vs-janus.md"
PLOT="$ROOT/bench/results/sfu-vs-janus.png"
cd "$ROOT"

BENCH_NAME=sfu-vs-janus
source "$ROOT/bench/lib/common.sh"
COMMAND=$(bench_command bench/sfu-vs-janus.sh STEPS SERVERS MESH DURATION WARMUP LOSS_LIMIT SERVER_CPU LOAD_CPU \
    CONCURRENCY JANUS_EVENT_LOOPS SKIP_BUILD)
# Read by bench/janus/start-janus.sh.
export JANUS_EVENT_LOOPS=${JANUS_EVENT_LOOPS-1}
[[ $(id -u) -eq 0 ]] || die "run as root (it creates network namespaces)"

# ---------------------------------------------------------------- namespaces
# One namespace per server, each with a veth pair: host side .1 (the load
# generator binds there), namespace side .2 (the server).
declare -A NETNS=([plenum]=plp [janus]=plj [raw]=plr)
declare -A HOST_IF=([plenum]=vp0 [janus]=vj0 [raw]=vr0)
declare -A NS_IF=([plenum]=vp1 [janus]=vj1 [raw]=vr1)
declare -A SUBNET=([plenum]=10.78.0 [janus]=10.77.0 [raw]=10.79.0)
netns() { # SERVER up|down (bench/janus/netns.sh is generic over these variables)
    JANUS_NETNS=${NETNS[$1]} JANUS_HOST_IF=${HOST_IF[$1]} JANUS_NS_IF=${NS_IF[$1]} \
        JANUS_HOST_IP=${SUBNET[$1]}.1 JANUS_NS_IP=${SUBNET[$1]}.2 "$ROOT/bench/janus/netns.sh" "$2" >&2
}

# ---------------------------------------------------------------- cleanup
SERVER_PID=""
LOAD_PID=""
WORK=""
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    stop_pid "$LOAD_PID"
    stop_pid "$SERVER_PID"
    JANUS_NETNS=plj "$ROOT/bench/janus/stop-janus.sh" 2>/dev/null || true
    for server in plenum janus raw; do netns "$server" down 2>/dev/null || true; done
    if [[ -n "$WORK" && -d "$WORK" ]]; then rm -rf "$WORK"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# ---------------------------------------------------------------- tools
missing=()
command -v janus >/dev/null || missing+=(janus)
command -v ip >/dev/null || missing+=(iproute2)
command -v jq >/dev/null || missing+=(jq)
command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
command -v taskset >/dev/null || missing+=(util-linux)
if ((${#missing[@]})); then apt_install "${missing[@]}"; fi
CORES=$(nproc)
(( CORES > SERVER_CPU && CORES > LOAD_CPU )) || die "need cores $SERVER_CPU and $LOAD_CPU, this machine has $CORES"
[[ "$SERVER_CPU" != "$LOAD_CPU" ]] || die "SERVER_CPU and LOAD_CPU must differ"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
if [[ -z "${SKIP_BUILD:-}" ]]; then
    log "building release binaries"
    cargo build --release --quiet -p plenum-media-node -p plenum-loadtest -p plenum-udp-relay
fi
NODE_BIN="$TARGET_DIR/release/plenum-media-node"
LOAD_BIN="$TARGET_DIR/release/plenum-loadtest"
RELAY_BIN="$TARGET_DIR/release/plenum-udp-relay"
for bin in "$NODE_BIN" "$LOAD_BIN" "$RELAY_BIN"; do [[ -x "$bin" ]] || die "missing $bin"; done

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${LOAD_BEFORE%% *}" 'BEGIN {exit !(l > 0.5)}'; then
    log "warning: load average is $LOAD_BEFORE; other processes will skew the results"
fi
WORK=$(mktemp -d -t plenum-sfu-vs-janus.XXXXXX)
for server in $SERVERS; do netns "$server" up; done

# ---------------------------------------------------------------- servers
wait_for_tcp() { # ADDRESS PORT PID WHAT
    for _ in $(seq 100); do
        kill -0 "$3" 2>/dev/null || die "$4 exited: $(tail -5 "$WORK/server.err" 2>/dev/null)"
        if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
        sleep 0.1
    done
    die "$4 did not listen on $1:$2 within 10 s"
}

start_server() { # SERVER -> SERVER_PID, SERVER_URL
    local ip=${SUBNET[$1]}.2
    : >"$WORK/server.err"
    case $1 in
        plenum)
            ip netns exec "${NETNS[$1]}" taskset -c "$SERVER_CPU" "$NODE_BIN" --listen "$ip:8888" \
                --rtc-address "$ip" --workers 1 >"$WORK/server.out" 2>"$WORK/server.err" &
            SERVER_PID=$!
            wait_for_tcp "$ip" 8888 "$SERVER_PID" plenum-media-node
            SERVER_URL="ws://$ip:8888/kurento"
            ;;
        janus)
            SERVER_PID=$(JANUS_CPU=$SERVER_CPU "$ROOT/bench/janus/start-janus.sh" 2>"$WORK/server.err") \
                || die "Janus did not start: $(tail -5 "$WORK/server.err")"
            SERVER_URL="ws://$ip:8188/"
            ;;
        raw)
            ip netns exec "${NETNS[$1]}" taskset -c "$SERVER_CPU" "$RELAY_BIN" relay --listen "$ip:9000" \
                >"$WORK/server.out" 2>"$WORK/server.err" &
            SERVER_PID=$!
            for _ in $(seq 100); do
                grep -q 'listening on' "$WORK/server.out" && break
                kill -0 "$SERVER_PID" 2>/dev/null || die "the relay exited: $(tail -5 "$WORK/server.err")"
                sleep 0.1
            done
            grep -q 'listening on' "$WORK/server.out" || die "the relay did not start"
            SERVER_URL="$ip:9000"
            ;;
    esac
}

stop_server() { # SERVER
    if [[ $1 == janus ]]; then
        JANUS_NETNS=plj "$ROOT/bench/janus/stop-janus.sh" 2>/dev/null
    else
        stop_pid "$SERVER_PID"
    fi
    SERVER_PID=""
}

# ---------------------------------------------------------------- one run
# UDP datagrams the kernel dropped because a socket's receive buffer was full
# (host namespace plus the server's namespace).
udp_rcvbuf_errors() { # SERVER
    local host ns
    host=$(awk '/^Udp:/ { if (seen) { print $6; exit } seen = 1 }' /proc/net/snmp)
    ns=$(ip netns exec "${NETNS[$1]}" awk '/^Udp:/ { if (seen) { print $6; exit } seen = 1 }' /proc/net/snmp)
    echo $((host + ns))
}

run_once() { # SERVER SHAPE(N or RxK) -> $WORK/SERVER-SHAPE.json
    local server=$1 shape=$2 json="$WORK/$1-$2.json" drops_before status
    local bind=${SUBNET[$server]}.1
    drops_before=$(udp_rcvbuf_errors "$server")
    start_server "$server"
    log "$server $shape: server pid $SERVER_PID at $SERVER_URL"
    local load=()
    case $server in
        plenum) load=("$LOAD_BIN" --kurento "$SERVER_URL") ;;
        janus) load=("$LOAD_BIN" --janus "$SERVER_URL") ;;
        raw) load=("$RELAY_BIN" load --relay "$SERVER_URL") ;;
    esac
    if [[ $shape == *x* ]]; then
        load+=(--mesh "$shape")
    else
        load+=(--subscribers "$shape")
        [[ $server == raw ]] || load+=(--publishers 1 --concurrency "$CONCURRENCY")
    fi
    set +e
    taskset -c "$LOAD_CPU" "${load[@]}" --duration "$DURATION" --warmup "$WARMUP" --bind "$bind" \
        --node-pid "$SERVER_PID" --json >"$json" 2>"$WORK/load.err" &
    LOAD_PID=$!
    wait "$LOAD_PID"
    status=$?
    set -e
    LOAD_PID=""
    local rss_peak
    rss_peak=$(awk '/^VmHWM:/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || echo null)
    stop_server "$server"
    if [[ ! -s "$json" ]] || ! jq -e . "$json" >/dev/null 2>&1; then
        log "the load generator failed (exit $status):"
        tail -5 "$WORK/load.err" >&2
        echo '{}' >"$json"
    fi
    local drops=$(( $(udp_rcvbuf_errors "$server") - drops_before ))
    jq -c --argjson drops "$drops" --argjson rss "${rss_peak:-null}" \
        '. + {kernel_udp_rcvbuf_drops: $drops, server_rss_peak_kib: $rss,
              loss: ([.loss_percent, .frame_loss_percent] | map(select(. != null)) | max)}' \
        "$json" >"$json.tmp" && mv "$json.tmp" "$json"
    grep -v ' INFO ' "$WORK/load.err" | sed 's/\x1b\[[0-9;]*m//g' | tail -3 >&2 || true
}

value() { # SERVER SHAPE FIELD -> the value, or n/a
    jq -r ".$3 // \"n/a\"" "$WORK/$1-$2.json" 2>/dev/null || echo n/a
}
fmt() { # NUMBER DECIMALS
    if [[ "$1" == "n/a" || -z "$1" ]]; then echo "n/a"; else printf "%.${2}f" "$1"; fi
}
ratio() { # A B DECIMALS -> A/B
    if [[ "$1" == n/a || "$2" == n/a ]]; then echo n/a; else awk -v a="$1" -v b="$2" -v d="$3" 'BEGIN {if (b == 0) print "n/a"; else printf "%.*f", d, a / b}'; fi
}

# ---------------------------------------------------------------- sweeps
declare -A DONE BEST STOP
for server in $SERVERS; do
    DONE[$server]=""
    BEST[$server]=""
    STOP[$server]="all steps under ${LOSS_LIMIT} % loss"
    for n in $STEPS; do
        run_once "$server" "$n"
        DONE[$server]+=" $n"
        loss=$(value "$server" "$n" loss)
        with_media=$(value "$server" "$n" subscribers_with_media)
        log "$server N=$n: loss $loss %, $with_media subscribers with media"
        if [[ "$loss" == n/a || "$with_media" == n/a ]] || awk -v l="$loss" -v m="$LOSS_LIMIT" 'BEGIN {exit !(l > m)}' \
            || (( ${with_media%.*} < n )); then
            STOP[$server]="stopped at N=$n: loss $(fmt "$loss" 2) %, $with_media of $n subscribers with media"
            break
        fi
        BEST[$server]=$n
    done
    log "$server: ${STOP[$server]}"
done
if [[ -n "$MESH" ]]; then
    for server in $SERVERS; do
        [[ $server == raw ]] && continue
        run_once "$server" "$MESH"
    done
fi

# ---------------------------------------------------------------- plot
{
    for server in $SERVERS; do
        for n in ${DONE[$server]}; do
            echo "$server $n $(value "$server" "$n" loss) $(value "$server" "$n" node_cpu_percent) $(value "$server" "$n" node_cpu_us_per_packet)"
        done
    done
} | sed 's/n\/a/NaN/g' >"$WORK/plot.dat"
plot_lines() { # COLUMN
    local parts=()
    for server in $SERVERS; do
        parts+=("'< grep ^$server $WORK/plot.dat' using 2:$1 with linespoints title '$server'")
    done
    (IFS=,; echo "${parts[*]}")
}
gnuplot <<EOF
set terminal pngcairo size 1200,900 font 'sans,11'
set output '$PLOT'
set multiplot layout 3,1 title 'Plenum media node vs Janus 1.1.2 vs raw UDP relay: 1 publisher -> N subscribers, one core each ($(date -u +%Y-%m-%d))'
set logscale x 2
set grid
set key left top
set xlabel 'subscribers (N)'
set ylabel 'loss %'
plot $(plot_lines 3)
set ylabel 'server CPU % of one core'
plot $(plot_lines 4)
set ylabel 'server CPU µs per forwarded packet'
set logscale y
plot $(plot_lines 5)
unset multiplot
EOF

# ---------------------------------------------------------------- report
CPU_MODEL=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
MEMORY=$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -q . && echo " (with uncommitted changes)" || true)
JANUS_VERSION=$(dpkg-query -W -f='${Version}' janus 2>/dev/null || echo unknown)
row() { # SERVER SHAPE
    local s=$1 n=$2
    echo "| $n | $(fmt "$(value "$s" "$n" subscribers_with_media)" 0) | $(fmt "$(value "$s" "$n" received_pps)" 0)" \
        "| $(fmt "$(value "$s" "$n" loss_percent)" 3) | $(fmt "$(value "$s" "$n" frame_loss_percent)" 3)" \
        "| $(fmt "$(value "$s" "$n" max_jitter_ms)" 2) | $(fmt "$(value "$s" "$n" node_cpu_percent)" 1)" \
        "| $(fmt "$(value "$s" "$n" node_cpu_us_per_packet)" 2) | $(fmt "$(value "$s" "$n" server_rss_peak_kib)" 0)" \
        "| $(fmt "$(value "$s" "$n" loadtest_cpu_percent)" 1) | $(fmt "$(value "$s" "$n" kernel_udp_rcvbuf_drops)" 0) |"
}
mkdir -p "$(dirname "$RESULTS")"
{
    echo "# SFU benchmark: Plenum media node, Janus and a raw UDP relay"
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- Hardware: $CPU_MODEL, $CORES cores, $MEMORY ($(uname -r))"
    echo "- Commit: $COMMIT$DIRTY; Janus $JANUS_VERSION (Debian package, VideoRoom plugin, event_loops=${JANUS_EVENT_LOOPS:-unset})"
    echo "- Command: \`$COMMAND\`"
    echo "- Load average before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- Setup: each server on core $SERVER_CPU (\`taskset\`), alone in its own network namespace behind a veth pair;"
    echo "  the load generator on core $LOAD_CPU in the host namespace: \`plenum-loadtest\` (str0m WebRTC clients; Kurento"
    echo "  protocol for Plenum, Janus VideoRoom API for Janus) or \`plenum-udp-relay load\` (plain RTP, same clip) for the relay."
    echo "  Built-in clip: VP8 ~500 kbit/s 30 fps + Opus 20 ms. ${DURATION} s measured after ${WARMUP} s of warm-up; a fresh server per run."
    echo "- Loss is the larger of RTP loss (sequence gaps at the subscribers) and frame loss (frames sent, never received whole)."
    echo "  Server CPU is its user + system time over the window (/proc/PID/stat) per packet it forwarded (received + lost)."
    echo
    echo "## Highest N under ${LOSS_LIMIT} % loss"
    echo
    echo "| server | highest N | sweep |"
    echo "| --- | ---: | --- |"
    for server in $SERVERS; do echo "| $server | ${BEST[$server]:-none} | ${STOP[$server]} |"; done
    echo
    if [[ " $SERVERS " == *" plenum "* ]]; then
        echo "## Ratios at each N (CPU µs per forwarded packet; below 1 means Plenum uses less)"
        echo
        echo "| N | Plenum µs/pkt | Janus µs/pkt | raw µs/pkt | Plenum / Janus | Plenum / raw | Janus / raw |"
        echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        for n in ${DONE[plenum]}; do
            p=$(value plenum "$n" node_cpu_us_per_packet)
            j=n/a; r=n/a
            [[ -f "$WORK/janus-$n.json" ]] && j=$(value janus "$n" node_cpu_us_per_packet)
            [[ -f "$WORK/raw-$n.json" ]] && r=$(value raw "$n" node_cpu_us_per_packet)
            echo "| $n | $(fmt "$p" 2) | $(fmt "$j" 2) | $(fmt "$r" 2) | $(ratio "$p" "$j" 2) | $(ratio "$p" "$r" 1) | $(ratio "$j" "$r" 1) |"
        done
        echo
    fi
    for server in $SERVERS; do
        echo "## $server: 1 publisher → N subscribers"
        echo
        echo "| N | with media | received pps | RTP loss % | frame loss % | max jitter ms | CPU % of a core | CPU µs / forwarded packet | peak RSS KiB | load generator CPU % | kernel UDP rcvbuf drops |"
        echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        for n in ${DONE[$server]}; do row "$server" "$n"; done
        echo
    done
    if [[ -n "$MESH" ]]; then
        echo "## Mesh: $MESH (rooms x participants; everyone publishes and subscribes to everyone else in the room)"
        echo
        echo "| server | subscriptions with media | received pps | RTP loss % | frame loss % | max jitter ms | CPU % of a core | CPU µs / forwarded packet | peak RSS KiB | load generator CPU % | kernel UDP rcvbuf drops |"
        echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        for server in $SERVERS; do
            [[ $server == raw ]] && continue
            row "$server" "$MESH" | sed "s/^| $MESH |/| $server |/"
        done
        echo
    fi
    echo "![loss and CPU against N](sfu-vs-janus.png)"
    echo
    echo "## Every run"
    echo
    echo '```'
    for file in "$WORK"/*.json; do echo "$(basename "$file" .json): $(jq -c . "$file")"; done
    echo '```'
} >"$RESULTS"
log "wrote $RESULTS and $PLOT"
