#!/usr/bin/env bash
# Smoke run of the benchmark harness, so that it cannot rot between benchmark
# runs: a real plenum-media-node and plenum-loadtest (1 publisher, 10
# subscribers, a 5-second window) on 127.0.0.1. Fails unless every subscriber
# got media with under 1 % loss. Called by scripts/test-all.sh after the build.
# Usage: scripts/loadtest-smoke.sh [target dir, default target/debug]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN_DIR=${1:-target/debug}
WORK=$(mktemp -d)
NODE_PID=""
cleanup() {
    if [[ -n "$NODE_PID" ]]; then kill "$NODE_PID" 2>/dev/null || true; wait "$NODE_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN_DIR/plenum-media-node" --listen 127.0.0.1:0 --rtc-address 127.0.0.1 --workers 1 \
    >"$WORK/node.out" 2>"$WORK/node.err" &
NODE_PID=$!
# The node prints "plenum-media-node listening on ws://127.0.0.1:PORT/kurento" once it accepts.
URL=""
for _ in $(seq 300); do
    URL=$(grep -o 'ws://[^ ]*' "$WORK/node.out" || true)
    [[ -n "$URL" ]] && break
    kill -0 "$NODE_PID" 2>/dev/null || { cat "$WORK/node.err" >&2; echo "loadtest-smoke: the node exited" >&2; exit 1; }
    sleep 0.1
done
[[ -n "$URL" ]] || { echo "loadtest-smoke: the node did not report its address in 30 s" >&2; exit 1; }

"$BIN_DIR/plenum-loadtest" --kurento "$URL" --publishers 1 --subscribers 10 --duration 5 --warmup 1 \
    --node-pid "$NODE_PID" --json >"$WORK/report.json"
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const problems = [];
if (r.subscribers_with_media !== r.subscribers) problems.push(`${r.subscribers_with_media}/${r.subscribers} subscribers got media`);
if (!(r.loss_percent < 1)) problems.push(`RTP loss ${r.loss_percent} %`);
if (!(r.frame_loss_percent < 1)) problems.push(`frame loss ${r.frame_loss_percent} %`);
if (!(r.received_pps > 0)) problems.push("no packets per second");
if (problems.length) { console.error("loadtest-smoke: " + problems.join("; ")); process.exit(1); }
console.log(`loadtest-smoke: ${r.subscribers} subscribers, ${r.received_pps.toFixed(0)} pkt/s, loss ${r.loss_percent} %`);
' "$WORK/report.json"
