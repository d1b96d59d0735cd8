#!/usr/bin/env bash
# A private network namespace with a veth pair, so that Janus can gather a
# usable host candidate: Janus skips loopback interfaces when gathering ICE
# candidates, so it cannot be benchmarked on 127.0.0.1 like plenum-media-node.
#
#   host side:  $JANUS_HOST_IF  $JANUS_HOST_IP/24   (bind plenum-loadtest here: --bind $JANUS_HOST_IP)
#   namespace:  $JANUS_NS_IF    $JANUS_NS_IP/24     (Janus listens here, ws://$JANUS_NS_IP:8188/)
#
# Usage: bench/janus/netns.sh up|down|status
#   up      creates the namespace and the link (nothing is done if they already exist)
#   down    stops Janus (stop-janus.sh, which also removes its state directory) and
#           anything else still running inside the namespace, then deletes the link
#           and the namespace; a no-op if absent
#   status  exits 0 when the namespace and the link are up
# Environment (optional, the defaults are what the other scripts use):
#   JANUS_NETNS=plj JANUS_HOST_IF=vj0 JANUS_NS_IF=vj1 JANUS_HOST_IP=10.77.0.1 JANUS_NS_IP=10.77.0.2
# Needs root (ip netns, ip link). Touches nothing but the namespace, the pair and
# the Janus started by start-janus.sh.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NS=${JANUS_NETNS:-plj}
HOST_IF=${JANUS_HOST_IF:-vj0}
NS_IF=${JANUS_NS_IF:-vj1}
HOST_IP=${JANUS_HOST_IP:-10.77.0.1}
NS_IP=${JANUS_NS_IP:-10.77.0.2}

ns_exists() { ip netns list | awk '{print $1}' | grep -qx "$NS"; }
link_exists() { ip link show "$HOST_IF" >/dev/null 2>&1; }

up() {
    ns_exists || ip netns add "$NS"
    if ! link_exists; then
        ip link add "$HOST_IF" type veth peer name "$NS_IF" netns "$NS"
    fi
    ip addr replace "$HOST_IP/24" dev "$HOST_IF"
    ip link set "$HOST_IF" up
    ip -n "$NS" addr replace "$NS_IP/24" dev "$NS_IF"
    ip -n "$NS" link set "$NS_IF" up
    ip -n "$NS" link set lo up
    echo "namespace $NS up: $HOST_IF $HOST_IP <-> $NS_IF $NS_IP"
}

down() {
    "$HERE/stop-janus.sh"
    if ns_exists; then
        # Only what was started inside our own namespace (e.g. a Janus started by hand).
        local pids
        pids=$(ip netns pids "$NS" || true)
        if [ -n "$pids" ]; then
            echo "stopping processes in $NS: $pids"
            # shellcheck disable=SC2086
            kill $pids 2>/dev/null || true
            for _ in $(seq 50); do
                [ -z "$(ip netns pids "$NS" || true)" ] && break
                sleep 0.1
            done
            pids=$(ip netns pids "$NS" || true)
            # shellcheck disable=SC2086
            [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
        fi
    fi
    # Deleting one end of a veth pair deletes both.
    if link_exists; then ip link del "$HOST_IF"; fi
    if ns_exists; then ip netns del "$NS"; fi
    echo "namespace $NS down"
}

status() {
    ns_exists && link_exists && ip -n "$NS" link show "$NS_IF" | grep -q 'state UP'
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    status) status ;;
    *)
        echo "usage: $0 up|down|status" >&2
        exit 2
        ;;
esac
