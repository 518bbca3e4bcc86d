# Shared settings of the local Dagger engine (sourced by the scripts in test/engine).
# The paths below are compiled into the engine (see build-engine.sh): changing one means a rebuild,
# which the layout hash in WVA_ENGINE_BIN takes care of.
DAGGER_VERSION=${DAGGER_VERSION:-v0.21.8}
WVA_ENGINE_CACHE=${WVA_ENGINE_CACHE:-$HOME/.cache/wva-engine}
# Each can be overridden to run a second, independent engine (e.g. to time a cold bring-up).
WVA_ENGINE_PREFIX=${WVA_ENGINE_PREFIX:-/opt/wva-dagger}
WVA_ENGINE_STATE=${WVA_ENGINE_STATE:-/var/lib/wva-dagger}
WVA_ENGINE_SOCK=${WVA_ENGINE_SOCK:-/run/wva-dagger/engine.sock}
# The engine's container network: CNI bridge <name>0 with this address range.
WVA_ENGINE_NET=${WVA_ENGINE_NET:-dagger}
WVA_ENGINE_CIDR=${WVA_ENGINE_CIDR:-10.87.0.0/16}
_engine_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The machine's shared material (WVA's snapshot, third-party sources the build scripts use):
# ../shared next to the checkout when there is one, else /work/shared (a clone made elsewhere,
# as CI's may be); WVA_SHARED and WVA_THIRD_PARTY override.
if [[ -z ${WVA_SHARED:-} ]]; then
  WVA_SHARED=$(cd "$_engine_dir/../../.." && pwd)/shared
  [[ -d $WVA_SHARED ]] || WVA_SHARED=/work/shared
fi
WVA_THIRD_PARTY=${WVA_THIRD_PARTY:-$WVA_SHARED/third_party}
# The build is keyed by the version, these paths and the build recipe (script + stubs).
_layout_hash=$( { printf '%s\n' "$WVA_ENGINE_PREFIX" "$WVA_ENGINE_STATE" "$WVA_ENGINE_SOCK";
  cat "$_engine_dir/build-engine.sh" "$_engine_dir"/stubs/*/*.go "$_engine_dir"/stubs/*/*/*.go; } | sha256sum | cut -c1-8)
WVA_ENGINE_BIN="$WVA_ENGINE_CACHE/bin-$DAGGER_VERSION-$_layout_hash"

# Local OCI registry (Debian's distribution registry) on loopback, with basic auth.
WVA_REGISTRY_ADDR=${WVA_REGISTRY_ADDR:-127.0.0.1:5123}
WVA_REGISTRY_USER=wva
# A throwaway password for a loopback-only test registry; tests read it from the state file.
WVA_REGISTRY_PASSWORD=wva-local-test-password
# Where up.sh keeps run-time state (pids, logs, config) and what tests read.
WVA_ENGINE_RUN=${WVA_ENGINE_RUN:-$WVA_ENGINE_CACHE/run}
WVA_STATE_DIR=${WVA_STATE_DIR:-$_engine_dir/.state}

# kill_tree <pid>: the process and everything it started, children first (a background build left
# running would keep compiling after a failure or a stop)
kill_tree() { local p; for p in $(pgrep -P "$1"); do kill_tree "$p"; done; kill "$1" 2>/dev/null || true; }
