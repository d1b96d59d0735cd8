#!/usr/bin/env bash
# Recording benchmark: what a recording costs the media node, against two baselines in the same run.
#
# MODE=composed (default): 4 plenum-loadtest publishers (the VP8 320x240 + Opus clip of crates/loadtest)
# join one session of a plenum master (release build, embedded media node) as OpenVidu participants
# (--openvidu-tokens), and a 1280x720@25 COMPOSED BEST_FIT recording of it is made for DURATION seconds
# through the REST API (POST /openvidu/api/recordings/start, then /stop/<id>). Measured: the CPU seconds
# (utime + stime from /proc, the master's process tree: the embedded node records in the master's
# process) per recorded second, and its peak RSS (VmHWM). Also, before the recording, the same for a
# window with the publishers but no recording (what receiving them costs), so the recording's own share
# can be told apart. Baselines, measured alike over a window of DURATION seconds after WARMUP:
#   floor     ffmpeg composing the same clip 4 times into the same 2x2 grid at 1280x720@25, H.264
#             (libx264, X264_PRESET/X264_TUNE) + AAC, in real time (-re);
#   chromium  OpenVidu's method: Debian's Chromium under Xvfb showing the clip 4 times in a 2x2 grid
#             page (4 looped <video> elements), captured by ffmpeg x11grab at 1280x720@25 with the same
#             encoder settings (+ AAC of the clip's audio: no sound server here); CPU of Chromium's whole
#             process tree + ffmpeg (Xvfb reported apart).
# MODE=individual: 1 publisher and SUBSCRIBERS subscribers (loadtest) in one session; the master's CPU
# over three windows of DURATION: no recording, an INDIVIDUAL recording of the session, no recording.
# Reports the extra CPU of the recorded window against the mean of the other two.
#
# Usage: bench/recording.sh
# Environment (all optional):
#   MODE=composed|individual   what is measured (see above)
#   DURATION=60                seconds recorded (and of each measured window)
#   WARMUP=5                   seconds before a baseline's window starts (and before the idle window)
#   IDLE=10                    seconds of the publishers-only window before the recording (composed; 0 skips it)
#   SUBSCRIBERS=3              subscribers of the publisher (individual)
#   BASELINES="floor chromium" the baselines to run (composed); "" runs none
#   SKIP_PLENUM=1              run the baselines only (no master, no loadtest)
#   VIA=master|node            master (default): the REST API of a master with its embedded node, measuring the
#                              master's process; node: a separate plenum-media-node, the loadtest's publishers
#                              in one pipeline (--shared-room) and the recording made over the Kurento protocol
#                              as the master's service makes it (bench/recording/node-recorder.mjs), measuring
#                              the plenum-media-node process
#   X264_PRESET=veryfast X264_TUNE=zerolatency X264_BITRATE=2048k   the baselines' x264 settings (the node's x264enc)
#   SKIP_BUILD=1               use the release binaries already built
#   PROFILE=1                  perf-record the recording process during the recording; the report lists where its time goes
#   CHROMIUM_BIN=path          the browser (default: Debian's /usr/bin/chromium)
#   FLOOR_TARGET=1.3 CHROMIUM_TARGET=0.25 INDIVIDUAL_TARGET=5   targets (ratios; percent)
# Writes bench/results/recording.md (or recording-individual.md) and a PNG plot next to it; exits non-zero
# when a step fails, a file is not a real recording, or (after writing the results) a target is missed.
# Stops everything it started on exit, error or Ctrl-C.
set -euo pipefail

MODE=${MODE:-composed}
VIA=${VIA:-master}
DURATION=${DURATION:-60}
WARMUP=${WARMUP:-5}
IDLE=${IDLE:-10}
SUBSCRIBERS=${SUBSCRIBERS:-3}
BASELINES=${BASELINES-floor chromium}
X264_PRESET=${X264_PRESET:-veryfast}
X264_TUNE=${X264_TUNE:-zerolatency}
# The node's x264enc runs at GStreamer's default bitrate (2048 kbit/s) with a keyframe every 2 s: the same here.
X264_BITRATE=${X264_BITRATE:-2048k}
FLOOR_TARGET=${FLOOR_TARGET:-1.3}
CHROMIUM_TARGET=${CHROMIUM_TARGET:-0.25}
INDIVIDUAL_TARGET=${INDIVIDUAL_TARGET:-5}
SECRET=plenum-bench-recording
WIDTH=1280
HEIGHT=720
FPS=25

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BENCH_NAME=recording.sh
source "$ROOT/bench/lib/common.sh"
source "$ROOT/bench/lib/proc.sh"
COMMAND=$(bench_command bench/recording.sh MODE VIA PROFILE DURATION WARMUP IDLE SUBSCRIBERS BASELINES SKIP_PLENUM \
    X264_PRESET X264_TUNE X264_BITRATE SKIP_BUILD CHROMIUM_BIN FLOOR_TARGET CHROMIUM_TARGET INDIVIDUAL_TARGET)
case $MODE in
    composed) RESULTS="$ROOT/bench/results/recording.md"; PLOT="$ROOT/bench/results/recording.png" ;;
    individual) RESULTS="$ROOT/bench/results/recording-individual.md"; PLOT="" ;;
    *) die "MODE must be composed or individual" ;;
esac
[[ $VIA == master || $VIA == node ]] || die "VIA must be master or node"
if [[ $VIA == node ]]; then RESULTS=${RESULTS%.md}-node.md; PLOT=${PLOT:+${PLOT%.png}-node.png}; fi

# ---------------------------------------------------------------- cleanup
PIDS=()        # everything started in the background, stopped in reverse order
WORK=""
cleanup() {
    local status=$? i
    trap - EXIT
    trap '' INT TERM
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}" 10; done
    if [[ -n "$WORK" && -d "$WORK" ]]; then
        if [[ -n "${KEEP_WORK:-}" ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM
forget_pid() { local keep=() p; for p in "${PIDS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done; PIDS=("${keep[@]}"); }

# ---------------------------------------------------------------- tools
missing=()
command -v curl >/dev/null || missing+=(curl)
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing+=(ffmpeg)
command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
command -v ps >/dev/null || missing+=(procps)
[[ -z "${PROFILE:-}" ]] || command -v perf >/dev/null || missing+=(linux-perf)
if [[ $MODE == composed && " $BASELINES " == *" chromium "* ]]; then
    command -v Xvfb >/dev/null || missing+=(xvfb)
    [[ -n "${CHROMIUM_BIN:-}" ]] || command -v chromium >/dev/null || missing+=(chromium)
fi
if ((${#missing[@]})); then apt_install "${missing[@]}"; fi
command -v node >/dev/null || die "Node.js 20 or newer is needed (for the REST calls and e2e/lib/media-probe.js)"
CHROMIUM=${CHROMIUM_BIN:-$(command -v chromium)}
[[ $(ffmpeg -hide_banner -encoders 2>/dev/null) == *" libx264 "* ]] || die "this ffmpeg has no libx264"

TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
MASTER_BIN="$TARGET_DIR/release/plenum"
LOAD_BIN="$TARGET_DIR/release/plenum-loadtest"
NODE_BIN="$TARGET_DIR/release/plenum-media-node"
if [[ -z "${SKIP_PLENUM:-}" ]]; then
    if [[ -z "${SKIP_BUILD:-}" ]]; then
        log "building release binaries"
        cargo build --release --quiet --bin plenum --bin plenum-loadtest --bin plenum-media-node
    fi
    for bin in "$MASTER_BIN" "$LOAD_BIN" "$NODE_BIN"; do [[ -x "$bin" ]] || die "missing $bin"; done
fi

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${LOAD_BEFORE%% *}" 'BEGIN {exit !(l > 0.5)}'; then
    log "warning: load average is $LOAD_BEFORE; other processes will skew the results"
fi
WORK=$(mktemp -d -t plenum-recording-bench.XXXXXX)

# The clip as a WebM (VP8 + Opus, copied, not re-encoded) for ffmpeg and for Chromium's <video>.
CLIP="$WORK/clip.webm"
ffmpeg -hide_banner -loglevel error -nostdin -i crates/loadtest/fixtures/clip.ivf -i crates/loadtest/fixtures/clip.opus \
    -map 0:v -map 1:a -c copy -shortest -y "$CLIP"

calc() { awk "BEGIN {printf \"%.${2:-3}f\", $1}"; }
json_field() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s)[process.argv[1]];console.log(typeof v==="object"?JSON.stringify(v):v)})' "$1"; }

# probe FILE: checks that FILE holds a picture (luma variance of a middle frame) and prints its summary JSON.
probe() {
    local summary
    summary=$(node "$ROOT/e2e/lib/media-probe.js" "$1") || die "cannot read $1 with ffprobe/ffmpeg"
    node -e '
        const s = JSON.parse(process.argv[1]);
        if (!s.luma || !(s.luma.variance > 25)) { console.error(`blank frame (luma variance ${s.luma && s.luma.variance})`); process.exit(1); }
    ' "$summary" || die "$1: the recorded picture is blank"
    echo "$summary"
}

# x264 + AAC, as Plenum's recorder encodes a COMPOSED recording.
ENCODE=(-c:v libx264 -preset "$X264_PRESET" -tune "$X264_TUNE" -b:v "$X264_BITRATE" -g $((FPS * 2)) -pix_fmt yuv420p -r "$FPS" -c:a aac -b:a 128k)
TILE_W=$((WIDTH / 2))
TILE_H=$((HEIGHT / 2))
# One tile: the clip scaled to fit a quarter of the frame, centred on black (BEST_FIT with 4 inputs).
tile() { echo "[$1:v]fps=$FPS,scale=${TILE_W}:${TILE_H}:force_original_aspect_ratio=decrease,pad=${TILE_W}:${TILE_H}:(ow-iw)/2:(oh-ih)/2:black,setsar=1[v$1]"; }

declare -A CPU RSS SECONDS_OF NOTE

# measure NAME PIDFUNC: samples CPU of the processes PIDFUNC names, over DURATION after WARMUP.
# record_window PID SECONDS: waits SECONDS; with PROFILE=1, perf-records PID meanwhile (for the report).
record_window() {
    if [[ -n "${PROFILE:-}" ]]; then
        perf record -F 499 -g -p "$1" -o "$WORK/perf.data" -- sleep "$2" >/dev/null 2>&1 || sleep "$2"
    else
        sleep "$2"
    fi
}
# ---------------------------------------------------------------- baseline: floor
run_floor() {
    log "floor: ffmpeg composing 4 clips into ${WIDTH}x${HEIGHT}@$FPS, libx264 $X264_PRESET/$X264_TUNE + AAC, real time"
    local inputs=() i total=$((WARMUP + DURATION + 10))
    for i in 0 1 2 3; do inputs+=(-re -stream_loop -1 -i "$CLIP"); done
    local graph
    graph="$(tile 0);$(tile 1);$(tile 2);$(tile 3);[v0][v1][v2][v3]xstack=inputs=4:layout=0_0|w0_0|0_h0|w0_h0,format=yuv420p[v];[0:a][1:a][2:a][3:a]amix=inputs=4:normalize=0[a]"
    ffmpeg -hide_banner -loglevel error -nostdin "${inputs[@]}" -filter_complex "$graph" -map '[v]' -map '[a]' \
        "${ENCODE[@]}" -t "$total" -movflags +faststart -y "$WORK/floor.mp4" &
    local pid=$!
    PIDS+=("$pid")
    sleep "$WARMUP"
    kill -0 "$pid" 2>/dev/null || die "ffmpeg (floor) exited early"
    local c0 t0 c1 t1
    c0=$(tree_cpu_seconds "$pid"); t0=$(date +%s.%N)
    sleep "$DURATION"
    c1=$(tree_cpu_seconds "$pid"); t1=$(date +%s.%N)
    RSS[floor]=$(tree_hwm_kib "$pid")
    kill -INT "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    forget_pid "$pid"
    SECONDS_OF[floor]=$(calc "$t1 - $t0")
    CPU[floor]=$(calc "($c1 - $c0) / (${SECONDS_OF[floor]})")
    local summary
    summary=$(probe "$WORK/floor.mp4")
    NOTE[floor]="file: $(json_field video <<<"$summary"), $(json_field audio <<<"$summary"), $(calc "$(json_field duration <<<"$summary")" 1) s"
    log "floor: ${CPU[floor]} CPU s per second, peak RSS ${RSS[floor]} KiB"
}

# ---------------------------------------------------------------- baseline: chromium (OpenVidu's method)
run_chromium() {
    log "chromium: Xvfb + Chromium 2x2 grid page, ffmpeg x11grab ${WIDTH}x${HEIGHT}@$FPS, libx264 $X264_PRESET/$X264_TUNE + AAC"
    cat >"$WORK/grid.html" <<EOF
<!doctype html>
<html><head><meta charset="utf-8"><style>
  html, body { margin: 0; padding: 0; background: #000; overflow: hidden; width: ${WIDTH}px; height: ${HEIGHT}px; }
  #grid { display: grid; grid-template-columns: ${TILE_W}px ${TILE_W}px; grid-template-rows: ${TILE_H}px ${TILE_H}px; }
  video { width: ${TILE_W}px; height: ${TILE_H}px; object-fit: contain; background: #000; }
</style></head><body><div id="grid">
  <video src="clip.webm" autoplay loop muted playsinline></video>
  <video src="clip.webm" autoplay loop muted playsinline></video>
  <video src="clip.webm" autoplay loop muted playsinline></video>
  <video src="clip.webm" autoplay loop muted playsinline></video>
</div></body></html>
EOF
    local display=:$((90 + RANDOM % 100))
    Xvfb "$display" -screen 0 "${WIDTH}x${HEIGHT}x24" -nolisten tcp -noreset >"$WORK/xvfb.log" 2>&1 &
    local xvfb=$!
    PIDS+=("$xvfb")
    local ready=""
    for _ in $(seq 100); do
        if [[ -e "/tmp/.X11-unix/X${display#:}" ]]; then ready=1; break; fi
        kill -0 "$xvfb" 2>/dev/null || { cat "$WORK/xvfb.log" >&2; die "Xvfb exited"; }
        sleep 0.1
    done
    [[ -n "$ready" ]] || die "Xvfb did not open its socket in 10 s"
    # As OpenVidu's recording container runs it: a kiosk window filling the screen, autoplay allowed.
    DISPLAY=$display "$CHROMIUM" --no-sandbox --user-data-dir="$WORK/chromium-profile" --no-first-run \
        --no-default-browser-check --disable-dev-shm-usage --kiosk --start-fullscreen \
        --window-position=0,0 --window-size="$WIDTH,$HEIGHT" --autoplay-policy=no-user-gesture-required \
        --disable-features=Translate,MediaRouter --allow-file-access-from-files \
        "file://$WORK/grid.html" >"$WORK/chromium.log" 2>&1 &
    local chromium=$!
    PIDS+=("$chromium")
    # The page must be showing video before the capture starts: wait until a screen grab is not uniform.
    local deadline=$((SECONDS + 60)) shown=""
    while ((SECONDS < deadline)); do
        kill -0 "$chromium" 2>/dev/null || { tail -20 "$WORK/chromium.log" >&2; die "Chromium exited"; }
        if ffmpeg -hide_banner -loglevel error -nostdin -f x11grab -video_size "${WIDTH}x${HEIGHT}" -i "$display" \
            -frames:v 1 -y "$WORK/screen.png" 2>/dev/null &&
            node -e '
                const {execFileSync} = require("child_process");
                const raw = execFileSync("ffmpeg", ["-v","error","-i",process.argv[1],"-f","rawvideo","-pix_fmt","gray","-"], {maxBuffer: 1 << 24});
                let s = 0; for (const b of raw) s += b; const m = s / raw.length;
                let v = 0; for (const b of raw) v += (b - m) ** 2;
                process.exit(v / raw.length > 25 ? 0 : 1);
            ' "$WORK/screen.png"; then
            shown=1
            break
        fi
        sleep 0.5
    done
    [[ -n "$shown" ]] || { tail -20 "$WORK/chromium.log" >&2; die "Chromium showed no picture within 60 s"; }
    local total=$((WARMUP + DURATION + 10))
    ffmpeg -hide_banner -loglevel error -nostdin -f x11grab -draw_mouse 0 -framerate "$FPS" \
        -video_size "${WIDTH}x${HEIGHT}" -i "$display" -re -stream_loop -1 -i crates/loadtest/fixtures/clip.opus \
        -map 0:v -map 1:a "${ENCODE[@]}" -t "$total" -movflags +faststart -y "$WORK/chromium.mp4" &
    local capture=$!
    PIDS+=("$capture")
    sleep "$WARMUP"
    kill -0 "$capture" 2>/dev/null || die "ffmpeg (x11grab) exited early"
    local b0 f0 x0 t0 b1 f1 x1 t1
    b0=$(tree_cpu_seconds "$chromium"); f0=$(tree_cpu_seconds "$capture"); x0=$(tree_cpu_seconds "$xvfb"); t0=$(date +%s.%N)
    sleep "$DURATION"
    b1=$(tree_cpu_seconds "$chromium"); f1=$(tree_cpu_seconds "$capture"); x1=$(tree_cpu_seconds "$xvfb"); t1=$(date +%s.%N)
    RSS[chromium]=$(( $(tree_hwm_kib "$chromium") + $(tree_hwm_kib "$capture") ))
    kill -INT "$capture" 2>/dev/null || true
    wait "$capture" 2>/dev/null || true
    forget_pid "$capture"
    stop_pid "$chromium" 10; forget_pid "$chromium"
    stop_pid "$xvfb"; forget_pid "$xvfb"
    local seconds
    seconds=$(calc "$t1 - $t0")
    SECONDS_OF[chromium]=$seconds
    CPU[chromium]=$(calc "($b1 - $b0 + $f1 - $f0) / $seconds")
    CPU[chromium_browser]=$(calc "($b1 - $b0) / $seconds")
    CPU[chromium_ffmpeg]=$(calc "($f1 - $f0) / $seconds")
    CPU[xvfb]=$(calc "($x1 - $x0) / $seconds")
    local summary
    summary=$(probe "$WORK/chromium.mp4")
    NOTE[chromium]="file: $(json_field video <<<"$summary"), $(json_field audio <<<"$summary"), $(calc "$(json_field duration <<<"$summary")" 1) s; Chromium ${CPU[chromium_browser]} + ffmpeg ${CPU[chromium_ffmpeg]}; Xvfb ${CPU[xvfb]} (not counted)"
    log "chromium: ${CPU[chromium]} CPU s per second (browser ${CPU[chromium_browser]}, ffmpeg ${CPU[chromium_ffmpeg]}, Xvfb ${CPU[xvfb]} apart), peak RSS ${RSS[chromium]} KiB"
}

# ---------------------------------------------------------------- plenum
MASTER_PID=""
MASTER_URL=""
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'; }
rest() { # METHOD PATH [BODY]: prints the body; fails on a non-2xx answer
    local method=$1 path=$2 body=${3:-} out status
    out=$(curl -s -w '\n%{http_code}' -u "OPENVIDUAPP:$SECRET" -X "$method" ${body:+-H 'Content-Type: application/json' -d "$body"} "$MASTER_URL$path")
    status=${out##*$'\n'}
    out=${out%$'\n'*}
    [[ $status == 2* ]] || { log "$method $path -> $status $out"; return 1; }
    printf '%s' "$out"
}
start_master() {
    local port
    port=$(free_port)
    mkdir -p "$WORK/recordings"
    (cd "$WORK" && exec env -i PATH="$PATH" SERVER_ADDRESS=127.0.0.1 SERVER_PORT="$port" OPENVIDU_SECRET="$SECRET" \
        OPENVIDU_RECORDING=true OPENVIDU_RECORDING_PATH="$WORK/recordings" PLENUM_LOG=info \
        "$MASTER_BIN" >"$WORK/master.log" 2>&1) &
    MASTER_PID=$!
    PIDS+=("$MASTER_PID")
    MASTER_URL="http://127.0.0.1:$port"
    for _ in $(seq 300); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' "$MASTER_URL/openvidu/api/config/openvidu-publicurl") == 200 ]] && return 0
        kill -0 "$MASTER_PID" 2>/dev/null || { tail -20 "$WORK/master.log" >&2; die "the master exited"; }
        sleep 0.1
    done
    die "the master did not answer within 30 s"
}
# start_load PUBLISHERS SUBSCRIBERS SECONDS: the session 'bench', its tokens, and the loadtest joining it.
LOAD_PID=""
start_load() {
    local publishers=$1 subscribers=$2 seconds=$3 i
    rest POST /openvidu/api/sessions '{"customSessionId":"bench"}' >/dev/null || die "cannot create the session"
    : >"$WORK/tokens"
    for ((i = 0; i < publishers * (1 + subscribers); i++)); do
        rest POST /openvidu/api/sessions/bench/connection '{"role":"PUBLISHER"}' | json_field token >>"$WORK/tokens"
    done
    "$LOAD_BIN" --openvidu-tokens "$WORK/tokens" --publishers "$publishers" --subscribers "$subscribers" \
        --duration "$seconds" --warmup 0 --json >"$WORK/loadtest.json" 2>"$WORK/loadtest.log" &
    LOAD_PID=$!
    PIDS+=("$LOAD_PID")
    # Until the master lists every publisher with its stream.
    local deadline=$((SECONDS + 60)) streams=0
    while ((SECONDS < deadline)); do
        streams=$(rest GET /openvidu/api/sessions/bench | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).connections.content.reduce((n,c)=>n+c.publishers.length,0)))' || echo 0)
        ((streams >= publishers)) && break
        kill -0 "$LOAD_PID" 2>/dev/null || { tail -20 "$WORK/loadtest.log" >&2; die "the loadtest exited"; }
        sleep 0.5
    done
    ((streams >= publishers)) || { tail -20 "$WORK/loadtest.log" >&2; die "only $streams of $publishers publishers joined within 60 s"; }
}
# wait_ready ID: until the recording's status is ready; prints its JSON.
wait_ready() {
    local deadline=$((SECONDS + 120)) json status
    while ((SECONDS < deadline)); do
        json=$(rest GET "/openvidu/api/recordings/$1") || die "GET recording $1 failed"
        status=$(json_field status <<<"$json")
        [[ $status == ready ]] && { echo "$json"; return 0; }
        [[ $status == failed ]] && die "recording $1 failed: $json"
        sleep 0.5
    done
    die "recording $1 not ready within 120 s: $json"
}
# window SECONDS: the master tree's CPU seconds per second over SECONDS.
window() {
    local c0 t0 c1 t1
    c0=$(tree_cpu_seconds "$MASTER_PID"); t0=$(date +%s.%N)
    if [[ -n "${PROFILE_THIS:-}" ]]; then record_window "$MASTER_PID" "$1"; else sleep "$1"; fi
    c1=$(tree_cpu_seconds "$MASTER_PID"); t1=$(date +%s.%N)
    calc "($c1 - $c0) / ($t1 - $t0)"
}

run_plenum_composed() {
    log "plenum: master (embedded node) + 4 loadtest publishers, COMPOSED BEST_FIT ${WIDTH}x${HEIGHT}@$FPS for $DURATION s"
    start_master
    start_load 4 0 $((WARMUP + IDLE + DURATION + 60))
    sleep "$WARMUP"
    if ((IDLE > 0)); then
        CPU[idle]=$(window "$IDLE")
        log "plenum: ${CPU[idle]} CPU s per second receiving the 4 publishers, not recording"
    fi
    local started id c0 t0 c1 t1 stopped ready
    started=$(rest POST /openvidu/api/recordings/start \
        "{\"session\":\"bench\",\"name\":\"bench\",\"outputMode\":\"COMPOSED\",\"recordingLayout\":\"BEST_FIT\",\"resolution\":\"${WIDTH}x${HEIGHT}\",\"frameRate\":$FPS,\"hasAudio\":true,\"hasVideo\":true}") ||
        { tail -30 "$WORK/master.log" >&2; die "the recording did not start"; }
    c0=$(tree_cpu_seconds "$MASTER_PID"); t0=$(date +%s.%N)
    id=$(json_field id <<<"$started")
    record_window "$MASTER_PID" "$DURATION"
    c1=$(tree_cpu_seconds "$MASTER_PID"); t1=$(date +%s.%N)
    stopped=$(rest POST "/openvidu/api/recordings/stop/$id") || { tail -30 "$WORK/master.log" >&2; die "the recording did not stop"; }
    ready=$(wait_ready "$id")
    RSS[plenum]=$(tree_hwm_kib "$MASTER_PID")
    SECONDS_OF[plenum]=$(calc "$t1 - $t0")
    CPU[plenum]=$(calc "($c1 - $c0) / (${SECONDS_OF[plenum]})")
    local file="$WORK/recordings/$id/bench.mp4"
    [[ -f $file ]] || file=$(find "$WORK/recordings/$id" -name '*.mp4' | head -1)
    [[ -f $file ]] || die "no .mp4 in $WORK/recordings/$id: $(ls -la "$WORK/recordings/$id" 2>&1)"
    local summary duration
    summary=$(probe "$file")
    duration=$(json_field duration <<<"$summary")
    awk -v d="$duration" -v w="${SECONDS_OF[plenum]}" 'BEGIN {exit !(d > w - 2 && d < w + 3)}' ||
        die "the recording lasts $duration s for a ${SECONDS_OF[plenum]} s window"
    NOTE[plenum]="file: $(json_field video <<<"$summary"), $(json_field audio <<<"$summary"), $(calc "$duration" 1) s, REST duration $(json_field duration <<<"$ready") s, size $(json_field size <<<"$ready") B"
    log "plenum: ${CPU[plenum]} CPU s per recorded second, peak RSS ${RSS[plenum]} KiB"
    rest DELETE /openvidu/api/sessions/bench >/dev/null || true
    stop_pid "$LOAD_PID" 10; forget_pid "$LOAD_PID"
    stop_pid "$MASTER_PID" 10; forget_pid "$MASTER_PID"
}

run_plenum_individual() {
    log "plenum: master (embedded node), 1 publisher -> $SUBSCRIBERS subscribers; windows of $DURATION s: off, INDIVIDUAL recording, off"
    start_master
    start_load 1 "$SUBSCRIBERS" $((WARMUP + 3 * DURATION + 60))
    # The subscribers connect after the publisher: wait until the master lists them all.
    local deadline=$((SECONDS + 60)) subs=0
    while ((SECONDS < deadline)); do
        subs=$(rest GET /openvidu/api/sessions/bench | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).connections.content.reduce((n,c)=>n+c.subscribers.length,0)))' || echo 0)
        ((subs >= SUBSCRIBERS)) && break
        sleep 0.5
    done
    ((subs >= SUBSCRIBERS)) || die "only $subs of $SUBSCRIBERS subscribers joined"
    sleep "$WARMUP"
    CPU[off1]=$(window "$DURATION")
    log "plenum: off ${CPU[off1]}"
    local started id stopped ready
    started=$(rest POST /openvidu/api/recordings/start '{"session":"bench","name":"bench","outputMode":"INDIVIDUAL"}') ||
        { tail -30 "$WORK/master.log" >&2; die "the recording did not start"; }
    id=$(json_field id <<<"$started")
    CPU[on]=$(PROFILE_THIS=1 window "$DURATION")
    log "plenum: recording ${CPU[on]}"
    stopped=$(rest POST "/openvidu/api/recordings/stop/$id") || die "the recording did not stop"
    ready=$(wait_ready "$id")
    CPU[off2]=$(window "$DURATION")
    log "plenum: off ${CPU[off2]}"
    RSS[plenum]=$(tree_hwm_kib "$MASTER_PID")
    NOTE[plenum]="recording: size $(json_field size <<<"$ready") B, REST duration $(json_field duration <<<"$ready") s"
    [[ -f "$WORK/recordings/$id/bench.zip" ]] || die "no bench.zip in $WORK/recordings/$id"
    rest DELETE /openvidu/api/sessions/bench >/dev/null || true
    stop_pid "$LOAD_PID" 10; forget_pid "$LOAD_PID"
    stop_pid "$MASTER_PID" 10; forget_pid "$MASTER_PID"
}

# ---------------------------------------------------------------- plenum, VIA=node
NODE_PID=""
NODE_URI=""
start_node() {
    mkdir -p "$WORK/recordings/node"
    # The node only records inside its recording root.
    "$NODE_BIN" --listen 127.0.0.1:0 --rtc-address 127.0.0.1 --recording-root "$WORK/recordings/node" >"$WORK/node.out" 2>"$WORK/node.log" &
    NODE_PID=$!
    PIDS+=("$NODE_PID")
    for _ in $(seq 300); do
        NODE_URI=$(grep -o 'ws://[^ ]*' "$WORK/node.out" || true)
        [[ -n "$NODE_URI" ]] && return 0
        kill -0 "$NODE_PID" 2>/dev/null || { tail -20 "$WORK/node.log" >&2; die "the media node exited"; }
        sleep 0.1
    done
    die "the media node did not print its URI within 30 s"
}
# start_node_load PUBLISHERS SUBSCRIBERS SECONDS: the loadtest, all publishers in one pipeline; returns once all joined.
start_node_load() {
    "$LOAD_BIN" --kurento "$NODE_URI" --shared-room --publishers "$1" --subscribers "$2" \
        --duration "$3" --warmup 0 --json >"$WORK/loadtest.json" 2>"$WORK/loadtest.log" &
    LOAD_PID=$!
    PIDS+=("$LOAD_PID")
    local deadline=$((SECONDS + 60))
    while ((SECONDS < deadline)); do
        grep -qs 'subscribers connected; warming up' "$WORK/loadtest.log" && return 0
        kill -0 "$LOAD_PID" 2>/dev/null || { tail -20 "$WORK/loadtest.log" >&2; die "the loadtest exited"; }
        sleep 0.2
    done
    tail -20 "$WORK/loadtest.log" >&2
    die "the loadtest's peers did not all connect within 60 s"
}
RECORDER_PID=""
start_node_recording() { # MODE: returns once the recorder records
    mkdir -p "$WORK/recordings/node"
    node "$ROOT/bench/recording/node-recorder.mjs" --uri "$NODE_URI" --mode "$1" --out "$WORK/recordings/node" \
        --width "$WIDTH" --height "$HEIGHT" --fps "$FPS" >"$WORK/recorder.out" 2>"$WORK/recorder.log" &
    RECORDER_PID=$!
    PIDS+=("$RECORDER_PID")
    local deadline=$((SECONDS + 30))
    while ((SECONDS < deadline)); do
        grep -q '^RECORDING' "$WORK/recorder.out" && return 0
        kill -0 "$RECORDER_PID" 2>/dev/null || { cat "$WORK/recorder.log" >&2; tail -20 "$WORK/node.log" >&2; die "the recorder script exited"; }
        sleep 0.1
    done
    die "the recording did not start within 30 s"
}
stop_node_recording() {
    kill -TERM "$RECORDER_PID"
    local status=0
    wait "$RECORDER_PID" || status=$?
    forget_pid "$RECORDER_PID"
    grep -q '^STOPPED' "$WORK/recorder.out" || { cat "$WORK/recorder.log" >&2; die "the recording did not stop cleanly"; }
    ((status == 0)) || die "the recorder reported errors: $(grep '^STOPPED' "$WORK/recorder.out")"
}

run_node_composed() {
    log "plenum-media-node + 4 loadtest publishers in one pipeline, Composite BEST_FIT ${WIDTH}x${HEIGHT}@$FPS -> MP4 for $DURATION s"
    start_node
    MASTER_PID=$NODE_PID
    start_node_load 4 0 $((WARMUP + IDLE + DURATION + 60))
    sleep "$WARMUP"
    if ((IDLE > 0)); then
        CPU[idle]=$(window "$IDLE")
        log "node: ${CPU[idle]} CPU s per second receiving the 4 publishers, not recording"
    fi
    local c0 t0 c1 t1
    start_node_recording composed
    c0=$(tree_cpu_seconds "$NODE_PID"); t0=$(date +%s.%N)
    record_window "$NODE_PID" "$DURATION"
    c1=$(tree_cpu_seconds "$NODE_PID"); t1=$(date +%s.%N)
    stop_node_recording
    RSS[plenum]=$(tree_hwm_kib "$NODE_PID")
    SECONDS_OF[plenum]=$(calc "$t1 - $t0")
    CPU[plenum]=$(calc "($c1 - $c0) / (${SECONDS_OF[plenum]})")
    local summary duration
    summary=$(probe "$WORK/recordings/node/bench.mp4")
    duration=$(json_field duration <<<"$summary")
    awk -v d="$duration" -v w="${SECONDS_OF[plenum]}" 'BEGIN {exit !(d > w - 2 && d < w + 3)}' ||
        die "the recording lasts $duration s for a ${SECONDS_OF[plenum]} s window"
    NOTE[plenum]="file: $(json_field video <<<"$summary"), $(json_field audio <<<"$summary"), $(calc "$duration" 1) s; recorder $(sed -n 's/^STOPPED //p' "$WORK/recorder.out" | json_field stats)"
    log "node: ${CPU[plenum]} CPU s per recorded second, peak RSS ${RSS[plenum]} KiB"
    stop_pid "$LOAD_PID" 10; forget_pid "$LOAD_PID"
    stop_pid "$NODE_PID" 10; forget_pid "$NODE_PID"
}

run_node_individual() {
    log "plenum-media-node, 1 publisher -> $SUBSCRIBERS subscribers; windows of $DURATION s: off, WEBM recording of the publisher, off"
    start_node
    MASTER_PID=$NODE_PID
    start_node_load 1 "$SUBSCRIBERS" $((WARMUP + 3 * DURATION + 60))
    sleep "$WARMUP"
    CPU[off1]=$(window "$DURATION")
    log "node: off ${CPU[off1]}"
    start_node_recording individual
    CPU[on]=$(PROFILE_THIS=1 window "$DURATION")
    log "node: recording ${CPU[on]}"
    stop_node_recording
    CPU[off2]=$(window "$DURATION")
    log "node: off ${CPU[off2]}"
    RSS[plenum]=$(tree_hwm_kib "$NODE_PID")
    local summary
    summary=$(probe "$WORK/recordings/node/bench.webm")
    NOTE[plenum]="file: $(json_field video <<<"$summary"), $(json_field audio <<<"$summary"), $(calc "$(json_field duration <<<"$summary")" 1) s"
    stop_pid "$LOAD_PID" 10; forget_pid "$LOAD_PID"
    stop_pid "$NODE_PID" 10; forget_pid "$NODE_PID"
}

# ---------------------------------------------------------------- run
if [[ $MODE == composed ]]; then
    if [[ -z "${SKIP_PLENUM:-}" ]]; then
        if [[ $VIA == node ]]; then run_node_composed; else run_plenum_composed; fi
    fi
    for baseline in $BASELINES; do
        case $baseline in
            floor) run_floor ;;
            chromium) run_chromium ;;
            *) die "unknown baseline $baseline" ;;
        esac
    done
else
    [[ -z "${SKIP_PLENUM:-}" ]] || die "MODE=individual measures Plenum only; SKIP_PLENUM makes no sense"
    if [[ $VIA == node ]]; then run_node_individual; else run_plenum_individual; fi
fi

# ---------------------------------------------------------------- report
print_profile() {
if [[ -f "$WORK/perf.data" ]]; then
    {
        echo
        echo "Where the recording process's time goes (\`perf record -F 499 -g\` over the recording window; self time, top shared objects, then top symbols):"
        echo
        echo '```'
        perf report -i "$WORK/perf.data" --no-children --sort dso -g none --stdio >"$WORK/perf-dso.txt" 2>/dev/null || true
        perf report -i "$WORK/perf.data" --no-children --sort dso,symbol -g none --stdio >"$WORK/perf-sym.txt" 2>/dev/null || true
        grep -v '^#' "$WORK/perf-dso.txt" | grep . | sed -n 1,15p || true
        echo
        grep -v '^#' "$WORK/perf-sym.txt" | grep . | sed -n 1,25p || true
        echo '```'
    } >>"$RESULTS"
fi
}
CPU_MODEL=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
COMMIT=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [[ -n "$(git status --porcelain -- crates Cargo.toml Cargo.lock 2>/dev/null)" ]]; then COMMIT+=" (with uncommitted changes)"; fi
if [[ -n "${SKIP_BUILD:-}" ]]; then COMMIT+=" (SKIP_BUILD: binaries not rebuilt by this run)"; fi
mib() { calc "$1 / 1024" 0; }
missed=()
mkdir -p "$(dirname "$RESULTS")"
{
    if [[ $MODE == composed ]]; then
        echo "# Recording benchmark: COMPOSED ${WIDTH}x${HEIGHT}@$FPS, 4 publishers"
    else
        echo "# Recording benchmark: INDIVIDUAL, 1 publisher -> $SUBSCRIBERS subscribers"
    fi
    echo
    echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "- commit: $COMMIT"
    echo "- machine: $(nproc) cores, $CPU_MODEL, kernel $(uname -r); $(ffmpeg -version | head -1 | cut -d' ' -f1-3); $("$CHROMIUM" --version 2>/dev/null || echo 'no chromium')"
    echo "- command: \`$COMMAND\`"
    echo "- load average before / after: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- CPU: utime + stime (with reaped children) from \`/proc/<pid>/stat\` of each process tree over the measured window; RSS: the sum of \`VmHWM\` over the tree"
    echo
} >"$RESULTS"
if [[ $MODE == composed ]]; then
    {
        echo "Encoder of the baselines: libx264 \`-preset $X264_PRESET -tune $X264_TUNE -b:v $X264_BITRATE -g $((FPS * 2))\`, AAC 128 kbit/s; window $DURATION s after a $WARMUP s warm-up."
        echo
        echo "| what | CPU s per recorded s | peak RSS MiB | notes |"
        echo "| --- | ---: | ---: | --- |"
        if [[ -n "${CPU[plenum]:-}" ]]; then
            if [[ $VIA == node ]]; then who="Plenum: \`plenum-media-node\` recording (Composite + MP4 RecorderEndpoint over the Kurento protocol)"; else who="Plenum: master with its embedded node, recording (process tree of \`plenum\`)"; fi
            echo "| $who | ${CPU[plenum]} | $(mib "${RSS[plenum]}") | ${NOTE[plenum]} |"
            [[ -z "${CPU[idle]:-}" ]] || echo "| Plenum, the same 4 publishers, not recording ($IDLE s before) | ${CPU[idle]} | — | what receiving the publishers costs |"
        fi
        [[ -z "${CPU[floor]:-}" ]] || echo "| floor: ffmpeg 4 clips → 2x2 grid, real time | ${CPU[floor]} | $(mib "${RSS[floor]}") | ${NOTE[floor]} |"
        [[ -z "${CPU[chromium]:-}" ]] || echo "| OpenVidu's method: Chromium (Xvfb) + ffmpeg x11grab | ${CPU[chromium]} | $(mib "${RSS[chromium]}") | ${NOTE[chromium]} |"
        echo
        if [[ -n "${CPU[plenum]:-}" ]]; then
            extra=""
            [[ -z "${CPU[idle]:-}" ]] || extra=$(calc "${CPU[plenum]} - ${CPU[idle]}")
            if [[ -n "${CPU[floor]:-}" ]]; then
                r=$(calc "${CPU[plenum]} / ${CPU[floor]}" 2)
                share=""
                [[ -z "$extra" ]] || share="; the share of the recording itself ($extra CPU s/s over not recording) / floor: $(calc "$extra / ${CPU[floor]}" 2)"
                echo "- **Plenum / floor: $r** (target ≤ $FLOOR_TARGET)$share"
                awk -v r="$r" -v t="$FLOOR_TARGET" 'BEGIN {exit !(r > t)}' && missed+=("Plenum / floor $r > $FLOOR_TARGET")
            fi
            if [[ -n "${CPU[chromium]:-}" ]]; then
                r=$(calc "${CPU[plenum]} / ${CPU[chromium]}" 2)
                echo "- **Plenum / Chromium capture: $r** (target ≤ $CHROMIUM_TARGET)"
                awk -v r="$r" -v t="$CHROMIUM_TARGET" 'BEGIN {exit !(r > t)}' && missed+=("Plenum / Chromium $r > $CHROMIUM_TARGET")
            fi
        else
            echo "- Plenum not measured in this run (SKIP_PLENUM)."
        fi
        [[ -z "${CPU[floor]:-}" || -z "${CPU[chromium]:-}" ]] || echo "- floor / Chromium capture: $(calc "${CPU[floor]} / ${CPU[chromium]}" 2)"
    } >>"$RESULTS"
    # The plot: one bar per measurement.
    {
        [[ -z "${CPU[plenum]:-}" ]] || echo "\"Plenum recording\" ${CPU[plenum]}"
        [[ -z "${CPU[idle]:-}" ]] || echo "\"Plenum, not recording\" ${CPU[idle]}"
        [[ -z "${CPU[floor]:-}" ]] || echo "\"floor (ffmpeg)\" ${CPU[floor]}"
        [[ -z "${CPU[chromium]:-}" ]] || echo "\"Chromium + x11grab\" ${CPU[chromium]}"
    } >"$WORK/plot.dat"
    gnuplot <<EOF
set terminal pngcairo size 900,500 font 'sans,11' noenhanced
set output '$PLOT'
set title "COMPOSED ${WIDTH}x${HEIGHT}@$FPS of 4 streams: CPU seconds per recorded second ($(date -u +%Y-%m-%d))"
set style data histogram
set style fill solid 0.8 border -1
set boxwidth 0.6
set yrange [0:*]
set grid ytics
set ylabel 'CPU s per recorded s'
unset key
plot '$WORK/plot.dat' using 2:xtic(1) linecolor rgb '#3465a4', '' using 0:2:(sprintf('%.2f', \$2)) with labels offset 0,1 notitle
EOF
    echo >>"$RESULTS"
    echo "![CPU per recorded second]($(basename "$PLOT"))" >>"$RESULTS"
else
    {
        off=$(calc "(${CPU[off1]} + ${CPU[off2]}) / 2")
        pct=$(calc "(${CPU[on]} / $off - 1) * 100" 1)
        echo "| window ($DURATION s each) | $([[ $VIA == node ]] && echo 'plenum-media-node' || echo 'master') CPU s per s |"
        echo "| --- | ---: |"
        echo "| no recording | ${CPU[off1]} |"
        echo "| INDIVIDUAL recording of the publisher | ${CPU[on]} |"
        echo "| no recording, after | ${CPU[off2]} |"
        echo
        echo "- **extra CPU while recording: $pct %** of the mean of the windows without (target < $INDIVIDUAL_TARGET %); peak RSS $(mib "${RSS[plenum]}") MiB; ${NOTE[plenum]}"
        awk -v p="$pct" -v t="$INDIVIDUAL_TARGET" 'BEGIN {exit !(p >= t)}' && missed+=("INDIVIDUAL extra $pct % ≥ $INDIVIDUAL_TARGET %")
    } >>"$RESULTS"
fi
print_profile
cat "$RESULTS"
log "wrote $RESULTS"
((${#missed[@]} == 0)) || die "target missed: ${missed[*]}"
