#!/usr/bin/env bash
# Brings up a real Dagger engine on this machine, for test/engine:
#   1. run-time packages from Debian (install-deps.sh) and binfmt_misc for QEMU;
#   2. a local OCI registry on loopback with basic auth (Debian's distribution registry);
#   3. the base images the pipeline pulls, pushed to that registry (build-images.sh, cached), in the
#      background while
#   4. dagger, dagger-engine and dagger-init are built from the Go module proxy (build-engine.sh, cached);
#   5. the engine's builtin SDK content (build-sdk.sh, cached), so that it loads modules (`dagger call`);
#   6. the engine, run on the host in a private mount namespace (its resolv.conf and iptables
#      symlinks stay private to it), talking on a unix socket, given the SDK content's digests;
#   7. in the background from 5 on: envtest's kube-apiserver, kubectl and etcd, built from the Go
#      module proxy (build-k8s.sh, cached), then the kind node image kindest/node:v1.32.0, assembled
#      here and pushed (build-kind-node.sh, cached); up.sh waits for them unless WVA_UP_K8S=background
#      (then the tests that need them wait, see k8s-lane.ts).
# Writes test/engine/.state/env.json (+ env.sh) for the tests. Idempotent: what runs is kept,
# what was built is reused. down.sh stops what this started.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/layout.sh"
t0=$SECONDS
step() { echo "== $1 ($((SECONDS - t0))s)"; }
mkdir -p "$WVA_ENGINE_RUN" "$WVA_STATE_DIR"
[[ -f "$here/.gitignore" ]] || printf '.state/\n' > "$here/.gitignore"

step "dependencies"
"$here/install-deps.sh"

step "binfmt_misc for foreign platforms"
if [[ ! -e /proc/sys/fs/binfmt_misc/register ]]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  touch "$WVA_ENGINE_RUN/mounted-binfmt"
fi
[[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]] || update-binfmts --enable >/dev/null
grep -q enabled /proc/sys/fs/binfmt_misc/qemu-aarch64

step "inotify limits for Kind's nodes"
# Each kind node runs systemd, containerd, kubelet and pods, all as root: the default 128 inotify
# instances per user run out with three nodes ("too many open files"). Raised, never lowered.
for limit in fs.inotify.max_user_instances=8192 fs.inotify.max_user_watches=524288; do
  (( $(sysctl -n "${limit%=*}") >= ${limit#*=} )) || sysctl -qw "$limit"
done


# alive <pidfile>: the process runs (a zombie nobody reaped does not count)
alive() {
  [[ -f "$1" ]] || return 1
  local stat; stat=$(cat "/proc/$(cat "$1")/stat" 2>/dev/null) || return 1
  [[ "$(awk '{print $3}' <<<"$stat")" != Z ]]
}

# Builds that need no engine run in the background while the engine's own build runs (on a cold
# machine they download and unpack Debian packages and Go modules while the compiler has the CPUs).
# bg <name> <command…>: starts it, its output prefixed with [<name>]; join <name>: waits, fails with it.
declare -A bg_pids=()
bg() {
  local name=$1; shift
  ( "$@" 2>&1 | sed -u "s/^/  [$name] /" ) &
  bg_pids[$name]=$!
  echo "   ($name: in the background)"
}
join() {
  local s=$SECONDS
  wait "${bg_pids[$1]}" || { echo "$1 failed (its output above, prefixed [$1])" >&2; unset "bg_pids[$1]"; exit 1; }
  unset "bg_pids[$1]"
  (( SECONDS - s < 2 )) || echo "   (waited $((SECONDS - s))s for $1)"
}
trap 'for p in "${bg_pids[@]}"; do kill_tree "$p"; done' EXIT

# The engine starts one dnsmasq for its containers' names and never restarts it. An engine that
# has lost it (e.g. one started before the CNI dnsname plugin was Dagger's own, which never stops
# it) would leave containers without DNS: such an engine is started afresh.
if alive "$WVA_ENGINE_RUN/engine.pid" && ! pgrep -f "cni/dnsname/$WVA_ENGINE_NET/dnsmasq.conf" >/dev/null; then
  echo "the running engine has lost its dnsmasq (containers would resolve no names): restarting it" >&2
  bash "$here/down.sh"
fi

# The public registries the module's default references name are mirrored to the local one,
# which serves the images build-images.sh builds under those names (docker.io/library/golang →
# library/golang, quay.io/projectquay/golang → projectquay/golang, ...). Nothing else is reachable.
{
  printf '[registry."%s"]\n  http = true\n  insecure = true\n' "$WVA_REGISTRY_ADDR"
  for public in docker.io quay.io gcr.io ghcr.io registry.k8s.io; do
    printf '[registry."%s"]\n  mirrors = ["%s"]\n' "$public" "$WVA_REGISTRY_ADDR"
  done
  # The engine's default cache cap keeps 20% of the disk free: on a disk fuller than that it
  # prunes everything above 10% of the disk between tests (the Go build caches, the images built
  # minutes before), so every test starts cold. The tiers keep about 25 GB of cache; the engine
  # prunes only when less than 3 GB would stay free.
  printf '[worker.oci]\n  reservedSpace = "%s"\n  minFreeSpace = "3GB"\n' "${WVA_ENGINE_CACHE_RESERVED:-25GB}"
  # not configuration the engine reads, but what it was started with: another build of its binaries
  # or other custom CAs restart it too
  printf '# binaries: %s\n# custom CAs: %s\n' "$WVA_ENGINE_BIN" "${WVA_ENGINE_CA_CERTS:-none}"
} > "$WVA_ENGINE_RUN/engine.toml.want"
# An engine started with another configuration (e.g. before the mirrors) is started afresh.
if alive "$WVA_ENGINE_RUN/engine.pid" && ! cmp -s "$WVA_ENGINE_RUN/engine.toml.want" "$WVA_ENGINE_RUN/engine.toml"; then
  echo "the running engine has another configuration: restarting it" >&2
  bash "$here/down.sh"
fi

step "registry on $WVA_REGISTRY_ADDR"
if ! alive "$WVA_ENGINE_RUN/registry.pid"; then
  mkdir -p "$WVA_ENGINE_CACHE/registry"
  htpasswd -Bbn "$WVA_REGISTRY_USER" "$WVA_REGISTRY_PASSWORD" > "$WVA_ENGINE_RUN/htpasswd"
  cat > "$WVA_ENGINE_RUN/registry.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $WVA_ENGINE_CACHE/registry
  delete:
    enabled: true
http:
  addr: $WVA_REGISTRY_ADDR
auth:
  htpasswd:
    realm: wva-local
    path: $WVA_ENGINE_RUN/htpasswd
YAML
  setsid docker-registry serve "$WVA_ENGINE_RUN/registry.yml" > "$WVA_ENGINE_RUN/registry.log" 2>&1 < /dev/null &
  echo $! > "$WVA_ENGINE_RUN/registry.pid"
fi
for _ in $(seq 50); do
  [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$WVA_REGISTRY_ADDR/v2/")" == 401 ]] && break
  sleep 0.2
done
[[ "$(curl -s -o /dev/null -w '%{http_code}' -u "$WVA_REGISTRY_USER:$WVA_REGISTRY_PASSWORD" "http://$WVA_REGISTRY_ADDR/v2/")" == 200 ]] \
  || { echo "registry did not come up:" >&2; tail "$WVA_ENGINE_RUN/registry.log" >&2; exit 1; }

# Clients log in as users do: the CLI hands the engine these credentials for pulls.
export DOCKER_CONFIG="$WVA_ENGINE_RUN/docker-config"
mkdir -p "$DOCKER_CONFIG"
crane=$(command -v crane || echo "$HOME/go/bin/crane")
"$crane" auth login "$WVA_REGISTRY_ADDR" -u "$WVA_REGISTRY_USER" -p "$WVA_REGISTRY_PASSWORD" >/dev/null 2>&1

step "base images (build-images.sh, cached)"
bg images "$here/build-images.sh"

step "engine binaries"
s=$SECONDS
"$here/build-engine.sh" 2>&1 | grep -v '^go: downloading' | tee "$WVA_ENGINE_RUN/build-engine.log" | tail -5
echo "engine binaries ready in $((SECONDS - s))s"
join images

# envtest's and the kind node's Kubernetes need neither the engine nor its SDK content, only the
# registry: they build in a process of their own, their state in .state/k8s.status (k8s-lane.ts
# reads it), their output in k8s.log. WVA_UP_K8S=background (npm test): up.sh returns once the
# engine answers and they go on beside the first tiers; tests that need them wait (k8sReady() in
# engine.ts). Otherwise up.sh waits for them.
k8s_status=$WVA_STATE_DIR/k8s.status k8s_log=$WVA_ENGINE_RUN/k8s.log
step "envtest assets: kube-apiserver, kubectl and etcd from the Go module proxy (build-k8s.sh, cached), then the kind node image: Kubernetes from the Go module proxy on Debian, in the registry (build-kind-node.sh, cached)"
if alive "$WVA_ENGINE_RUN/k8s.pid" && [[ "$(cat "$k8s_status" 2>/dev/null)" == building* ]]; then
  echo "   (k8s: already building, pid $(cat "$WVA_ENGINE_RUN/k8s.pid"))"
else
  : > "$k8s_log" && rm -f "$k8s_status"
  setsid bash -c 'echo $$ > "$4"; echo "building $$ $3" > "$2"
    if "$1/build-k8s.sh" envtest && "$1/build-kind-node.sh"; then echo ok > "$2"; else echo "failed $3" > "$2"; exit 1; fi' \
    k8s "$here" "$k8s_status" "$k8s_log" "$WVA_ENGINE_RUN/k8s.pid" >> "$k8s_log" 2>&1 < /dev/null &
  for _ in $(seq 100); do [[ -s "$k8s_status" ]] && break; sleep 0.1; done
  [[ -s "$k8s_status" ]] || { echo "the Kubernetes builds did not start; k8s.log:" >&2; cat "$k8s_log" >&2; exit 1; }
  echo "   (k8s: building in its own process, pid $(cat "$WVA_ENGINE_RUN/k8s.pid"), log $k8s_log)"
fi
# wait_k8s: shows the builds' output until they end; fails unless they built everything
wait_k8s() {
  local s=$SECONDS pid; pid=$(cat "$WVA_ENGINE_RUN/k8s.pid")
  tail -n +1 -f --pid="$pid" "$k8s_log" | sed -u 's/^/  [k8s] /'
  [[ "$(cat "$k8s_status")" == ok ]] || { echo "the Kubernetes builds failed (their output above, prefixed [k8s])" >&2; exit 1; }
  (( SECONDS - s < 2 )) || echo "   (waited $((SECONDS - s))s for k8s)"
}

step "builtin SDK content"
"$here/build-sdk.sh"
# The engine finds its builtin SDKs by the manifest digests in its environment (sdk.env): an engine
# started with other digests (or none) cannot load modules with this content, so it is restarted.
# That ends every session on it: run up.sh under the exclusive engine lock when the content changed.
if alive "$WVA_ENGINE_RUN/engine.pid" && ! cmp -s "$WVA_ENGINE_RUN/sdk.env" "$WVA_ENGINE_RUN/engine-sdk.env"; then
  echo "the running engine was started with other builtin SDK content: restarting it" >&2
  wait_k8s   # they push to the registry down.sh stops
  bash "$here/down.sh"
  exec bash "$0" "$@"   # down.sh stopped the registry too: bring everything up again
fi

step "engine on unix://$WVA_ENGINE_SOCK"
start_engine() {
  set -a; source "$WVA_ENGINE_RUN/sdk.env"; set +a   # DAGGER_{GO,TYPESCRIPT}_SDK_MANIFEST_DIGEST
  cp "$WVA_ENGINE_RUN/sdk.env" "$WVA_ENGINE_RUN/engine-sdk.env"
  mkdir -p "$WVA_ENGINE_PREFIX/bin" "$WVA_ENGINE_PREFIX/content" "$WVA_ENGINE_STATE" "$(dirname "$WVA_ENGINE_SOCK")" /run/buildkit
  install -m 0755 "$WVA_ENGINE_BIN/dagger-init" "$WVA_ENGINE_BIN/dagger-engine" "$WVA_ENGINE_PREFIX/bin/"
  install -m 0755 "$(command -v runc)" "$WVA_ENGINE_PREFIX/bin/runc"
  # Custom CAs the engine installs into every container, around every exec: none by default, since
  # the images built here already trust the host's bundle (build-images.sh); injecting the host's
  # proxy CAs cost two update-ca-certificates runs, ~2 s, per exec. WVA_ENGINE_CA_CERTS=<dir> sets them.
  rm -rf "$WVA_ENGINE_PREFIX/ca-certificates" && mkdir -p "$WVA_ENGINE_PREFIX/ca-certificates"
  if [[ -n ${WVA_ENGINE_CA_CERTS:-} ]]; then
    cp -L "$WVA_ENGINE_CA_CERTS"/*.crt "$WVA_ENGINE_PREFIX/ca-certificates/"
  fi
  # CNI plugins: Debian's, with Dagger's own dnsname in place of the containers/dnsname one
  rm -rf "$WVA_ENGINE_PREFIX/cni" && mkdir -p "$WVA_ENGINE_PREFIX/cni"
  for plugin in bridge loopback firewall host-local portmap tuning; do
    ln -s "/usr/lib/cni/$plugin" "$WVA_ENGINE_PREFIX/cni/$plugin"
  done
  install -m 0755 "$WVA_ENGINE_BIN/dnsname" "$WVA_ENGINE_PREFIX/cni/dnsname"
  cp "$WVA_ENGINE_RUN/engine.toml.want" "$WVA_ENGINE_RUN/engine.toml"
  rm -f "$WVA_ENGINE_SOCK"   # a socket left by an engine that was killed
  # ... and the dnsmasq it started, which would keep port 53
  dns_pidfile=/var/run/containers/cni/dnsname/$WVA_ENGINE_NET/pidfile
  if [[ -f "$dns_pidfile" ]] && tr '\0' ' ' 2>/dev/null < "/proc/$(cat "$dns_pidfile")/cmdline" \
      | grep -F "cni/dnsname/$WVA_ENGINE_NET/dnsmasq.conf" >/dev/null; then
    kill -TERM "$(cat "$dns_pidfile")" && sleep 0.5
  fi
  cat /proc/sys/net/ipv4/ip_forward > "$WVA_ENGINE_RUN/ip_forward.before"
  rm -rf "$WVA_ENGINE_RUN/usrbin" && mkdir -p "$WVA_ENGINE_RUN/usrbin/upper" "$WVA_ENGINE_RUN/usrbin/work"
  # The engine points /usr/bin/iptables* at the xtables backend it picks; an overlay on /usr/bin,
  # seen only in its mount namespace, keeps the host's iptables alternatives untouched.
  setsid unshare --mount --propagation private -- bash -c '
    set -e
    mount -t overlay overlay -o "lowerdir=/usr/bin,upperdir=$0/usrbin/upper,workdir=$0/usrbin/work" /usr/bin
    ln -sf /usr/sbin/xtables-legacy-multi /usr/bin/xtables-legacy-multi
    ln -sf /usr/sbin/xtables-nft-multi /usr/bin/xtables-nft-multi
    # the engine also listens on BuildKit'"'"'s default socket: keep that one private too
    mount -t tmpfs tmpfs /run/buildkit
    exec tini -s -- "$1/bin/dagger-engine" --config "$0/engine.toml" --root "$2" --addr "unix://$3" \
      --network-name "$4" --network-cidr "$5" --oci-cni-binary-dir "$1/cni" \
      --oci-worker-platform linux/amd64 --oci-worker-platform linux/arm64
  ' "$WVA_ENGINE_RUN" "$WVA_ENGINE_PREFIX" "$WVA_ENGINE_STATE" "$WVA_ENGINE_SOCK" "$WVA_ENGINE_NET" "$WVA_ENGINE_CIDR" \
    >> "$WVA_ENGINE_RUN/engine.log" 2>&1 < /dev/null &
  echo $! > "$WVA_ENGINE_RUN/engine.pid"
}
# waits for the engine's socket; false when the engine exits or takes over 30 s
engine_listening() {
  for _ in $(seq 150); do
    [[ -S "$WVA_ENGINE_SOCK" ]] && return 0
    alive "$WVA_ENGINE_RUN/engine.pid" || break
    sleep 0.2
  done
  echo "the engine did not start; its log ends with:" >&2
  tail -30 "$WVA_ENGINE_RUN/engine.log" >&2
  return 1
}
if ! alive "$WVA_ENGINE_RUN/engine.pid"; then
  start_engine
  if ! engine_listening; then
    # An engine killed mid-write (e.g. the machine's processes were ended) can leave state it
    # refuses to load: start once more from an empty state directory.
    tini_pid=$(cat "$WVA_ENGINE_RUN/engine.pid")
    for pid in $(pgrep -P "$tini_pid") "$tini_pid"; do kill -KILL "$pid" 2>/dev/null || true; done
    echo "retrying with a fresh engine state in $WVA_ENGINE_STATE" >&2
    rm -rf "$WVA_ENGINE_STATE"
    start_engine
    engine_listening
  fi
fi
[[ -S "$WVA_ENGINE_SOCK" ]] || engine_listening
# The CLI must reach the engine and agree on the version.
answer=$(cd / && echo '{ version }' | DO_NOT_TRACK=1 _EXPERIMENTAL_DAGGER_RUNNER_HOST="unix://$WVA_ENGINE_SOCK" \
  timeout 120 "$WVA_ENGINE_BIN/dagger" query -M 2>&1) || true
grep -q "\"$DAGGER_VERSION\"" <<<"$answer" \
  || { echo "the CLI could not query the engine: $answer" >&2; tail -30 "$WVA_ENGINE_RUN/engine.log" >&2; exit 1; }
echo "engine $DAGGER_VERSION answers on unix://$WVA_ENGINE_SOCK"

cat > "$WVA_STATE_DIR/env.json" <<JSON
{
  "_EXPERIMENTAL_DAGGER_CLI_BIN": "$WVA_ENGINE_BIN/dagger",
  "_EXPERIMENTAL_DAGGER_RUNNER_HOST": "unix://$WVA_ENGINE_SOCK",
  "registry": "$WVA_REGISTRY_ADDR",
  "registryUser": "$WVA_REGISTRY_USER",
  "registryPassword": "$WVA_REGISTRY_PASSWORD",
  "registryData": "$WVA_ENGINE_CACHE/registry",
  "DOCKER_CONFIG": "$DOCKER_CONFIG",
  "engineLog": "$WVA_ENGINE_RUN/engine.log"
}
JSON
cat > "$WVA_STATE_DIR/env.sh" <<SH
export _EXPERIMENTAL_DAGGER_CLI_BIN=$WVA_ENGINE_BIN/dagger
export _EXPERIMENTAL_DAGGER_RUNNER_HOST=unix://$WVA_ENGINE_SOCK
export DOCKER_CONFIG=$DOCKER_CONFIG
export DO_NOT_TRACK=1 DAGGER_NO_NAG=1 DAGGER_NO_UPDATE_CHECK=1
SH

if [[ ${WVA_UP_K8S:-} == background ]]; then
  step "envtest assets and the kind node image: still building in the background (pid $(cat "$WVA_ENGINE_RUN/k8s.pid"), log $k8s_log)"
else
  step "envtest assets and the kind node image"
  wait_k8s
fi

step "ready: engine, registry and images up in $((SECONDS - t0))s"
