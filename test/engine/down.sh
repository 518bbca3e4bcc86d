#!/usr/bin/env bash
# Stops what up.sh started (engine, registry, Kubernetes builds still running) by their recorded pids, and undoes its host changes.
# Built binaries, images and the registry's storage stay in $WVA_ENGINE_CACHE for the next up.sh.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/layout.sh"

stop() { # stop <name>
  local pidfile="$WVA_ENGINE_RUN/$1.pid"
  [[ -f "$pidfile" ]] || return 0
  local pid; pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    echo "stopped $1 (pid $pid)"
  fi
  rm -f "$pidfile"
}
# up.sh's Kubernetes builds, when still running (WVA_UP_K8S=background): they and what they started
if [[ -f "$WVA_ENGINE_RUN/k8s.pid" ]] && [[ "$(cat "$WVA_STATE_DIR/k8s.status" 2>/dev/null)" == building* ]] \
    && kill -0 "$(cat "$WVA_ENGINE_RUN/k8s.pid")" 2>/dev/null; then
  kill_tree "$(cat "$WVA_ENGINE_RUN/k8s.pid")"
  echo "failed $WVA_ENGINE_RUN/k8s.log (stopped by down.sh)" > "$WVA_STATE_DIR/k8s.status"
  echo "stopped the Kubernetes builds (pid $(cat "$WVA_ENGINE_RUN/k8s.pid"))"
fi
rm -f "$WVA_ENGINE_RUN/k8s.pid"
# The engine runs under tini (pid in engine.pid). It shuts down gracefully on TERM, syncing its
# state, which can take a while; after 90 s it is killed (its mounts live in its own namespace).
if [[ -f "$WVA_ENGINE_RUN/engine.pid" ]]; then
  tini_pid=$(cat "$WVA_ENGINE_RUN/engine.pid")
  for engine_pid in $(pgrep -P "$tini_pid" 2>/dev/null); do
    kill -TERM "$engine_pid" 2>/dev/null
    for _ in $(seq 450); do kill -0 "$engine_pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$engine_pid" 2>/dev/null; then
      kill -KILL "$engine_pid" && echo "engine (pid $engine_pid) did not stop within 90 s: killed"
    fi
  done
fi
stop engine
stop registry
rm -f "$WVA_ENGINE_SOCK"
# the engine's CNI bridge, and ip_forward as it was before up.sh
ip link show "${WVA_ENGINE_NET}0" >/dev/null 2>&1 && ip link delete "${WVA_ENGINE_NET}0" && echo "deleted bridge ${WVA_ENGINE_NET}0"
if [[ -f "$WVA_ENGINE_RUN/ip_forward.before" ]]; then
  sysctl -qw net.ipv4.ip_forward="$(cat "$WVA_ENGINE_RUN/ip_forward.before")"
  rm -f "$WVA_ENGINE_RUN/ip_forward.before"
fi
if [[ -f "$WVA_ENGINE_RUN/mounted-binfmt" ]]; then
  rm -f "$WVA_ENGINE_RUN/mounted-binfmt"   # binfmt_misc stays mounted: other tools may rely on it now
fi
exit 0
