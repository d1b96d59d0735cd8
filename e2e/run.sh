#!/usr/bin/env bash
# Runs the end-to-end tests: the real openvidu-node-client releases from npm
# against a freshly built plenum binary. Usage: e2e/run.sh [test files...]
#   PLENUM_BIN=path  test this binary instead of building target/debug/plenum
set -euo pipefail

# A relative PLENUM_BIN means relative to where run.sh was called from.
if [[ -n "${PLENUM_BIN:-}" ]]; then
    PLENUM_BIN="$(realpath -m -- "$PLENUM_BIN")"
    export PLENUM_BIN
fi
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

if [[ -z "${PLENUM_BIN:-}" ]]; then
    echo "== cargo build --bin plenum"
    (cd .. && cargo build --bin plenum)
    export PLENUM_BIN="$PWD/../target/debug/plenum"
fi
if [[ ! -x "$PLENUM_BIN" ]]; then
    echo "run.sh: $PLENUM_BIN is not an executable file" >&2
    exit 1
fi

if (($# == 0)); then
    set -- *.test.js
fi
echo "== node --test ($PLENUM_BIN)"
# One file at a time: each starts its own servers, and the logs stay readable.
exec node --test --test-concurrency=1 "$@"
