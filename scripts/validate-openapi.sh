#!/usr/bin/env bash
# Validates the REST API's OpenAPI 3.1 spec (crates/server/src/api/openapi.json) with a
# standard validator, openapi-spec-validator from PyPI, in a venv under target/ (git-ignored),
# at the versions pinned in scripts/openapi-validator-requirements.txt. tests/openapi.rs
# checks the same file against the code; this checks it against the OpenAPI standard.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/openapi-venv
requirements=scripts/openapi-validator-requirements.txt
python=/usr/bin/python3
[ -x "$python" ] || python=python3
if ! cmp -s "$requirements" "$venv/requirements.txt" 2>/dev/null; then
    rm -rf "$venv"
    if ! "$python" -m venv "$venv" 2>/dev/null; then
        # Debian's python3 has venv in a package of its own.
        SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
        $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
        rm -rf "$venv" && "$python" -m venv "$venv"
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$venv/requirements.txt"
fi
"$venv/bin/openapi-spec-validator" crates/server/src/api/openapi.json
