#!/usr/bin/env bash
# Stops the Janus started by start-janus.sh (by the pid in its state directory)
# and removes that directory. A no-op when none is running. The namespace stays
# up; `bench/janus/netns.sh down` removes it.
# Environment: the same JANUS_NETNS / JANUS_STATE_DIR as start-janus.sh.
set -euo pipefail

NS=${JANUS_NETNS:-plj}
STATE=${JANUS_STATE_DIR:-${TMPDIR:-/tmp}/plenum-janus-$NS}

pid=$(cat "$STATE/janus.pid" 2>/dev/null || true)
if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = janus ]; then
    kill "$pid"
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "stop-janus: $pid ignored SIGTERM for 5 s; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    echo "stop-janus: stopped Janus $pid" >&2
fi
rm -rf "$STATE"
