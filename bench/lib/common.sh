# Shared by the bench/*.sh scripts (source it after setting BENCH_NAME): their
# log lines, the exact command for the results file, stopping a process,
# and installing missing Debian packages.

# log MESSAGE... / die MESSAGE...: on stderr, prefixed with the script's name.
log() { printf '[%s] %s\n' "$BENCH_NAME" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$BENCH_NAME" "$*" >&2; exit 1; }

# bench_command SCRIPT VAR...: the command line that reproduces this run, with
# each VAR that was set in the environment (shell-quoted) before SCRIPT.
bench_command() {
    local script=$1 var command=""
    shift
    for var in "$@"; do
        if printenv "$var" >/dev/null; then command+="$var=$(printf '%q' "$(printenv "$var")") "; fi
    done
    printf '%s%s' "$command" "$script"
}

# stop_pid PID [SECONDS]: TERM, then KILL when it is still running after SECONDS (default 5).
stop_pid() {
    local pid=$1 tenths=$((${2:-5} * 10))
    [[ -n "$pid" ]] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq "$tenths"); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

# apt_install PACKAGE...: installs them quietly (as root, with sudo when needed).
apt_install() {
    log "installing $*"
    as_root apt-get update -qq || true
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
