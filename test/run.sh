#!/usr/bin/env bash
# `npm test`: every tier, from whatever state the machine is in. Installs the pinned tools
# (cached after the first run), brings up the local Dagger engine, registry and base images
# (reused when already built), type-checks, runs all vitest projects, and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
step() { printf '\n==> %s  [+%ss]\n' "$1" "$(( $(date +%s) - t0 ))"; }

step "Pinned tools (test/tools/install.sh)"
bash test/tools/install.sh
# shellcheck source=/dev/null
source test/tools/env.sh

step "Local Dagger engine, registry and base images (test/engine/up.sh)"
trap 'step "Stopping what test/engine/up.sh started"; bash test/engine/down.sh || true' EXIT
# envtest's Kubernetes and the kind node image build beside the first tiers (they are not needed
# before the cli tier's WVA test and the engine tier's Kind tests, which wait for them)
WVA_UP_K8S=background bash test/engine/up.sh

step "Type check (tsc --noEmit, strict, dagger/src and test/)"
npx tsc -p tsconfig.json --noEmit

step "vitest: unit, module, native, engine, cli"
npx vitest run "$@"
