#!/usr/bin/env bash
# Installs, from Debian, what the locally built Dagger engine needs at run time and what up.sh uses
# to build images and serve them. Idempotent: apt-get skips what is installed.
set -euo pipefail
pkgs=(
  runc tini dnsmasq-base iptables git                          # engine run time
  containernetworking-plugins                                   # CNI (dnsname is built with the engine)
  qemu-user-static binfmt-support                              # foreign-platform execs
  docker-registry apache2-utils                                # local registry + htpasswd
  debootstrap jq file ca-certificates curl                     # image building, checks
)
missing=()
for p in "${pkgs[@]}"; do
  [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  # policy-rc.d stops the packages' init scripts from starting daemons (we start our own).
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# crane pushes the images up.sh assembles (no Docker needed).
if ! command -v crane >/dev/null && [[ ! -x "$HOME/go/bin/crane" ]]; then
  GOTOOLCHAIN=local go install github.com/google/go-containerregistry/cmd/crane@v0.22.1
fi
echo "deps: ok"
