#!/usr/bin/env bash
# `npm run bench`: brings the engine up as the engine tier does (pinned tools, test/engine/up.sh),
# then runs the benchmark (test/bench/run.ts) and prints where its table and JSON are.
# An engine that was already running is left running; one this script started is stopped.
# Not part of `npm test`. WVA_BENCH_REPS, WVA_BENCH_ONLY, WVA_BENCH_WARMUP: see run.ts.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash test/tools/install.sh
# shellcheck source=/dev/null
source test/tools/env.sh
source test/engine/layout.sh
engine_running() {
  [[ -S "$WVA_ENGINE_SOCK" && -f "$WVA_ENGINE_RUN/engine.pid" ]] && kill -0 "$(cat "$WVA_ENGINE_RUN/engine.pid")" 2>/dev/null
}
if ! engine_running; then
  trap 'bash test/engine/down.sh || true' EXIT
fi
# The arm64 row's reference emulates WVA's arm64 builder: it pulls golang images for linux/arm64
# too (their root filesystem is debootstrapped under QEMU, minutes the other rows do not need).
arm64=0
if [[ -z ${WVA_BENCH_ONLY:-} || wva/arm64/go-file =~ $WVA_BENCH_ONLY ]]; then arm64=1; fi
WVA_GO_IMAGE_ARM64=$arm64 bash test/engine/up.sh
npx vitest run --config test/bench/vitest.config.ts
