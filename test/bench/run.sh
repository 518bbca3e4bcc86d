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
# the arm64 row's reference emulates WVA's arm64 builder: it pulls golang images for linux/arm64 too
WVA_GO_IMAGE_ARM64=1 bash test/engine/up.sh
npx vitest run --config test/bench/vitest.config.ts
