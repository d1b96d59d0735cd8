#!/usr/bin/env bash
# Runs every test of the repository: formatting and lints, Rust unit and
# integration tests, and the end-to-end tests (the real OpenVidu clients from
# npm against plenum; headless Chromium against plenum-media-node). Installs
# what it needs when it is missing. CI calls this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
# Debian's Chromium for the media-node end-to-end test (playwright-core drives it).
[[ -n "${CHROMIUM_BIN:-}" || -x /usr/bin/chromium ]] || need_apt+=(chromium)
# Debian's Firefox ESR for the Inspector's second-engine test (puppeteer-core drives it over WebDriver BiDi).
[[ -n "${FIREFOX_BIN:-}" || -x /usr/bin/firefox-esr ]] || need_apt+=(firefox-esr)
# Recordings: the media node links GStreamer (its development files are needed to build it) and
# encodes with x264, Opus, VP8 and AAC; the recording tests check the files with ffprobe/ffmpeg.
# Installed before any cargo build below.
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists gstreamer-1.0 gstreamer-app-1.0; then
    need_apt+=(libgstreamer1.0-dev)
fi
if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists gstreamer-video-1.0 gstreamer-audio-1.0; then
    need_apt+=(libgstreamer-plugins-base1.0-dev)
fi
# gst-inspect-1.0 answers the plugin checks below (without it every plugin package is reinstalled each run).
command -v gst-inspect-1.0 >/dev/null 2>&1 || need_apt+=(gstreamer1.0-tools)
gst_has() { command -v gst-inspect-1.0 >/dev/null 2>&1 && gst-inspect-1.0 --exists "$1" 2>/dev/null; }
# One element each package provides (GStreamer 1.22, Debian bookworm): base has the converters, Opus,
# compositor and audiomixer; good the WebM/MP4 muxers, VP8 and RTP depayloaders; bad the H.264 parser;
# ugly x264; libav FFmpeg's decoders and AAC encoder.
gst_has videoconvert && gst_has opusenc && gst_has compositor && gst_has audiomixer || need_apt+=(gstreamer1.0-plugins-base)
gst_has matroskamux && gst_has mp4mux && gst_has vp8enc && gst_has rtpvp8depay || need_apt+=(gstreamer1.0-plugins-good)
gst_has h264parse || need_apt+=(gstreamer1.0-plugins-bad)
gst_has x264enc || need_apt+=(gstreamer1.0-plugins-ugly)
gst_has avdec_h264 && gst_has avenc_aac || need_apt+=(gstreamer1.0-libav)
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 || need_apt+=(ffmpeg)
if ((${#need_apt[@]})); then
    echo "== installing ${need_apt[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    # sort -u: a package asked for by two checks is installed once.
    mapfile -t need_apt < <(printf '%s\n' "${need_apt[@]}" | sort -u)
    $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== OpenAPI spec (openapi-spec-validator)"
scripts/validate-openapi.sh
echo "== cargo test"
cargo test --workspace --locked
echo "== end-to-end tests (openvidu-node-client from npm; headless Chromium)"
cargo build --locked --bin plenum --bin plenum-media-node --bin plenum-loadtest
echo "== benchmark harness smoke run (plenum-loadtest against a real media node, 5 s)"
scripts/loadtest-smoke.sh target/debug
PLENUM_BIN="$PWD/target/debug/plenum" PLENUM_MEDIA_NODE_BIN="$PWD/target/debug/plenum-media-node" e2e/run.sh
echo "== all tests passed"
