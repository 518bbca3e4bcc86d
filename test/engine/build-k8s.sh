#!/usr/bin/env bash
# Builds Kubernetes and the programs that run with it from the Go module proxy (no dl.k8s.io, no
# GitHub, no registry), once per machine: each build is cached under $WVA_ENGINE_CACHE/k8s by
# version and the hash of its own recipe (the bash functions that build it), so editing one recipe
# rebuilds only what it makes.
#
#   build-k8s.sh envtest   kube-apiserver + kubectl $ENVTEST_K8S_VERSION and the etcd kubeadm pins for
#                          that minor, laid out as setup-envtest lays them out:
#                          <dir>/k8s/<version>-linux-amd64/{etcd,kube-apiserver,kubectl}
#   build-k8s.sh node      what the kind node image is made of (build-kind-node.sh): kubeadm, kubelet,
#                          kubectl, the control plane and kube-proxy $NODE_K8S_VERSION, the etcd and
#                          CoreDNS kubeadm pins for it, kindnetd (kind's source from third_party, built
#                          in a cache dir against client-go v0.<minor>) and pause (kind-node/pause.go)
#   build-k8s.sh           both
#
# Kubernetes: k8s.io/kubernetes cannot be `go install`ed (its go.mod replaces the k8s.io/* staging
# modules with ./staging, which its module zip leaves out), so a wrapper module requires it, replaces
# each staging module with its published v0.<minor>.<patch>, and copies its go/godebug lines; built
# with GOWORK=off and the Go the release was built with (its .go-version), with the version ldflags
# upstream's hack/lib/version.sh sets. Every program is built with the Go its own source names
# (.go-version, else go.mod's toolchain line), fetched through the proxy as golang.org/toolchain.
# Writes $WVA_STATE_DIR/k8s.json: envtestAssets (KUBEBUILDER_ASSETS), envtestBinDir (setup-envtest's
# --bin-dir: `setup-envtest use 1.34 --bin-dir <it> -i -p path` finds it), envtestK8sVersion;
# nodeBinDir (every node binary in one directory) and nodeVersions.
set -Eeuo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/layout.sh"

ENVTEST_K8S_VERSION=${ENVTEST_K8S_VERSION:-v1.34.1}
NODE_K8S_VERSION=${NODE_K8S_VERSION:-v1.32.0}
KINDNETD_SRC=$WVA_THIRD_PARTY/kind/kindnetd-v0.23.0
NODE_COMPONENTS=(kubeadm kubelet kubectl kube-apiserver kube-controller-manager kube-scheduler kube-proxy)

cache="$WVA_ENGINE_CACHE/k8s"
mkdir -p "$cache" "$WVA_STATE_DIR"
log="$cache/build.log"
# Other worktrees run this too: one build at a time per machine.
exec {lock}>"$cache/.lock"
flock "$lock"
trap 'echo "build-k8s failed; the end of $log:" >&2; tail -25 "$log" >&2' ERR

export GOWORK=off GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 GOTOOLCHAIN=local
t0=$SECONDS

# The hash of the named functions' text: a build's cache key besides its version.
recipe() { declare -f "$@" | sha256sum | cut -c1-10; }
# module_dir <module@version>: the module's extracted source in the Go module cache.
module_dir() { (cd / && go mod download -json "$1" | jq -er .Dir); }
# module_time <module@version>: the proxy's publication time of that version (RFC 3339).
module_time() { (cd / && go mod download -json "$1" | jq -er .Info | xargs jq -er .Time); }
# cached <dir> <build function> <args…>: runs the build into <dir>.tmp unless <dir> exists, then renames it.
cached() {
  local dir=$1; shift
  if [[ -d $dir ]]; then echo "  $(basename "$dir"): cached"; return; fi
  local s=$SECONDS
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  "$@" "$dir.tmp" >>"$log" 2>&1
  mv "$dir.tmp" "$dir"
  echo "  $(basename "$dir"): built in $((SECONDS - s))s"
}

# --- Kubernetes -----------------------------------------------------------------------------------
# k8s_wrapper <version> <dir>: the wrapper module that builds k8s.io/kubernetes@<version>'s commands.
k8s_wrapper() {
  local v=$1 dir=$2 src
  src=$(module_dir "k8s.io/kubernetes@$v")
  mkdir -p "$dir"
  {
    echo "module local/k8s-build"
    grep -E '^(go|godebug) ' "$src/go.mod"
    echo "require k8s.io/kubernetes $v"
    # every `k8s.io/<staging> => ./staging/src/k8s.io/<staging>` becomes the published v0.<minor>.<patch>
    sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/.*#replace \1 => \1 v0'"${v#v1}"'#p' "$src/go.mod"
  } > "$dir/go.mod"
  grep -q '^replace k8s.io/client-go ' "$dir/go.mod"   # the staging list was read
}
# build_k8s <version> <command> <out dir>: one command of k8s.io/kubernetes@<version>, as release builds are made.
build_k8s() {
  local v=$1 cmd=$2 out=$3 src go_version date minor ldflags="-s -w" p
  src=$(module_dir "k8s.io/kubernetes@$v")
  go_version=$(cat "$src/.go-version")
  date=$(module_time "k8s.io/kubernetes@$v")
  minor=${v#v1.}; minor=${minor%%.*}
  for p in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    ldflags+=" -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=$date"
  done
  k8s_wrapper "$v" "$cache/src/kubernetes-$v"
  (cd "$cache/src/kubernetes-$v" && GOTOOLCHAIN="go$go_version" \
    go build -trimpath -tags selinux,notest -ldflags "$ldflags" -o "$out/$cmd" "k8s.io/kubernetes/cmd/$cmd")
}
# kubernetes <version> <command…>: prints the directory holding those commands, building the missing ones.
kubernetes() {
  local v=$1 cmd; shift
  local dir="$cache/kubernetes-$v-$(recipe k8s_wrapper build_k8s module_dir module_time)"
  mkdir -p "$dir"
  for cmd in "$@"; do cached "$dir/$cmd.d" build_k8s "$v" "$cmd" >&2; done
  echo "$dir"
}

# --- etcd -----------------------------------------------------------------------------------------
# build_etcd <version> <out dir>: go.etcd.io/etcd/server/v3 (its main package) through a wrapper
# module (the server's go.mod has replace directives), with the Go its go.mod names as toolchain.
build_etcd() {
  local v=$1 out=$2 src go_version dir="$cache/src/etcd-$1"
  src=$(module_dir "go.etcd.io/etcd/server/v3@$v")
  go_version=$(sed -n 's/^toolchain go//p' "$src/go.mod")
  mkdir -p "$dir"
  printf 'module local/etcd-build\n\n%s\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$(grep -E '^go ' "$src/go.mod")" "$v" > "$dir/go.mod"
  (cd "$dir" && GOTOOLCHAIN="go${go_version:-local}" go build -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3)
}
etcd() { local dir="$cache/etcd-$1-$(recipe build_etcd module_dir)"; cached "$dir" build_etcd "$1" >&2; echo "$dir"; }

# --- envtest --------------------------------------------------------------------------------------
# The etcd version kubeadm <version> pins for its own minor (cmd/kubeadm/app/constants: SupportedEtcdVersion).
kubeadm_etcd() {
  local v=$1 src minor
  src=$(module_dir "k8s.io/kubernetes@$v")
  minor=${v#v1.}; minor=${minor%%.*}
  sed -n "s/^[[:space:]]*$minor: \"\\([0-9.]*\\)-[0-9]*\",/v\\1/p" "$src/cmd/kubeadm/app/constants/constants.go"
}
envtest() {
  local v=$ENVTEST_K8S_VERSION etcd_version k8s_dir etcd_dir assets
  etcd_version=$(kubeadm_etcd "$v")
  [[ -n $etcd_version ]] || { echo "no etcd version for $v in kubeadm's constants" >&2; exit 1; }
  echo "envtest $v: kube-apiserver, kubectl; etcd $etcd_version (kubeadm $v's pin)"
  k8s_dir=$(kubernetes "$v" kube-apiserver kubectl)
  etcd_dir=$(etcd "$etcd_version")
  envtest_dir="$cache/envtest-$(basename "$k8s_dir")-$(basename "$etcd_dir")"
  assets="$envtest_dir/k8s/${v#v}-linux-amd64"
  if [[ ! -x $assets/kubectl ]]; then
    rm -rf "$envtest_dir" && mkdir -p "$assets"
    cp "$k8s_dir/kube-apiserver.d/kube-apiserver" "$k8s_dir/kubectl.d/kubectl" "$etcd_dir/etcd" "$assets/"
  fi
  # (output captured first: grep -q would end the pipe early, and pipefail fail it)
  [[ "$("$assets/kube-apiserver" --version)" == "Kubernetes $v" ]]
  [[ "$("$assets/etcd" --version)" == "etcd Version: ${etcd_version#v}"$'\n'* ]]
  envtest_assets=$assets
}

# --- the kind node's other programs ---------------------------------------------------------------
# The CoreDNS version kubeadm <version> deploys (cmd/kubeadm/app/constants: CoreDNSVersion).
kubeadm_coredns() {
  sed -n 's/^[[:space:]]*CoreDNSVersion = "\(v[0-9.]*\)"$/\1/p' "$(module_dir "k8s.io/kubernetes@$1")/cmd/kubeadm/app/constants/constants.go"
}
# build_coredns <version> <out dir>: `go install github.com/coredns/coredns@<version>` with its .go-version.
build_coredns() {
  local v=$1 out=$2 src
  src=$(module_dir "github.com/coredns/coredns@$v")
  (cd / && GOFLAGS=-buildvcs=false GOTOOLCHAIN="go$(cat "$src/.go-version")" GOBIN="$out" \
    go install -trimpath -ldflags "-s -w" "github.com/coredns/coredns@$v")
}
coredns() { local dir="$cache/coredns-$1-$(recipe build_coredns module_dir)"; cached "$dir" build_coredns "$1" >&2; echo "$dir"; }

# build_kindnetd <k8s version> <out dir>: kind's kindnetd from third_party, copied into a cache dir
# (third_party stays read-only) and moved to client-go v0.<minor> with `go get`, built with that
# Kubernetes release's Go (client-go v0.32 needs Go 1.23; kind's own go.mod says 1.21).
build_kindnetd() {
  local v=$1 out=$2 dir="$cache/src/kindnetd" go_version staging="v0${1#v1}"
  go_version=$(cat "$(module_dir "k8s.io/kubernetes@$v")/.go-version")
  rm -rf "$dir" && cp -r "$KINDNETD_SRC" "$dir" && chmod -R u+w "$dir"
  (cd "$dir" && export GOTOOLCHAIN="go$go_version" &&
    go get "k8s.io/api@$staging" "k8s.io/apimachinery@$staging" "k8s.io/client-go@$staging" &&
    go build -trimpath -ldflags "-s -w" -o "$out/kindnetd" ./cmd/kindnetd)
}
kindnetd() {
  local src_hash dir
  src_hash=$(find "$KINDNETD_SRC" -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-6)
  dir="$cache/kindnetd-$(basename "$KINDNETD_SRC")-$src_hash-client-go-v0${1#v1}-$(recipe build_kindnetd module_dir)"
  cached "$dir" build_kindnetd "$1" >&2; echo "$dir"
}

# build_pause <out dir>: our own pause (kind-node/pause.go), with the machine's Go.
build_pause() { go build -trimpath -ldflags "-s -w" -o "$1/pause" "$here/kind-node/pause.go"; }
pause() {
  local dir="$cache/pause-$({ declare -f build_pause; cat "$here/kind-node/pause.go"; } | sha256sum | cut -c1-10)"
  cached "$dir" build_pause >&2; echo "$dir"
}

node_binaries() {
  local v=$NODE_K8S_VERSION etcd_version coredns_version k8s_dir etcd_dir coredns_dir kindnetd_dir pause_dir c
  etcd_version=$(kubeadm_etcd "$v")
  coredns_version=$(kubeadm_coredns "$v")
  [[ -n $etcd_version && -n $coredns_version ]] || { echo "no etcd/CoreDNS version for $v in kubeadm's constants" >&2; exit 1; }
  echo "kind node $v: ${NODE_COMPONENTS[*]}; etcd $etcd_version, CoreDNS $coredns_version (kubeadm $v's pins); kindnetd, pause"
  pause_dir=$(pause)
  kindnetd_dir=$(kindnetd "$v")
  etcd_dir=$(etcd "$etcd_version")
  coredns_dir=$(coredns "$coredns_version")
  k8s_dir=$(kubernetes "$v" "${NODE_COMPONENTS[@]}")
  node_bin="$cache/node-bin-$v-$(printf '%s\n' "$k8s_dir" "$etcd_dir" "$coredns_dir" "$kindnetd_dir" "$pause_dir" | sha256sum | cut -c1-10)"
  if [[ ! -x $node_bin/pause ]]; then
    rm -rf "$node_bin" && mkdir -p "$node_bin.tmp"
    for c in "${NODE_COMPONENTS[@]}"; do cp "$k8s_dir/$c.d/$c" "$node_bin.tmp/"; done
    cp "$etcd_dir/etcd" "$coredns_dir/coredns" "$kindnetd_dir/kindnetd" "$pause_dir/pause" "$node_bin.tmp/"
    mv "$node_bin.tmp" "$node_bin"
  fi
  # each says the version it was asked for
  [[ "$("$node_bin/kubeadm" version -o short)" == "$v" ]]
  [[ "$("$node_bin/kubelet" --version)" == "Kubernetes $v" ]]
  [[ "$("$node_bin/etcd" --version)" == "etcd Version: ${etcd_version#v}"$'\n'* ]]
  [[ "$("$node_bin/coredns" -version)" == "CoreDNS-${coredns_version#v}"$'\n'* ]]
  node_versions=$(jq -n --arg k "$v" --arg e "$etcd_version" --arg c "$coredns_version" '{kubernetes: $k, etcd: $e, coredns: $c}')
}

what=("$@")
((${#what[@]})) || what=(envtest node)
envtest_dir= envtest_assets= node_bin= node_versions='{}'
for w in "${what[@]}"; do
  case $w in
    envtest) envtest ;;
    node) node_binaries ;;
    *) echo "build-k8s.sh: unknown target $w (envtest, node)" >&2; exit 2 ;;
  esac
done

# what this machine has (targets not asked for this time are kept from the last run)
state="$WVA_STATE_DIR/k8s.json"
[[ -f $state ]] || echo '{}' > "$state"
jq --arg dir "$envtest_dir" --arg assets "$envtest_assets" --arg v "${ENVTEST_K8S_VERSION#v}" \
  --arg node "$node_bin" --argjson nv "$node_versions" '
  (if $assets != "" then . + {envtestBinDir: $dir, envtestAssets: $assets, envtestK8sVersion: $v} else . end)
  | (if $node != "" then . + {nodeBinDir: $node, nodeVersions: $nv} else . end)' \
  "$state" > "$state.tmp" && mv "$state.tmp" "$state"
echo "k8s: ready in $((SECONDS - t0))s; paths in $state"
