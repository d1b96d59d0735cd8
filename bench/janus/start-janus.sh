#!/usr/bin/env bash
# Starts Janus (Debian's `janus` package) inside the namespace made by
# netns.sh, with only the VideoRoom plugin and the WebSocket transport, and
# prints its pid on stdout (everything else goes to stderr), so that:
#
#   JANUS_PID=$(bench/janus/start-janus.sh)
#   target/release/plenum-loadtest --janus ws://10.77.0.2:8188/ --bind 10.77.0.1 --node-pid "$JANUS_PID"
#   bench/janus/stop-janus.sh
#
# The configuration is Debian's (/etc/janus) copied to a state directory and
# changed only where needed: the plugins, transports and loggers we do not use
# disabled, the WebSocket server on the namespace's address, an RTP port range,
# ICE gathering on the namespace's veth only (no STUN/TURN, which are off by
# default), a low log level. The log is $STATE/janus.log.
#
# Idempotent: brings the namespace up if needed; if a Janus started by this
# script is still running it prints its pid and changes nothing (stop it first
# to change settings). stop-janus.sh (or netns.sh down) undoes everything.
# Environment (all optional):
#   JANUS_PORT=8188              WebSocket port
#   JANUS_RTP_PORTS=20000-40000  UDP port range for media
#   JANUS_DEBUG=3                Janus log level (0-7; 3 = warnings and errors)
#   JANUS_ICE_LITE=0             1 runs Janus in ICE-lite mode
#   JANUS_FULL_TRICKLE=0         1 makes Janus trickle its candidates instead of putting them in its SDP
#   JANUS_CPU=                   pin Janus (all its threads) to these cores (taskset -c list), e.g. 1
#   JANUS_EVENT_LOOPS=           number of static event loops (Janus's event_loops; unset: a thread per handle)
#   JANUS_STATE_DIR=/tmp/plenum-janus-$JANUS_NETNS   config, log and pid file
#   plus netns.sh's JANUS_NETNS, JANUS_NS_IF, JANUS_NS_IP, ...
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NS=${JANUS_NETNS:-plj}
NS_IF=${JANUS_NS_IF:-vj1}
NS_IP=${JANUS_NS_IP:-10.77.0.2}
PORT=${JANUS_PORT:-8188}
RTP_PORTS=${JANUS_RTP_PORTS:-20000-40000}
DEBUG=${JANUS_DEBUG:-3}
ICE_LITE=${JANUS_ICE_LITE:-0}
FULL_TRICKLE=${JANUS_FULL_TRICKLE:-0}
CPU=${JANUS_CPU:-}
EVENT_LOOPS=${JANUS_EVENT_LOOPS:-}
STATE=${JANUS_STATE_DIR:-${TMPDIR:-/tmp}/plenum-janus-$NS}
SOURCE=/etc/janus

log() { echo "start-janus: $*" >&2; }

running_pid() {
    local pid
    pid=$(cat "$STATE/janus.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = janus ] && echo "$pid"
}

if pid=$(running_pid); then
    log "Janus already running (pid $pid, state $STATE)"
    echo "$pid"
    exit 0
fi

command -v janus >/dev/null || { log "janus is not installed (apt-get install -y janus)"; exit 1; }
"$HERE/netns.sh" up >&2

# Replaces the line starting with $2 (a sed regex, after indentation) in file $1 with $3
# (keeping the indentation); fails when nothing matched,
# so a changed Debian default cannot silently leave a setting out.
set_line() {
    grep -q -- "^\s*$2" "$1" || { log "no line matching '$2' in $1"; exit 1; }
    sed -i "s|^\(\s*\)$2.*|\1$3|" "$1"
}

# Comma-separated names of the modules in folder $1 (libjanus_*.so) except $2.
all_but() {
    local names=()
    for so in "$1"/libjanus_*.so; do
        [ -e "$so" ] || continue
        [ "$(basename "$so")" = "$2" ] || names+=("$(basename "$so")")
    done
    (IFS=,; echo "${names[*]}")
}

rm -rf "$STATE"
mkdir -p "$STATE/conf"
cp "$SOURCE/janus.jcfg" "$SOURCE/janus.plugin.videoroom.jcfg" "$SOURCE/janus.transport.websockets.jcfg" "$STATE/conf/"
CORE="$STATE/conf/janus.jcfg"
folder() { sed -n "s|^\s*$1 = \"\([^\"]*\)\".*|\1|p" "$CORE" | head -1; }
PLUGINS=$(folder plugins_folder)
TRANSPORTS=$(folder transports_folder)
LOGGERS=$(folder loggers_folder)
EVENTS=$(folder events_folder)

set_line "$CORE" 'configs_folder = ' "configs_folder = \"$STATE/conf\""
set_line "$CORE" 'debug_level = ' "debug_level = $DEBUG"
set_line "$CORE" '#debug_colors = ' "debug_colors = false"
# Janus finds its own address with a route lookup; the namespace has no default route.
set_line "$CORE" '#interface = ' "interface = \"$NS_IP\""
set_line "$CORE" '#disable = "libjanus_voicemail.so' "disable = \"$(all_but "$PLUGINS" libjanus_videoroom.so)\""
set_line "$CORE" '#disable = "libjanus_rabbitmq.so' "disable = \"$(all_but "$TRANSPORTS" libjanus_websockets.so)\""
set_line "$CORE" '#disable = "libjanus_jsonlog.so' "disable = \"$(all_but "$LOGGERS" none)\""
set_line "$CORE" '#disable = "libjanus_sampleevh.so' "disable = \"$(all_but "$EVENTS" none)\""
set_line "$CORE" '#rtp_port_range = ' "rtp_port_range = \"$RTP_PORTS\""
set_line "$CORE" '#ice_enforce_list = ' "ice_enforce_list = \"$NS_IF\""
if [ "$ICE_LITE" = 1 ]; then set_line "$CORE" '#ice_lite = ' "ice_lite = true"; fi
if [ "$FULL_TRICKLE" = 1 ]; then set_line "$CORE" '#full_trickle = ' "full_trickle = true"; fi
if [ -n "$EVENT_LOOPS" ]; then set_line "$CORE" '#event_loops = ' "event_loops = $EVENT_LOOPS"; fi
WS="$STATE/conf/janus.transport.websockets.jcfg"
set_line "$WS" 'ws_port = ' "ws_port = $PORT"
set_line "$WS" '#ws_ip = ' "ws_ip = \"$NS_IP\""

# `ip netns exec` (and taskset) exec janus, so $! is Janus' own pid; threads inherit the affinity.
PIN=()
if [ -n "$CPU" ]; then PIN=(taskset -c "$CPU"); fi
ip netns exec "$NS" "${PIN[@]}" janus -F "$STATE/conf" -L "$STATE/janus.log" -N </dev/null >"$STATE/janus.out" 2>&1 &
pid=$!
echo "$pid" >"$STATE/janus.pid"

# Ready once the WebSocket port accepts connections (a TCP connect to the namespace's address).
for _ in $(seq 100); do
    if ! kill -0 "$pid" 2>/dev/null; then
        log "Janus exited; its output:"
        tail -n 30 "$STATE/janus.out" "$STATE/janus.log" >&2 2>/dev/null || true
        rm -f "$STATE/janus.pid"
        exit 1
    fi
    if (exec 3<>"/dev/tcp/$NS_IP/$PORT") 2>/dev/null; then
        log "Janus $pid listening on ws://$NS_IP:$PORT/ (log $STATE/janus.log)"
        echo "$pid"
        exit 0
    fi
    sleep 0.1
done
log "Janus $pid did not open ws://$NS_IP:$PORT/ within 10 s; stopping it"
kill "$pid" 2>/dev/null || true
rm -f "$STATE/janus.pid"
exit 1
