#!/usr/bin/env bash
# Builds the kind node image kindest/node:$NODE_K8S_VERSION on this machine, without Docker or a
# registry outside it, and pushes it to the local registry as <registry>/kindest/node:<version>
# (the engine's mirrors serve it as kindest/node:<version>, the module's default node image).
# Assembled the way kind assembles it (kind build node-image cannot run here: it pulls):
#   - a Debian bookworm root filesystem (debootstrap) with Debian's systemd, containerd and runc;
#   - kind's node base files at v0.26.0 (the base of the published kindest/node:v1.32.0) from
#     third_party/kind, copied into a cache dir and adjusted there: Debian's containerd path,
#     restrict_oom_score_adj = true (this host denies negative oom_score_adj), no fuse-overlayfs;
#   - kubeadm, kubelet and kubectl, and the control-plane images pre-imported into containerd's
#     store under the names kubeadm expects (registry.k8s.io/kube-apiserver:<v>, etcd, coredns,
#     pause, kube-proxy …) plus kindnetd, all built by build-k8s.sh from the Go module proxy;
#   - /kind/version and /kind/manifests (kind v0.23.0's kindnet manifest, a default StorageClass);
#   - /sbin/init = kind-node/init.sh: systemd, kept off the cgroup2 hierarchy on a cgroup v1 host.
# Cached by version and recipe (this script, the binaries, the third_party files): once per machine.
# Writes $WVA_STATE_DIR/kind-node.json (reference, digest, size).
set -Eeuo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/layout.sh"

NODE_K8S_VERSION=${NODE_K8S_VERSION:-v1.32.0}
KIND_BASE=$WVA_THIRD_PARTY/kind/base-v0.26.0
KIND_NODEIMAGE=$WVA_THIRD_PARTY/kind/nodeimage-v0.23.0
MIRROR=${DEBIAN_MIRROR:-$(sed -n 's/^URIs: //p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
# The node's packages: kind's base image list (less nfs/iscsi/fuse), with Debian's containerd, runc and CNI plugins.
NODE_PACKAGES=systemd,containerd,runc,containernetworking-plugins,conntrack,iptables,nftables,iproute2,ethtool,util-linux,mount,kmod,libseccomp2,pigz,e2fsprogs,bash,ca-certificates,curl,jq,procps,socat
# The pod images' base: what kube-proxy and kindnetd call (iptables, conntrack).
IMAGES_PACKAGES=ca-certificates,iptables,conntrack,nftables

reg=$WVA_REGISTRY_ADDR
ref=$reg/kindest/node:$NODE_K8S_VERSION
crane=$(command -v crane || echo "$HOME/go/bin/crane")
work="$WVA_ENGINE_CACHE/kind-node"
mkdir -p "$work" "$WVA_STATE_DIR"
log="$work/build.log"
exec {lock}>"$work/.lock"
flock "$lock"
export DOCKER_CONFIG="$WVA_ENGINE_RUN/docker-config"
mkdir -p "$DOCKER_CONFIG"
"$crane" auth login "$reg" -u "$WVA_REGISTRY_USER" -p "$WVA_REGISTRY_PASSWORD" >/dev/null 2>&1
c() { "$crane" --insecure "$@" 2>>"$log"; }
trap 'echo "build-kind-node failed; the end of $log:" >&2; tail -25 "$log" >&2' ERR
t0=$SECONDS

# rootfs <name> <packages>: a debootstrap'd Debian bookworm, cached by package list and mirror
rootfs() {
  local dir="$work/rootfs-$1" k="$MIRROR $2"
  if [[ "$(cat "$dir.key" 2>/dev/null)" != "$k" ]]; then
    local s=$SECONDS
    rm -rf "$dir" "$dir.key"
    debootstrap --variant=minbase --include="$2" bookworm "$dir" "$MIRROR" >>"$work/debootstrap-$1.log" 2>&1 \
      || { tail -20 "$work/debootstrap-$1.log" >&2; return 1; }
    cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/ca-certificates.crt"
    # as kind's clean-install: no package caches, docs or man pages
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir"/var/log/* \
      "$dir"/usr/share/doc/* "$dir"/usr/share/man/* "$dir"/usr/share/locale/*
    echo "$k" > "$dir.key"
    echo "  rootfs $1: debootstrap in $((SECONDS - s))s" >&2
  fi
  echo "$dir"
}
# The two root filesystems download and unpack Debian packages while Kubernetes compiles.
( rootfs images "$IMAGES_PACKAGES" && rootfs node "$NODE_PACKAGES" ) >/dev/null &
rootfs_pid=$!
bash "$here/build-k8s.sh" node
wait "$rootfs_pid" || { echo "debootstrap of the node's root filesystems failed" >&2; exit 1; }
bin=$(jq -er .nodeBinDir "$WVA_STATE_DIR/k8s.json")
versions=$(jq -c .nodeVersions "$WVA_STATE_DIR/k8s.json")
etcd_version=$(jq -er .etcd <<<"$versions")
coredns_version=$(jq -er .coredns <<<"$versions")
# kubeadm's own list of the images it runs (its pause is replaced by containerd's sandbox image, as kind does)
mapfile -t kubeadm_images < <("$bin/kubeadm" config images list --kubernetes-version "$NODE_K8S_VERSION" 2>>"$log")
pause_image=$(sed -n 's/^[[:space:]]*sandbox_image = "\(.*\)"$/\1/p' "$KIND_BASE/files/etc/containerd/config.toml")
kindnetd_image=docker.io/kindest/kindnetd:v0.23.0

key=$( { echo "$NODE_K8S_VERSION $MIRROR $NODE_PACKAGES $IMAGES_PACKAGES $bin"; cat "$0" "$here/kind-node/init.sh";
  find "$KIND_BASE" "$KIND_NODEIMAGE" -type f -print0 | sort -z | xargs -0 sha256sum; } | sha256sum | cut -c1-12)
if [[ "$(cat "$work/node-$NODE_K8S_VERSION.stamp" 2>/dev/null)" == "$key $ref" ]] && c digest "$ref" >/dev/null 2>&1; then
  cp "$work/node-$NODE_K8S_VERSION.json" "$WVA_STATE_DIR/kind-node.json"
  echo "image $ref: reusing"
  exit 0
fi
echo "image $ref: building (kubeadm's images: ${kubeadm_images[*]})"

# --- the pod images: one root filesystem with every binary, one name (and entrypoint) each ----------
s=$SECONDS
images_root=$(rootfs images "$IMAGES_PACKAGES")
layer="$work/images-layer"
rm -rf "$layer" && mkdir -p "$layer/usr/local/bin" "$layer/usr/bin"
cp "$bin"/{kube-apiserver,kube-controller-manager,kube-scheduler,kube-proxy,etcd} "$layer/usr/local/bin/"
cp "$bin/coredns" "$bin/pause" "$layer/"
cp "$bin/kindnetd" "$layer/usr/bin/"   # /bin/kindnetd: bookworm's /bin is /usr/bin
tar --numeric-owner -C "$images_root" -cf "$work/images-base.tar" .
tar --numeric-owner --owner=0 --group=0 -C "$layer" -cf "$work/images-layer.tar" .
rm -rf "$layer"
shared=$reg/wva-kind/node-images:$NODE_K8S_VERSION
c append --oci-empty-base -f "$work/images-base.tar" -f "$work/images-layer.tar" -t "$shared" >/dev/null
rm -f "$work/images-base.tar" "$work/images-layer.tar"
export_image() { # export_image <name> <crane mutate flags…>: a docker-save tarball named <name>
  local name=$1; shift
  c mutate "$shared" --set-platform linux/amd64 -e PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    "$@" -t "$name" -o "$work/ctr-images/$(basename "${name%%:*}").tar" >/dev/null
}
rm -rf "$work/ctr-images" && mkdir -p "$work/ctr-images"
for image in "${kubeadm_images[@]}"; do
  case $image in
    */pause:*) ;;   # containerd's sandbox image below
    */coredns:*) export_image "$image" --entrypoint /coredns ;;
    *) export_image "$image" ;;   # the static pods and kube-proxy name their command
  esac
done
export_image "$pause_image" --entrypoint /pause
export_image "$kindnetd_image" --cmd /bin/kindnetd
echo "  pod images: $(ls "$work/ctr-images" | wc -l) tarballs in $((SECONDS - s))s"

# --- the node's root filesystem -------------------------------------------------------------------
s=$SECONDS
node_base=$(rootfs node "$NODE_PACKAGES")
root="$work/node-root"
rm -rf "$root" && cp -a "$node_base" "$root"
files="$work/kind-base-files"
rm -rf "$files" && cp -r "$KIND_BASE/files" "$files" && chmod -R u+w "$files"
# Debian's containerd is /usr/bin/containerd; this host refuses negative oom_score_adj (no
# CAP_SYS_RESOURCE), which kubelet asks for node-critical pods; no fuse-overlayfs snapshotter here
sed -i 's#^ExecStart=/usr/local/bin/containerd$#ExecStart=/usr/bin/containerd#' "$files/etc/systemd/system/containerd.service"
sed -i 's/^  restrict_oom_score_adj = false$/  restrict_oom_score_adj = true/' "$files/etc/containerd/config.toml"
sed -i '/^\[proxy_plugins\]$/,/^  address = /d' "$files/etc/containerd/config.toml"
grep -q '^ExecStart=/usr/bin/containerd$' "$files/etc/systemd/system/containerd.service"
grep -q '^  restrict_oom_score_adj = true$' "$files/etc/containerd/config.toml"
! grep -q fuse-overlayfs "$files/etc/containerd/config.toml"
# as kind's base Dockerfile lays them out
install -m 0755 "$files"/usr/local/bin/* "$root/usr/local/bin/"
mkdir -p "$root/kind/bin" "$root/LICENSES" "$root/etc/containerd" "$root/etc/default" "$root/etc/sysctl.d" \
  "$root/etc/systemd/system/kubelet.service.d" "$root/etc/kubernetes/manifests" "$root/kind/manifests" "$root/opt/cni/bin"
cp "$files/kind/README.txt" "$root/kind/" && install -m 0755 "$files"/kind/bin/* "$root/kind/bin/"
install -m 0644 "$files"/LICENSES/* "$root/LICENSES/"
install -m 0644 "$files/etc/crictl.yaml" "$root/etc/"
install -m 0644 "$files/etc/containerd/config.toml" "$root/etc/containerd/"
install -m 0644 "$files"/etc/default/* "$root/etc/default/"
install -m 0644 "$files"/etc/sysctl.d/* "$root/etc/sysctl.d/"
install -m 0644 "$files"/etc/systemd/system/*.service "$files"/etc/systemd/system/*.slice "$root/etc/systemd/system/"
install -m 0644 "$files"/etc/systemd/system/kubelet.service.d/* "$root/etc/systemd/system/kubelet.service.d/"
find "$root/lib/systemd/system/sysinit.target.wants/" -name "systemd-tmpfiles-setup.service" -delete
rm -f "$root"/lib/systemd/system/multi-user.target.wants/* "$root"/etc/systemd/system/*.wants/* \
  "$root"/lib/systemd/system/local-fs.target.wants/* "$root"/lib/systemd/system/sockets.target.wants/*udev* \
  "$root"/lib/systemd/system/sockets.target.wants/*initctl* "$root"/lib/systemd/system/basic.target.wants/*
echo "ReadKMsg=no" >> "$root/etc/systemd/journald.conf"
# /sbin/init: systemd, kept to the cgroup v1 hierarchies on a cgroup v1 host (kind-node/init.sh says why)
install -m 0755 "$here/kind-node/init.sh" "$root/sbin/init"
chroot "$root" systemctl enable kubelet.service containerd.service undo-mount-hacks.service >>"$log" 2>&1
chroot "$root" systemctl mask systemd-binfmt.service >>"$log" 2>&1
chroot "$root" ctr oci spec \
  | jq '.hooks.createContainer[.hooks.createContainer| length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' \
  | jq 'del(.process.rlimits)' > "$root/etc/containerd/cri-base.json"
for p in host-local loopback ptp portmap; do ln -sf "/usr/lib/cni/$p" "$root/opt/cni/bin/$p"; done
install -m 0755 "$bin/kubeadm" "$bin/kubelet" "$bin/kubectl" "$root/usr/bin/"
# what `kind build node-image` adds: the version, and the manifests kind applies at `kind create`
echo "$NODE_K8S_VERSION" > "$root/kind/version"
go_const() { # go_const <file.go> <name>: the text of a Go raw-string constant, `+ NAME +` joined with the file's string constants
  awk -v name="$2" '
    /^const [A-Za-z0-9_]+ = "[^"]*"$/ { v = $0; sub(/^[^"]*"/, "", v); sub(/"$/, "", v); val[$2] = v }
    $0 ~ "^const " name " = `" { on = 1; sub(/^[^`]*`/, "") }
    on {
      line = $0
      while (match(line, /` \+ [A-Za-z0-9_]+ \+ `/)) line = substr(line, 1, RSTART - 1) val[substr(line, RSTART + 4, RLENGTH - 8)] substr(line, RSTART + RLENGTH)
      if (index(line, "`")) { sub(/`.*$/, "", line); print line; exit }
      print line
    }' "$1"
}
# kind's kindnet manifest, with the kindnetd built here
go_const "$KIND_NODEIMAGE/const_cni.go" defaultCNIManifest \
  | sed "s#^\(        image: \)docker.io/kindest/kindnetd:.*#\1$kindnetd_image#" > "$root/kind/manifests/default-cni.yaml"
grep -q "image: $kindnetd_image\$" "$root/kind/manifests/default-cni.yaml"
# local-path-provisioner is not built here: of the storage manifest, the default StorageClass alone
go_const "$KIND_NODEIMAGE/const_storage.go" defaultStorageManifest \
  | awk 'BEGIN { RS = "\n---\n"; ORS = "\n---\n" } /(^|\n)kind: StorageClass\n/' > "$root/kind/manifests/default-storage.yaml"
grep -q '^kind: StorageClass$' "$root/kind/manifests/default-storage.yaml"
echo "  node root filesystem in $((SECONDS - s))s"

# --- pre-import the images into the node's containerd store, as kind does --------------------------
# The node's own containerd (Debian 1.6.20), chrooted in a private mount namespace, with CRI off:
# the images land in <root>/var/lib/containerd, not unpacked (CRI unpacks on first use).
s=$SECONDS
mkdir -p "$root/tmp/wva-images" && cp "$work"/ctr-images/*.tar "$root/tmp/wva-images/"
cat > "$root/tmp/wva-import.toml" <<'TOML'
version = 2
root = "/var/lib/containerd"
state = "/run/wva-import/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "/run/wva-import/containerd.sock"
TOML
unshare --mount --propagation private --fork -- chroot "$root" /bin/bash -euc '
  mount -t proc proc /proc
  mount -t tmpfs tmpfs /run
  containerd --config /tmp/wva-import.toml > /tmp/wva-import.log 2>&1 &
  pid=$!
  for _ in $(seq 100); do [ -S /run/wva-import/containerd.sock ] && break; sleep 0.1; done
  ctr() { command ctr -a /run/wva-import/containerd.sock -n k8s.io "$@"; }
  for t in /tmp/wva-images/*.tar; do ctr images import --no-unpack --all-platforms --digests "$t" >/dev/null; done
  ctr images ls -q
  kill -TERM "$pid"; wait "$pid" || true
' > "$work/imported.txt" 2>>"$log"
for image in "${kubeadm_images[@]}" "$pause_image" "$kindnetd_image"; do
  [[ $image == */pause:* && $image != "$pause_image" ]] && continue
  grep -qx "$image" "$work/imported.txt" || { echo "$image is not in the node's containerd store" >&2; cat "$work/imported.txt" >&2; exit 1; }
done
rm -rf "$root/tmp/wva-images" "$root/tmp/wva-import.toml" "$root/tmp/wva-import.log" "$root/run/wva-import"
echo "  images pre-imported in $((SECONDS - s))s: $(grep -vc '@sha256:' "$work/imported.txt") names"

# --- the image ------------------------------------------------------------------------------------
s=$SECONDS
# real owners kept (a systemd root filesystem has more than root:root); no device nodes
tar --numeric-owner -C "$root" --exclude=./dev/* --exclude=./proc/* --exclude=./sys/* -cf "$work/node.tar" .
c append --oci-empty-base -f "$work/node.tar" -t "$ref" >/dev/null
c mutate "$ref" -t "$ref" --set-platform linux/amd64 --entrypoint /usr/local/bin/entrypoint,/sbin/init \
  -e container=docker -e PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin >/dev/null
size=$(stat -c %s "$work/node.tar")
rm -f "$work/node.tar"
rm -rf "$root"
digest=$(c digest "$ref")
compressed=$(c manifest "$ref" | jq '[.layers[].size] | add')
echo "$key $ref" > "$work/node-$NODE_K8S_VERSION.stamp"
jq -n --arg ref "$ref" --arg digest "$digest" --arg k "$NODE_K8S_VERSION" --argjson size "$size" --argjson gz "$compressed" \
  --arg etcd "$etcd_version" --arg coredns "$coredns_version" --arg kindnetd "$kindnetd_image" \
  '{kindNodeImage: $ref, digest: $digest, kubernetes: $k, etcd: $etcd, coredns: $coredns, kindnetd: $kindnetd, uncompressedBytes: $size, compressedBytes: $gz}' \
  > "$work/node-$NODE_K8S_VERSION.json"
cp "$work/node-$NODE_K8S_VERSION.json" "$WVA_STATE_DIR/kind-node.json"
echo "  archived and pushed in $((SECONDS - s))s"
echo "image $ref: built in $((SECONDS - t0))s ($((size / 1048576)) MiB, $((compressed / 1048576)) MiB compressed)"
