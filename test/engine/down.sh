#!/usr/bin/env bash
# Stops what up.sh started (engine, registry) by their recorded pids, and undoes its host changes.
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
stop engine
stop registry
rm -f "$WVA_ENGINE_SOCK"
# the engine's CNI bridge, and ip_forward as it was before up.sh
ip link show dagger0 >/dev/null 2>&1 && ip link delete dagger0 && echo "deleted bridge dagger0"
if [[ -f "$WVA_ENGINE_RUN/ip_forward.before" ]]; then
  sysctl -qw net.ipv4.ip_forward="$(cat "$WVA_ENGINE_RUN/ip_forward.before")"
  rm -f "$WVA_ENGINE_RUN/ip_forward.before"
fi
if [[ -f "$WVA_ENGINE_RUN/mounted-binfmt" ]]; then
  rm -f "$WVA_ENGINE_RUN/mounted-binfmt"   # binfmt_misc stays mounted: other tools may rely on it now
fi
exit 0
