# /proc readings for the bench scripts (source after common.sh): CPU time and
# peak memory of a process, or of a process and all its descendants.

CLK_TCK=$(getconf CLK_TCK)

# tree_pids PID: PID and every descendant alive now, one per line.
tree_pids() {
    ps -e -o pid=,ppid= | awk -v root="$1" '
        { children[$2] = children[$2] " " $1 }
        END {
            queue[1] = root; n = 1
            for (i = 1; i <= n; i++) {
                print queue[i]
                k = split(children[queue[i]], kids, " ")
                for (j = 1; j <= k; j++) queue[++n] = kids[j]
            }
        }'
}

# cpu_seconds PID...: user + system CPU seconds of those processes, with what their reaped
# children used (cutime + cstime), so a tree sums to its total even when processes come and go.
cpu_seconds() {
    local pid stat rest ticks=0
    for pid in "$@"; do
        stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
        rest=${stat##*) }
        # shellcheck disable=SC2086
        set -- $rest
        ticks=$((ticks + ${12} + ${13} + ${14} + ${15}))
    done
    awk -v t="$ticks" -v hz="$CLK_TCK" 'BEGIN {printf "%.3f", t / hz}'
}

# own_cpu_seconds PID: utime + stime of PID alone (threads included, children not).
own_cpu_seconds() {
    local stat rest
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
    rest=${stat##*) }
    # shellcheck disable=SC2086
    set -- $rest
    awk -v t="$((${12} + ${13}))" -v hz="$CLK_TCK" 'BEGIN {printf "%.3f", t / hz}'
}

# tree_cpu_seconds PID: cpu_seconds over PID and its descendants.
tree_cpu_seconds() {
    # shellcheck disable=SC2046
    cpu_seconds $(tree_pids "$1")
}

# hwm_kib PID...: the sum of the peak resident sizes (VmHWM) of those processes, in KiB.
hwm_kib() {
    local pid total=0 value
    for pid in "$@"; do
        value=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || continue
        total=$((total + ${value:-0}))
    done
    echo "$total"
}

tree_hwm_kib() {
    # shellcheck disable=SC2046
    hwm_kib $(tree_pids "$1")
}
