#!/usr/bin/env bash
# Runs the end-to-end tests: the real openvidu-node-client releases from npm
# against a freshly built plenum binary, and headless Chromium (Debian's
# chromium, through playwright-core) against a freshly built
# plenum-media-node, and the recorded files read with ffprobe/ffmpeg.
# Usage: e2e/run.sh [test files...]
#   PLENUM_BIN=path             test this binary instead of building target/debug/plenum
#   PLENUM_MEDIA_NODE_BIN=path  likewise for target/debug/plenum-media-node
#   CHROMIUM_BIN=path           the browser (default: /usr/bin/chromium)
#   FIREFOX_BIN=path            Firefox for inspector-firefox.test.js (default: /usr/bin/firefox-esr)
set -euo pipefail

# A relative path means relative to where run.sh was called from.
for var in PLENUM_BIN PLENUM_MEDIA_NODE_BIN; do
    if [[ -n "${!var:-}" ]]; then
        printf -v "$var" '%s' "$(realpath -m -- "${!var}")"
        export "${var}"
    fi
done
cd "$(dirname "${BASH_SOURCE[0]}")"

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if ((node_major < 20)); then
    echo "run.sh: Node.js 20 or newer is needed (found $(node --version))" >&2
    exit 1
fi

# npm writes node_modules/.package-lock.json on every install: older than the
# lock file (or missing) means the installed packages may be stale.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    echo "== npm ci"
    npm ci --no-audit --no-fund
fi

build=()
if [[ -z "${PLENUM_BIN:-}" ]]; then
    build+=(--bin plenum)
    export PLENUM_BIN="$(realpath -m -- ../target/debug/plenum)"
fi
if [[ -z "${PLENUM_MEDIA_NODE_BIN:-}" ]]; then
    build+=(--bin plenum-media-node)
    export PLENUM_MEDIA_NODE_BIN="$(realpath -m -- ../target/debug/plenum-media-node)"
fi
if ((${#build[@]})); then
    echo "== cargo build ${build[*]}"
    (cd .. && cargo build "${build[@]}")
fi
for bin in "$PLENUM_BIN" "$PLENUM_MEDIA_NODE_BIN"; do
    if [[ ! -x "$bin" ]]; then
        echo "run.sh: $bin is not an executable file" >&2
        exit 1
    fi
done

# The recording tests (recording*.test.js, kurento-recorder.test.js) read the files with ffprobe/ffmpeg.
if ! command -v ffprobe >/dev/null || ! command -v ffmpeg >/dev/null; then
    echo "run.sh: ffmpeg and ffprobe are needed by the recording tests (apt-get install ffmpeg; scripts/test-all.sh installs it)" >&2
    exit 1
fi

if (($# == 0)); then
    set -- *.test.js
fi
# inspector-firefox.test.js drives Debian's firefox-esr (puppeteer-core over WebDriver BiDi).
if [[ " $* " == *"inspector-firefox.test.js "* ]]; then
    firefox="${FIREFOX_BIN:-}"
    if [[ -z "$firefox" ]]; then
        for candidate in /usr/bin/firefox-esr /usr/bin/firefox; do
            [[ -x "$candidate" ]] && firefox="$candidate" && break
        done
    fi
    if [[ ! -x "$firefox" ]]; then
        echo "run.sh: inspector-firefox.test.js needs Firefox: no executable ${firefox:-/usr/bin/firefox-esr or /usr/bin/firefox} (apt-get install firefox-esr, or set FIREFOX_BIN; scripts/test-all.sh installs it)" >&2
        exit 1
    fi
fi
echo "== node --test ($PLENUM_BIN, $PLENUM_MEDIA_NODE_BIN)"
# One file at a time: each starts its own servers, and the logs stay readable.
exec node --test --test-concurrency=1 "$@"
