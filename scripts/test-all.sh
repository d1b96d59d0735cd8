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
if ((${#need_apt[@]})); then
    echo "== installing ${need_apt[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
echo "== end-to-end tests (openvidu-node-client from npm; headless Chromium)"
cargo build --locked --bin plenum --bin plenum-media-node --bin plenum-loadtest
echo "== benchmark harness smoke run (plenum-loadtest against a real media node, 5 s)"
scripts/loadtest-smoke.sh target/debug
PLENUM_BIN="$PWD/target/debug/plenum" PLENUM_MEDIA_NODE_BIN="$PWD/target/debug/plenum-media-node" e2e/run.sh
echo "== all tests passed"
