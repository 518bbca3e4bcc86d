#!/usr/bin/env bash
# Installs the CLI tools the tests run, at pinned versions, from the Go module proxy.
#
#   test/tools/install.sh                 # every tool
#   test/tools/install.sh helm kind       # only these
#
# Each tool is built once into its own cache directory, ~/.cache/wva-tools/<name>-<version>/
# (override the root with WVA_TOOLS_CACHE), then symlinked into <repo>/.tools/bin/<name>.
# A tool whose cached binary already exists is not rebuilt, so a second run takes about a second.
# Source test/tools/env.sh afterwards to put .tools/bin first on PATH.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache_root=${WVA_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/wva-tools}
bin_dir=$repo/.tools/bin

# name  Go package (main)  version  [ldflags]: keep in step with the module's defaults. The
# longest builds first, so that the short ones fill in beside them.
# The ldflags stamp the version as the upstream release binaries do (helm-docs writes it into
# chart READMEs; helm and kubeconform print it).
tools=(
  "golangci-lint github.com/golangci/golangci-lint/v2/cmd/golangci-lint v2.15.0"
  "helm          helm.sh/helm/v3/cmd/helm                                v3.22.0 -X helm.sh/helm/v3/internal/version.version=v3.22.0"
  "registry      github.com/distribution/distribution/v3/cmd/registry     v3.0.0"
  "helm-docs     github.com/norwoodj/helm-docs/cmd/helm-docs              v1.14.2 -X main.version=1.14.2"
  "actionlint    github.com/rhysd/actionlint/cmd/actionlint               v1.7.12"
  "kubeconform   github.com/yannh/kubeconform/cmd/kubeconform             v0.8.0  -X main.version=v0.8.0"
  "kind          sigs.k8s.io/kind                                         v0.33.0"
  "controller-gen sigs.k8s.io/controller-tools/cmd/controller-gen         v0.17.2"
  "crane         github.com/google/go-containerregistry/cmd/crane         v0.22.1"
)

known=()
for line in "${tools[@]}"; do
  read -r name _ _ <<<"$line"
  known+=("$name")
done

# Arguments select tools; an unknown name is an error rather than a silent no-op.
wanted=("$@")
for want in "${wanted[@]}"; do
  if [[ " ${known[*]} " != *" $want "* ]]; then
    echo "install.sh: unknown tool '$want' (known: ${known[*]})" >&2
    exit 2
  fi
done

for cmd in go flock; do
  command -v "$cmd" >/dev/null || { echo "install.sh: $cmd is not on PATH" >&2; exit 1; }
done
mkdir -p "$bin_dir" "$cache_root"

elapsed() { # start-time -> seconds with one decimal
  awk -v s="$1" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.1f", e - s }'
}

# install_one <name> <pkg> <version> [ldflags]: builds the tool unless cached, links it, says which.
install_one() {
  local name=$1 pkg=$2 version=$3 ldflags=${4:-} start=$EPOCHREALTIME lock tmp built
  local dir=$cache_root/$name-$version status=cached
  # Other checkouts may run this at the same time: one build per tool at once.
  exec {lock}>"$cache_root/.$name-$version.lock"
  flock "$lock"
  if [[ ! -x $dir/$name ]]; then
    # Build into a scratch dir and rename it into place, so an interrupted build is never
    # mistaken for a cached one.
    tmp=$(mktemp -d "$cache_root/.$name-$version.XXXXXX")
    chmod 755 "$tmp"
    if ! CGO_ENABLED=0 GOBIN=$tmp go install -ldflags "$ldflags" "$pkg@$version"; then
      rm -rf "$tmp"
      echo "install.sh: go install $pkg@$version failed" >&2
      return 1
    fi
    built=$tmp/$(basename "$pkg")
    [[ -x $built ]] || { echo "install.sh: $pkg@$version produced no binary $built" >&2; return 1; }
    [[ $built == "$tmp/$name" ]] || mv "$built" "$tmp/$name"
    rm -rf "$dir"
    mv "$tmp" "$dir"
    status=built
  fi
  exec {lock}>&-
  ln -sfn "$dir/$name" "$bin_dir/$name"
  printf '%-15s %-8s %-7s %6ss\n' "$name" "$version" "$status" "$(elapsed "$start")"
}

# WVA_TOOLS_JOBS builds at once (default 2): one build alone leaves the CPUs idle while it
# downloads its modules and links (a cold machine built these in 543 s one at a time).
jobs=${WVA_TOOLS_JOBS:-2}
running=0
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
total_start=$EPOCHREALTIME
for line in "${tools[@]}"; do
  read -r name pkg version ldflags <<<"$line"
  if ((${#wanted[@]} > 0)) && [[ " ${wanted[*]} " != *" $name "* ]]; then
    continue
  fi
  if ((running >= jobs)); then
    wait -n || exit 1
    running=$((running - 1))
  fi
  install_one "$name" "$pkg" "$version" "${ldflags:-}" &
  running=$((running + 1))
done
while ((running > 0)); do
  wait -n || exit 1
  running=$((running - 1))
done
trap - EXIT
printf '%-15s %-8s %-7s %6ss\n' "total" "" "" "$(elapsed "$total_start")"
