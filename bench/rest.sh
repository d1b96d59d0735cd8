#!/usr/bin/env bash
# REST benchmark: Plenum against a bare axum baseline (plenum-bench-bare) that
# returns the same bytes behind the same auth layer. See bench/README.md.
# Plenum runs twice per repeat: with metrics off (PLENUM_METRICS=false) and with
# metrics on and /metrics scraped every second, so the cost of metrics is a ratio
# measured in the same run (target: on/off >= METRICS_TARGET for GET).
# The same scenarios with webhooks on against off, in one run: bench/webhooks.sh.
#
# Usage: bench/rest.sh
# Environment (all optional):
#   DURATION=10s      length of each measured wrk run
#   WARMUP=2s         length of the unmeasured wrk run before each measurement
#   REPEATS=3         measured runs per server and scenario; the median is reported
#   CONNECTIONS=32    wrk connections (one wrk thread)
#   SERVER_CPU=0      core the server under load is pinned to
#   WRK_CPU=1         core wrk is pinned to
#   GET_TARGET=0.80   minimum Plenum/bare ratio for the GET scenario
#   METRICS_TARGET=0.97  minimum GET ratio metrics on (scraped each second) / metrics off
#   SKIP_BUILD=1      use the release binaries already built
# Exits non-zero when a scenario sees a non-200 response or a socket error, or
# when the GET ratio is below GET_TARGET.
set -euo pipefail

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
REPEATS=${REPEATS:-3}
CONNECTIONS=${CONNECTIONS:-32}
SERVER_CPU=${SERVER_CPU:-0}
WRK_CPU=${WRK_CPU:-1}
GET_TARGET=${GET_TARGET:-0.80}
METRICS_TARGET=${METRICS_TARGET:-0.97}
SECRET=BENCH_SECRET

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
cd "$ROOT"

BENCH_NAME=rest.sh
source "$BENCH/lib/common.sh"
# The exact command, with the settings that were given in the environment.
COMMAND=$(bench_command bench/rest.sh DURATION WARMUP REPEATS CONNECTIONS SERVER_CPU WRK_CPU GET_TARGET METRICS_TARGET SKIP_BUILD)
for arg in "$@"; do COMMAND+=" $(printf '%q' "$arg")"; done

# ---------------------------------------------------------------- cleanup
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

forget_pid() { # removes $1 from PIDS
    local kept=() pid
    for pid in "${PIDS[@]}"; do [[ "$pid" == "$1" ]] || kept+=("$pid"); done
    PIDS=("${kept[@]}")
}

# ---------------------------------------------------------------- tools
command -v wrk >/dev/null || apt_install wrk
command -v curl >/dev/null || apt_install curl
command -v taskset >/dev/null || apt_install util-linux
CORES=$(nproc)
(( CORES > SERVER_CPU && CORES > WRK_CPU )) || die "need cores $SERVER_CPU and $WRK_CPU, this machine has $CORES"
[[ "$SERVER_CPU" != "$WRK_CPU" ]] || die "SERVER_CPU and WRK_CPU must differ"

# ---------------------------------------------------------------- build
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
if [[ -z "${SKIP_BUILD:-}" ]]; then
    log "building release binaries"
    cargo build --release --quiet --bin plenum --bin plenum-bench-bare
fi
PLENUM="$TARGET_DIR/release/plenum"
BARE="$TARGET_DIR/release/plenum-bench-bare"
[[ -x "$PLENUM" && -x "$BARE" ]] || die "missing $PLENUM or $BARE"

# Other work on the machine skews the numbers: note the load before measuring.
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${LOAD_BEFORE%% *}" 'BEGIN {exit !(l > 0.5)}'; then
    log "warning: load average is $LOAD_BEFORE; other processes will skew the results"
fi

WORK=$(mktemp -d -t plenum-bench.XXXXXX)
AUTH="Basic $(printf 'OPENVIDUAPP:%s' "$SECRET" | base64 -w0)"
export BENCH_AUTH="$AUTH"

# ---------------------------------------------------------------- servers
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null && return
    local port
    for _ in $(seq 100); do
        port=$(( 20000 + RANDOM % 20000 ))
        if ! ss -Hltn "sport = :$port" | grep -q .; then echo "$port"; return; fi
    done
    die "no free port found"
}

# wait_ready PID URL: until URL answers 200 without auth, or the process dies.
wait_ready() {
    local pid=$1 url=$2
    for _ in $(seq 200); do
        kill -0 "$pid" 2>/dev/null || return 1
        if [[ $(curl -s -o /dev/null -w '%{http_code}' "$url" || true) == 200 ]]; then return 0; fi
        sleep 0.05
    done
    return 1
}

SERVER_PID=""
PORT=""
# start_plenum [METRICS]: METRICS is true (the default) or false (PLENUM_METRICS).
start_plenum() {
    PORT=$(free_port)
    SERVER_ADDRESS=127.0.0.1 SERVER_PORT=$PORT OPENVIDU_SECRET=$SECRET PLENUM_LOG=warn PLENUM_METRICS=${1:-true} \
        taskset -c "$SERVER_CPU" "$PLENUM" >>"$WORK/plenum.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    wait_ready "$SERVER_PID" "http://127.0.0.1:$PORT/openvidu/api/config/openvidu-publicurl" \
        || { tail -20 "$WORK/plenum.log" >&2; die "plenum did not become ready"; }
}

# start_bare POST_BODY_FILE
start_bare() {
    PORT=$(free_port)
    OPENVIDU_SECRET=$SECRET taskset -c "$SERVER_CPU" "$BARE" --listen "127.0.0.1:$PORT" \
        --session-body "$WORK/session.json" --post-body "$1" >>"$WORK/bare.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    # The bare server has no public route: any HTTP answer (401) means it is up.
    local ready=""
    for _ in $(seq 200); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        if [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/openvidu/api/sessions/bench" || true) != 000 ]]; then
            ready=1; break
        fi
        sleep 0.05
    done
    [[ -n "$ready" ]] || { tail -20 "$WORK/bare.log" >&2; die "plenum-bench-bare did not become ready"; }
}

# The scraper: GET /metrics once a second (as Prometheus does) while a run measures.
SCRAPER_PID=""
start_scraper() {
    : >"$WORK/scrapes"
    (
        while kill -0 "$SERVER_PID" 2>/dev/null; do
            curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: $AUTH" "http://127.0.0.1:$PORT/metrics" >>"$WORK/scrapes" || true
            sleep 1 # the scrape interval
        done
    ) &
    SCRAPER_PID=$!
    PIDS+=("$SCRAPER_PID")
}
# stop_scraper: fails unless every scrape answered 200, and at least one did.
stop_scraper() {
    [[ -n "$SCRAPER_PID" ]] || return 0
    kill -TERM "$SCRAPER_PID" 2>/dev/null || true
    wait "$SCRAPER_PID" 2>/dev/null || true
    forget_pid "$SCRAPER_PID"
    SCRAPER_PID=""
    local ok bad
    ok=$(grep -c '^200$' "$WORK/scrapes" || true)
    bad=$(grep -vc '^200$' "$WORK/scrapes" || true)
    (( ok > 0 && bad == 0 )) || die "scraping /metrics: $ok answers 200, $bad others"
    SCRAPES=$ok
}

stop_server() {
    [[ -n "$SERVER_PID" ]] || return 0
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    forget_pid "$SERVER_PID"
    SERVER_PID=""
}

# api METHOD PATH [BODY] -> prints the body; fails unless the status is 200.
api() {
    local method=$1 path=$2 body=${3:-} out="$WORK/api.out" code
    local args=(-s -o "$out" -w '%{http_code}' -X "$method" -H "Authorization: $AUTH")
    if [[ -n "$body" ]]; then args+=(-H 'Content-Type: application/json' --data "$body"); fi
    code=$(curl "${args[@]}" "http://127.0.0.1:$PORT$path") || code=000
    [[ "$code" == 200 ]] || die "$method $path answered $code: $(head -c 300 "$out" 2>/dev/null)"
    cat "$out"
}

# ---------------------------------------------------------------- bodies
log "saving Plenum's real response bodies"
start_plenum
api POST /openvidu/api/sessions '{"customSessionId":"bench"}' >/dev/null
api GET /openvidu/api/sessions/bench >"$WORK/session.json"
api POST /openvidu/api/sessions '{}' >"$WORK/new-session.json"
api POST /openvidu/api/sessions/bench/connection '{}' >"$WORK/connection.json"
stop_server
for f in session new-session connection; do
    log "  $f.json: $(wc -c <"$WORK/$f.json") bytes"
done

# ---------------------------------------------------------------- measuring
# ONLY="get_session ..." measures a subset (for quick optimisation loops).
read -r -a SCENARIOS <<<"${ONLY:-get_session create_session create_connection}"
declare -A SCENARIO_PATH=(
    [get_session]=/openvidu/api/sessions/bench
    [create_session]=/openvidu/api/sessions
    [create_connection]=/openvidu/api/sessions/bench/connection
)
declare -A SCENARIO_TITLE=(
    [get_session]='GET /openvidu/api/sessions/bench'
    [create_session]='POST /openvidu/api/sessions `{}`'
    [create_connection]='POST /openvidu/api/sessions/bench/connection `{}`'
)
# What plenum-bench-bare returns for the POST routes in each scenario: the body
# Plenum returns there (a new Session for create_session, a Connection otherwise).
declare -A BARE_POST_BODY=(
    [get_session]=connection.json
    [create_session]=new-session.json
    [create_connection]=connection.json
)

# run_wrk SCENARIO DURATION -> sets RESULT to the BENCH_RESULT line; fails on
# errors. (Not run in a $(...) subshell, so that cleanup knows wrk's pid.)
RESULT=""
run_wrk() {
    local scenario=$1 duration=$2 out="$WORK/wrk.out" pid line
    taskset -c "$WRK_CPU" wrk -t1 -c"$CONNECTIONS" -d"$duration" --latency \
        -s "$BENCH/wrk/$scenario.lua" "http://127.0.0.1:$PORT${SCENARIO_PATH[$scenario]}" >"$out" 2>"$WORK/wrk.err" &
    pid=$!
    PIDS+=("$pid")
    wait "$pid" || { cat "$out" "$WORK/wrk.err" >&2; die "wrk failed"; }
    forget_pid "$pid"
    line=$(grep '^BENCH_RESULT ' "$out") || { cat "$out" "$WORK/wrk.err" >&2; die "wrk printed no result"; }
    field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
    if (( $(field non200) > 0 )); then
        cat "$WORK/wrk.err" >&2
        die "$scenario: $(field non200) of $(field requests) responses were not 200"
    fi
    local errors=$(( $(field connect) + $(field read) + $(field write) + $(field timeout) ))
    (( errors == 0 )) || { cat "$out" >&2; die "$scenario: $errors socket errors"; }
    (( $(field requests) > 0 )) || die "$scenario: no request completed"
    RESULT=$line
}

# cpu_ticks PID: user + system CPU time of the process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
CLK_TCK=$(getconf CLK_TCK)

# start_server SERVER SCENARIO: a fresh process per measurement, so that the
# sessions and connections created by one run do not weigh on the next.
start_server() {
    local server=$1 scenario=$2
    if [[ $server == plenum || $server == plenum_off ]]; then
        if [[ $server == plenum ]]; then start_plenum true; else start_plenum false; fi
        api POST /openvidu/api/sessions '{"customSessionId":"bench"}' >/dev/null
    else
        start_bare "$WORK/${BARE_POST_BODY[$scenario]}"
    fi
}

declare -A RPS BYTES P99 CPU
SCRAPES=0
SCRAPE_COUNTS=""
for scenario in "${SCENARIOS[@]}"; do
    for (( rep = 1; rep <= REPEATS; rep++ )); do
        for server in bare plenum_off plenum; do
            start_server "$server" "$scenario"
            if [[ "$WARMUP" != 0 && "$WARMUP" != 0s ]]; then run_wrk "$scenario" "$WARMUP"; fi
            [[ $server == plenum ]] && start_scraper
            ticks_before=$(cpu_ticks "$SERVER_PID")
            run_wrk "$scenario" "$DURATION"
            ticks_after=$(cpu_ticks "$SERVER_PID")
            line=$RESULT
            if [[ $server == plenum ]]; then stop_scraper; SCRAPE_COUNTS+="$SCRAPES "; fi
            stop_server
            rps=$(sed -n 's/.* rps=\([^ ]*\).*/\1/p' <<<"$line")
            requests=$(sed -n 's/.* requests=\([^ ]*\).*/\1/p' <<<"$line")
            bytes=$(sed -n 's/.* bytes=\([^ ]*\).*/\1/p' <<<"$line")
            p99=$(sed -n 's/.* p99_us=\([^ ]*\).*/\1/p' <<<"$line")
            RPS[$server,$scenario]+="$rps "
            BYTES[$server,$scenario]=$(( bytes / requests ))
            P99[$server,$scenario]+="$p99 "
            # Server CPU per request: independent of whether wrk or the server was the bottleneck.
            cpu_us=$(awk -v t=$(( ticks_after - ticks_before )) -v hz="$CLK_TCK" -v n="$requests" 'BEGIN {printf "%.2f", t * 1e6 / hz / n}')
            CPU[$server,$scenario]+="$cpu_us "
            log "$(printf '%-18s %-6s run %d/%d: %10.1f req/s  p99 %6d us  %d bytes/response  %s CPU us/request' \
                "$scenario" "$server" "$rep" "$REPEATS" "$rps" "$p99" "$(( bytes / requests ))" "$cpu_us")"
        done
    done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }

# ---------------------------------------------------------------- report
COMMIT=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [[ -n "$(git status --porcelain -- crates Cargo.toml Cargo.lock 2>/dev/null)" ]]; then COMMIT+=" (with uncommitted changes to the server)"; fi
if [[ -n "${SKIP_BUILD:-}" ]]; then COMMIT+=" (SKIP_BUILD: binaries not rebuilt by this run, may be older)"; fi
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
REPORT="$WORK/rest.md"
GET_RATIO=""
METRICS_RATIO=""
{
    echo "# REST benchmark: Plenum vs bare baseline"
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- commit: $COMMIT"
    echo "- machine: $CORES cores (\`nproc\`), ${CPU_MODEL:-unknown CPU}, kernel $(uname -r)"
    echo "- command: \`$COMMAND\`"
    echo "- load average (1, 5, 15 min) before / after the runs: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- load generator: \`taskset -c $WRK_CPU wrk -t1 -c$CONNECTIONS -d$DURATION\` after a $WARMUP warm-up; server pinned to core $SERVER_CPU; a fresh server process per run; median of $REPEATS runs"
    echo "- targets: GET ratio Plenum/bare ≥ $GET_TARGET; GET ratio metrics on/off ≥ $METRICS_TARGET"
    echo "- Plenum runs with metrics on (the default) and \`/metrics\` scraped every second ($(awk '{for (i = 1; i <= NF; i++) n += $i} END {print n + 0}' <<<"$SCRAPE_COUNTS") scrapes in all, every one answered 200), and with \`PLENUM_METRICS=false\` (off)"
    echo
    echo "| scenario | Plenum req/s | Plenum metrics off req/s | bare req/s | ratio Plenum/bare | ratio metrics on/off | Plenum CPU µs/req | metrics off CPU µs/req | bare CPU µs/req | CPU ratio bare/Plenum |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for scenario in "${SCENARIOS[@]}"; do
        p=$(median <<<"${RPS[plenum,$scenario]}")
        o=$(median <<<"${RPS[plenum_off,$scenario]}")
        b=$(median <<<"${RPS[bare,$scenario]}")
        pc=$(median <<<"${CPU[plenum,$scenario]}")
        oc=$(median <<<"${CPU[plenum_off,$scenario]}")
        bc=$(median <<<"${CPU[bare,$scenario]}")
        ratio=$(awk -v p="$p" -v b="$b" 'BEGIN {printf "%.2f", p / b}')
        on_off=$(awk -v p="$p" -v o="$o" 'BEGIN {printf "%.3f", p / o}')
        cpu_ratio=$(awk -v p="$pc" -v b="$bc" 'BEGIN {printf "%.2f", b / p}')
        if [[ $scenario == get_session ]]; then
            GET_RATIO=$(awk -v p="$p" -v b="$b" 'BEGIN {printf "%.4f", p / b}')
            METRICS_RATIO=$(awk -v p="$p" -v o="$o" 'BEGIN {printf "%.4f", p / o}')
        fi
        printf '| %s | %.0f | %.0f | %.0f | %s | %s | %.2f | %.2f | %.2f | %s |\n' "${SCENARIO_TITLE[$scenario]}" \
            "$p" "$o" "$b" "$ratio" "$on_off" "$pc" "$oc" "$bc" "$cpu_ratio"
    done
    echo
    echo "The req/s ratio is the target. The CPU columns give the server's own CPU time (user + system, from"
    echo "\`/proc/<pid>/stat\`) per request: their ratio is the throughput ratio the two servers would have if"
    echo "each saturated its core, whichever side (server or wrk) limited a run."
    echo
    echo "Every run (req/s; p99 latency in µs; bytes per response, headers included):"
    echo
    echo "| scenario | server | req/s per run | p99 µs per run | CPU µs/req per run | bytes/response |"
    echo "| --- | --- | --- | --- | --- | ---: |"
    for scenario in "${SCENARIOS[@]}"; do
        for server in plenum plenum_off bare; do
            printf '| %s | %s | %s | %s | %s | %s |\n' "${SCENARIO_TITLE[$scenario]}" "$server" \
                "$(for v in ${RPS[$server,$scenario]}; do printf '%.0f ' "$v"; done | sed 's/ $//')" \
                "$(sed 's/ $//' <<<"${P99[$server,$scenario]}")" "$(sed 's/ $//' <<<"${CPU[$server,$scenario]}")" \
                "${BYTES[$server,$scenario]}"
        done
    done
    echo
    if awk -v r="$GET_RATIO" -v t="$GET_TARGET" 'BEGIN {exit !(r >= t)}'; then
        echo "GET ratio $(printf '%.2f' "$GET_RATIO") meets the target (≥ $GET_TARGET)."
    else
        echo "**GET ratio $(printf '%.2f' "$GET_RATIO") is BELOW the target (≥ $GET_TARGET).**"
    fi
    if awk -v r="$METRICS_RATIO" -v t="$METRICS_TARGET" 'BEGIN {exit !(r >= t)}'; then
        echo "GET ratio metrics on/off $(printf '%.3f' "$METRICS_RATIO") meets the target (≥ $METRICS_TARGET)."
    else
        echo "**GET ratio metrics on/off $(printf '%.3f' "$METRICS_RATIO") is BELOW the target (≥ $METRICS_TARGET).**"
    fi
} >"$REPORT"
mkdir -p "$BENCH/results"
cp "$REPORT" "$BENCH/results/rest.md"
echo
cat "$REPORT"
echo
log "written to bench/results/rest.md"

if ! awk -v r="$GET_RATIO" -v t="$GET_TARGET" 'BEGIN {exit !(r >= t)}'; then
    log "FAIL: GET ratio Plenum/bare is $(printf '%.2f' "$GET_RATIO"), below the target $GET_TARGET"
    exit 1
fi
if ! awk -v r="$METRICS_RATIO" -v t="$METRICS_TARGET" 'BEGIN {exit !(r >= t)}'; then
    log "FAIL: GET ratio metrics on/off is $(printf '%.3f' "$METRICS_RATIO"), below the target $METRICS_TARGET"
    exit 1
fi
