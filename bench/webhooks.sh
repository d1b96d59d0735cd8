#!/usr/bin/env bash
# What webhooks cost the REST API: the same Plenum release binary with
# webhooks off and with webhooks on, alternating in the same run, fresh
# processes, server pinned to one core and wrk to the other. See bench/README.md.
#
# Usage: bench/webhooks.sh                  webhooks on = a fast receiver that answers 200
#        RECEIVER=error bench/webhooks.sh   ... a receiver that answers 500 (5 attempts per event)
#        RECEIVER=hang bench/webhooks.sh    ... a receiver that never answers (10 s timeouts)
#        RECEIVER=absent bench/webhooks.sh  ... nothing listening on the endpoint's port
# Environment (all optional):
#   RECEIVER=ok       ok | error | hang | absent: what the webhooks-on server sends to
#   ONLY="create_session get_session"  scenarios (bench/wrk/*.lua); create_session makes one event per request
#   DURATION=10s WARMUP=2s REPEATS=3 CONNECTIONS=32 SERVER_CPU=0 WRK_CPU=1
#   QUEUE_CAPACITY    PLENUM_WEBHOOK_QUEUE_CAPACITY of the webhooks-on server (default: Plenum's, 10000)
#   EVENTS            OPENVIDU_WEBHOOK_EVENTS of the webhooks-on server, e.g. '["signalSent"]' (a control:
#                     webhooks on, but nothing the scenario publishes is queued)
#   SKIP_BUILD=1      use the release binaries already built
#   PROFILE=1         perf-record the master during the last webhooks-on create_session run and report the
#                     share of its CPU samples spent in webhook code (the intake inside publish, and the sender)
# Writes bench/results/webhooks-<RECEIVER>.md. Exits non-zero when a response is
# not 200, on a socket error, or when the fast receiver (RECEIVER=ok) got no event.
# All traffic stays on 127.0.0.1; every process started is stopped on exit or Ctrl-C.
set -euo pipefail

RECEIVER=${RECEIVER:-ok}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
REPEATS=${REPEATS:-3}
CONNECTIONS=${CONNECTIONS:-32}
SERVER_CPU=${SERVER_CPU:-0}
WRK_CPU=${WRK_CPU:-1}
SECRET=BENCH_SECRET

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
cd "$ROOT"

BENCH_NAME=webhooks.sh
source "$BENCH/lib/common.sh"
COMMAND=$(bench_command bench/webhooks.sh RECEIVER ONLY DURATION WARMUP REPEATS CONNECTIONS SERVER_CPU WRK_CPU \
    QUEUE_CAPACITY EVENTS SKIP_BUILD PROFILE)
case $RECEIVER in ok | error | hang | absent) ;; *) die "RECEIVER must be ok, error, hang or absent" ;; esac

# ---------------------------------------------------------------- cleanup
SERVER_PID=""
SINK_PID=""
WRK_PID=""
WORK=""
cleanup() {
    local status=$?
    trap - EXIT
    trap '' INT TERM
    stop_pid "$WRK_PID"
    stop_pid "$SERVER_PID"
    stop_pid "$SINK_PID"
    if [[ -n "$WORK" && -d "$WORK" ]]; then rm -rf "$WORK"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM

# ---------------------------------------------------------------- tools and build
command -v wrk >/dev/null || apt_install wrk
command -v curl >/dev/null || apt_install curl
command -v taskset >/dev/null || apt_install util-linux
if [[ -n "${PROFILE:-}" ]]; then command -v perf >/dev/null || apt_install linux-perf; fi
CORES=$(nproc)
(( CORES > SERVER_CPU && CORES > WRK_CPU )) || die "need cores $SERVER_CPU and $WRK_CPU, this machine has $CORES"
[[ "$SERVER_CPU" != "$WRK_CPU" ]] || die "SERVER_CPU and WRK_CPU must differ"
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
if [[ -z "${SKIP_BUILD:-}" ]]; then
    log "building release binaries"
    cargo build --release --quiet --bin plenum --bin plenum-bench-webhook-sink
fi
PLENUM="$TARGET_DIR/release/plenum"
SINK="$TARGET_DIR/release/plenum-bench-webhook-sink"
[[ -x "$PLENUM" && -x "$SINK" ]] || die "missing $PLENUM or $SINK"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
WORK=$(mktemp -d -t plenum-bench-webhooks.XXXXXX)
export BENCH_AUTH="Basic $(printf 'OPENVIDUAPP:%s' "$SECRET" | base64 -w0)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# ---------------------------------------------------------------- processes
SINK_REQUESTS=0
start_sink() { # sets SINK_URL; RECEIVER=absent: a port nothing listens on
    local port
    port=$(free_port)
    SINK_URL="http://127.0.0.1:$port/webhook"
    [[ $RECEIVER != absent ]] || return 0
    taskset -c "$WRK_CPU" "$SINK" --listen "127.0.0.1:$port" --mode "$RECEIVER" >"$WORK/sink.out" 2>&1 &
    SINK_PID=$!
    for _ in $(seq 100); do
        # Listening is enough (a hanging sink never answers an HTTP probe).
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        sleep 0.05
    done
    die "the webhook sink did not start"
}
stop_sink() { # sets SINK_REQUESTS
    SINK_REQUESTS=0
    [[ -n "$SINK_PID" ]] || return 0
    stop_pid "$SINK_PID"
    SINK_PID=""
    SINK_REQUESTS=$(sed -n 's/^SINK_RESULT requests=\([0-9]*\).*/\1/p' "$WORK/sink.out")
    SINK_REQUESTS=${SINK_REQUESTS:-0}
}

start_plenum() { # VARIANT (off | on)
    local variant=$1 port env=()
    port=$(free_port)
    PORT=$port
    if [[ $variant == on ]]; then
        env+=(OPENVIDU_WEBHOOK=true "OPENVIDU_WEBHOOK_ENDPOINT=$SINK_URL")
        [[ -z "${QUEUE_CAPACITY:-}" ]] || env+=("PLENUM_WEBHOOK_QUEUE_CAPACITY=$QUEUE_CAPACITY")
        [[ -z "${EVENTS:-}" ]] || env+=("OPENVIDU_WEBHOOK_EVENTS=$EVENTS")
    fi
    # A clean environment in an empty directory: no ./plenum.env, no embedded node's status events.
    (cd "$WORK" && exec env -i PATH="$PATH" SERVER_ADDRESS=127.0.0.1 SERVER_PORT="$port" OPENVIDU_SECRET="$SECRET" \
        PLENUM_LOG=warn PLENUM_EMBEDDED_MEDIA_NODE=false "${env[@]}" \
        taskset -c "$SERVER_CPU" "$PLENUM" >>"$WORK/plenum-$variant.log" 2>&1) &
    SERVER_PID=$!
    for _ in $(seq 200); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        if [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/openvidu/api/config/openvidu-publicurl" || true) == 200 ]]; then
            curl -s -o /dev/null -u "OPENVIDUAPP:$SECRET" -H 'Content-Type: application/json' \
                --data '{"customSessionId":"bench"}' "http://127.0.0.1:$port/openvidu/api/sessions"
            return 0
        fi
        sleep 0.05
    done
    tail -20 "$WORK/plenum-$variant.log" >&2
    die "plenum ($variant) did not become ready"
}

declare -A SCENARIO_PATH=(
    [get_session]=/openvidu/api/sessions/bench
    [create_session]=/openvidu/api/sessions
    [create_connection]=/openvidu/api/sessions/bench/connection
)
RESULT=""
run_wrk() { # SCENARIO DURATION -> RESULT (the BENCH_RESULT line)
    local scenario=$1 duration=$2 out="$WORK/wrk.out" line
    taskset -c "$WRK_CPU" wrk -t1 -c"$CONNECTIONS" -d"$duration" --latency -s "$BENCH/wrk/$scenario.lua" \
        "http://127.0.0.1:$PORT${SCENARIO_PATH[$scenario]}" >"$out" 2>"$WORK/wrk.err" &
    WRK_PID=$!
    wait "$WRK_PID" || { cat "$out" "$WORK/wrk.err" >&2; die "wrk failed"; }
    WRK_PID=""
    line=$(grep '^BENCH_RESULT ' "$out") || { cat "$out" "$WORK/wrk.err" >&2; die "wrk printed no result"; }
    field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
    (( $(field non200) == 0 )) || die "$scenario: $(field non200) of $(field requests) responses were not 200"
    (( $(field connect) + $(field read) + $(field write) + $(field timeout) == 0 )) || die "$scenario: socket errors"
    RESULT=$line
}

# ---------------------------------------------------------------- measuring
read -r -a SCENARIOS <<<"${ONLY:-create_session get_session}"
declare -A RPS P99 EVENTS
for scenario in "${SCENARIOS[@]}"; do
    [[ -n "${SCENARIO_PATH[$scenario]:-}" ]] || die "unknown scenario $scenario"
    for (( rep = 1; rep <= REPEATS; rep++ )); do
        for variant in off on; do
            [[ $variant == off ]] || start_sink
            start_plenum "$variant"
            if [[ "$WARMUP" != 0 && "$WARMUP" != 0s ]]; then run_wrk "$scenario" "$WARMUP"; fi
            PERF_PID=""
            if [[ -n "${PROFILE:-}" && $variant == on && $scenario == create_session && $rep == "$REPEATS" ]]; then
                perf record -q -F 499 -g -p "$SERVER_PID" -o "$WORK/perf.data" -- sleep "${DURATION%s}" >/dev/null 2>&1 &
                PERF_PID=$!
            fi
            run_wrk "$scenario" "$DURATION"
            [[ -z "$PERF_PID" ]] || wait "$PERF_PID" || true
            stop_pid "$SERVER_PID"
            SERVER_PID=""
            [[ $variant == off ]] || stop_sink
            rps=$(sed -n 's/.* rps=\([^ ]*\).*/\1/p' <<<"$RESULT")
            p99=$(sed -n 's/.* p99_us=\([^ ]*\).*/\1/p' <<<"$RESULT")
            RPS[$variant,$scenario]+="$rps "
            P99[$variant,$scenario]+="$p99 "
            [[ $variant == off ]] || EVENTS[$scenario]+="$SINK_REQUESTS "
            log "$(printf '%-16s webhooks %-3s run %d/%d: %10.1f req/s  p99 %7d us' "$scenario" "$variant" "$rep" "$REPEATS" "$rps" "$p99")$([[ $variant == on ]] && echo "  receiver got $SINK_REQUESTS requests")"
        done
    done
done
if [[ $RECEIVER == ok && " ${SCENARIOS[*]} " == *" create_session "* ]]; then
    got=$(tr ' ' '\n' <<<"${EVENTS[create_session]}" | awk '{s += $1} END {print s + 0}')
    (( got > 0 )) || die "the fast receiver got no webhook during create_session: webhooks are not being sent"
fi

median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

# ---------------------------------------------------------------- report
COMMIT=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [[ -n "$(git status --porcelain -- crates Cargo.toml Cargo.lock 2>/dev/null)" ]]; then COMMIT+=" (with uncommitted changes to the server)"; fi
if [[ -n "${SKIP_BUILD:-}" ]]; then COMMIT+=" (SKIP_BUILD: binaries not rebuilt by this run, may be older)"; fi
REPORT="$WORK/webhooks.md"
{
    echo "# REST benchmark: webhooks off vs on (receiver: $RECEIVER)"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- commit: $COMMIT"
    echo "- machine: $CORES cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r)"
    echo "- command: \`$COMMAND\`"
    echo "- load average before / after: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- \`taskset -c $WRK_CPU wrk -t1 -c$CONNECTIONS -d$DURATION\` after a $WARMUP warm-up; plenum pinned to core $SERVER_CPU, the receiver to core $WRK_CPU; a fresh plenum (and receiver) per run; median of $REPEATS runs"
    echo
    echo "| scenario | off req/s | on req/s | ratio on/off | off p99 µs | on p99 µs | webhook requests received per run |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
    for scenario in "${SCENARIOS[@]}"; do
        off=$(median <<<"${RPS[off,$scenario]}")
        on=$(median <<<"${RPS[on,$scenario]}")
        printf '| %s | %.0f | %.0f | %.2f | %s | %s | %s |\n' "$scenario" "$off" "$on" \
            "$(awk -v a="$on" -v b="$off" 'BEGIN {print a / b}')" \
            "$(median <<<"${P99[off,$scenario]}")" "$(median <<<"${P99[on,$scenario]}")" "${EVENTS[$scenario]% }"
    done
    if [[ -f "$WORK/perf.data" ]]; then
        # Inclusive shares: the intake runs inside EventBus::publish on the call path; the sender on its own thread.
        shares=$(perf report -i "$WORK/perf.data" --children --sort symbol -g none --stdio 2>/dev/null |
            awk '/BusSink>::accept/ {a=$1} /webhooks::dispatcher::send_all/ {s=$1} END {printf "%s %s", a ? a : "0%", s ? s : "0%"}')
        echo
        echo "perf (\`perf record -F 499 -g\` on the master during the last webhooks-on create_session run, inclusive shares of its CPU samples): the intake (\`Intake::accept\`, on the call path) ${shares% *}, the sender (\`send_all\`, idle priority) ${shares#* }."
    fi
} >"$REPORT"
mkdir -p "$BENCH/results"
cp "$REPORT" "$BENCH/results/webhooks-$RECEIVER.md"
echo
cat "$REPORT"
log "written to bench/results/webhooks-$RECEIVER.md"
